"""Build Kappa's executable with PyInstaller (packaging/kappa.spec) in a clean venv, and say how big it is.

    python packaging/build.py [--smoke-test] [--onefile] [--venv DIR] [--fresh]

The venv (build/venv by default) holds Kappa's dependencies from pyproject.toml (PySide6-Essentials the one Qt
binding; no test tools) and PyInstaller, nothing else. It is kept between runs and made again only when
pyproject.toml, the PyInstaller requirement or the Python changes (or with --fresh). The app itself is read from
this checkout. Output: dist/kappa/ (onedir, the executable is dist/kappa/kappa), or with --onefile the single file
dist/onefile/kappa. PyInstaller's work files go to build/pyinstaller*/.

--smoke-test then runs the built executable offscreen: `--smoke-test` from an empty folder (it falls back to the
demo), `--demo --smoke-test`, `--version` and `scan --json` on the demo's install; any missing marker, non-zero
exit or "Traceback" fails the build. Exit 0 when everything passed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "kappa.spec"
PYINSTALLER = "pyinstaller>=6.10,<7"
OTHER_QT_BINDINGS = {"pyqt5", "pyqt6", "pyside2", "pyside6", "pyside6-addons"}  # "pyside6" pulls in the Addons
SMOKE_MARKERS = (
    "kappa smoke test: window open, ",
    "kappa smoke test: lazy imports ok (",
    "kappa smoke test: image formats and scan worker processes ok",
)
SMOKE_TIMEOUT = 300
MIB = 1024 * 1024
T = TypeVar("T")


class BuildFailed(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=ROOT / "build" / "venv",
                        help="the build venv (default: %(default)s)")
    parser.add_argument("--onefile", action="store_true",
                        help="build one file (dist/onefile/kappa) instead of a folder")
    parser.add_argument("--smoke-test", action="store_true", help="run the built executable's smoke tests")
    parser.add_argument("--fresh", action="store_true", help="make the venv and PyInstaller's work files anew")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        python = timed("venv", lambda: ensure_venv(args.venv.resolve(), fresh=args.fresh))
        executable = timed("pyinstaller", lambda: run_pyinstaller(python, onefile=args.onefile, fresh=args.fresh))
        report_size(executable, onefile=args.onefile)
        if not args.onefile and sys.platform.startswith("linux"):
            check_linked_libraries(executable.parent)
        if args.smoke_test:
            timed("smoke tests", lambda: smoke_test(executable))
    except BuildFailed as exc:
        print(f"build: FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"build: done in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


def timed(what: str, step: Callable[[], T]) -> T:
    began = time.perf_counter()
    result = step()
    print(f"build: {what} took {time.perf_counter() - began:.1f} s", flush=True)
    return result


# -- the venv -------------------------------------------------------------------------------------------------------

def requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], PYINSTALLER]


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv: Path, *, fresh: bool) -> Path:
    """The build venv, made (again) when what it should hold changed since it was made."""
    wanted = requirements()
    stamp = hashlib.sha256(json.dumps([wanted, sys.version, str(Path(sys.executable).resolve())]).encode()).hexdigest()
    stamp_file = venv / "kappa-build.stamp"
    python = venv_python(venv)
    if not fresh and python.is_file() and stamp_file.is_file() and stamp_file.read_text().strip() == stamp:
        print(f"build: reusing {venv}", flush=True)
        return python
    print(f"build: making {venv} with {', '.join(wanted)}", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wanted])
    check_one_qt_binding(python)
    stamp_file.write_text(stamp + "\n")
    return python


def check_one_qt_binding(python: Path) -> None:
    script = "import importlib.metadata as m; print('\\n'.join(d.metadata['Name'] for d in m.distributions()))"
    listing = subprocess.run([str(python), "-c", script], capture_output=True, text=True, check=True).stdout
    names = {line.strip().lower().replace("_", "-") for line in listing.splitlines() if line.strip()}
    extra = sorted(names & OTHER_QT_BINDINGS)
    if extra or "pyside6-essentials" not in names:
        raise BuildFailed(f"the build venv must hold PySide6-Essentials as its only Qt binding; it has {extra}")


# -- PyInstaller ----------------------------------------------------------------------------------------------------

def run_pyinstaller(python: Path, *, onefile: bool, fresh: bool) -> Path:
    dist = ROOT / "dist" / ("onefile" if onefile else "")
    work = ROOT / "build" / ("pyinstaller-onefile" if onefile else "pyinstaller")
    command = [str(python), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    if fresh:
        command.insert(3, "--clean")
    env = {**os.environ, "KAPPA_ONEFILE": "1" if onefile else "0"}
    env.pop("PYTHONPATH", None)
    run(command, env=env, cwd=ROOT)
    name = "kappa.exe" if os.name == "nt" else "kappa"
    executable = dist / name if onefile else dist / "kappa" / name
    if not executable.is_file():
        raise BuildFailed(f"PyInstaller made no {executable}")
    return executable


def report_size(executable: Path, *, onefile: bool) -> None:
    if onefile:
        print(f"build: {display(executable)}: {executable.stat().st_size / MIB:.1f} MiB", flush=True)
        return
    files = [path for path in executable.parent.rglob("*") if path.is_file() and not path.is_symlink()]
    total = sum(path.stat().st_size for path in files)
    print(f"build: {display(executable.parent)}: {total / MIB:.1f} MiB in {len(files)} files", flush=True)


def check_linked_libraries(bundle: Path) -> None:
    """Every Qt plugin kept must find the Qt libraries it links to inside the bundle (the spec drops the libraries
    no kept binary links to); `--smoke-test` only loads the offscreen platform, so check the others this way."""
    internal = bundle / "_internal"
    plugins = sorted(internal.glob("PySide6/Qt/plugins/*/*.so"))
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}  # what the bootloader sets
    missing: dict[str, set[str]] = {}
    for plugin in plugins:
        output = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, env=env, check=False).stdout
        for line in output.splitlines():
            if "not found" in line:
                missing.setdefault(line.split()[0], set()).add(plugin.name)
    qt_missing = {lib: users for lib, users in missing.items() if lib.startswith("libQt6") or lib.startswith("libicu")}
    for lib, users in sorted(missing.items()):
        if lib not in qt_missing:  # a system library the build host lacks; the player's desktop brings it
            print(f"build: note: {lib} (used by {', '.join(sorted(users))}) is not on this machine", flush=True)
    if qt_missing:
        raise BuildFailed("Qt plugins link to libraries the bundle lacks: " + "; ".join(
            f"{lib} (used by {', '.join(sorted(users))})" for lib, users in sorted(qt_missing.items())))
    print(f"build: the {len(plugins)} Qt plugins kept find their Qt libraries", flush=True)


# -- smoke tests ----------------------------------------------------------------------------------------------------

def smoke_test(executable: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="kappa-smoke-") as temp:
        temp_dir = Path(temp)
        empty = temp_dir / "empty"  # no SPT install here: `--smoke-test` falls back to the demo
        empty.mkdir()
        check_run(executable, ["--smoke-test", "--data-dir", str(temp_dir / "data")], cwd=empty,
                  markers=SMOKE_MARKERS)
        demo_data = temp_dir / "demo-data"
        check_run(executable, ["--demo", "--smoke-test", "--data-dir", str(demo_data)], cwd=empty,
                  markers=(*SMOKE_MARKERS, "kappa smoke test: 2 servers, answering: Fika (demo)"))
        check_run(executable, ["--version"], cwd=empty, markers=("kappa ",))
        spt = demo_data / "demo" / "SPT-4.0"
        output = check_run(executable, ["scan", "--spt", str(spt), "--json", "--data-dir", str(demo_data / "cli")],
                           cwd=empty, markers=())
        try:
            json.loads(output)
        except ValueError as exc:
            raise BuildFailed(f"`kappa scan --json` printed no JSON: {exc}") from None


def check_run(executable: Path, args: list[str], *, cwd: Path, markers: Sequence[str]) -> str:
    shown = " ".join(["kappa", *args]).replace(str(cwd.parent), "<tmp>")  # cwd is in the temporary folder
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for variable in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(variable, None)
    began = time.perf_counter()
    try:
        completed = subprocess.run([str(executable), *args], capture_output=True, text=True, cwd=cwd, env=env,
                                   timeout=SMOKE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"`{shown}` still ran after {SMOKE_TIMEOUT} s") from None
    took = time.perf_counter() - began
    shown_lines = [line for line in completed.stdout.splitlines() if line.startswith("kappa")]
    print(f"smoke: `{shown}` exit {completed.returncode} in {took:.1f} s", flush=True)
    for line in shown_lines:
        print(f"smoke:   {line}", flush=True)
    problems = []
    if completed.returncode != 0:
        problems.append(f"exit {completed.returncode}")
    if "Traceback" in completed.stdout or "Traceback" in completed.stderr:
        problems.append("a traceback")
    problems += [f"no {marker!r}" for marker in markers if marker not in completed.stdout]
    if problems:
        raise BuildFailed(f"`{shown}`: {', '.join(problems)}\n--- stdout\n{completed.stdout}\n--- stderr\n"
                          f"{completed.stderr}")
    return completed.stdout


# -- helpers --------------------------------------------------------------------------------------------------------

def run(command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    completed = subprocess.run(command, env=env, cwd=cwd, check=False)
    if completed.returncode != 0:
        raise BuildFailed(f"`{' '.join(command)}` exited {completed.returncode}")


def display(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
