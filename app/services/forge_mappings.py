"""The player's Forge mappings: which Forge mod an installed GUID is, when the update check cannot tell by itself.

This module is the one place that changes `settings.forge_mappings` (the CLI's `kappa forge map` and the GUI's
details pane both come here), so that keys are always lower case and an id is always a positive number.
Each call reads the settings afresh and writes them atomically: small file work, safe to run in a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.settings import SettingsStore


def set_mapping(data_dir: DataDir, guids: Iterable[str], forge_id: int) -> None:
    """Remember that every one of `guids` (a mod's server and client halves) is Forge mod `forge_id`."""
    keys = _keys(guids)
    if isinstance(forge_id, bool) or not isinstance(forge_id, int) or forge_id < 1:
        raise KappaError(f"a Forge mod id is a positive whole number, not {forge_id!r}")
    store = SettingsStore(data_dir)
    settings = store.load()
    settings.forge_mappings.update(dict.fromkeys(keys, forge_id))
    store.save(settings)


def clear_mapping(data_dir: DataDir, guids: Iterable[str]) -> None:
    """Forget the mappings of `guids`; GUIDs without one are ignored (and nothing is written)."""
    keys = _keys(guids)
    store = SettingsStore(data_dir)
    settings = store.load()
    if not any(key in settings.forge_mappings for key in keys):
        return
    for key in keys:
        settings.forge_mappings.pop(key, None)
    store.save(settings)


def mapping_of(data_dir: DataDir, guid: str) -> int | None:
    """The Forge id remembered for `guid` (any case), or None."""
    return SettingsStore(data_dir).load().forge_mappings.get(guid.strip().lower())


def _keys(guids: Iterable[str]) -> list[str]:
    keys = list(dict.fromkeys(guid.strip().lower() for guid in guids if guid.strip()))
    if not keys:
        raise KappaError("no GUID was given to map")
    return keys
