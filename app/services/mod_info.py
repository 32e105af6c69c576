"""What the details pane shows about one installed mod beyond the table row.

- `load_mod_info` asks the Forge for the mod's page (description, links) and its newest versions; the Forge's
  troubles become words in `ModInfo.problem`, never exceptions, because a details pane must always show something.
- `dependency_tree` is pure: the row's dependencies as the install meets them, with the dependencies' own
  dependencies below them (cycle-safe and depth-limited, since mods can name each other).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

import httpx

from app.core.errors import KappaError
from app.core.versions import satisfies
from app.core.words import age_in_words
from app.net.forge import ForgeClient, ForgeNotFound, ForgeResult, ResponseSource
from app.net.forge_models import Mod, ModVersion, Page, SourceCodeLink
from app.services.mod_library import Dependency, Library, ModRow

VERSIONS_SHOWN = 30  # one request; older versions are on the Forge page
MAX_DEPTH = 6  # dependency chains deeper than this are rare; stop there rather than draw a wall
MOD_INCLUDES = ("source_code_links", "license", "category")

DepState = Literal["installed", "missing", "conflicting", "disabled"]
DEP_STATES = ("installed", "missing", "conflicting", "disabled")
T = TypeVar("T")


@dataclass(frozen=True)
class ModInfo:
    """The Forge's side of one installed mod. `mod` is None when the Forge was not (or could not be) asked."""

    mod: Mod | None = None
    versions: list[ModVersion] = field(default_factory=list)  # newest first, at most VERSIONS_SHOWN
    total_versions: int = 0  # how many the Forge has, so the pane can say "30 of 45 shown"
    forge_url: str | None = None  # the mod's page on the Forge web site
    source_links: list[SourceCodeLink] = field(default_factory=list)
    problem: str | None = None  # a sentence when the Forge could not be asked or did not answer
    note: str | None = None  # a sentence when the answers are old (the Forge was down, Kappa's cache answered)


@dataclass(frozen=True)
class DepNode:
    """One dependency in the tree: what is wanted, what is installed, and its own dependencies."""

    guid: str
    name: str  # the installed mod's name, or the GUID when it is not installed
    constraint: str  # "" or "*" when any version will do
    state: DepState
    installed: str | None  # the installed version
    needed_by: str  # "SAIN 3.2.0"
    children: tuple[DepNode, ...] = ()
    cycle: bool = False  # it needs a mod higher up in this branch: its children are not repeated
    cut: bool = False  # the tree is cut here (MAX_DEPTH); it has dependencies that are not shown

    def describe(self) -> str:
        """The state in words, for the tree's last column."""
        if self.state == "missing":
            return "Missing: not installed"
        if self.state == "disabled":
            return "Disabled: installed, but in Kappa's disabled store"
        if self.state == "conflicting":
            return f"Conflicting: {self.installed} does not fit {self.constraint}"
        return "Installed"


async def load_mod_info(forge: ForgeClient, row: ModRow) -> ModInfo:
    """The Forge's page and newest versions of the row's mod; never raises for the Forge's sake."""
    forge_id = row.forge_id
    if forge_id is None:
        return ModInfo()
    site = forge_site(forge)
    mod_answer, versions_answer = await asyncio.gather(
        _ask(forge.mod(forge_id, include=MOD_INCLUDES)),
        _ask(forge.mod_versions(forge_id, include=("dependencies",), per_page=VERSIONS_SHOWN)))
    mod = mod_answer.data if isinstance(mod_answer, ForgeResult) else _known(row, forge_id, mod_answer)
    versions, total = _versions_of(versions_answer)
    sources = [a.source for a in (mod_answer, versions_answer) if isinstance(a, ForgeResult)]
    return ModInfo(mod=mod, versions=versions, total_versions=total, forge_url=forge_url(mod, forge_id, site),
                   source_links=list(mod.source_code_links or []) if mod is not None else [],
                   problem=_problem(forge_id, mod_answer, versions_answer), note=_note(sources))


async def find_forge_mod(forge: ForgeClient, forge_id: int) -> Mod | None:
    """The Forge's mod `forge_id`, to check an id the player typed: None when the Forge has no such public mod.
    Other troubles (an unreachable Forge) raise KappaError."""
    try:
        return (await forge.mod(forge_id)).data
    except ForgeNotFound:
        return None
    except ValueError:  # a negative id: the client refuses before asking
        return None


def forge_site(forge: ForgeClient) -> str:
    """The Forge's web site ("https://sp-mod.com/") from its API URL."""
    url = httpx.URL(forge.api.primary)
    return f"{url.scheme}://{url.netloc.decode()}/"


def forge_url(mod: Mod | None, forge_id: int, site: str) -> str:
    """The mod's Forge page: the Forge's own `detail_url`, or the page built from the site and the slug."""
    if mod is not None and mod.detail_url:
        return mod.detail_url
    slug = f"/{mod.slug}" if mod is not None and mod.slug else ""
    return f"{site.rstrip('/')}/mods/{forge_id}{slug}"


def fits_spt(version: ModVersion, spt: str | None) -> bool | None:
    """True when the version is made for SPT `spt`; None when that cannot be told (no SPT, legacy, unreadable)."""
    if not spt or not version.spt_version_constraint:
        return None
    try:
        return satisfies(spt, version.spt_version_constraint, "composer")
    except ValueError:
        return None


def dependency_tree(row: ModRow, library: Library, max_depth: int = MAX_DEPTH) -> list[DepNode]:
    """The row's dependencies, each with its own below it when it is installed (enabled or not)."""
    owners = {guid.lower(): other for other in library.rows for guid in other.guids}
    return list(_nodes(row, owners, (row.key,), 1, max_depth))


def _nodes(row: ModRow, owners: dict[str, ModRow], path: tuple[str, ...], depth: int,
           max_depth: int) -> tuple[DepNode, ...]:
    nodes = []
    for dependency in row.dependencies:
        owner = owners.get(dependency.guid.lower())
        node = _node(dependency)
        if owner is not None and owner.dependencies:
            if owner.key in path:  # A needs B needs A: say so once instead of recursing forever
                node = _with(node, cycle=True)
            elif depth >= max_depth:
                node = _with(node, cut=True)
            else:
                node = _with(node, children=_nodes(owner, owners, (*path, owner.key), depth + 1, max_depth))
        nodes.append(node)
    return tuple(nodes)


def _node(dependency: Dependency) -> DepNode:
    state = cast(DepState, dependency.state if dependency.state in DEP_STATES else "missing")
    return DepNode(guid=dependency.guid, name=dependency.name or dependency.guid, constraint=dependency.constraint,
                   state=state, installed=dependency.installed, needed_by=dependency.needed_by)


def _with(node: DepNode, *, children: tuple[DepNode, ...] = (), cycle: bool = False, cut: bool = False) -> DepNode:
    return DepNode(node.guid, node.name, node.constraint, node.state, node.installed, node.needed_by,
                   children, cycle, cut)


# -- asking the Forge

async def _ask(request: Awaitable[ForgeResult[T]]) -> ForgeResult[T] | KappaError:
    """The answer, or the error that replaced it (KappaError covers the Forge's errors and unreachable servers)."""
    try:
        return await request
    except KappaError as exc:
        return exc


def _known(row: ModRow, forge_id: int, error: KappaError) -> Mod | None:
    """What the update check already learnt of the mod (no description, but its links), unless it is gone."""
    if isinstance(error, ForgeNotFound) or row.forge_mod is None or row.forge_mod.id != forge_id:
        return None
    return row.forge_mod


def _versions_of(answer: ForgeResult[Page[ModVersion]] | KappaError) -> tuple[list[ModVersion], int]:
    if not isinstance(answer, ForgeResult):
        return [], 0
    page = answer.data
    return list(page.items), max(page.meta.total, len(page.items))


def _problem(forge_id: int, mod_answer: ForgeResult[Any] | KappaError,
             versions_answer: ForgeResult[Any] | KappaError) -> str | None:
    if isinstance(mod_answer, ForgeNotFound):
        return (f"The Forge has no public mod with id {forge_id}: it may have been removed or hidden, "
                "or the match is wrong.")
    if isinstance(mod_answer, KappaError):
        return f"Kappa could not ask the Forge about this mod. {_sentence(str(mod_answer))}"
    if isinstance(versions_answer, ForgeNotFound):
        return None  # the mod is there but shows no version: the empty table says so
    if isinstance(versions_answer, KappaError):
        return f"The Forge did not list this mod's versions. {_sentence(str(versions_answer))}"
    return None


def _note(sources: Sequence[ResponseSource]) -> str | None:
    if not sources:
        return None
    source = ResponseSource.combine(sources)
    if source.offline:
        return (f"The Forge could not be reached: this comes from Kappa's cache "
                f"({age_in_words(source.age)} old).")
    if source.mirror:
        return f"The Forge did not answer; the mirror {source.base_url} did."
    return None


def _sentence(text: str) -> str:
    """Error messages are written to fit into other sentences; here one stands alone."""
    text = text.strip()
    if not text:
        return "It gave no reason."
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
