"""The Forge mappings service: every GUID of a mod mapped in lower case, forgotten together, bad input refused."""

from __future__ import annotations

import pytest

from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.settings import SettingsStore
from app.services.forge_mappings import clear_mapping, mapping_of, set_mapping


def test_set_mapping_maps_every_guid_in_lower_case(data_dir: DataDir) -> None:
    set_mapping(data_dir, ["Com.Example.Server", "com.example.CLIENT", "com.example.server"], 1502)
    assert SettingsStore(data_dir).load().forge_mappings == {"com.example.server": 1502, "com.example.client": 1502}
    assert mapping_of(data_dir, "COM.EXAMPLE.CLIENT") == 1502
    assert mapping_of(data_dir, "com.other") is None


def test_set_mapping_replaces_and_keeps_other_settings(data_dir: DataDir) -> None:
    store = SettingsStore(data_dir)
    settings = store.load()
    settings.theme = "dark"
    settings.forge_mappings["com.other"] = 7
    store.save(settings)
    set_mapping(data_dir, ["com.example"], 1)
    set_mapping(data_dir, ["com.example"], 2)
    saved = store.load()
    assert saved.forge_mappings == {"com.other": 7, "com.example": 2}
    assert saved.theme == "dark"


def test_clear_mapping_forgets_only_the_given_guids(data_dir: DataDir) -> None:
    set_mapping(data_dir, ["a.server", "a.client"], 10)
    set_mapping(data_dir, ["b"], 11)
    clear_mapping(data_dir, ["A.Server", "a.client", "not.mapped"])
    assert SettingsStore(data_dir).load().forge_mappings == {"b": 11}


def test_clearing_nothing_writes_nothing(data_dir: DataDir) -> None:
    clear_mapping(data_dir, ["never.mapped"])
    assert not SettingsStore(data_dir).file.exists()


@pytest.mark.parametrize("forge_id", [0, -3, True])
def test_a_bad_forge_id_changes_nothing(data_dir: DataDir, forge_id: int) -> None:
    set_mapping(data_dir, ["com.example"], 5)
    with pytest.raises(KappaError, match="positive whole number"):
        set_mapping(data_dir, ["com.example"], forge_id)
    assert mapping_of(data_dir, "com.example") == 5


def test_no_guid_is_refused(data_dir: DataDir) -> None:
    with pytest.raises(KappaError, match="no GUID"):
        set_mapping(data_dir, ["  "], 5)
    with pytest.raises(KappaError, match="no GUID"):
        clear_mapping(data_dir, [])
