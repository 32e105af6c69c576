"""Is the SPT server or the game running from an install: the matching rules, and a real process."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.data_dir import DataDir
from app.core.install import InstallEngine, ModChange, NewFile, ProcessRunning
from app.core.processes import RunningProcess, process_runs_from, running_spt_processes

ROOT = Path("/games/SPT")


@pytest.mark.parametrize(("info", "expected"), [
    ({"name": "SPT.Server.exe", "exe": "/games/SPT/SPT/SPT.Server.exe", "cwd": "/games/SPT/SPT"}, True),
    ({"name": "dotnet", "exe": "/usr/bin/dotnet", "cwd": "/games/SPT/SPT", "cmdline": ["dotnet", "SPT.Server.dll"]},
     True),
    ({"name": "wine64-preloader", "exe": "/usr/bin/wine64-preloader", "cwd": "/home/me",
      "cmdline": ["/games/SPT/EscapeFromTarkov.exe", "-batchmode"]}, True),
    ({"name": "SPT.Server.exe", "exe": None, "cwd": None}, True),  # cannot tell where it runs from: counts
    ({"name": "EscapeFromTarkov.exe", "exe": "/other/SPT/EscapeFromTarkov.exe", "cwd": "/other/SPT"}, False),
    ({"name": "bash", "exe": "/usr/bin/bash", "cwd": "/games/SPT", "cmdline": ["bash"]}, False),
    ({"name": "vim", "exe": "/usr/bin/vim", "cwd": "/games/SPT", "cmdline": ["vim", "BepInEx/config/x.cfg"]}, False),
    ({"name": "python", "exe": "/usr/bin/python3", "cwd": "/tmp", "cmdline": ["python3", "-c", "pass"]}, False),
])
def test_what_counts_as_running_from_the_install(info: dict[str, object], expected: bool) -> None:
    assert process_runs_from(ROOT, info) is expected


def test_running_process_reads_as_its_name_and_pid() -> None:
    assert str(RunningProcess("SPT.Server.exe", 1234, None)) == "SPT.Server.exe (pid 1234)"


@pytest.fixture
def fake_server(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    """A copy of `sleep` started as `SPT/SPT.Server.Linux` inside a temp SPT root."""
    sleep = shutil.which("sleep")
    if sleep is None or sys.platform == "win32":
        pytest.skip("needs a `sleep` executable")
    root = tmp_path / "SPT-root"
    server = root / "SPT" / "SPT.Server.Linux"
    server.parent.mkdir(parents=True)
    shutil.copy2(Path(sleep).resolve(), server)
    process = subprocess.Popen([str(server), "30"], cwd=server.parent)
    try:
        yield root, process
    finally:
        process.kill()
        process.wait()


def test_a_real_server_process_is_found(fake_server: tuple[Path, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    root, process = fake_server
    found = wait_for(lambda: running_spt_processes(root))
    assert [(p.name, p.pid) for p in found] == [("SPT.Server.Linux", process.pid)]
    assert found[0].exe == str((root / "SPT" / "SPT.Server.Linux").resolve())
    other = tmp_path / "another-SPT"
    other.mkdir()
    assert running_spt_processes(other) == []  # an SPT running from another folder does not count

    process.kill()
    process.wait()
    assert running_spt_processes(root) == []


def test_the_engine_refuses_while_the_server_runs(fake_server: tuple[Path, subprocess.Popen[bytes]],
                                                  tmp_path: Path) -> None:
    root, process = fake_server
    wait_for(lambda: running_spt_processes(root))
    engine = InstallEngine(root, DataDir(tmp_path / "data"))  # the real process check
    staged = engine.new_staging_area() / "Foo.dll"
    staged.write_bytes(b"foo")
    change = ModChange("foo", "Foo", "1.0", (NewFile("BepInEx/plugins/Foo.dll", staged,
                                                     hashlib.sha256(b"foo").hexdigest(), 3),))
    with pytest.raises(ProcessRunning, match=rf"SPT\.Server\.Linux \(pid {process.pid}\) is running"):
        engine.apply([change], kind="install", summary="install Foo")
    assert not (root / "BepInEx").exists() and engine.history() == []

    process.kill()
    process.wait()
    assert engine.apply([change], kind="install", summary="install Foo").state == "committed"


def test_kappa_itself_does_not_count() -> None:
    """Kappa run from a folder inside the game root (a portable copy) must not refuse itself, nor its parents."""
    import psutil

    own_folder = Path(psutil.Process().exe()).parent
    lineage = {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}
    assert not lineage & {p.pid for p in running_spt_processes(own_folder)}


def wait_for(probe: object, timeout: float = 5.0) -> list[RunningProcess]:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()  # type: ignore[operator]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)
