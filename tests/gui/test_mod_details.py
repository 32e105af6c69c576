"""The installed mod's details pane against the local Forge over a real socket: the Forge's description and versions,
the dependency tree, files, links, and correcting the Forge match (saved to the settings, announced by a signal)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.core.data_dir import DataDir
from app.net.forge import ForgeClient
from app.net.http import RetryPolicy
from app.sandbox.forge import LocalForge
from app.sandbox.sample_install import recreate_sample_install
from app.services.forge_mappings import mapping_of, set_mapping
from app.services.forge_session import ForgeSession
from app.services.mod_library import Library, ModLibrary, ModRow
from app.ui.mod_details import LOADING, PLACEHOLDER, ModDetailsPane

WAIT_MS = 5000


# -- fixtures and helpers

@pytest.fixture(scope="module")
def forge() -> Iterator[LocalForge]:
    with LocalForge(rate_limit=None) as local:
        yield local


@pytest.fixture(scope="module")
def library(forge: LocalForge, tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The 4.0 sample install, scanned and checked once for the module (before any test's qasync loop)."""
    root = recreate_sample_install(tmp_path_factory.mktemp("spt") / "SPT-4.0", "4.0")
    data_dir = DataDir(tmp_path_factory.mktemp("library-data"))

    async def load_and_check() -> Library:
        loaded = await ModLibrary(data_dir).load(root)
        async with ForgeSession(data_dir, forge.base_url) as client:
            return await ModLibrary(data_dir).check(loaded, client)

    return asyncio.run(load_and_check())


class Opened(list[QUrl]):
    """What the pane asked the desktop to open."""


@pytest.fixture
def opened() -> Opened:
    return Opened()


@pytest.fixture
def make_pane(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, data_dir: DataDir, forge: LocalForge,
              opened: Opened) -> Iterator[Callable[..., ModDetailsPane]]:
    """Panes on a Forge session of their own; sessions and panes are closed here, before the loop goes."""
    sessions: list[ForgeSession] = []
    panes: list[ModDetailsPane] = []

    def make(base_url: str | None = None, *, no_forge: bool = False) -> ModDetailsPane:
        session = ForgeSession(data_dir, base_url or forge.base_url, retry=RetryPolicy(attempts=1, backoff=0.0))
        sessions.append(session)
        provider: Callable[[], ForgeClient | None] = (lambda: None) if no_forge else (lambda: session.forge)
        pane = ModDetailsPane(provider, data_dir, opener=opened.append)
        pane.resize(700, 900)
        pane.show()
        panes.append(pane)
        return pane

    yield make
    for pane in panes:
        pane.close()
        pane.deleteLater()
    for session in sessions:
        run(qtbot, session.api.client.aclose())


def run(qtbot: QtBot, work: Coroutine[Any, Any, Any]) -> Any:
    task = asyncio.ensure_future(work)
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    return task.result()


def row_named(library: Library, name: str) -> ModRow:
    return next(row for row in library.rows if row.name == name)


def show_and_wait(qtbot: QtBot, pane: ModDetailsPane, row: ModRow, library: Library) -> None:
    pane.show_row(row, library)
    qtbot.waitUntil(lambda: not pane.loading(), timeout=WAIT_MS)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v0"


# -- tests

def test_no_row_shows_the_hint(make_pane: Callable[..., ModDetailsPane]) -> None:
    pane = make_pane()
    assert pane.stack.currentWidget() is pane.placeholder
    assert pane.placeholder.text() == PLACEHOLDER


def test_description_versions_files_and_links_appear(qtbot: QtBot, make_pane: Callable[..., ModDetailsPane],
                                                     library: Library, opened: Opened, forge: LocalForge) -> None:
    pane = make_pane()
    row = row_named(library, "LootPulse")
    pane.show_row(row, library)
    assert pane.stack.currentWidget() is pane.scroll
    assert pane.description_label.text() == LOADING
    qtbot.waitUntil(lambda: not pane.loading(), timeout=WAIT_MS)
    assert pane.name_label.text() == "LootPulse"
    assert pane.version_label.text() == "Version 1.7.3 · server + client"
    assert pane.status.text.text() == row.status_detail
    assert "Highlights valuable loot" in pane.description_label.text()
    table = pane.versions_table
    assert table.rowCount() == 5
    assert [table.item(0, c).text() for c in range(4)] == ["1.8.0", "~4.1.0", "2026-06-18", "Compatible"]
    installed = next(r for r in range(5) if table.item(r, 0).font().bold())
    assert table.item(installed, 0).text() == "1.7.3+b"  # the Forge's string for the installed 1.7.3
    assert "Needs WTT-CommonLib ^2.1.0" in table.item(0, 0).toolTip()
    assert pane.files_label.text() == f"2 files, {row.size // 1024} KiB"
    assert pane.files_list.count() == 2
    assert [b.text() for b in pane.link_buttons] == ["Open the Forge page", "Source code: github.com"]
    pane.link_buttons[0].click()
    assert opened == [QUrl(f"{forge.root_url}/mods/2291/lootpulse")]
    assert pane.mapping_label.text() == "Matched on the Forge by GUID: “LootPulse” (Forge id 2291)."
    assert not pane.forget_button.isVisible() and not pane.suggestion_button.isVisible()


def test_dependency_tree_shows_a_missing_dependency(make_pane: Callable[..., ModDetailsPane],
                                                    library: Library) -> None:
    pane = make_pane()
    pane.show_row(row_named(library, "Better Scav Karma"), library)
    tree = pane.dependency_tree
    assert tree.topLevelItemCount() == 2
    first = tree.topLevelItem(0)
    assert [first.text(c) for c in range(3)] == ["com.ravenfall.corelib", "~1.2.0", "—"]
    assert first.text(3) == "Missing: not installed"
    assert not first.icon(3).isNull()
    pane.show_row(row_named(library, "SwiftSort Extras"), library)
    (core,) = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert [core.text(c) for c in range(4)] == ["SwiftSort Core", "any version", "1.3.0", "Installed"]
    pane.show_row(row_named(library, "Fika.Server"), library)
    assert not pane.dependency_tree.isVisibleTo(pane)
    assert pane.dependency_note.text() == "It needs no other mod."


def test_name_match_and_unmatched_mod_are_said(qtbot: QtBot, make_pane: Callable[..., ModDetailsPane],
                                               library: Library, forge: LocalForge) -> None:
    pane = make_pane()
    show_and_wait(qtbot, pane, row_named(library, "TacticalHUD"), library)
    assert pane.mapping_label.text() == "Matched on the Forge by name (100 %): “TacticalHUD” (Forge id 1990)."
    before = len(forge.requests)
    pane.show_row(row_named(library, "SwiftSort Core"), library)
    assert not pane.loading() and len(forge.requests) == before  # nothing to ask the Forge about
    assert "does not know this mod's Forge page" in pane.description_label.text()
    assert pane.mapping_label.text().startswith("Not found on the Forge")
    assert pane.links_note.text() == "No links are known for this mod."


def test_correcting_the_mapping_writes_settings_and_emits(qtbot: QtBot, make_pane: Callable[..., ModDetailsPane],
                                                          library: Library, data_dir: DataDir) -> None:
    pane = make_pane()
    row = row_named(library, "AmmoTools Loadout")
    pane.show_row(row, library)
    assert "Perhaps it is “AmmoTools” (Forge id 1502, 72 % alike by name)." in pane.mapping_label.text()
    pane.correct_button.click()
    ask = pane.question
    assert isinstance(ask, QInputDialog) and ask.intValue() == 1502  # the suggestion, ready to confirm
    with qtbot.waitSignal(pane.mapping_changed, timeout=WAIT_MS):
        ask.setIntValue(1502)
        ask.accept()
    assert mapping_of(data_dir, "com.oxbow.ammotools.loadout") == 1502
    assert pane.mapping_label.text() == ("Saved: AmmoTools Loadout is Forge mod 1502 from now on. "
                                         "(“AmmoTools” on the Forge.) Checking again…")


def test_the_suggestion_is_confirmed_before_it_is_saved(qtbot: QtBot, make_pane: Callable[..., ModDetailsPane],
                                                        library: Library, data_dir: DataDir) -> None:
    pane = make_pane()
    pane.show_row(row_named(library, "AmmoTools Loadout"), library)
    assert pane.suggestion_button.isVisible() and pane.suggestion_button.text() == "Use “AmmoTools”…"
    pane.suggestion_button.click()
    box = pane.question
    assert isinstance(box, QMessageBox) and "“AmmoTools” (Forge id 1502)" in box.text()
    (yes,) = [b for b in box.buttons() if b.text() == "Yes, use it"]
    with qtbot.waitSignal(pane.mapping_changed, timeout=WAIT_MS):
        yes.click()
    assert mapping_of(data_dir, "com.oxbow.ammotools.loadout") == 1502


def test_an_id_the_forge_does_not_know_changes_nothing(qtbot: QtBot, make_pane: Callable[..., ModDetailsPane],
                                                       library: Library, data_dir: DataDir) -> None:
    pane = make_pane()
    pane.show_row(row_named(library, "AmmoTools Loadout"), library)
    emitted: list[bool] = []
    pane.mapping_changed.connect(lambda: emitted.append(True))
    pane.correct_button.click()
    ask = pane.question
    assert isinstance(ask, QInputDialog)
    ask.setIntValue(999999)
    ask.accept()
    qtbot.waitUntil(pane.mapping_error.isVisible, timeout=WAIT_MS)
    assert pane.mapping_error.text.text() == ("The Forge has no public mod with id 999999. "
                                              "The Forge match was not changed.")
    assert mapping_of(data_dir, "com.oxbow.ammotools.loadout") is None and not emitted
    assert pane.correct_button.isEnabled()


def test_a_mapping_can_be_forgotten(qtbot: QtBot, make_pane: Callable[..., ModDetailsPane], library: Library,
                                    data_dir: DataDir) -> None:
    row = row_named(library, "LootPulse")
    set_mapping(data_dir, row.guids, 2291)
    assert row.checked is not None
    mapped = replace(row, checked=replace(row.checked, matched_by="mapping"))
    pane = make_pane()
    show_and_wait(qtbot, pane, mapped, library)
    assert pane.mapping_label.text() == "Matched on the Forge by your mapping: “LootPulse” (Forge id 2291)."
    assert pane.forget_button.isVisible()
    with qtbot.waitSignal(pane.mapping_changed, timeout=WAIT_MS):
        pane.forget_button.click()
    assert mapping_of(data_dir, "com.nightjar.lootpulse") is None
    assert not pane.forget_button.isVisible()


def test_an_unreachable_forge_shows_words(qtbot: QtBot, make_pane: Callable[..., ModDetailsPane],
                                          library: Library) -> None:
    pane = make_pane(closed_port_url())
    row = row_named(library, "Fika.Server")
    show_and_wait(qtbot, pane, row, library)
    assert pane.forge_problem.isVisible()
    assert pane.forge_problem.text.text().startswith("Kappa could not ask the Forge about this mod. Could not reach")
    assert pane.versions_table.rowCount() == 0
    assert pane.link_buttons and pane.link_buttons[0].toolTip().endswith("/mods/2326/fika-server")  # from the check
    offline = make_pane(no_forge=True)
    offline.show_row(row, library)
    assert offline.forge_problem.text.text().startswith("The Forge is not available right now")


def test_a_stale_load_is_dropped(qtbot: QtBot, make_pane: Callable[..., ModDetailsPane], library: Library) -> None:
    pane = make_pane()
    pane.show_row(row_named(library, "LootPulse"), library)
    first = pane._load
    pane.show_row(row_named(library, "Trader Timers"), library)
    qtbot.waitUntil(lambda: not pane.loading(), timeout=WAIT_MS)
    assert first is not None and first.cancelled()
    assert pane.name_label.text() == "Trader Timers"
    assert "LootPulse" not in pane.description_label.text()
    assert pane.versions_table.item(0, 0) is not None
    pane.show_row(row_named(library, "LootPulse"), library)
    pane.show_row(None, None)
    qtbot.waitUntil(lambda: not pane.loading(), timeout=WAIT_MS)
    assert pane.stack.currentWidget() is pane.placeholder


def test_only_web_links_are_opened(make_pane: Callable[..., ModDetailsPane], library: Library,
                                   opened: Opened) -> None:
    pane = make_pane()
    pane.show_row(row_named(library, "SwiftSort Core"), library)
    pane.open_link("javascript:alert(1)")
    pane.open_link("file:///etc/passwd")
    assert opened == []
    assert "only web links" in pane.forge_problem.text.text()
