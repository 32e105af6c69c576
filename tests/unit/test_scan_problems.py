"""Files a scan cannot use are reported with a reason, and never stop the scan."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.scan import PARALLEL_THRESHOLD, scan_install
from app.core.scan_cache import ScanCache
from app.core.spt_install import open_install
from app.sandbox.sample_install import ASSEMBLIES, create_sample_install


def _scan(root: Path):  # type: ignore[no-untyped-def]
    return scan_install(open_install(root), ScanCache(None), parallel=False)


def _problems(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {problem.path: problem.reason for problem in result.problems}


def test_bad_client_files_are_reported_and_the_rest_still_listed(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    plugins = root / "BepInEx/plugins"
    (plugins / "Native").mkdir()
    (plugins / "Native/sqlite3.dll").write_bytes(b"MZ" + b"\x00" * 200)
    (plugins / "Empty.dll").write_bytes(b"")
    (plugins / "Cut.dll").write_bytes((ASSEMBLIES / "client/TacticalHUD.dll").read_bytes()[:1500])
    result = _scan(root)
    problems = _problems(result)
    assert problems["BepInEx/plugins/Native/sqlite3.dll"].startswith("not a Windows DLL")
    assert problems["BepInEx/plugins/Empty.dll"] == "the file is empty"
    assert "cut short" in problems["BepInEx/plugins/Cut.dll"]
    assert len(result.mods) == 12  # everything else is still there


def test_server_folder_problems_are_explained(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    mods = root / "SPT/user/mods"
    (mods / "OldJsMod/src").mkdir(parents=True)
    (mods / "OldJsMod/package.json").write_text('{"name": "OldJsMod", "version": "1.0.0"}')
    (mods / "MisplacedClient/plugins").mkdir(parents=True)
    (mods / "Empty").mkdir()
    (mods / "JustALibrary").mkdir()
    shutil.copyfile(ASSEMBLIES / "server-4.0/HideoutAutomation.Common.dll", mods / "JustALibrary/Lib.dll")
    (mods / "Twice").mkdir()
    shutil.copyfile(ASSEMBLIES / "server-4.0/Fika.Server.dll", mods / "Twice/A.dll")
    shutil.copyfile(ASSEMBLIES / "server-4.0/LootPulse.Server.dll", mods / "Twice/B.dll")
    result = _scan(root)
    problems = _problems(result)
    assert problems["SPT/user/mods/OldJsMod"] == "a JavaScript mod for SPT 3.x; SPT 4.x cannot load it"
    assert "belongs in BepInEx/plugins" in problems["SPT/user/mods/MisplacedClient"]
    assert "no DLL at the top of this folder" in problems["SPT/user/mods/Empty"]
    assert "no server-mod metadata found" in problems["SPT/user/mods/JustALibrary"]
    assert "more than one metadata class" in problems["SPT/user/mods/Twice"]
    twice = [m for m in result.mods if m.path == "SPT/user/mods/Twice"]
    assert [m.guid for m in twice] == ["com.fika.server"]  # listed once, from the first DLL


def test_nested_metadata_dll_does_not_count(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    guids = {m.guid for m in _scan(root).mods}
    assert "com.nightjar.lootpulse.compat" not in guids  # it sits in LootPulse/compat/, which the server skips


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{ broken", "package.json is not valid JSON (line 1"),
        ("[1, 2]", "package.json does not hold a JSON object"),
        ('{"version": "1.0.0"}', 'package.json has no "name"'),
        ('{"name": "X", "version": 3}', 'package.json has no "version"'),
        (b"\xff\xfe{}", "package.json is not UTF-8 text"),
    ],
)
def test_bad_package_json_is_reported(tmp_path: Path, content: str | bytes, reason: str) -> None:
    root = create_sample_install(tmp_path / "game", "3.x")
    manifest = root / "user/mods/Broken/package.json"
    manifest.parent.mkdir()
    if isinstance(content, bytes):
        manifest.write_bytes(content)
    else:
        manifest.write_text(content)
    result = _scan(root)
    assert _problems(result)["user/mods/Broken"].startswith(reason)
    assert len([m for m in result.mods if m.kind == "server"]) == 5


def test_odd_package_json_values_are_tolerated(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "3.x")
    manifest = root / "user/mods/Odd/package.json"
    manifest.parent.mkdir()
    manifest.write_text('\ufeff{"name": " Odd ", "version": "1.0", "author": {"name": "x"}, "sptVersion": " ~3.11 ",'
                        ' "modDependencies": {"A": "^1", "B": 2}, "loadAfter": "notalist"}', encoding="utf-8")
    (odd,) = [m for m in _scan(root).mods if m.path == "user/mods/Odd"]
    assert (odd.guid, odd.version, odd.author, odd.spt_constraint) == ("Odd", "1.0", None, "~3.11")
    assert odd.dependencies == {"A": "^1"} and odd.load_after == ()


def test_parallel_and_serial_scans_agree(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    for index in range(PARALLEL_THRESHOLD):
        folder = root / f"BepInEx/plugins/Copy{index:02d}"
        folder.mkdir()
        shutil.copyfile(ASSEMBLIES / "client/SwiftSort.Core.dll", folder / "SwiftSort.Core.dll")
    (root / "BepInEx/plugins/Bad.dll").write_bytes(b"not a dll")
    install = open_install(root)
    serial = scan_install(install, ScanCache(None), parallel=False)
    parallel = scan_install(install, ScanCache(None), parallel=True)
    assert parallel.mods == serial.mods and parallel.problems == serial.problems
    assert len(serial.mods) == 12 + PARALLEL_THRESHOLD


def test_cli_prints_skipped_files_on_stderr_without_traceback(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    (root / "BepInEx/plugins/Bad.dll").write_bytes(b"garbage")
    completed = subprocess.run(
        [sys.executable, "-m", "app", "scan", "--json", "--spt", str(root), "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0
    assert completed.stderr.strip() == "kappa: skipped BepInEx/plugins/Bad.dll: not a Windows DLL (no MZ header)"
    assert '"layout": "4.0"' in completed.stdout
