"""The installs the player works with: remembered in settings.json, validated, one of them current."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.settings import Settings, SettingsStore
from app.sandbox.sample_install import recreate_sample_install
from app.services.installs import InstallsService


@pytest.fixture
def games(tmp_path: Path) -> Path:
    folder = tmp_path / "Games"
    for layout in ("3.x", "4.0", "4.1"):
        recreate_sample_install(folder / f"SPT-{layout}", layout)
    (folder / "not-spt").mkdir()
    return folder


@pytest.fixture
def service(data_dir: DataDir, games: Path) -> InstallsService:
    return InstallsService(data_dir, locations=[games], running_roots=lambda: [])


def saved(data_dir: DataDir) -> dict[str, object]:
    return json.loads((data_dir.root / "settings.json").read_text(encoding="utf-8"))


def test_remember_stores_the_game_root_once(service: InstallsService, data_dir: DataDir, games: Path) -> None:
    found = service.remember(games / "SPT-4.0" / "BepInEx")
    assert (found.root, found.layout, found.version, found.source) == (games / "SPT-4.0", "4.0", "4.0.11", "chosen")
    service.remember(games / "SPT-4.0")
    service.remember(games / "SPT-3.x")
    assert saved(data_dir)["spt_installs"] == [str(games / "SPT-4.0"), str(games / "SPT-3.x")]


def test_a_folder_that_is_not_spt_is_refused_in_words_and_nothing_is_stored(
        service: InstallsService, data_dir: DataDir, games: Path) -> None:
    with pytest.raises(KappaError, match=r"not-spt is not an SPT install: no SPT\.Server was found"):
        service.remember(games / "not-spt")
    with pytest.raises(KappaError, match="does not exist"):
        service.remember(games / "nowhere")
    assert not (data_dir.root / "settings.json").exists()


def test_remembered_lists_installs_that_went_missing_with_a_reason(
        service: InstallsService, data_dir: DataDir, games: Path) -> None:
    service.remember(games / "SPT-4.1")
    service.remember(games / "SPT-3.x")
    shutil.rmtree(games / "SPT-3.x")
    remembered = service.remembered()
    assert [(found.root.name, found.usable) for found in remembered] == [("SPT-4.1", True), ("SPT-3.x", False)]
    assert remembered[0].version == "4.1.2"
    assert remembered[1].problem is not None and "gone" in remembered[1].problem
    assert "SPT-3.x" in remembered[1].describe()


def test_current_and_set_current(service: InstallsService, data_dir: DataDir, games: Path) -> None:
    assert service.current() is None
    service.set_current(games / "SPT-4.1" / "SPT_Runtime")
    assert service.current() == games / "SPT-4.1"
    assert saved(data_dir)["spt_path"] == str(games / "SPT-4.1")
    assert saved(data_dir)["spt_installs"] == [str(games / "SPT-4.1")]  # made current = remembered too
    shutil.rmtree(games / "SPT-4.1")
    assert service.current() is None  # no longer an install


def test_forget_takes_it_off_the_list_and_out_of_current(service: InstallsService, data_dir: DataDir,
                                                          games: Path) -> None:
    service.remember(games / "SPT-3.x")
    service.set_current(games / "SPT-4.0")
    service.forget(f"{games}/SPT-4.0/../SPT-4.0")
    assert saved(data_dir)["spt_installs"] == [str(games / "SPT-3.x")]
    assert service.current() is None
    assert (games / "SPT-4.0" / "SPT").is_dir()  # the files are not touched


def test_other_settings_survive_install_changes(service: InstallsService, data_dir: DataDir, games: Path) -> None:
    store = SettingsStore(data_dir)
    store.save(Settings(theme="dark", download_concurrency=6, forge_mappings={"com.x": 1}))
    service.set_current(games / "SPT-4.0")
    service.forget(games / "SPT-4.0")
    settings = store.load()
    assert (settings.theme, settings.download_concurrency, settings.forge_mappings) == ("dark", 6, {"com.x": 1})


def test_discover_runs_in_a_thread_and_lists_remembered_before_common(
        service: InstallsService, games: Path, tmp_path: Path) -> None:
    elsewhere = recreate_sample_install(tmp_path / "elsewhere" / "SPT", "4.1")
    service.remember(elsewhere)
    found = asyncio.run(service.discover())
    assert [(install.root, install.source) for install in found] == [
        (elsewhere, "remembered"),
        (games / "SPT-3.x", "common"), (games / "SPT-4.0", "common"), (games / "SPT-4.1", "common")]
