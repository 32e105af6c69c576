"""Browsing the Forge: searches with filters, one page at a time, and a mod's page (details and versions).

`ForgeBrowser` turns what the Browse view asks (`BrowseQuery`: text, SPT version, Fika, category, a named sort) into
Forge API requests and answers with plain results (`BrowsePage`, `ModPage`). Errors are `KappaError`s whose
messages are sentences: `ForgeUnreachable` ("The Forge could not be reached: …") when no server answers, the Forge
client's `ForgeApiError` when it refuses. Answers served from the offline cache say so (`offline`, `age`), so the
view can tell the player.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from app.core.errors import KappaError
from app.core.versions import parse_version
from app.net.forge import ForgeClient, ForgeResult, Mod, ModCategory, ModFilters, ModVersion, Page
from app.net.forge_models import FikaCompatibility, VersionDependency
from app.net.http import NetworkError

__all__ = [  # the Forge models are re-exported: the Browse view reads them without reaching into app.net
    "SORTS",
    "SORT_LABELS",
    "BrowsePage",
    "BrowseQuery",
    "FikaCompatibility",
    "ForgeBrowser",
    "ForgeUnreachable",
    "Mod",
    "ModCategory",
    "ModPage",
    "ModVersion",
    "ThumbnailSource",
    "VersionDependency",
]

DEFAULT_PER_PAGE = 20
VERSIONS_ON_PAGE = 50  # the newest versions a mod page lists (the Forge's page cap); older ones are on the site
MOD_PAGE_INCLUDES = ("category", "license", "source_code_links")

# Named sorts -> the Forge's `sort` parameter. "relevance" lets the search rank hits; without search text there is
# nothing to rank, so the most downloaded come first (what a player browsing wants to see).
SORTS: dict[str, str | None] = {
    "relevance": None,
    "downloads": "-downloads",
    "updated": "-updated_at",
    "newest": "-published_at",
    "name": "name",
}
SORT_LABELS: dict[str, str] = {
    "relevance": "Best match",
    "downloads": "Most downloaded",
    "updated": "Recently updated",
    "newest": "Newest",
    "name": "Name (A to Z)",
}
BROWSE_WITHOUT_TEXT = "-downloads"
LIST_INCLUDES = ("category",)  # the result rows name the category


class ForgeUnreachable(KappaError):
    """No Forge server (nor a cached answer) could be reached."""


class ThumbnailSource(Protocol):
    """What the Browse view needs for thumbnails (app.net.thumbnails.ThumbnailCache is one)."""

    async def get(self, url: str) -> bytes | None: ...


@asynccontextmanager
async def _reaching_the_forge() -> AsyncIterator[None]:
    try:
        yield
    except NetworkError as exc:
        raise ForgeUnreachable(f"The Forge could not be reached: {exc}") from exc


@dataclass(frozen=True)
class BrowseQuery:
    """One search as the player set it up. `spt_version` is an exact SPT version ("4.0.11") or None for any."""

    text: str = ""
    spt_version: str | None = None
    fika_only: bool = False
    category_id: int | None = None
    sort: str = "relevance"

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}; known: {', '.join(SORTS)}")

    def filters(self) -> ModFilters | None:
        """The Forge filters for this query (None when nothing is filtered)."""
        filters = ModFilters(spt_version=self.spt_version or None, fika_compatibility=True if self.fika_only else None,
                             category_id=[self.category_id] if self.category_id is not None else None)
        return filters if filters.to_params() else None

    def forge_sort(self) -> str | None:
        sort = SORTS[self.sort]
        if sort is None and not self.text.strip():
            return BROWSE_WITHOUT_TEXT
        return sort


@dataclass(frozen=True)
class BrowsePage:
    """One page of results."""

    query: BrowseQuery
    items: list[Mod]
    page: int
    last_page: int
    total: int
    offline: bool = False  # answered from the cache because the Forge could not be reached
    age: float = 0.0  # seconds since the answer left the Forge

    @property
    def has_more(self) -> bool:
        return self.page < self.last_page


@dataclass(frozen=True)
class ModPage:
    """What a mod page shows: the mod with its description, and its versions newest first."""

    mod: Mod
    versions: list[ModVersion]
    versions_total: int  # all listed versions; `versions` holds the newest VERSIONS_ON_PAGE of them
    offline: bool = False

    @property
    def latest(self) -> ModVersion | None:
        return self.versions[0] if self.versions else None


class ForgeBrowser:
    """Searches and mod pages over a Forge client. Pass `lambda: workspace.forge` rather than the client itself when
    the client can be replaced (Workspace.reopen_forge after a settings change): each request then uses the current
    one."""

    def __init__(self, forge: ForgeClient | Callable[[], ForgeClient], *, per_page: int = DEFAULT_PER_PAGE) -> None:
        if not 1 <= per_page <= 50:
            raise ValueError("per_page must be between 1 and 50 (the Forge's cap)")
        self._forge = forge
        self.per_page = per_page

    @property
    def forge(self) -> ForgeClient:
        return self._forge if isinstance(self._forge, ForgeClient) else self._forge()

    async def search(self, query: BrowseQuery, page: int = 1) -> BrowsePage:
        """One page of mods matching `query` (pages count from 1)."""
        async with _reaching_the_forge():
            result = await self.forge.mods(query.filters(), query=query.text.strip() or None,
                                           sort=query.forge_sort(), include=LIST_INCLUDES, page=page,
                                           per_page=self.per_page)
        return _browse_page(query, result)

    async def categories(self) -> list[ModCategory]:
        """Every mod category, by name."""
        async with _reaching_the_forge():
            result = await self.forge.iter_mod_categories().collect()
        return sorted(result.data, key=lambda category: category.label.lower())

    async def spt_versions(self) -> list[str]:
        """The SPT versions the Forge has published, newest first."""
        async with _reaching_the_forge():
            result = await self.forge.iter_spt_versions().collect()
        return sorted({spt.version for spt in result.data}, key=_version_key, reverse=True)

    async def mod_page(self, mod_id: int) -> ModPage:
        """A mod with its description, category, license and source links, and its newest versions (with their
        dependencies)."""
        async with _reaching_the_forge():
            mod_result, versions_result = await asyncio.gather(
                self.forge.mod(mod_id, include=MOD_PAGE_INCLUDES),
                self.forge.mod_versions(mod_id, include=("dependencies",), per_page=VERSIONS_ON_PAGE))
        versions = versions_result.data
        return ModPage(mod_result.data, list(versions.items), versions.meta.total,
                       offline=mod_result.source.offline or versions_result.source.offline)


def _browse_page(query: BrowseQuery, result: ForgeResult[Page[Mod]]) -> BrowsePage:
    page = result.data
    return BrowsePage(query, list(page.items), page.meta.current_page, page.meta.last_page, page.meta.total,
                      offline=result.source.offline, age=result.source.age)


def _version_key(text: str) -> tuple[int, int, int, int, str]:
    try:
        parsed = parse_version(text)
    except ValueError:
        return (-1, 0, 0, 0, text)  # an odd version string sorts last instead of breaking the list
    return (parsed.major, parsed.minor, parsed.patch, 0 if parsed.prerelease else 1, text)
