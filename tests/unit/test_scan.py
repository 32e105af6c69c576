"""`kappa scan --json` on the sample installs of all three layouts gives exactly the expected document."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.core.data_dir import DataDir
from app.core.scan import scan_install
from app.core.scan_cache import ScanCache
from app.core.spt_install import open_install
from app.sandbox.sample_install import ASSEMBLIES, create_sample_install


def _mod(guid: str, name: str, version: str, author: str | None, kind: str, path: str, spt: str | None,
         deps: dict[str, str] | None = None, enabled: bool = True) -> dict[str, Any]:
    return {"guid": guid, "name": name, "version": version, "author": author, "kind": kind, "path": path,
            "spt_constraint": spt, "dependencies": deps or {}, "enabled": enabled}


# The client side is the same in every layout (BepInEx/ sits at the game root in all of them).
CLIENT = [
    _mod("Ravenfall.Prepatch", "Ravenfall.Prepatch", "1.0.3", None, "client",
         "BepInEx/patchers/Ravenfall.Prepatch.dll", None),
    _mod("com.oxbow.ammotools.loadout", "AmmoTools Loadout", "1.0", None, "client", "BepInEx/plugins/AmmoTools.dll",
         None),  # its dependency on ammotools.stats is soft, so it is not a requirement
    _mod("com.oxbow.ammotools.stats", "AmmoTools Stats", "0.8.2", None, "client", "BepInEx/plugins/AmmoTools.dll",
         None),
    _mod("com.nightjar.lootpulse", "LootPulse", "1.7.3", None, "client",
         "BepInEx/plugins/LootPulse/LootPulse.Client.dll.disabled", None, enabled=False),
    _mod("com.pinecone.swiftsort.core", "SwiftSort Core", "1.3.0", None, "client",
         "BepInEx/plugins/SwiftSort/SwiftSort.Core.dll", None, {"com.SPT.core": ">=4.0.0"}),
    _mod("com.pinecone.swiftsort.extras", "SwiftSort Extras", "1.3.0", None, "client",
         "BepInEx/plugins/SwiftSort/SwiftSort.Extras.dll", None, {"com.pinecone.swiftsort.core": "*"}),
    _mod("com.ravenfall.tacticalhud", "TacticalHUD", "2.1.0", None, "client",
         "BepInEx/plugins/TacticalHUD/TacticalHUD.dll", None,
         {"com.SPT.core": "*", "com.ravenfall.corelib": "*", "xyz.drakia.bigbrain": ">=1.2.0"}),
]

SERVER = {
    "4.0": [
        _mod("com.ravenfall.betterscavkarma", "Better Scav Karma", "0.9.14", "Ravenfall", "server",
             "SPT/user/mods/BetterScavKarma", "~4.0.0",
             {"com.ravenfall.corelib": "~1.2.0", "com.wtt.commonlib": "^2.0.0"}),
        _mod("com.fika.server", "Fika.Server", "2.3.4", "Project Fika", "server", "SPT/user/mods/fika-server",
             ">=4.0.11"),
        _mod("io.github.moxie.hideoutautomation", "Hideout Automation", "1.0.0-beta.2", "moxie", "server",
             "SPT/user/mods/HideoutAutomation", "4.0.x"),
        _mod("com.nightjar.lootpulse", "LootPulse", "1.7.3", "Nightjar", "server", "SPT/user/mods/LootPulse",
             "~4.0.0", {"com.wtt.commonlib": "^2.0.0", "com.nightjar.sharedui": ">=1.1.0 <2.0.0"}),
        _mod("dev.larkspur.tradertimers", "Trader Timers", "1.4.2", "Larkspur", "server",
             "SPT/user/mods/TraderTimers", "~4.0.0"),
    ],
    "4.1": [
        _mod("com.ovrdrv.raidreview", "Raid Review", "0.9.1", "ovrdrv", "server",
             "SPT_Runtime/user/mods.disabled/RaidReview", "~4.1.2", enabled=False),
        _mod("com.kestrel.fleatweaks", "FleaTweaks", "3.0.1", "Kestrel", "server", "SPT_Runtime/user/mods/FleaTweaks",
             "~4.1.0", {"com.wtt.commonlib": "^2.1.0", "com.nightjar.lootpulse": "~1.7"}),
        _mod("dev.larkspur.stashsorter", "Stash Sorter", "2.0.5", "Larkspur", "server",
             "SPT_Runtime/user/mods/StashSorter", ">=4.1.0", {"com.kestrel.fleatweaks": "^3.0.0"}),
    ],
    "3.x": [
        _mod("QuestingBots", "QuestingBots", "0.10.3", "DanW", "server", "user/mods.disabled/QuestingBots", "~3.11",
             {"BigBrain": ">=1.3.0", "Waypoints": ">=1.6.0"}, enabled=False),
        _mod("BigBrain", "BigBrain", "1.3.2", "DrakiaXYZ", "server", "user/mods/BigBrain", ">=3.11.0 <3.12.0"),
        _mod("LootValue", "LootValue", "3.0.0", "IhanaMies", "server", "user/mods/LootValue", "~3.7.0"),
        _mod("SAIN", "SAIN", "3.2.1", "Solarint", "server", "user/mods/SAIN", "~3.11",
             {"BigBrain": "^1.3.0", "Waypoints": "~1.6.0"}),
        _mod("Waypoints", "Waypoints", "1.6.4", "DrakiaXYZ", "server", "user/mods/Waypoints", "~3.11.0"),
    ],
}
VERSIONS = {"3.x": "3.11.2", "4.0": "4.0.11", "4.1": "4.1.2"}


def _scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else {}, captured.err


def test_scan_json_is_exact_for_each_layout(
    sample_install: tuple[str, Path], data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    layout, root = sample_install
    code, document, err = _scan_json(capsys, "scan", "--spt", str(root), "--json", "--data-dir", str(data_dir.root))
    assert code == 0, err
    assert document == {
        "spt": {"root": str(root.resolve()), "layout": layout, "version": VERSIONS[layout]},
        "mods": SERVER[layout] + CLIENT,
    }
    assert err == ""  # the sample installs hold nothing worth a warning


def test_global_options_work_before_the_command(
    tmp_path: Path, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.1")
    code, document, _ = _scan_json(capsys, "--spt", str(root / "BepInEx"), "--data-dir", str(data_dir.root),
                                   "--json", "scan")
    assert code == 0 and document["spt"]["layout"] == "4.1"


def test_scan_table_lists_every_mod(tmp_path: Path, data_dir: DataDir, capsys: pytest.CaptureFixture[str]) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    assert main(["scan", "--spt", str(root), "--data-dir", str(data_dir.root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"SPT 4.0.11 (4.0 layout) at {root.resolve()}")
    assert "Escape from Tarkov client 0.16.9.40087" in out
    assert "Hideout Automation  1.0.0-beta.2  server  yes      SPT/user/mods/HideoutAutomation" in out
    assert out.rstrip().endswith("5 server mods, 7 client plugins")


def test_scan_outside_an_install_is_a_user_error(
    tmp_path: Path, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", "--spt", str(tmp_path), "--data-dir", str(data_dir.root)])
    err = capsys.readouterr().err
    assert code == 1
    assert "is not inside an SPT install" in err and "Traceback" not in err


def test_second_scan_reads_nothing_and_a_changed_file_is_reread(tmp_path: Path, data_dir: DataDir) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    install = open_install(root)
    first = scan_install(install, ScanCache(data_dir.scan_cache_file))
    assert first.files_read > 10
    second = scan_install(install, ScanCache(data_dir.scan_cache_file))
    assert second.files_read == 0
    assert second.mods == first.mods
    # Replace a mod with another build: only that file is read again, and the new metadata shows.
    shutil.copyfile(ASSEMBLIES / "server-4.0/BetterScavKarma.dll",
                    root / "SPT/user/mods/TraderTimers/Larkspur.TraderTimers.dll")
    third = scan_install(install, ScanCache(data_dir.scan_cache_file))
    assert third.files_read == 1
    paths = {m.path: m.guid for m in third.mods if m.kind == "server"}
    assert paths["SPT/user/mods/TraderTimers"] == "com.ravenfall.betterscavkarma"


def test_a_damaged_cache_file_only_costs_a_cold_scan(tmp_path: Path, data_dir: DataDir) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    data_dir.scan_cache_file.parent.mkdir(parents=True)
    data_dir.scan_cache_file.write_text("{ this is not json")
    result = scan_install(open_install(root), ScanCache(data_dir.scan_cache_file))
    assert len(result.mods) == 12
    assert json.loads(data_dir.scan_cache_file.read_text())["format"] == 1


def test_the_scan_changes_nothing_in_the_install(tmp_path: Path, data_dir: DataDir) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    before = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}
    scan_install(open_install(root), ScanCache(data_dir.scan_cache_file))
    assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")} == before


def test_one_cache_serves_several_installs_side_by_side(tmp_path: Path, data_dir: DataDir) -> None:
    first = open_install(create_sample_install(tmp_path / "SPT", "4.0"))
    second = open_install(create_sample_install(tmp_path / "SPT-old", "4.1"))
    scan_install(first, ScanCache(data_dir.scan_cache_file))
    scan_install(second, ScanCache(data_dir.scan_cache_file))
    # Scanning "SPT" again must not forget what was read in "SPT-old" (a path prefix of it).
    assert scan_install(first, ScanCache(data_dir.scan_cache_file)).files_read == 0
    assert scan_install(second, ScanCache(data_dir.scan_cache_file)).files_read == 0
