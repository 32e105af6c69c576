"""Is the SPT server, the launcher or the game running from an install? (Nothing may change while one is.)

A running server or game holds its DLLs open (on Windows nothing can replace them) and would load a half-changed
mod set, so every transaction asks first. A process counts when:
- its executable lies inside the install, or
- the program or script it runs (a command-line argument naming an .exe/.dll/.js/.sh file) lies inside it, which
  catches `dotnet SPT.Server.dll`, `node` and Wine/Proton launches, or
- it carries a known SPT/EFT process name and its executable cannot be read (another user's process, Windows
  access rules), or its working folder lies inside the install.
A shell or an editor whose working folder happens to be inside the install does not count, and neither does Kappa
itself nor the processes that started it (a PyInstaller bootloader placed in the game folder, the user's shell).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath, PureWindowsPath
from typing import Any

# Lower case. Linux names are the server's native build and the names Wine/Proton give Windows processes.
SPT_PROCESS_NAMES = frozenset({
    "spt.server.exe", "spt.server", "spt.server.linux", "aki.server.exe", "aki.server",
    "spt.launcher.exe", "aki.launcher.exe", "spt.launcher",
    "escapefromtarkov.exe", "escapefromtarkov_be.exe", "escapefromtarkov",
    "fika.headless.exe", "spt.headless.exe",
})
_PROGRAM_SUFFIXES = (".exe", ".dll", ".js", ".sh", ".bat", ".cmd", ".linux")
_ATTRIBUTES = ["pid", "name", "exe", "cwd", "cmdline"]


@dataclass(frozen=True)
class RunningProcess:
    name: str
    pid: int
    exe: str | None  # None when the operating system would not say

    def __str__(self) -> str:
        return f"{self.name} (pid {self.pid})"


def running_spt_processes(root: Path) -> list[RunningProcess]:
    """Every process that runs from the SPT install at `root` (see the module docstring for what counts)."""
    import psutil  # here, not at the top: importing it costs more than a start of Kappa that never asks

    root = _resolved(root)
    ignored = _own_lineage()
    found: list[RunningProcess] = []
    for process in psutil.process_iter(_ATTRIBUTES):
        info: Mapping[str, Any] = process.info
        if info.get("pid") in ignored:
            continue
        if process_runs_from(root, info):
            found.append(RunningProcess(name=info.get("name") or "?", pid=int(info["pid"]), exe=info.get("exe")))
    return sorted(found, key=lambda running: running.pid)


def process_runs_from(root: Path, info: Mapping[str, Any]) -> bool:
    """Whether the process described by psutil's `info` (name, exe, cwd, cmdline) runs from the install at `root`."""
    exe = info.get("exe") or None
    cwd = info.get("cwd") or None
    if exe and _inside(root, exe):
        return True
    if any(_inside(root, program) for program in _programs_in(info.get("cmdline") or (), cwd)):
        return True
    if (info.get("name") or "").lower() in SPT_PROCESS_NAMES:
        # A known name counts when we cannot tell where it runs from; an SPT of another folder does not.
        return not exe or bool(cwd and _inside(root, cwd))
    return False


def _programs_in(cmdline: Iterable[str], cwd: str | None) -> Iterable[str]:
    """The arguments that name a program or script, made absolute against the process's working folder."""
    for index, argument in enumerate(cmdline):
        if not argument or argument.startswith("-"):
            continue
        has_folder = "/" in argument or "\\" in argument
        name = PureWindowsPath(argument).name.lower() if "\\" in argument else PurePath(argument).name.lower()
        # A bare program name in first place was found on PATH, not in the working folder ("bash", "vim").
        is_program = has_folder if index == 0 else name.endswith(_PROGRAM_SUFFIXES) or name in SPT_PROCESS_NAMES
        if is_program:
            yield argument if os.path.isabs(argument) or cwd is None else os.path.join(cwd, argument)


def _inside(root: Path, path: str) -> bool:
    try:
        candidate = _resolved(Path(path))
    except (OSError, ValueError):
        return False
    return candidate == root or root in candidate.parents


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _own_lineage() -> set[int]:
    """Kappa's own pid and its ancestors': whatever started Kappa is not the game, even when it lives in the root."""
    import psutil

    pids = {os.getpid()}
    with contextlib.suppress(psutil.Error):
        pids.update(parent.pid for parent in psutil.Process().parents())
    return pids
