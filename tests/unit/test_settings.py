"""The settings store and the keyring-only secrets."""

from __future__ import annotations

import pytest

from app.core.data_dir import DataDir
from app.core.secrets import FORGE_TOKEN, delete_secret, get_secret, set_secret
from app.core.settings import DEFAULT_FORGE_URL, Settings, SettingsStore
from tests.conftest import MemoryKeyring


def test_defaults_then_round_trip(data_dir: DataDir) -> None:
    store = SettingsStore(data_dir)
    assert store.load() == Settings()
    assert store.load().forge_url == DEFAULT_FORGE_URL
    store.save(Settings(forge_mirror="https://forge-alt.example/api/v0/", forge_mappings={"com.a": 12}))
    loaded = store.load()
    assert loaded.forge_mirror == "https://forge-alt.example/api/v0"
    assert loaded.forge_mappings == {"com.a": 12}


def test_a_damaged_or_foreign_file_gives_defaults(data_dir: DataDir) -> None:
    store = SettingsStore(data_dir)
    data_dir.root.mkdir(parents=True)
    store.file.write_text("{ nope")
    assert store.load() == Settings()
    store.file.write_text('{"forge_url": "ftp://x", "future_option": 1}')
    assert store.load() == Settings()


def test_unknown_keys_from_a_newer_kappa_are_ignored(data_dir: DataDir) -> None:
    store = SettingsStore(data_dir)
    data_dir.root.mkdir(parents=True)
    store.file.write_text('{"forge_url": "http://127.0.0.1:9/api/v0", "future_option": 1}')
    assert store.load().forge_url == "http://127.0.0.1:9/api/v0"


def test_bad_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        Settings(forge_url="sp-mod.com")


def test_secrets_live_in_the_keyring_only(data_dir: DataDir, memory_keyring: MemoryKeyring) -> None:
    assert get_secret(FORGE_TOKEN) is None
    set_secret(FORGE_TOKEN, "s3cret")
    assert memory_keyring.store == {("Kappa", FORGE_TOKEN): "s3cret"}
    assert get_secret(FORGE_TOKEN) == "s3cret"
    SettingsStore(data_dir).save(Settings())
    assert "s3cret" not in SettingsStore(data_dir).file.read_text()
    delete_secret(FORGE_TOKEN)
    delete_secret(FORGE_TOKEN)  # deleting twice is fine
    assert get_secret(FORGE_TOKEN) is None
