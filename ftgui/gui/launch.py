"""Start the Qt application: the window first, TensorFlow afterwards in the background."""

from __future__ import annotations

import argparse
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ftgui import __version__
from ftgui.cli.args import config_from_args
from ftgui.core.errors import UserError

PRELOAD_DELAY_MS = 150  # after the first paint: the window shows before TensorFlow starts loading
SINGLE_MACHINE = (
    "ftgui: TF_CONFIG is set, but the window trains on this machine only; start the workers "
    "of a cluster with `python main.py train` instead.\n"
)


def leave_cluster() -> bool:
    """The window never joins a TF_CONFIG cluster: say so once and hide it from the training
    process (MultiWorkerMirroredStrategy needs every worker to start the same way, headless)."""
    if "TF_CONFIG" not in os.environ:
        return False
    sys.stderr.write(SINGLE_MACHINE)
    del os.environ["TF_CONFIG"]
    return True


def launch(args: argparse.Namespace) -> int:
    leave_cluster()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("ftgui")
    app.setApplicationName("ftgui")
    app.setApplicationVersion(__version__)
    app.setStyle("Fusion")
    try:
        config = config_from_args(args)
    except UserError as exc:
        sys.stderr.write(f"ftgui: error: {exc}\n")
        return 2
    from ftgui.gui.file_actions import without_used_run_folder
    from ftgui.gui.main_window import MainWindow

    if args.out_dir is None:  # --out given on purpose is shown, with its reason if it is used
        config = without_used_run_folder(config)
    window = MainWindow(config)
    window.show()
    # TensorFlow's process starts once the window has painted, not alongside the first paint
    QTimer.singleShot(PRELOAD_DELAY_MS, window.start_preloading)
    return app.exec()
