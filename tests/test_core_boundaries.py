"""The core stays free of Qt, and cheap entry points do not load TensorFlow."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)


def test_importing_every_core_module_loads_no_qt_pyqtgraph_or_tensorflow():
    code = (
        "import pkgutil, importlib, sys, ftgui.core as core\n"
        "for m in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('ftgui.core.' + m.name)\n"
        "import ftgui.cli, ftgui.app, ftgui.args\n"
        "bad = [n for n in ('PySide6', 'pyqtgraph', 'tensorflow', 'keras') if n in sys.modules]\n"
        "print(bad)\n"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_answers_without_loading_tensorflow_or_qt():
    code = (
        "import sys\nfrom ftgui.app import main\n"
        "for argv in (['--help'], ['train', '--help']):\n"
        "    try: main(argv)\n"
        "    except SystemExit: pass\n"
        "assert 'tensorflow' not in sys.modules and 'PySide6' not in sys.modules\n"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert "--unfreeze-from" in result.stdout and "sub-commands" in result.stdout
