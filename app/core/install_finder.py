"""Finding SPT installs on this computer: the folders of running SPT processes, the installs the player added
before, and a short list of the usual places.

Probing is shallow on purpose: a candidate folder and its direct children, never a walk of a whole disk, so a
search takes milliseconds and never wakes up every sleeping drive. Invalid candidates are skipped without a word;
only the installs Kappa can open come back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PureWindowsPath
from typing import Any, Literal

from app.core.processes import SPT_PROCESS_NAMES
from app.core.spt_install import NotAnSptInstall, SptInstall, find_spt_root, open_install

log = logging.getLogger(__name__)

Source = Literal["running", "remembered", "common", "chosen"]
SOURCE_WORDS: dict[str, str] = {
    "running": "an SPT process runs from it",
    "remembered": "added before",
    "common": "found in a usual place",
    "chosen": "chosen by you",
}
# The folders only an SPT game root holds (see app/core/spt_install.py); a child without any of them is not looked
# at further, which keeps probing a folder of 200 games cheap.
_ROOT_MARKERS = ("SPT", "SPT_Runtime", "SPT_Data", "Aki_Data")
# `dotnet SPT.Server.dll` runs the 4.x server from a process named "dotnet"; the argument names the program.
_SERVER_PROGRAMS = SPT_PROCESS_NAMES | {"spt.server.dll", "aki.server.dll"}


@dataclass(frozen=True)
class FoundInstall:
    """An SPT install Kappa found (or a remembered one it can no longer open, with `problem` saying why)."""

    root: Path
    version: str | None
    layout: str  # "3.x" | "4.0" | "4.1"; "" when `problem` is set
    source: Source
    problem: str | None = None  # a sentence saying why the install cannot be opened; None when it can

    @property
    def usable(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        """One line for a list: "SPT 4.0.11 (4.0 layout) — /games/SPT"."""
        if self.problem:
            return f"{self.root} — {self.problem}"
        version = f"SPT {self.version}" if self.version else "SPT (version unknown)"
        return f"{version} ({self.layout} layout) — {self.root}"


def found_from(install: SptInstall, source: Source) -> FoundInstall:
    return FoundInstall(root=install.root, version=install.version, layout=install.layout, source=source)


# -- where to look

def common_locations(home: Path | None = None, system: str = platform.system(), *,
                     drives: Sequence[Path] | None = None) -> list[Path]:
    """The usual places of an SPT install; each is probed itself and through its direct children.

    `drives` (Windows) defaults to the fixed drives psutil reports; tests pass their own.
    """
    home = home if home is not None else Path.home()
    if system == "Windows":
        return _windows_locations(home, drives if drives is not None else _windows_drives())
    prefixes = _wine_prefixes(home, system)
    native = [home / "Games" / "SPT", home / "SPT", home / "Games", home / "Desktop", home]
    in_prefixes = [folder for drive_c in prefixes for folder in (drive_c, drive_c / "Games", drive_c / "SPT")]
    return _unique([*native, *in_prefixes])


def _windows_locations(home: Path, drives: Sequence[Path]) -> list[Path]:
    fixed = [Path(f"{letter}:/{folder}") for letter in ("C", "D")
             for folder in ("SPT", "Games/SPT", "Games", "SPTarkov")]
    user = [home / "Desktop" / "SPT", home / "Desktop", home / "Games", home / "Documents" / "SPT"]
    program_files = [Path(os.environ.get(variable, default)) for variable, default in (
        ("ProgramFiles", "C:/Program Files"), ("ProgramFiles(x86)", "C:/Program Files (x86)"))]
    # A drive root's children are probed too: D:/SPT, E:/Tarkov-SPT... (a drive root has a few dozen folders).
    return _unique([*fixed, *user, *(folder / "SPT" for folder in program_files), *drives])


def _windows_drives() -> list[Path]:
    """The fixed drives; network and optical drives are left out because asking them can take seconds."""
    import psutil

    with contextlib.suppress(OSError, psutil.Error):
        return [Path(partition.mountpoint) for partition in psutil.disk_partitions(all=False)
                if "cdrom" not in partition.opts and "remote" not in partition.opts]
    return [Path("C:/")]


def _wine_prefixes(home: Path, system: str) -> list[Path]:
    """The drive_c of the Wine, Lutris, Bottles and CrossOver prefixes SPT players on Linux and macOS use."""
    found = [home / ".wine" / "drive_c"]
    containers = [home / "Games",  # Lutris puts each game's prefix in ~/Games/<game>
                  home / ".local" / "share" / "lutris" / "prefixes",
                  home / ".local" / "share" / "bottles" / "bottles",
                  home / ".var" / "app" / "com.usebottles.bottles" / "data" / "bottles" / "bottles",
                  home / ".var" / "app" / "net.lutris.Lutris" / "data" / "lutris" / "prefixes"]
    if system == "Darwin":
        containers.append(home / "Library" / "Application Support" / "CrossOver" / "Bottles")
    for container in containers:
        for prefix in _child_folders(container):
            if (prefix / "drive_c").is_dir():
                found.append(prefix / "drive_c")
    return found


# -- running processes

def running_install_roots() -> list[Path]:
    """The game roots that running SPT processes (server, launcher, game, headless client) run from."""
    import psutil  # here, not at the top: see app/core/processes.py

    roots: list[Path] = []
    try:
        processes = list(psutil.process_iter(["pid", "name", "exe", "cwd", "cmdline"]))
    except psutil.Error as exc:
        log.info("cannot list processes: %s", exc)
        return []
    for process in processes:
        info: dict[str, Any] = getattr(process, "info", {}) or {}
        root = _root_of_process(info)
        if root is not None and root not in roots:
            roots.append(root)
    return roots


def _root_of_process(info: dict[str, Any]) -> Path | None:
    """The SPT root an SPT process runs from, or None when it is not one or its folders are not an install."""
    name = (info.get("name") or "").lower()
    programs = list(_spt_programs(info.get("cmdline") or (), info.get("cwd")))
    if name not in SPT_PROCESS_NAMES and not programs:
        return None
    exe, cwd = info.get("exe"), info.get("cwd")
    # Under Wine the executable is wine's preloader, so the program argument and the working folder matter too.
    folders = [Path(program).parent for program in programs]
    if exe and name in SPT_PROCESS_NAMES:
        folders.insert(0, Path(exe).parent)
    if cwd:
        folders.append(Path(cwd))
    for folder in folders:
        with contextlib.suppress(NotAnSptInstall, OSError, ValueError):
            return find_spt_root(folder)
    return None


def _spt_programs(cmdline: Iterable[str], cwd: str | None) -> Iterable[str]:
    """The command-line arguments naming an SPT program, made absolute against the working folder."""
    for argument in cmdline:
        if not argument or argument.startswith("-"):
            continue
        name = PureWindowsPath(argument).name if "\\" in argument else PurePath(argument).name
        if name.lower() in _SERVER_PROGRAMS:
            yield os.path.join(cwd, argument) if cwd and not os.path.isabs(argument) else argument


# -- finding

def find_installs(remembered: Sequence[str | Path], extra_locations: Sequence[Path] = (),
                  include_running: bool = True, *, locations: Sequence[Path] | None = None,
                  running_roots: Callable[[], Sequence[Path]] = running_install_roots) -> list[FoundInstall]:
    """Every SPT install found: those running SPT processes use first, then the remembered ones, then the ones in
    `locations` (default: common_locations()) and `extra_locations`. Each install appears once (by resolved root,
    with the first source that found it); folders that are not installs are left out silently."""
    found: dict[Path, FoundInstall] = {}

    def add(install: FoundInstall | None) -> None:
        if install is not None:
            found.setdefault(_key(install.root), install)

    if include_running:
        for root in _safely(running_roots):
            add(_open_quietly(root, "running"))
    for entry in remembered:
        add(_open_quietly(Path(entry), "remembered"))
    probed = [*(common_locations() if locations is None else locations), *extra_locations]
    for location in probed:
        for root in roots_at(location):
            add(_open_quietly(root, "common"))
    return list(found.values())


def roots_at(location: Path) -> list[Path]:
    """`location` itself when it is an SPT game root, else those of its direct children that are."""
    if _is_root(location):
        return [location]
    return [child for child in _child_folders(location) if _is_root(child)]


def _is_root(folder: Path) -> bool:
    try:
        if not any((folder / marker).is_dir() for marker in _ROOT_MARKERS):
            return False
        return find_spt_root(folder) == folder.resolve()
    except (NotAnSptInstall, OSError, ValueError):
        return False


def _open_quietly(start: Path, source: Source) -> FoundInstall | None:
    try:
        return found_from(open_install(start), source)
    except (NotAnSptInstall, OSError, ValueError) as exc:
        log.debug("%s is not an SPT install: %s", start, exc)
        return None


def _safely(roots: Callable[[], Sequence[Path]]) -> Sequence[Path]:
    try:
        return roots()
    except Exception as exc:  # the process list is a bonus: a failure there must not cost the other installs
        log.warning("could not look at running processes: %s", exc)
        return ()


def _child_folders(folder: Path) -> list[Path]:
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return []
    folders = []
    for child in children:
        with contextlib.suppress(OSError):  # one unreadable entry must not hide its siblings
            if child.is_dir():
                folders.append(child)
    return folders


def _key(path: Path) -> Path:
    """The identity of a root: resolved, and case-folded where the file system ignores case."""
    try:
        resolved = path.resolve()
    except OSError:
        resolved = path.absolute()
    return Path(os.path.normcase(resolved))


def same_root(left: str | Path, right: str | Path) -> bool:
    return _key(Path(left)) == _key(Path(right))


def _unique(paths: Iterable[Path]) -> list[Path]:
    seen: set[Path] = set()
    unique: list[Path] = []
    for path in paths:
        if path not in seen:
            seen.add(path)
            unique.append(path)
    return unique
