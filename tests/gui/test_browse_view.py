"""The Browse view against the local Forge on 127.0.0.1 (offscreen, qasync): search as you type, paging on scroll,
installed marks, the SPT filter defaulting to the installed version, the mod page, Install, thumbnails, and an
unreachable Forge told in words. No mocks."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from pytestqt.qtbot import QtBot

from app.net.forge import ForgeClient
from app.net.http import ApiClient, RetryPolicy, create_client
from app.net.thumbnails import ThumbnailCache
from app.sandbox.forge import LocalForge
from app.services.forge_browser import ForgeBrowser
from app.ui.browse_view import INSTALLED_ROLE, BrowseView, description_html

WAIT_MS = 5000
PER_PAGE = 15  # the seeded Forge lists 35 mods: three pages


@pytest.fixture(scope="module")
def forge() -> Iterator[LocalForge]:
    with LocalForge(rate_limit=None) as local:
        yield local


def run(qtbot: QtBot, work: Coroutine[Any, Any, Any]) -> Any:
    task = asyncio.ensure_future(work)
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    return task.result()


@pytest.fixture
def make_view(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, forge: LocalForge,
              tmp_path: Path) -> Iterator[Callable[..., BrowseView]]:
    """Views over the local Forge (or `url`), 900x500 so that one page of results overflows the list. Closed here,
    with their connections, while the loop still runs."""
    made: list[tuple[BrowseView, ThumbnailCache, Any]] = []

    def make(url: str | None = None, *, start: bool = True) -> BrowseView:
        client = create_client()
        api = ApiClient([url or forge.base_url], client=client, retry=RetryPolicy(attempts=1))
        thumbnails = ThumbnailCache(tmp_path / "thumbnails", client, referer=forge.root_url + "/")
        view = BrowseView(ForgeBrowser(ForgeClient(api), per_page=PER_PAGE), thumbnails)
        view.resize(900, 500)
        view.show()
        if start:
            view.start()
        made.append((view, thumbnails, client))
        return view

    yield make
    for view, thumbnails, client in made:
        run(qtbot, view.aclose())
        run(qtbot, thumbnails.aclose())
        run(qtbot, client.aclose())
        view.close()
        view.deleteLater()


def mods_requests(forge: LocalForge) -> list[dict[str, list[str]]]:
    return [parse_qs(record.query) for record in forge.requests if record.path == "/api/v0/mods"]


def names(view: BrowseView) -> list[str]:
    return [mod.name or "" for mod in view.model.mods]


def wait_for_results(qtbot: QtBot, view: BrowseView, rows: int | None = None) -> None:
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and "mods" in view.status_label.text()
                    and (rows is None or view.model.rowCount() == rows), timeout=WAIT_MS)


def select(view: BrowseView, mod_id: int) -> None:
    row = view.model.row_of(mod_id)
    assert row is not None
    view.results.setCurrentIndex(view.model.index(row))


def test_typing_searches_once_after_a_pause(qtbot: QtBot, make_view: Callable[..., BrowseView],
                                            forge: LocalForge) -> None:
    view = make_view()
    wait_for_results(qtbot, view)
    assert view.status_label.text() == "35 mods"
    forge.reset_requests()

    qtbot.keyClicks(view.search_edit, "squad")
    assert mods_requests(forge) == []  # nothing while typing

    qtbot.waitUntil(lambda: len(names(view)) < PER_PAGE and "Squad Tactics" in names(view), timeout=WAIT_MS)
    assert [request.get("query") for request in mods_requests(forge)] == [["squad"]]  # one search, not five
    assert view.status_label.text() == f"{len(names(view))} mods" and "Better Scav Karma" not in names(view)


def test_scrolling_to_the_bottom_loads_the_next_page_once(qtbot: QtBot, make_view: Callable[..., BrowseView],
                                                          forge: LocalForge) -> None:
    forge.reset_requests()
    view = make_view()
    wait_for_results(qtbot, view, rows=PER_PAGE)
    qtbot.wait(100)
    assert view.model.rowCount() == PER_PAGE  # the first page overflows the list: no second page yet

    bar = view.results.verticalScrollBar()
    for _ in range(3):  # more scrolling while the page loads must not load it twice
        bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: view.model.rowCount() == 2 * PER_PAGE, timeout=WAIT_MS)
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: view.model.rowCount() == 35, timeout=WAIT_MS)
    bar.setValue(bar.maximum())
    qtbot.wait(100)

    pages = [request.get("page") for request in mods_requests(forge)]
    assert pages == [["1"], ["2"], ["3"]]
    assert len({mod.id for mod in view.model.mods}) == 35
    assert view.status_label.text() == "35 mods"


def test_installed_mods_are_marked_and_the_installed_spt_version_is_the_default(
        qtbot: QtBot, make_view: Callable[..., BrowseView], forge: LocalForge) -> None:
    view = make_view()
    wait_for_results(qtbot, view)
    qtbot.waitUntil(lambda: view.spt_combo.count() > 20, timeout=WAIT_MS)  # the Forge's SPT versions
    forge.reset_requests()

    view.set_installed({"COM.Ravenfall.BetterScavKarma"}, {1400}, "4.0.11")

    assert view.spt_combo.currentData() == "4.0.11" and view.spt_combo.currentText() == "4.0.11 (installed)"
    qtbot.waitUntil(lambda: any(r.get("filter[spt_version]") == ["4.0.11"] for r in mods_requests(forge)),
                    timeout=WAIT_MS)
    wait_for_results(qtbot, view)
    marked = {view.model.mod_at(row).id for row in range(view.model.rowCount())
              if view.model.index(row).data(INSTALLED_ROLE)}
    assert marked == {1877, 1400}  # by GUID (any case) and by Forge id
    assert "Item Info" not in names(view)  # a 3.x-only mod


def test_a_player_chosen_spt_version_is_kept_when_the_install_is_rescanned(
        qtbot: QtBot, make_view: Callable[..., BrowseView]) -> None:
    view = make_view()
    qtbot.waitUntil(lambda: view.spt_combo.count() > 20, timeout=WAIT_MS)
    view.set_installed(set(), set(), "4.0.11")
    view.spt_combo.setCurrentIndex(0)
    view.spt_combo.activated.emit(0)  # what a click on "Any SPT version" does
    view.set_installed(set(), set(), "4.1.2")
    assert view.spt_combo.currentData() is None


def test_selecting_a_mod_shows_its_page_and_install_asks_for_it(qtbot: QtBot,
                                                                make_view: Callable[..., BrowseView]) -> None:
    view = make_view()
    view.search_edit.setText("scav karma")
    view.search_now()
    qtbot.waitUntil(lambda: "Better Scav Karma" in names(view), timeout=WAIT_MS)
    assert not view.install_button.isEnabled()

    select(view, 1877)
    qtbot.waitUntil(lambda: "Versions" in view.page_view.toPlainText(), timeout=WAIT_MS)
    page = view.page_view.toPlainText()
    for words in ("Better Scav Karma", "by Ravenfall", "Scav karma that remembers", "0.9.15", "~4.0.0",
                  "2026-03-20", "needs: Ravenfall CoreLib", "Open on the Forge"):
        assert words in page
    assert view.install_button.isEnabled()

    with qtbot.waitSignal(view.install_requested, timeout=WAIT_MS) as clicked:
        view.install_button.click()
    assert clicked.args == [1877, "Better Scav Karma"]
    with qtbot.waitSignal(view.install_requested, timeout=WAIT_MS) as entered:
        qtbot.keyClick(view.results, Qt.Key.Key_Return)
    assert entered.args == [1877, "Better Scav Karma"]


def test_a_newer_search_replaces_an_older_one(qtbot: QtBot, make_view: Callable[..., BrowseView]) -> None:
    view = make_view(start=False)
    view.search_edit.setText("squad")
    view.search_now()
    view.fika_check.setChecked(True)  # a filter change searches at once, cancelling the search for "squad"
    view.search_edit.setText("")
    view.search_now()
    wait_for_results(qtbot, view)
    qtbot.wait(100)
    assert all(mod.fika_compatibility for mod in view.model.mods)
    assert "Squad Core" not in names(view)


def test_thumbnails_appear_in_the_background(qtbot: QtBot, make_view: Callable[..., BrowseView],
                                             forge: LocalForge) -> None:
    view = make_view()
    wait_for_results(qtbot, view)
    first = view.model.index(0)
    qtbot.waitUntil(lambda: isinstance(first.data(Qt.ItemDataRole.DecorationRole), QPixmap), timeout=WAIT_MS)
    pixmap = first.data(Qt.ItemDataRole.DecorationRole)
    assert not pixmap.isNull() and pixmap.width() >= 56
    assert any(record.path.startswith("/images/mods/") and record.status == 200 for record in forge.requests)


def test_an_unreachable_forge_is_told_in_words(qtbot: QtBot, make_view: Callable[..., BrowseView]) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/api/v0"
    view = make_view(url)
    qtbot.waitUntil(lambda: view.status_label.text().startswith("The Forge could not be reached:"), timeout=WAIT_MS)
    assert "Traceback" not in view.status_label.text()
    assert view.model.rowCount() == 0 and not view.install_button.isEnabled()


def test_descriptions_render_markdown_and_lose_scripts(qapp: Any) -> None:
    rendered = description_html("Keeps **karma**.\n\nSee [the wiki](https://example.org/wiki).")
    assert "karma" in rendered and "**" not in rendered and 'href="https://example.org/wiki"' in rendered
    assert description_html("<p>Hi</p><script>alert(1)</script>") == "<p>Hi</p>"
