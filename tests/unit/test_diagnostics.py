"""Diagnostics for a bug report: what the zip holds, that no secret gets in, and `kappa diagnostics`."""

from __future__ import annotations

import json
import logging
import os
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from app.cli import main
from app.core.data_dir import DataDir
from app.core.logs import configure_logging, forget_registered_secrets, log_path
from app.core.secrets import FORGE_TOKEN
from app.core.settings import ServerEntry, Settings, SettingsStore
from app.sandbox.sample_install import create_sample_install
from app.services import diagnostics
from app.services.diagnostics import build_diagnostics, diagnostics_summary
from app.services.installed_mods import InstalledModsService
from app.services.installs import InstallsService
from tests.conftest import MemoryKeyring

FORGE_SECRET = "forge-token-4711|Zq8xWm"
SERVER_SECRET = "fika-server-key-0815"
NOW = datetime(2026, 5, 4, 3, 2, 1)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return create_sample_install(tmp_path / "SPT", "4.0")


def _members(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def _files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def test_the_zip_holds_about_settings_scan_history_and_logs(data_dir: DataDir, root: Path, tmp_path: Path) -> None:
    SettingsStore(data_dir).save(Settings(theme="dark", spt_installs=[str(root)]))
    configure_logging(data_dir)
    logging.getLogger("app.tests").info("something the player did")
    before = _files_under(tmp_path)

    path = build_diagnostics(data_dir, root, now=NOW)

    assert path == data_dir.root / "diagnostics" / "kappa-diagnostics-20260504-030201.zip"
    added = _files_under(tmp_path) - before
    assert all(p.is_relative_to(data_dir.root) or p.is_relative_to(root) for p in added)  # nowhere else
    members = _members(path)
    assert sorted(members) == ["about.json", "history.json", "logs/kappa.log", "scan.json", "settings.json"]

    about = json.loads(members["about.json"])
    assert about["kappa"] == "0.1.0" and about["python"] and about["platform"]
    assert about["pyside6"] and about["qt"]
    assert about["data_dir"] == str(data_dir.root)
    assert (about["spt_layout"], about["spt_version"]) == ("4.0", "4.0.11")

    assert json.loads(members["scan.json"]) == InstalledModsService(data_dir).scan_now(root).to_json()  # scan --json
    settings = json.loads(members["settings.json"])
    assert settings["theme"] == "dark" and settings["spt_installs"] == [str(root)]
    assert settings["forge_token_in_keyring"] is False
    assert json.loads(members["history.json"]) == {"root": str(root), "transactions": []}
    assert "something the player did" in members["logs/kappa.log"]


def test_no_secret_gets_in_even_from_old_logs_and_odd_settings(data_dir: DataDir, root: Path,
                                                               memory_keyring: MemoryKeyring) -> None:
    settings = Settings(servers=[ServerEntry(name="Home", kind="fika", url="https://192.168.1.20:6969")])
    SettingsStore(data_dir).save(settings)
    raw = json.loads((data_dir.root / "settings.json").read_text(encoding="utf-8"))
    raw["forge_token"] = FORGE_SECRET  # a field no Kappa writes: settings from elsewhere must not leak either
    raw["servers"][0]["api_key"] = SERVER_SECRET
    raw["forge_mirror"] = f"https://mirror.example/api?token={FORGE_SECRET}"
    (data_dir.root / "settings.json").write_text(json.dumps(raw), encoding="utf-8")
    memory_keyring.store[("Kappa", FORGE_TOKEN)] = FORGE_SECRET
    memory_keyring.store[("Kappa", "server:Home")] = SERVER_SECRET
    forget_registered_secrets()  # a new process: nothing read from the keyring yet
    logs = log_path(data_dir).parent
    logs.mkdir(parents=True)  # written by an older Kappa, which did not redact
    (logs / "kappa.log.1").write_text(f"connected to Home with {SERVER_SECRET}\n", encoding="utf-8")
    (logs / "kappa.log").write_text(f"Forge said 401 for {FORGE_SECRET}\nX-Api-Key: plain-header-value\n",
                                    encoding="utf-8")
    configure_logging(data_dir)
    logging.getLogger("app.tests").warning("this session: %s and %s", FORGE_SECRET, SERVER_SECRET)

    members = _members(build_diagnostics(data_dir, root, now=NOW))

    assert sorted(m for m in members if m.startswith("logs/")) == ["logs/kappa.log", "logs/kappa.log.1"]
    for name, text in members.items():
        for secret in (FORGE_SECRET, SERVER_SECRET, "4711|Zq8xWm", "plain-header-value"):
            assert secret not in text, f"{secret!r} in {name}"
    assert "Forge said 401 for [redacted]" in members["logs/kappa.log"]
    saved = json.loads(members["settings.json"])
    assert "forge_token" not in saved and saved["forge_token_in_keyring"] is True
    assert saved["servers"] == [{"name": "Home", "kind": "fika", "url": "https://192.168.1.20:6969", "notify": False,
                                 "spt_root": None, "key_in_keyring": True}]
    assert saved["forge_mirror"] == "https://mirror.example/api?token=[redacted]"


def test_a_failed_scan_is_recorded_in_words(data_dir: DataDir, tmp_path: Path) -> None:
    not_an_install = tmp_path / "Games"
    not_an_install.mkdir()

    members = _members(build_diagnostics(data_dir, not_an_install, now=NOW))

    error = json.loads(members["scan.json"])["error"]
    assert error.startswith(f"Could not scan the SPT install at {not_an_install}: ")
    assert "is not inside an SPT install" in error
    assert "history.json" not in members and "logs/kappa.log" not in members
    assert json.loads(members["settings.json"]) == {"note": "No settings saved yet: Kappa runs on its defaults."}


def test_an_unexpected_scan_failure_is_recorded_and_the_zip_still_made(data_dir: DataDir, root: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: InstalledModsService, spt_path: Path) -> None:
        raise PermissionError(13, "Permission denied", str(spt_path / "BepInEx"))

    monkeypatch.setattr(InstalledModsService, "scan_now", broken)
    members = _members(build_diagnostics(data_dir, root, now=NOW))

    assert "Permission denied" in json.loads(members["scan.json"])["error"]
    assert json.loads(members["history.json"])["root"] == str(root)  # the install is known, so its history is
    assert json.loads(members["about.json"])["spt_version"] == "4.0.11"


def test_no_install_and_damaged_settings_are_said_in_words(data_dir: DataDir) -> None:
    data_dir.root.mkdir(parents=True)
    (data_dir.root / "settings.json").write_text('{"forge_token": "half-written-secret', encoding="utf-8")

    members = _members(build_diagnostics(data_dir, None, now=NOW))

    assert json.loads(members["scan.json"]) == {"error": "No SPT install was given or remembered, so none was scanned."}
    assert "cannot be read as JSON settings" in json.loads(members["settings.json"])["error"]
    assert all("half-written-secret" not in text for text in members.values())


def test_zips_get_distinct_names_and_old_ones_are_pruned(data_dir: DataDir) -> None:
    first = build_diagnostics(data_dir, None, now=NOW)
    second = build_diagnostics(data_dir, None, now=NOW)
    assert second.name == "kappa-diagnostics-20260504-030201-2.zip" and first.exists()

    for minute in range(12):
        made = build_diagnostics(data_dir, None, now=NOW.replace(minute=10 + minute))
        os.utime(made, (1_000_000 + minute, 1_000_000 + minute))
    folder = data_dir.root / "diagnostics"
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == diagnostics.KEEP_ZIPS and "kappa-diagnostics-20260504-032101.zip" in left
    assert not any(name.startswith(".") for name in left)  # no partial file left behind


def test_the_summary_says_what_is_inside_and_how_big(data_dir: DataDir, root: Path) -> None:
    configure_logging(data_dir)
    logging.getLogger("app.tests").info("one line")
    path = build_diagnostics(data_dir, root, now=NOW)

    summary = diagnostics_summary(path)

    assert summary.startswith("kappa-diagnostics-20260504-030201.zip (")
    assert "settings without secrets" in summary and "the installed mods" in summary
    assert "Kappa's changes to the install" in summary and summary.endswith("1 log file.")


def test_kappa_diagnostics_prints_the_zip(data_dir: DataDir, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["diagnostics", "--spt", str(root), "--data-dir", str(data_dir.root)])

    out = capsys.readouterr().out
    assert code == 0
    zips = list((data_dir.root / "diagnostics").glob("*.zip"))
    assert len(zips) == 1
    assert out.startswith(f"Diagnostics saved to {zips[0]}\n")
    assert "Attach the zip to your bug report." in out
    members = _members(zips[0])
    assert "app.cli.diagnostics.run" in members["logs/kappa.log"]  # this run's log is in it
    assert json.loads(members["scan.json"])["spt"]["version"] == "4.0.11"


def test_kappa_diagnostics_json_uses_the_remembered_install(data_dir: DataDir, root: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    InstallsService(data_dir).set_current(root)
    monkeypatch.chdir(tmp_path)  # not inside an install

    assert main(["diagnostics", "--json", "--data-dir", str(data_dir.root)]) == 0

    document = json.loads(capsys.readouterr().out)
    path = Path(document["path"])
    assert path.parent == data_dir.root / "diagnostics" and document["size"] == path.stat().st_size
    assert "scan.json" in document["contents"] and "history.json" in document["contents"]
    assert json.loads(_members(path)["scan.json"])["spt"]["root"] == str(root)


def test_a_failing_keyring_does_not_stop_the_zip(data_dir: DataDir, root: Path, memory_keyring: MemoryKeyring,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(service: str, username: str) -> str | None:
        raise RuntimeError("the Secret Service did not answer")

    monkeypatch.setattr(memory_keyring, "get_password", broken)
    members = _members(build_diagnostics(data_dir, root, now=NOW))

    assert json.loads(members["scan.json"])["spt"]["version"] == "4.0.11"
    assert json.loads(members["settings.json"]) == {"note": "No settings saved yet: Kappa runs on its defaults."}
