"""`kappa plan` against the local Forge: whole-install plans, conflicts in words (exit 3), and the Forge cross-check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.core.data_dir import DataDir
from app.sandbox.forge import LocalForge
from app.sandbox.sample_install import create_sample_install


def _plan(capsys: pytest.CaptureFixture[str], forge: LocalForge, root: Path, data_dir: DataDir,
          *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["plan", *args, "--json", "--spt", str(root), "--forge-url", forge.base_url,
                 "--data-dir", str(data_dir.root)])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def _changes(document: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
    return [(s["action"], s["guid"], s["from"], s["to"]) for s in document["steps"] if s["action"] != "keep"]


def test_update_all_on_the_40_sample_agrees_with_the_forge(
    tmp_path: Path, shared_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    code, plan, err = _plan(capsys, shared_forge, root, data_dir, "update", "--all")
    assert code == 0, err
    changes = _changes(plan)
    upgrades = {guid: (old, new) for action, guid, old, new in changes if action == "upgrade"}
    assert upgrades == {
        "com.ravenfall.betterscavkarma": ("0.9.14", "0.9.15"),
        "io.github.moxie.hideoutautomation": ("1.0.0-beta.2", "1.0.0"),
        "com.nightjar.lootpulse": ("1.7.3+b", "1.7.4"),
        "com.ravenfall.tactical-hud": ("2.1.0", "2.2.0"),
    }
    kept = {s["guid"]: s["from"] for s in plan["steps"] if s["action"] == "keep"}
    assert kept["dev.larkspur.tradertimers"] == "1.4.2"  # the Forge blocks its update, and so does the plan
    assert kept["com.fika.server"] == "2.3.4"
    installs = {guid for action, guid, _, _ in changes if action == "install"}
    assert {"com.wtt.commonlib", "com.nightjar.sharedui"} <= installs  # missing dependencies come along
    order = [s["guid"] for s in plan["steps"]]
    assert order.index("com.wtt.commonlib") < order.index("com.nightjar.lootpulse")  # dependencies first
    needed = next(s for s in plan["steps"] if s["guid"] == "com.nightjar.sharedui")
    assert needed["reasons"] == ["needed by LootPulse 1.7.4"]
    assert plan["download_size"] == sum(s["download_size"] or 0 for s in plan["steps"] if s["action"] != "keep")
    assert plan["forge_disagreements"] == []


def test_the_classic_conflict_is_explained_with_what_would_work(
    tmp_path: Path, shared_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "3.x")
    code, document, err = _plan(capsys, shared_forge, root, data_dir, "install", "me.sol.sain@3.2.0",
                                "xyz.drakia.waypoints@1.6.0")
    assert code == 3
    assert document["ok"] is False
    text = document["conflict"]["text"]
    # Several installed mods also need BigBrain >=1.3.0; the text names the smallest clashing set it finds.
    assert "Waypoints 1.6.0 needs BigBrain ~1.2.0; no BigBrain version is both." in text
    (conflict,) = document["conflict"]["conflicts"]
    demands = {(d["by"], d["constraint"]) for d in conflict["demands"]}
    assert ("Waypoints 1.6.0", "~1.2.0") in demands and len(demands) >= 2
    assert conflict["name"] == "BigBrain" and conflict["reason"] == "no BigBrain version is both"
    assert document["conflict"]["suggestions"]
    assert text in err and "what would work:" in err and "Traceback" not in err


def test_a_kept_mod_broken_before_the_plan_does_not_block_other_updates(
    tmp_path: Path, shared_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "3.x")  # its client plugins were built for SPT 4.0
    code, plan, err = _plan(capsys, shared_forge, root, data_dir, "update", "--all")
    assert code == 0, err
    assert {guid: new for action, guid, _, new in _changes(plan)} == {
        "me.sol.sain": "3.2.2", "com.danw.sptquestingbots": "0.10.4"}
    assert any("broken before this plan" in warning and warning.startswith("SwiftSort Core 1.3.0 needs SPT >=4.0.0")
               for warning in plan["warnings"])


def test_where_kappa_and_the_forge_differ_the_plan_says_so(
    tmp_path: Path, shared_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.1")
    code, plan, err = _plan(capsys, shared_forge, root, data_dir, "update", "--all")
    assert code == 0, err
    # The Forge judges RaidReview 1.0.0 against the installed FleaTweaks 3.0.1 (chain conflict); the whole-install
    # plan updates FleaTweaks too, which frees RaidReview.
    assert {"guid": "com.ovrdrv.raidreview", "name": "Raid Review", "forge": "update blocked",
            "kappa": "upgrade to 1.0.0"} in plan["forge_disagreements"]


def test_pins_hold_a_mod_back(
    tmp_path: Path, shared_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    code, plan, err = _plan(capsys, shared_forge, root, data_dir, "update", "--all",
                            "--pin", "com.ravenfall.betterscavkarma")
    assert code == 0, err
    kept = {s["guid"]: s["from"] for s in plan["steps"] if s["action"] == "keep"}
    assert kept["com.ravenfall.betterscavkarma"] == "0.9.14"


def test_plan_table_and_an_unknown_mod(
    tmp_path: Path, shared_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    common = ["--spt", str(root), "--forge-url", shared_forge.base_url, "--data-dir", str(data_dir.root)]
    assert main(["plan", "update", "io.github.moxie.hideoutautomation", *common]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Plan for SPT 4.0.11")
    assert "upgrade  Hideout Automation  1.0.0-beta.2  1.0.0  update" in out
    assert main(["plan", "install", "no.such.mod", *common]) == 1
    assert "no mod on the Forge is no.such.mod" in capsys.readouterr().err
    assert main(["plan", "update", "not.installed", *common]) == 1
    assert "not.installed is not installed" in capsys.readouterr().err
