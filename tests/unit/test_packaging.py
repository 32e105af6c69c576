"""The executable's build (packaging/): the files are valid, and the smoke test's list of lazily imported modules,
which is also the spec's list of hidden imports, covers every import Kappa makes inside a function."""

from __future__ import annotations

import ast
import importlib.util
import struct
import sys
from pathlib import Path
from types import ModuleType

from app import smoke

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
PACKAGING = ROOT / "packaging"


def _load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kappa_build", PACKAGING / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_app_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports_inside_functions() -> dict[str, list[str]]:
    """Every module imported inside a function in app/ -> where ("app/core/archive.py:553")."""
    found: dict[str, list[str]] = {}
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    # `from app import smoke` imports the module app.smoke
                    names = [f"{node.module}.{alias.name}" if _is_app_module(f"{node.module}.{alias.name}")
                             else node.module for alias in node.names]
                for name in names:
                    found.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_packaging_files_are_valid_python() -> None:
    for path in (PACKAGING / "kappa.spec", PACKAGING / "build.py", PACKAGING / "launcher.py",
                 PACKAGING / "make_icon.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_every_third_party_module_imported_in_a_function_is_checked_by_the_smoke_test() -> None:
    listed = {name.split(".")[0] for name in smoke.modules_to_check()}
    missing = {
        name: where for name, where in _imports_inside_functions().items()
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "app"
        and name.split(".")[0] not in listed
    }
    assert not missing, f"add these to LAZY_IMPORTS in app/smoke.py (and so to the build): {missing}"


def test_every_app_module_imported_in_a_function_is_checked_by_the_smoke_test() -> None:
    missing = {
        name: where for name, where in _imports_inside_functions().items()
        if name.split(".")[0] == "app" and name != "app.smoke" and name not in smoke.LAZY_IMPORTS
    }
    assert not missing, f"add these to LAZY_IMPORTS in app/smoke.py: {missing}"


def test_every_listed_module_loads_here() -> None:
    assert smoke.check_lazy_imports() == []


def test_the_platforms_keyring_backend_is_listed() -> None:
    assert any(name.startswith("keyring.backends.") for name in smoke.platform_imports()) or sys.platform not in (
        "win32", "darwin", "linux")


def test_the_icon_files_exist() -> None:
    png = (APP / "resources" / "kappa.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (256, 256)
    ico = (APP / "resources" / "kappa.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 4
    sides = {ico[6 + 16 * index] or 256 for index in range(count)}
    assert {16, 32, 48, 256} <= sides


def test_the_spec_has_what_windows_needs_and_a_onefile_switch() -> None:
    spec = (PACKAGING / "kappa.spec").read_text(encoding="utf-8")
    assert "<longPathAware" in spec and ">true</longPathAware>" in spec
    assert "VSVersionInfo" in spec and "__version__" in spec
    assert '"kappa.ico"' in spec
    assert 'os.environ.get("KAPPA_ONEFILE") == "1"' in spec


def test_the_build_venv_gets_the_projects_dependencies_and_pyinstaller_only() -> None:
    build = _load_build_script()
    wanted = build.requirements()
    assert any(requirement.startswith("PySide6-Essentials") for requirement in wanted)
    assert not any(requirement.lower().startswith(("pytest", "hypothesis", "ruff", "pyside6>", "pyside6="))
                   for requirement in wanted)
    assert wanted[-1].startswith("pyinstaller>=6")


def test_build_output_is_ignored_by_git() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "build/" in ignored and "dist/" in ignored
