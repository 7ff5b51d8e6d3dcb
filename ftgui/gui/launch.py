"""Start the Qt application: the window first, TensorFlow afterwards in the background."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtWidgets import QApplication

from ftgui import __version__
from ftgui.args import config_from_args
from ftgui.core.errors import UserError


def launch(args: argparse.Namespace) -> int:
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
    from ftgui.gui.main_window import MainWindow

    window = MainWindow(config)
    window.show()
    window.start_preloading()
    return app.exec()
