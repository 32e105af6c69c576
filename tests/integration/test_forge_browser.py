"""Browsing the local Forge through `ForgeBrowser`: search text, the SPT/Fika/category filters, named sorts, paging,
the filter lists, a mod page, and an unreachable Forge told in words."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from app.net.forge import ForgeClient
from app.net.http import ApiClient, RetryPolicy, create_client
from app.sandbox.forge import LocalForge
from app.services.forge_browser import BrowsePage, BrowseQuery, ForgeBrowser, ForgeUnreachable

T = TypeVar("T")


def browse(url: str, work: Callable[[ForgeBrowser], Awaitable[T]], per_page: int = 50) -> T:
    async def main() -> T:
        async with create_client() as client:
            api = ApiClient([url], client=client, retry=RetryPolicy(attempts=1))
            return await work(ForgeBrowser(ForgeClient(api), per_page=per_page))

    return asyncio.run(main())


def search(forge: LocalForge, query: BrowseQuery, page: int = 1, per_page: int = 50) -> BrowsePage:
    return browse(forge.base_url, lambda browser: browser.search(query, page), per_page)


def names(page: BrowsePage) -> list[str]:
    return [mod.name or "" for mod in page.items]


def test_browsing_without_text_lists_the_most_downloaded_first(shared_forge: LocalForge) -> None:
    page = search(shared_forge, BrowseQuery())
    downloads = [mod.downloads or 0 for mod in page.items]
    assert page.total == len(page.items) > 20 and not page.has_more
    assert downloads == sorted(downloads, reverse=True)
    assert all(mod.category is not None for mod in page.items)  # rows name their category
    assert "Legacy HUD" not in names(page)  # legacy-only mods stay hidden, as on the Forge


def test_pages_follow_each_other_without_overlap(shared_forge: LocalForge) -> None:
    async def two_pages(browser: ForgeBrowser) -> tuple[BrowsePage, BrowsePage, BrowsePage]:
        query = BrowseQuery(sort="name")
        return await browser.search(query, 1), await browser.search(query, 2), await browser.search(query, 99)

    first, second, beyond = browse(shared_forge.base_url, two_pages, per_page=8)
    assert (first.page, second.page, first.last_page) == (1, 2, -(-first.total // 8))
    assert first.has_more and len(first.items) == len(second.items) == 8
    assert not {mod.id for mod in first.items} & {mod.id for mod in second.items}
    assert names(first) + names(second) == sorted(names(first) + names(second), key=str.lower)
    assert beyond.items == [] and not beyond.has_more


def test_search_text_finds_mods_by_name(shared_forge: LocalForge) -> None:
    page = search(shared_forge, BrowseQuery(text="  squad "))
    assert {"Squad Comms", "Squad Core", "Squad Markers", "Squad Tactics"} <= set(names(page))
    assert "Better Scav Karma" not in names(page) and page.total == len(page.items) < 10


def test_the_spt_version_filter_keeps_mods_with_a_version_for_it(shared_forge: LocalForge) -> None:
    for_41 = {mod.id for mod in search(shared_forge, BrowseQuery(spt_version="4.1.2")).items}
    for_311 = {mod.id for mod in search(shared_forge, BrowseQuery(spt_version="3.11.2")).items}
    assert 3120 in for_41 and 1050 not in for_41  # FleaTweaks is for 4.1; Item Info only for 3.x
    assert 1050 in for_311 and 3120 not in for_311


def test_fika_and_category_filters_combine_with_text_and_sort(shared_forge: LocalForge) -> None:
    fika = search(shared_forge, BrowseQuery(fika_only=True, sort="name"))
    assert fika.items and all(mod.fika_compatibility for mod in fika.items)
    assert names(fika) == sorted(names(fika), key=str.lower)
    libraries = search(shared_forge, BrowseQuery(category_id=6, sort="updated"))
    assert libraries.items and {mod.category_id for mod in libraries.items} == {6}
    updated = [mod.updated_at for mod in libraries.items]
    assert updated == sorted(updated, reverse=True)  # type: ignore[type-var]
    squad_libraries = search(shared_forge, BrowseQuery(text="squad", category_id=6))
    assert names(squad_libraries) == ["Squad Core"]


def test_a_query_knows_its_forge_parameters() -> None:
    assert BrowseQuery().filters() is None
    assert BrowseQuery(spt_version="4.0.11", fika_only=True, category_id=3).filters().to_params() == {  # type: ignore[union-attr]
        "filter[spt_version]": "4.0.11", "filter[fika_compatibility]": "1", "filter[category_id]": "3"}
    assert BrowseQuery(text="x").forge_sort() is None  # the search ranks
    assert BrowseQuery().forge_sort() == "-downloads"
    with pytest.raises(ValueError, match="unknown sort"):
        BrowseQuery(sort="rating")


def test_the_filter_lists_come_from_the_forge(shared_forge: LocalForge) -> None:
    async def lists(browser: ForgeBrowser) -> tuple[list[str], list[str]]:
        return await browser.spt_versions(), [category.label for category in await browser.categories()]

    versions, categories = browse(shared_forge.base_url, lists)
    assert versions[:4] == ["4.1.2", "4.1.1", "4.1.0", "4.0.13"]
    assert "4.0.10" in versions and "4.1.3" not in versions  # published ones only, semver order
    assert categories == sorted(categories, key=str.lower) and "Libraries" in categories


def test_a_mod_page_has_the_description_and_the_versions_newest_first(shared_forge: LocalForge) -> None:
    page = browse(shared_forge.base_url, lambda browser: browser.mod_page(1877))
    assert page.mod.name == "Better Scav Karma" and page.mod.description
    assert page.mod.category is not None and page.mod.license is not None
    assert [v.version for v in page.versions][:2] == ["1.0.0", "0.9.15"]
    assert page.versions_total == len(page.versions)
    latest = page.latest
    assert latest is not None and latest.spt_version_constraint == "~4.1.0"
    assert latest.published_at is not None and latest.content_length
    assert latest.dependencies and {dep.mod_guid for dep in latest.dependencies} >= {"com.ravenfall.corelib"}


def test_the_forge_client_can_be_swapped_under_the_browser(shared_forge: LocalForge) -> None:
    async def swapped(first: ForgeBrowser) -> list[int]:
        clients = [first.forge]
        browser = ForgeBrowser(lambda: clients[-1], per_page=3)  # as with `lambda: workspace.forge`
        before = await browser.search(BrowseQuery(), 1)
        clients.append(ForgeClient(ApiClient([shared_forge.base_url], client=first.forge.api.client)))
        after = await browser.search(BrowseQuery(), 1)
        assert browser.forge is clients[-1]
        return [len(before.items), len(after.items)]

    assert browse(shared_forge.base_url, swapped) == [3, 3]


def test_an_unreachable_forge_is_told_in_words() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/api/v0"
    with pytest.raises(ForgeUnreachable, match=r"^The Forge could not be reached: could not reach http://127"):
        browse(url, lambda browser: browser.search(BrowseQuery(), 1))
