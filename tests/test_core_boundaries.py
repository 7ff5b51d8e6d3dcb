"""The core stays free of Qt, and cheap entry points do not load TensorFlow."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)


def test_importing_every_core_module_loads_no_qt_pyqtgraph_or_tensorflow():
    code = (
        "import pkgutil, importlib, sys, ftgui.core as core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'ftgui.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "import ftgui.cli.train, ftgui.app, ftgui.cli.args\n"
        "bad = [n for n in ('PySide6', 'pyqtgraph', 'tensorflow', 'keras') if n in sys.modules]\n"
        "print(bad)\n"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--help"], ["sub-commands", "--unfreeze-from"]),
        (["train", "--help"], ["--unfreeze-from", "--lr-head", "--tensorboard"]),
        (["evaluate", "--help"], ["--split {test,validation}", "final|best|FILE"]),
        (["gradcam", "--help"], ["--class NAME", "--out PNG"]),
        (["predict", "--help"], ["--top", "path<TAB>class<TAB>confidence"]),
        (["export", "--help"], ["savedmodel,tflite,onnx,script"]),
        (["doctor", "--help"], ["doctor"]),
    ],
    ids=lambda value: value[0] if isinstance(value, list) and value[0] != "--help" else None,
)
def test_help_answers_without_loading_tensorflow_or_qt(argv, expected):
    code = (
        "import sys\nfrom ftgui.app import main\n"
        f"try: main({argv!r})\n"
        "except SystemExit: pass\n"
        "loaded = [m for m in ('tensorflow', 'keras', 'PySide6') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert all(text in result.stdout for text in expected), result.stdout


# Lower layers first: a sub-package may import only itself, the ones before it and the shared
# modules at the root of ftgui/core (errors, files, paths).
CORE_LAYERS = (
    "settings",
    "data",
    "model",
    "training",
    "analysis",
    "audit",
    "run",
    "sweep",
    "export",
    "views",
    "report",
    "service",
)


def _core_imports(path: Path) -> set[str]:
    """The ftgui.core sub-packages (or root modules) that a source file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ftgui.core."):
            names.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            names.update(
                a.name.split(".")[2] for a in node.names if a.name.startswith("ftgui.core.")
            )
    return names


def test_core_sub_packages_import_only_lower_layers():
    core = ROOT / "ftgui" / "core"
    root_modules = {p.stem for p in core.glob("*.py")} - {"__init__"}
    packages = {p.name for p in core.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(CORE_LAYERS)
    for module in root_modules:
        assert _core_imports(core / f"{module}.py") <= root_modules, module
    for level, package in enumerate(CORE_LAYERS):
        allowed = set(CORE_LAYERS[: level + 1]) | root_modules
        for path in (core / package).glob("*.py"):
            assert _core_imports(path) <= allowed, f"{path.name} imports above {package}"
