"""`kappa check` and `kappa forge ...` against the local Forge over real sockets."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.core.data_dir import DataDir
from app.sandbox.forge import LocalForge, RateLimitRule
from app.sandbox.sample_install import create_sample_install


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _check(capsys: pytest.CaptureFixture[str], forge: LocalForge, root: Path, data_dir: DataDir,
           *extra: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = _run(capsys, "check", "--json", "--spt", str(root), "--forge-url", forge.base_url,
                          "--data-dir", str(data_dir.root), *extra)
    return code, json.loads(out) if code == 0 else {}, err


def _by_guid(report: dict[str, Any]) -> dict[str, tuple[str, str | None, int | None]]:
    return {m["guid"]: (m["status"], m["latest"], m["forge_id"]) for m in report["mods"]}


EXPECTED_40 = {
    "com.ravenfall.betterscavkarma": ("update_available", "0.9.15", 1877),
    "io.github.moxie.hideoutautomation": ("update_available", "1.0.0", 2140),  # prerelease -> its stable
    "com.fika.server": ("up_to_date", "2.3.4", 2326),
    "dev.larkspur.tradertimers": ("blocked", "1.5.0", 2410),
    "com.oxbow.ammotools.stats": ("incompatible", None, 1502),
    "com.oxbow.ammotools.loadout": ("not_on_forge", None, None),
    "com.pinecone.swiftsort.core": ("not_on_forge", None, None),
    "com.pinecone.swiftsort.extras": ("not_on_forge", None, None),
    "com.ravenfall.tacticalhud": ("update_available", "2.2.0", 1990),  # Forge GUID differs: found by name
    "com.nightjar.lootpulse": ("update_available", "1.7.4", 2291),  # Forge stores 1.7.3+b: no false update
    "Ravenfall.Prepatch": ("not_on_forge", None, None),
}


def test_check_of_the_40_sample_gives_every_status(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    code, report, err = _check(capsys, local_forge, root, data_dir)
    assert code == 0, err
    assert report["spt_version"] == "4.0.11"
    assert _by_guid(report) == EXPECTED_40
    (blocked,) = [m for m in report["mods"] if m["status"] == "blocked"]
    assert blocked["blocked_by"] == [{"guid": "com.ravenfall.betterscavkarma", "constraint": "~1.4.0"}]
    lootpulse = [m for m in report["mods"] if m["guid"] == "com.nightjar.lootpulse"]
    assert len(lootpulse) == 1  # the server and client halves are one Forge mod
    assert set(report) == {"spt_version", "mods"}
    assert all(set(m) == {"guid", "name", "installed", "forge_id", "status", "latest", "blocked_by"}
               for m in report["mods"])


def test_check_of_the_3x_sample_maps_package_names_by_name(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "3.x")
    code, report, err = _check(capsys, local_forge, root, data_dir)
    assert code == 0, err
    statuses = _by_guid(report)
    assert statuses["SAIN"][:2] == ("update_available", "3.2.2")
    assert statuses["BigBrain"][:2] == ("up_to_date", "1.3.2")
    assert statuses["Waypoints"][0] == "blocked"
    assert statuses["LootValue"][:2] == ("incompatible", None)  # only a legacy version with no SPT constraint
    assert statuses["QuestingBots"][:2] == ("update_available", "0.10.4")  # "Questing Bots" on the Forge


def test_check_of_the_41_sample(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.1")
    code, report, err = _check(capsys, local_forge, root, data_dir)
    assert code == 0, err
    statuses = _by_guid(report)
    assert statuses["com.kestrel.fleatweaks"][:2] == ("update_available", "3.1.0")
    assert statuses["dev.larkspur.stashsorter"][0] == "blocked"
    assert statuses["com.ovrdrv.raidreview"][0] == "blocked"


def test_a_second_check_within_five_minutes_costs_no_request(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    first = _check(capsys, local_forge, root, data_dir)
    asked = len(local_forge.requests)
    second = _check(capsys, local_forge, root, data_dir)
    assert len(local_forge.requests) == asked
    assert second[1] == first[1]


def test_offline_check_answers_from_the_cache_and_says_how_old(
    tmp_path: Path, forge_archive_dir: Path, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    with LocalForge(rate_limit=None, archive_dir=forge_archive_dir) as forge:
        url = forge.base_url
        _, online, _ = _check(capsys, forge, root, data_dir)
    with sqlite3.connect(data_dir.http_cache_file) as db:  # two hours pass
        db.execute("UPDATE answers SET stored_at = stored_at - 7200")
    code, out, err = _run(capsys, "check", "--json", "--spt", str(root), "--forge-url", url,
                          "--data-dir", str(data_dir.root))
    assert code == 0
    assert json.loads(out) == online
    assert "could not be reached; these answers come from Kappa's cache (2 h old)" in err


def test_offline_with_a_cold_cache_is_a_clear_message(
    tmp_path: Path, forge_archive_dir: Path, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    with LocalForge(rate_limit=None, archive_dir=forge_archive_dir) as forge:
        url = forge.base_url
    code, out, err = _run(capsys, "check", "--spt", str(root), "--forge-url", url, "--data-dir", str(data_dir.root))
    assert code == 1 and out == ""
    assert err.startswith(f"kappa: could not reach {url} (the connection was refused")
    assert "Traceback" not in err


def test_a_429_storm_is_waited_out_without_sending_into_a_block(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    local_forge.set_rate_limit(RateLimitRule([(4, 1.0, 1.0)]))
    code, report, err = _check(capsys, local_forge, root, data_dir)
    assert code == 0, err
    assert _by_guid(report) == EXPECTED_40
    records = local_forge.requests
    throttled = [r for r in records if r.status == 429]
    assert throttled, "the limit was meant to trip"
    # Requests already on the wire when the first 429 came back arrive within milliseconds of it; after
    # that, nothing may arrive until its Retry-After (1 s) has passed.
    first_refusals = [r for r in throttled if not any(0 < r.time - o.time < 0.95 for o in throttled)]
    for refusal in first_refusals:
        during_block = [r for r in records if refusal.time + 0.1 < r.time < refusal.time + 0.95]
        assert during_block == [], "Kappa sent a request while Retry-After was running"


def test_server_errors_and_malformed_answers(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    local_forge.fail_next(2, 500)  # retried, then fine
    code, report, _ = _check(capsys, local_forge, root, data_dir)
    assert code == 0 and _by_guid(report) == EXPECTED_40
    local_forge.fail_next(1, 200, body=b'{"success": true, "data": {"updates": "not a list"}}')
    code, _, err = _check(capsys, local_forge, root, data_dir, "--spt-version", "4.0.10")
    assert code == 1
    assert "updates" in err and "Traceback" not in err


def test_an_unpublished_spt_version_is_explained(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    code, _, err = _check(capsys, local_forge, root, data_dir, "--spt-version", "4.9.9")
    assert code == 1
    assert "the Forge cannot check updates for SPT 4.9.9" in err


def test_old_response_shapes_give_the_same_check(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    local_forge.shape = "old"
    root = create_sample_install(tmp_path / "game", "4.0")
    code, report, err = _check(capsys, local_forge, root, data_dir)
    assert code == 0, err
    assert _by_guid(report) == EXPECTED_40


def test_a_confirmed_mapping_is_remembered(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    code, out, _ = _run(capsys, "forge", "map", "com.oxbow.ammotools.loadout", "1502", "--data-dir",
                        str(data_dir.root))
    assert code == 0 and "is Forge mod 1502" in out
    code, report, _ = _check(capsys, local_forge, root, data_dir)
    assert _by_guid(report)["com.oxbow.ammotools.loadout"] == ("incompatible", None, 1502)
    _run(capsys, "forge", "map", "com.oxbow.ammotools.loadout", "--forget", "--data-dir", str(data_dir.root))
    code, report, _ = _check(capsys, local_forge, root, data_dir)
    assert _by_guid(report)["com.oxbow.ammotools.loadout"][0] == "not_on_forge"


def test_check_table_explains_name_matches_and_blocks(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    code, out, _ = _run(capsys, "check", "--spt", str(root), "--forge-url", local_forge.base_url,
                        "--data-dir", str(data_dir.root))
    assert code == 0
    assert out.startswith("Checked against SPT 4.0.11")
    assert "1.5.0 (held back by com.ravenfall.betterscavkarma, which wants ~1.4.0)" in out
    assert "matched by name to Forge mod 1990 (100% alike). Confirm with: kappa forge map " \
           "com.ravenfall.tacticalhud 1990" in out
    assert "4 update available, 1 update blocked, 1 up to date, 1 no version for this SPT, 4 not on the Forge" in out


def test_forge_search_show_and_versions(
    shared_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ("--forge-url", shared_forge.base_url, "--data-dir", str(data_dir.root))
    code, out, _ = _run(capsys, "forge", "search", "lootpulse", *common)
    assert code == 0 and "2291" in out and "LootPulse" in out
    code, out, _ = _run(capsys, "forge", "search", "lootpulse", "--json", *common)
    assert any(mod["id"] == 2291 for mod in json.loads(out))
    code, out, _ = _run(capsys, "forge", "show", "com.nightjar.lootpulse", *common)
    assert code == 0 and out.startswith("LootPulse  (Forge id 2291, GUID com.nightjar.lootpulse)")
    code, out, _ = _run(capsys, "forge", "show", "1877", "--json", *common)
    assert json.loads(out)["guid"] == "com.ravenfall.betterscavkarma"
    code, out, _ = _run(capsys, "forge", "versions", "2291", "--json", *common)
    versions = [v["version"] for v in json.loads(out)]
    assert "1.7.3+b" in versions and versions == sorted(versions, key=lambda v: v != versions[0])
    code, out, _ = _run(capsys, "forge", "versions", "2291", *common)
    assert code == 0 and out.startswith("VERSION")
    code, _, err = _run(capsys, "forge", "show", "no.such.guid", *common)
    assert code == 1 and "no mod on the Forge has the GUID no.such.guid" in err
    code, _, err = _run(capsys, "forge", "show", "999999", *common)
    assert code == 1 and "Traceback" not in err


def test_forge_settings_keep_the_token_in_the_keyring(
    data_dir: DataDir, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("tok-123\n"))
    code, out, _ = _run(capsys, "forge", "settings", "--mirror", "https://forge-alt.example/api/v0", "--token",
                        "--data-dir", str(data_dir.root))
    assert code == 0
    assert "Mirror:     https://forge-alt.example/api/v0" in out and "stored in the OS keyring" in out
    assert "tok-123" not in (data_dir.root / "settings.json").read_text()
    code, _, err = _run(capsys, "forge", "settings", "--url", "not a url", "--data-dir", str(data_dir.root))
    assert code == 1 and "not an http(s) URL" in err


def test_installed_versions_written_differently_from_the_forge_give_no_false_update(
    tmp_path: Path, local_forge: LocalForge, data_dir: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    root = create_sample_install(tmp_path / "game", "3.x")
    for folder, version in (("BigBrain", "1.3.2.0"), ("SAIN", "v3.2.2"), ("QuestingBots", "0.10")):
        manifest = root / ("user/mods.disabled" if folder == "QuestingBots" else "user/mods") / folder / "package.json"
        package = json.loads(manifest.read_text())
        manifest.write_text(json.dumps({**package, "version": version}))
    code, report, err = _check(capsys, local_forge, root, data_dir)
    assert code == 0, err
    statuses = _by_guid(report)
    assert statuses["BigBrain"][:2] == ("up_to_date", "1.3.2")  # four-part DLL-style 1.3.2.0 is 1.3.2
    assert statuses["SAIN"][:2] == ("up_to_date", "3.2.2")  # v-prefixed
    assert statuses["QuestingBots"][:2] == ("update_available", "0.10.4")  # 0.10 is 0.10.0, an older release
    installed = {m["guid"]: m["installed"] for m in report["mods"]}
    assert installed["BigBrain"] == "1.3.2.0"  # the report shows what is installed, as written
