"""The installed-mods table's rows: one per mod, with the status the player must act on, from a real scan and the
local Forge over a socket."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.data_dir import DataDir
from app.net.forge_models import FikaCompatibility
from app.sandbox.forge import LocalForge
from app.sandbox.sample_install import create_sample_install
from app.services.forge_session import ForgeSession
from app.services.mod_library import Library, ModLibrary, ModStatus, build_rows


@pytest.fixture(scope="module")
def checked(shared_forge: LocalForge, tmp_path_factory: pytest.TempPathFactory) -> Library:
    root = create_sample_install(tmp_path_factory.mktemp("spt") / "SPT-4.0", "4.0")
    data_dir = DataDir(tmp_path_factory.mktemp("data"))

    async def load_and_check() -> Library:
        library = await ModLibrary(data_dir).load(root)
        async with ForgeSession(data_dir, shared_forge.base_url) as forge:
            return await ModLibrary(data_dir).check(library, forge)

    return asyncio.run(load_and_check())


def test_server_and_client_halves_are_one_row(checked: Library) -> None:
    lootpulse = next(row for row in checked.rows if row.name == "LootPulse")
    assert lootpulse.parts == "server + client"
    assert {m.kind for m in lootpulse.members} == {"server", "client"}
    assert len(checked.rows) == len({row.key for row in checked.rows}) == 11  # 12 scan entries, LootPulse merged


def test_each_row_says_what_the_forge_said(checked: Library) -> None:
    by_name = {row.name: row for row in checked.rows}
    assert by_name["Hideout Automation"].status == ModStatus.UPDATE
    assert by_name["Hideout Automation"].status_text == "Update to 1.0.0"
    assert by_name["Hideout Automation"].can_update
    assert by_name["Fika.Server"].status == ModStatus.UP_TO_DATE
    assert by_name["Trader Timers"].status == ModStatus.BLOCKED
    assert "Better Scav Karma" in by_name["Trader Timers"].status_text
    assert by_name["AmmoTools Stats"].status == ModStatus.INCOMPATIBLE
    assert by_name["SwiftSort Core"].status == ModStatus.NOT_ON_FORGE
    assert by_name["Fika.Server"].fika == FikaCompatibility.COMPATIBLE
    assert by_name["SwiftSort Core"].fika is None
    assert [row.name for row in checked.updates] == ["Hideout Automation"]


def test_a_missing_dependency_outranks_an_update(checked: Library) -> None:
    bsk = next(row for row in checked.rows if row.name == "Better Scav Karma")
    assert bsk.status == ModStatus.MISSING_DEPENDENCY
    missing = [d for d in bsk.dependencies if d.state == "missing"]
    assert missing and "not installed" in missing[0].describe()
    assert bsk.checked is not None and bsk.checked.status == "update_available"  # the Forge's answer is kept


def test_rows_know_their_files_and_size(checked: Library) -> None:
    lootpulse = next(row for row in checked.rows if row.name == "LootPulse")
    assert any(path.endswith(".dll") for path in lootpulse.files)
    assert lootpulse.size and lootpulse.size > 0


def test_before_the_check_nothing_is_claimed(tmp_path: Path, data_dir: DataDir) -> None:
    root = create_sample_install(tmp_path / "SPT", "4.0")
    library = asyncio.run(ModLibrary(data_dir).load(root))
    statuses = {row.status for row in library.rows}
    assert ModStatus.UPDATE not in statuses and ModStatus.NOT_ON_FORGE not in statuses
    assert ModStatus.UNCHECKED in statuses


def test_a_disabled_mod_says_so_whatever_the_forge_said(checked: Library) -> None:
    scan = checked.scan
    mods = tuple(replace(m, enabled=False) if m.name == "Hideout Automation" else m for m in scan.mods)
    rows = build_rows(replace(scan, mods=mods), checked.report, checked.forge_mods)
    row = next(r for r in rows if r.name == "Hideout Automation")
    assert row.status == ModStatus.DISABLED and not row.enabled and not row.can_update
