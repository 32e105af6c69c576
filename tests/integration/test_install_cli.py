"""`kappa install | update | uninstall | disable | enable | history | undo` against the local Forge and sample installs.

Every test compares whole trees: after undo, after a refusal or a cancelled prompt the install must be byte for
byte what it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.core.data_dir import DataDir
from app.sandbox.forge import LocalForge
from app.sandbox.sample_install import ASSEMBLIES, create_sample_install
from tests.trees import differences, snapshot


class Kappa:
    """Runs `kappa` in-process against one install, one data dir and one Forge."""

    def __init__(self, capsys: pytest.CaptureFixture[str], root: Path, data_dir: DataDir, forge: LocalForge) -> None:
        self.capsys = capsys
        self.root = root
        self.common = ["--spt", str(root), "--data-dir", str(data_dir.root), "--forge-url", forge.base_url]

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = main([*args, *self.common])
        captured = self.capsys.readouterr()
        assert "Traceback" not in captured.err
        return code, captured.out, captured.err

    def json(self, *args: str) -> Any:
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)

    def mods(self) -> dict[str, dict[str, Any]]:
        """Scanned mods by GUID; where a GUID is listed twice (a stale disabled copy), the enabled one."""
        entries = sorted(self.json("scan")["mods"], key=lambda mod: mod["enabled"])
        return {mod["guid"].lower(): mod for mod in entries}


@pytest.fixture
def kappa40(tmp_path: Path, data_dir: DataDir, local_forge: LocalForge,
            capsys: pytest.CaptureFixture[str]) -> Kappa:
    return Kappa(capsys, create_sample_install(tmp_path / "game", "4.0"), data_dir, local_forge)


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _plugin_archive(tmp_path: Path, version_text: str, *, name: str = "TacticalHUD.zip") -> Path:
    """A repackaged TacticalHUD: its plugin DLL, its helper library and a data file that names the version."""
    return _zip(tmp_path / name, {
        "TacticalHUD/BepInEx/plugins/TacticalHUD/TacticalHUD.dll": (ASSEMBLIES / "client/TacticalHUD.dll").read_bytes(),
        "TacticalHUD/BepInEx/plugins/TacticalHUD/TacticalHUD.Shared.dll":
            (ASSEMBLIES / "client/TacticalHUD.Shared.dll").read_bytes(),
        "TacticalHUD/BepInEx/plugins/TacticalHUD/layouts/default.json": f'{{"v": "{version_text}"}}\n'.encode(),
        "TacticalHUD/BepInEx/config/com.ravenfall.tactical-hud.cfg": f"# defaults of {version_text}\n".encode(),
        "TacticalHUD/README.md": b"# Tactical HUD\n",
    })


def test_update_all_from_the_forge_then_undo_restores_every_byte(kappa40: Kappa) -> None:
    before = snapshot(kappa40.root)
    code, out, err = kappa40("update", "--all", "--yes")
    assert code == 0, err
    assert "Done: #1 update" in out
    mods = kappa40.mods()
    assert mods["com.ravenfall.betterscavkarma"]["version"] == "0.9.15"
    assert mods["com.nightjar.lootpulse"]["version"] == "1.7.4"
    (record,) = kappa40.json("history")["transactions"]
    assert record["kind"] == "update" and record["state"] == "committed"
    # missing dependencies came along (their sandbox archives hold helper DLLs without metadata)
    assert "install WTT-CommonLib 2.0.3" in record["summary"] and "install Nightjar SharedUI" in record["summary"]
    assert (kappa40.root / "SPT/user/mods/WTT-CommonLib").is_dir()

    code, out, err = kappa40("undo", "--yes")
    assert code == 0, err
    assert differences(before, snapshot(kappa40.root)) == []
    states = [t["state"] for t in kappa40.json("history")["transactions"]]
    assert states == ["committed", "undone"]  # newest first: the undo, then the reverted update


def test_install_by_forge_guid_with_its_dependencies(kappa40: Kappa) -> None:
    code, _, err = kappa40("install", "com.nightjar.lootpulse@1.7.4", "--yes")
    assert code == 0, err
    assert kappa40.mods()["com.nightjar.lootpulse"]["version"] == "1.7.4"
    (record,) = kappa40.json("history")["transactions"]
    assert record["kind"] == "update"  # LootPulse was installed: this replaces it
    assert "install WTT-CommonLib" in record["summary"] and "update LootPulse 1.7.3+b -> 1.7.4" in record["summary"]


def test_an_archive_installs_updates_keeps_the_config_and_uninstalls_exactly(kappa40: Kappa, tmp_path: Path) -> None:
    root = kappa40.root
    shutil.rmtree(root / "BepInEx/plugins/TacticalHUD")
    before = snapshot(root)
    code, out, err = kappa40("install", str(_plugin_archive(tmp_path, "1.0")), "--yes", "--no-deps")
    assert code == 0, err
    assert "README.md" in out  # said not to be copied into the game
    assert not (root / "README.md").exists() and not (root / "TacticalHUD").exists()
    assert (root / "BepInEx/plugins/TacticalHUD/layouts/default.json").read_text() == '{"v": "1.0"}\n'
    assert "com.ravenfall.tacticalhud" in kappa40.mods()
    config = root / "BepInEx/config/com.ravenfall.tactical-hud.cfg"
    config.write_text("# the player's own settings\n")

    code, out, err = kappa40("install", str(_plugin_archive(tmp_path, "2.0", name="v2.zip")), "--yes", "--no-deps")
    assert code == 0, err
    assert (root / "BepInEx/plugins/TacticalHUD/layouts/default.json").read_text() == '{"v": "2.0"}\n'
    assert config.read_text() == "# the player's own settings\n"  # user configuration survives updates

    code, out, err = kappa40("uninstall", "com.ravenfall.tacticalhud", "--yes")
    assert code == 0, err
    after = snapshot(root)
    # Exactly the mod's files are gone; the player's edited config stays.
    assert differences(before, after) == ["new: BepInEx/config", "new: BepInEx/config/com.ravenfall.tactical-hud.cfg"]
    assert [t["kind"] for t in kappa40.json("history")["transactions"]] == ["uninstall", "update", "install"]


def test_a_plugin_sharing_its_folder_is_uninstalled_alone(kappa40: Kappa) -> None:
    code, _, err = kappa40("uninstall", "com.pinecone.swiftsort.core", "--yes")
    assert code == 0, err
    assert not (kappa40.root / "BepInEx/plugins/SwiftSort/SwiftSort.Core.dll").exists()
    assert (kappa40.root / "BepInEx/plugins/SwiftSort/SwiftSort.Extras.dll").exists()


def test_disable_and_enable_move_a_mod_out_and_back(kappa40: Kappa) -> None:
    before = snapshot(kappa40.root)
    code, _, err = kappa40("disable", "com.ravenfall.betterscavkarma", "--yes")
    assert code == 0, err
    assert not (kappa40.root / "SPT/user/mods/BetterScavKarma").exists()
    mod = kappa40.mods()["com.ravenfall.betterscavkarma"]
    assert mod["enabled"] is False and mod["path"] == "SPT/user/mods/BetterScavKarma"
    code, _, err = kappa40("enable", "com.ravenfall.betterscavkarma")
    assert code == 0, err
    assert kappa40.mods()["com.ravenfall.betterscavkarma"]["enabled"] is True
    assert differences(before, snapshot(kappa40.root)) == []


def test_uninstalling_a_dependency_asks_first_and_names_who_needs_it(kappa40: Kappa) -> None:
    before = snapshot(kappa40.root)
    # SwiftSort Extras needs SwiftSort Core; without --yes and without a terminal nobody can confirm.
    code, _, err = kappa40("uninstall", "com.pinecone.swiftsort.core")
    assert code == 1
    assert "SwiftSort Extras" in err and "--yes" in err
    assert differences(before, snapshot(kappa40.root)) == []


def test_a_hostile_archive_changes_nothing(kappa40: Kappa, tmp_path: Path) -> None:
    before = snapshot(kappa40.root)
    hostile = tmp_path / "evil.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("BepInEx/plugins/ok.dll", b"MZ")
        archive.writestr("../../escape.txt", b"gotcha")
    hostile.write_bytes(buffer.getvalue())
    code, _, err = kappa40("install", str(hostile), "--yes")
    assert code == 1
    assert "escape.txt" in err
    assert differences(before, snapshot(kappa40.root)) == []
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path.parent / "escape.txt").exists()


def test_nothing_changes_while_the_server_runs(kappa40: Kappa, tmp_path: Path) -> None:
    server = kappa40.root / "SPT" / "SPT.Server.Linux"
    shutil.copyfile(shutil.which("sleep") or "/bin/sleep", server)
    server.chmod(0o755)
    before = snapshot(kappa40.root)
    process = subprocess.Popen([str(server), "30"])
    try:
        code, _, err = kappa40("disable", "com.ravenfall.betterscavkarma", "--yes")
        assert code == 1
        assert "SPT.Server.Linux" in err and str(process.pid) in err
    finally:
        process.kill()
        process.wait()
    assert differences(before, snapshot(kappa40.root)) == []


def test_undo_with_nothing_to_undo_and_an_empty_history(kappa40: Kappa) -> None:
    code, out, err = kappa40("history")
    assert code == 0 and "No transactions yet" in out
    code, out, err = kappa40("undo", "--yes")
    assert code == 1 and "nothing to undo" in err


def test_backups_follow_the_policy_but_the_last_undo_always_works(kappa40: Kappa) -> None:
    for guid in ("com.ravenfall.betterscavkarma", "com.pinecone.swiftsort.core"):
        code, _, err = kappa40("uninstall", guid, "--yes")
        assert code == 0, err
    document = kappa40.json("backups", "--max-mb", "0")
    assert document["max_mb"] == 0 and document["pruned"] == [1]
    history = kappa40.json("history")["transactions"]
    assert [(t["id"], t["backup_pruned"]) for t in history] == [(2, False), (1, True)]
    code, _, err = kappa40("undo", "--yes")  # the newest transaction's backup was kept
    assert code == 0, err
    assert (kappa40.root / "BepInEx/plugins/SwiftSort/SwiftSort.Core.dll").is_file()
    code, out, _ = kappa40("backups")
    assert code == 0 and "up to 0 MB and 30 days" in out


def test_a_crash_mid_uninstall_is_rolled_back_by_the_next_scan(kappa40: Kappa, tmp_path: Path,
                                                                 data_dir: DataDir) -> None:
    shutil.rmtree(kappa40.root / "BepInEx/plugins/TacticalHUD")
    code, _, err = kappa40("install", str(_plugin_archive(tmp_path, "1.0")), "--yes", "--no-deps")
    assert code == 0, err
    installed = snapshot(kappa40.root)
    spec = {"root": str(kappa40.root), "data": str(data_dir.root), "action": "uninstall",
            "key": "com.ravenfall.tacticalhud", "name": "TacticalHUD", "kill_at": 4}
    child = subprocess.run([sys.executable, str(Path(__file__).with_name("install_kill_child.py")), json.dumps(spec)],
                           capture_output=True, timeout=60, check=False)
    assert child.returncode == -signal.SIGKILL
    assert snapshot(kappa40.root) != installed  # the uninstall was cut off half way

    code, _, err = kappa40("scan")
    assert code == 0
    assert "Rolled back transaction 2 (uninstall TacticalHUD), which had been interrupted." in err
    assert differences(installed, snapshot(kappa40.root)) == []
    assert [t["state"] for t in kappa40.json("history")["transactions"]] == ["rolled_back", "committed"]


def test_the_json_answer_records_each_archive_hash(kappa40: Kappa, tmp_path: Path) -> None:
    archive = _plugin_archive(tmp_path, "1.0")
    document = kappa40.json("install", str(archive), "--yes", "--no-deps")
    (mod,) = document["proposal"]["mods"]
    assert mod["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert mod["replaces"] == "2.1.0" and document["transaction"]["kind"] == "update"
    document = kappa40.json("update", "com.ravenfall.betterscavkarma", "--yes")
    mods = {mod["guid"]: mod for mod in document["proposal"]["mods"]}
    karma = mods["com.ravenfall.betterscavkarma"]
    assert len(karma["sha256"]) == 64 and karma["source"] == "better-scav-karma-0.9.15.7z"


def test_an_archive_brings_its_missing_dependencies_from_the_forge(kappa40: Kappa, tmp_path: Path) -> None:
    shutil.rmtree(kappa40.root / "BepInEx/plugins/TacticalHUD")
    code, out, err = kappa40("install", str(_plugin_archive(tmp_path, "1.0")), "--yes")
    assert code == 0, err
    assert "Missing dependencies:" in out and "TacticalHUD 2.1.0 needs com.ravenfall.corelib" in out
    (record,) = kappa40.json("history")["transactions"]
    assert "install Ravenfall CoreLib" in record["summary"] and "install BigBrain" in record["summary"]
    assert "install TacticalHUD 2.1.0" in record["summary"]
