"""Developer tool: run the sample in the real window and save a mid-training screenshot.

xvfb-run -s "-screen 0 1920x1080x24" python -m tests.screenshot OUT.png 1280x800
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ftgui.core.data.sample import apply_sample_defaults
from ftgui.core.settings.config import RunConfig
from ftgui.gui.main_window import MainWindow


def main(path: str, size: str = "1280x800", after_epochs_of_phase_2: int = 1) -> int:
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    width, height = (int(n) for n in size.split("x"))
    config = RunConfig(weights="none")
    apply_sample_defaults(config)
    window = MainWindow(config)
    window.resize(width, height)
    window.show()
    window.page.smooth_box.setChecked(True)
    window.start_training()

    def maybe_shoot() -> None:
        phases = window.curves.timeline.phases
        if (
            len(phases) == 2
            and len(phases[1].epoch_x) >= after_epochs_of_phase_2
            and len(phases[1].batch_x) % phases[1].epochs > 0
        ):
            timer.stop()
            window.curves.redraw_if_dirty()
            window.grab().save(path)
            print(f"saved {path}")
            window.confirm_stop_and_quit = lambda: True
            window.close()

    timer = QTimer(interval=500, timeout=maybe_shoot)
    timer.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
