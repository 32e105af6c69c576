"""The local Forge's data: SPT versions, categories, mods, versions, dependencies and addons (plain dataclasses).

Everything is deterministic: the same catalogue is built on every run, so tests can name ids and versions.
The data is shaped after the real Forge (ids, GUIDs, version strings and constraints as mod authors write
them, padded constraints, build metadata, legacy versions with an empty SPT constraint) and after the sample
installs in `app/sandbox/sample_install.py`, so that checking a sample install shows every answer the Forge
can give. Those scenarios are the contract of this module:

SPT 4.0 sample, checked against SPT 4.0.11 (`/mods/updates`):

=================================================  =========================================================
installed (as the scan reports it)                  what the Forge answers, and why
=================================================  =========================================================
com.ravenfall.betterscavkarma 0.9.14 (id 1877)      update to 0.9.15 (``newer_version_available``)
io.github.moxie.hideoutautomation 1.0.0-beta.2      update to the stable 1.0.0 (``newer_prerelease_available``);
                                                    1.1.0-beta.1 exists but is for SPT 4.1 only
com.fika.server 2.3.4                               ``up_to_date``: 2.4.0 exists but is for SPT 4.1 only
dev.larkspur.tradertimers 1.4.2                     ``blocked_updates``: 1.5.0 exists, but the installed
                                                    BetterScavKarma 0.9.14 needs ``~1.4.0`` (block_reason
                                                    ``dependency_constraint_violation``, ``blocking_mods`` names
                                                    it); 1.5.0 also needs LootPulse ``^2.0.0``, which no
                                                    LootPulse version meets
com.oxbow.ammotools.stats 0.8.2 (+ .loadout 1.0)    ``incompatible_with_spt``: every version is for SPT 3.11;
                                                    the ``.loadout`` GUID is not on the Forge (dropped)
com.pinecone.swiftsort.core / .extras 1.3.0         not on the Forge at all (no GUID, no name match): dropped
com.ravenfall.tacticalhud 2.1.0                     the GUID is not on the Forge (dropped); the Forge mod is
                                                    ``com.ravenfall.tactical-hud`` (id 1990), found by name
                                                    "TacticalHUD"; ``1990:2.1.0`` gets an update to 2.2.0
com.nightjar.lootpulse 1.7.3 (server + client)      the Forge stores that release as ``1.7.3+b``, so the
                                                    exact string ``1.7.3`` is dropped; ``2291:1.7.3+b`` gets an
                                                    update to 1.7.4
Ravenfall.Prepatch (patcher, no GUID)               not on the Forge
=================================================  =========================================================

SPT 3.x sample (package.json names; Forge GUIDs differ, so Kappa maps by name), checked against SPT 3.11.2:
SAIN 3.2.1 (``me.sol.sain``) → update to 3.2.2; BigBrain 1.3.2 (``xyz.drakia.bigbrain``) → up to date (1.4.0 is
for 4.0); Waypoints 1.6.4 (``xyz.drakia.waypoints``) → blocked: 1.7.0 breaks SAIN's ``~1.6.0``; LootValue 3.0.0
(``com.ihanamies.lootvalue``, a legacy version with an empty SPT constraint) → incompatible; Questing Bots 0.10.3
(``com.danw.sptquestingbots``) → update to 0.10.4.

SPT 4.1 sample, checked against SPT 4.1.2: FleaTweaks 3.0.1 → update to 3.1.0 (StashSorter's ``^3.0.0`` allows
it); StashSorter 2.0.5 → blocked, ``missing_dependency`` (2.1.0 needs FleaTweaks ``^4.0.0``, which does not
exist); RaidReview 0.9.1 → blocked, ``chain_dependency_conflict`` (1.0.0 needs RaidCore ``^1.0.0``, whose 1.0.0
needs FleaTweaks ``>=3.1.0`` while 3.0.1 is installed).

Dependency shapes for `/mods/dependencies`: a chain RaidReview → RaidCore → FleaTweaks → LootPulse/WTT-CommonLib →
SharedUI; a diamond Squad Tactics → (Squad Comms ``^1``, Squad Markers ``^2``) → Squad Core (``>=1.0.0 <1.4.0`` and
``^1.2.0``: both trees get 1.3.5, the highest version meeting both, not 1.5.0); a conflict ``me.sol.sain:3.2.0`` +
``xyz.drakia.waypoints:1.6.0`` at 3.11.2 (BigBrain ``^1.3.0`` against ``~1.2.0``: ``conflict: true``).

Other rules on show: a prerelease line (Ballistics Overhaul 1.9.0, 2.0.0-alpha.1, -alpha.2, -beta.1), build
metadata (Dynamic Maps 1.0.2+a and 1.0.2+b, LootPulse, UI Fixes 4.1.0+hotfix), a padded constraint
(``" 4.0.10 "`` on UI Fixes 4.0.1), legacy-only mods (Legacy HUD, hidden unless ``filter[include_legacy]``),
a disabled mod, an unpublished mod, a disabled and an unpublished version (Weather Control), a version for an
unpublished SPT version only (Trader Tinker 1.2.0), legacy versions whose links are landing pages rather than
files (LootValue), and addons.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache

from app.core.versions import parse_version, satisfies

__all__ = [
    "Addon",
    "AddonVersion",
    "Author",
    "Catalogue",
    "Category",
    "Dependency",
    "License",
    "Mod",
    "ModVersion",
    "Part",
    "SptVersion",
    "default_catalogue",
    "synthetic_catalogue",
    "synthetic_installed",
]

FIKA_VALUES = ("compatible", "incompatible", "unknown")


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _spread(seed: str, low: int, high: int) -> int:
    """A stable pseudo-random number for counters (downloads, favourites) that should look organic."""
    return low + zlib.crc32(seed.encode()) % (high - low)


# ----------------------------------------------------------------------------------------------------------
# Data classes
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SptVersion:
    id: int
    version: str
    publish_date: datetime | None  # None: announced but not published, invisible to the API
    color_class: str

    @property
    def created_at(self) -> datetime:
        return (self.publish_date or _date("2026-08-01")) - timedelta(days=2)

    @cached_property
    def parts(self) -> tuple[int, int, int, str]:
        parsed = parse_version(self.version)
        return parsed.major, parsed.minor, parsed.patch, ".".join(str(p) for p in parsed.prerelease)


@dataclass(frozen=True)
class Author:
    id: int
    name: str

    def to_json(self) -> dict[str, object]:
        slug = self.name.replace(" ", "+")
        return {
            "id": self.id,
            "name": self.name,
            "profile_photo_url": f"https://ui-avatars.com/api/?name={slug}&color=7F9CF5&background=EBF4FF",
            "cover_photo_url": f"https://picsum.photos/seed/{slug}/1280/384",
        }


@dataclass(frozen=True)
class License:
    id: int
    name: str
    short_name: str


@dataclass(frozen=True)
class Category:
    id: int
    hub_id: int | None
    title: str
    slug: str
    description: str


@dataclass(frozen=True)
class Part:
    """One installable piece of a mod's archive.

    ``kind`` is "server" (a folder under ``SPT/user/mods`` for 4.0, ``SPT_Runtime/user/mods`` for 4.1, or a 3.x
    ``user/mods`` package), "client" (``BepInEx/plugins/<folder>``; an empty folder means loose DLLs) or "patcher".
    ``sources`` are paths under ``app/sandbox/assemblies`` copied in as they are; a part without sources gets a
    helper-library DLL named after the folder, because only the sample mods have real compiled assemblies.
    """

    kind: str
    folder: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dependency:
    guid: str  # the GUID of the mod depended on
    constraint: str
    optional: bool = False


@dataclass
class ModVersion:
    id: int
    mod_id: int
    version: str
    spt_constraint: str  # raw, as the author typed it (may be padded, may be empty: "legacy")
    published_at: datetime | None
    dependencies: tuple[Dependency, ...] = ()
    fika: str = "unknown"
    layout: str = "4.0"  # "3.x", "4.0" or "4.1": decides where server parts go in the archive
    archive_format: str = "zip"
    direct_link: bool = True  # False: an old hub-era link to a landing page, not to a file
    disabled: bool = False
    hub_id: int | None = None
    downloads: int = 0
    description: str = ""
    virus_total: tuple[tuple[str, str], ...] = ()
    # Filled in by the catalogue and the archive builder:
    spt_versions: tuple[str, ...] = ()  # published SPT versions the constraint resolves to, ascending
    dependency_ids: tuple[int, ...] = ()  # ids of Dependency rows, parallel to `dependencies`
    archive_name: str | None = None
    content_length: int | None = None
    file_tree: tuple[str, ...] = ()

    @cached_property
    def parts(self) -> tuple[int, int, int, str]:
        """(major, minor, patch, labels) the way the Forge stores them; build metadata is not a label."""
        parsed = parse_version(self.version)
        return parsed.major, parsed.minor, parsed.patch, ".".join(str(p) for p in parsed.prerelease)

    @property
    def labels(self) -> str:
        return self.parts[3]

    @property
    def created_at(self) -> datetime:
        return (self.published_at or _date("2026-08-01")) - timedelta(hours=6)

    @property
    def updated_at(self) -> datetime:
        return (self.published_at or _date("2026-08-01")) + timedelta(hours=2)

    @property
    def is_legacy(self) -> bool:
        return self.spt_constraint.strip() == ""

    @property
    def verified(self) -> bool:
        """Whether automated verification passed: it is skipped for pre-4.0 mods, and needs a real file."""
        return self.layout in ("4.0", "4.1") and self.direct_link and self.archive_name is not None


@dataclass
class Mod:
    id: int
    guid: str
    name: str
    slug: str
    teaser: str
    owner: Author
    category_id: int
    license_id: int
    parts: tuple[Part, ...]
    versions: list[ModVersion] = field(default_factory=list)
    additional_authors: tuple[Author, ...] = ()
    source_code_links: tuple[tuple[str, str | None], ...] = ()
    description: str = ""
    hub_id: int | None = None
    featured: bool = False
    contains_ads: bool = False
    contains_ai_content: bool = False
    custom_ai_disclosure: str | None = None
    cheat_notice: bool = False
    fika_compatibility: bool = False
    shows_profile_binding_notice: bool = False
    disabled: bool = False
    unpublished: bool = False
    thumbnail: str = ""
    favourites_count: int = 0

    @property
    def published_at(self) -> datetime | None:
        if self.unpublished:
            return None
        dates = [v.published_at for v in self.versions if v.published_at is not None]
        return min(dates) - timedelta(hours=1) if dates else None

    @property
    def created_at(self) -> datetime:
        dates = [v.created_at for v in self.versions]
        return min(dates) - timedelta(days=3) if dates else _date("2025-01-01")

    @property
    def updated_at(self) -> datetime:
        dates = [v.updated_at for v in self.versions]
        return max(dates) if dates else self.created_at

    @property
    def downloads(self) -> int:
        return sum(v.downloads for v in self.versions)


@dataclass
class AddonVersion:
    id: int
    addon_id: int
    version: str
    mod_version_constraint: str
    published_at: datetime | None
    dependencies: tuple[Dependency, ...] = ()
    downloads: int = 0
    description: str = ""
    disabled: bool = False
    archive_name: str | None = None
    content_length: int | None = None
    file_tree: tuple[str, ...] = ()

    @cached_property
    def parts(self) -> tuple[int, int, int, str]:
        parsed = parse_version(self.version)
        return parsed.major, parsed.minor, parsed.patch, ".".join(str(p) for p in parsed.prerelease)

    @property
    def created_at(self) -> datetime:
        return (self.published_at or _date("2026-08-01")) - timedelta(hours=5)

    @property
    def updated_at(self) -> datetime:
        return (self.published_at or _date("2026-08-01")) + timedelta(hours=1)


@dataclass
class Addon:
    id: int
    guid: str
    name: str
    slug: str
    teaser: str
    mod_id: int
    owner: Author
    license_id: int
    files: tuple[tuple[str, str], ...]  # (path inside the archive, text content)
    versions: list[AddonVersion] = field(default_factory=list)
    description: str = ""
    detached_at: datetime | None = None
    contains_ads: bool = False
    contains_ai_content: bool = False
    source_code_links: tuple[tuple[str, str | None], ...] = ()

    @property
    def published_at(self) -> datetime | None:
        dates = [v.published_at for v in self.versions if v.published_at is not None]
        return min(dates) - timedelta(hours=1) if dates else None

    @property
    def created_at(self) -> datetime:
        return min(v.created_at for v in self.versions) - timedelta(days=1)

    @property
    def updated_at(self) -> datetime:
        return max(v.updated_at for v in self.versions)

    @property
    def downloads(self) -> int:
        return sum(v.downloads for v in self.versions)


@dataclass
class Catalogue:
    spt_versions: list[SptVersion]
    categories: list[Category]
    licenses: list[License]
    mods: list[Mod]
    addons: list[Addon] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rebuild lookups and derived fields; call after changing the lists."""
        self.mod_by_id = {m.id: m for m in self.mods}
        self.mod_by_guid = {m.guid.lower(): m for m in self.mods}
        self.version_by_id = {v.id: v for m in self.mods for v in m.versions}
        self.addon_by_id = {a.id: a for a in self.addons}
        self.addon_version_by_id = {v.id: v for a in self.addons for v in a.versions}
        self.category_by_id = {c.id: c for c in self.categories}
        self.license_by_id = {lic.id: lic for lic in self.licenses}
        published = tuple(s.version for s in self.spt_versions if s.publish_date is not None)
        dependency_id = 1
        for mod in self.mods:
            for version in mod.versions:
                version.spt_versions = _resolve_spt(version.spt_constraint, published)
                version.dependency_ids = tuple(range(dependency_id, dependency_id + len(version.dependencies)))
                dependency_id += len(version.dependencies)

    @property
    def published_spt_versions(self) -> list[SptVersion]:
        return [s for s in self.spt_versions if s.publish_date is not None]

    def spt(self, version: str) -> SptVersion | None:
        return next((s for s in self.spt_versions if s.version == version), None)


@lru_cache(maxsize=4096)
def _resolve_spt(constraint: str, published: tuple[str, ...]) -> tuple[str, ...]:
    """The published SPT versions a version's constraint resolves to (composer rules, as SptVersionService).

    Cached: every Forge builds the same catalogue, and composer's version normalisation is the slow part."""
    if not constraint.strip():
        return ()  # legacy: no SPT version at all
    try:
        return tuple(v for v in published if satisfies(v, constraint))
    except ValueError:
        return ()  # "Unknown SPT version": an unparsable constraint links nothing


# ----------------------------------------------------------------------------------------------------------
# The seeded catalogue
# ----------------------------------------------------------------------------------------------------------

_SPT_DATES = {
    "3.7.6": "2024-01-15", "3.8.3": "2024-05-10", "3.9.8": "2024-09-02", "3.10.5": "2025-01-12",
    "3.11.0": "2025-02-20", "3.11.1": "2025-03-05", "3.11.2": "2025-03-31", "3.11.3": "2025-04-08",
    "3.11.4": "2025-06-10",
    "4.0.0": "2025-10-01", "4.0.1": "2025-10-09", "4.0.2": "2025-10-20", "4.0.3": "2025-11-03",
    "4.0.4": "2025-11-17", "4.0.5": "2025-12-01", "4.0.6": "2025-12-15", "4.0.7": "2026-01-05",
    "4.0.8": "2026-01-19", "4.0.9": "2026-02-02", "4.0.10": "2026-02-23", "4.0.11": "2026-03-16",
    "4.0.12": "2026-04-13", "4.0.13": "2026-05-18",
    "4.1.0": "2026-06-08", "4.1.1": "2026-06-29", "4.1.2": "2026-07-20",
}
UNPUBLISHED_SPT_VERSION = "4.1.3"


def _spt_versions() -> list[SptVersion]:
    def colour(version: str) -> str:
        if version.startswith("4.1."):
            return "green"
        if version.startswith("4.0."):
            return "emerald"
        return "violet" if version.startswith("3.11.") else "gray"

    result = [SptVersion(i, v, _date(d + "T18:00:00"), colour(v)) for i, (v, d) in enumerate(_SPT_DATES.items(), 1)]
    result.append(SptVersion(len(result) + 1, UNPUBLISHED_SPT_VERSION, None, "green"))
    return result


_CATEGORIES = [
    Category(1, 12, "Weapons", "weapons", "Weapon mods and attachments"),
    Category(2, 13, "Gear", "gear", "Armor, rigs, and equipment"),
    Category(3, 14, "Gameplay", "gameplay", "Changes to how raids and progression play"),
    Category(4, 15, "Quality of Life", "quality-of-life", "Interface and convenience improvements"),
    Category(5, 16, "Bots & AI", "bots-ai", "Bot behaviour, spawns and difficulty"),
    Category(6, None, "Libraries", "libraries", "Shared code other mods depend on"),
    Category(7, 18, "Graphics & Audio", "graphics-audio", "Visuals, lighting, sound"),
    Category(8, 19, "Traders & Economy", "traders-economy", "Traders, flea market and prices"),
    Category(9, None, "Server Tools", "server-tools", "Co-op, headless clients and server administration"),
]

_LICENSES = [
    License(1, "MIT License", "MIT"),
    License(2, "GNU General Public License v3.0", "GPL-3.0"),
    License(3, "Apache License 2.0", "Apache-2.0"),
    License(4, "Creative Commons Attribution Non Commercial Share Alike 4.0", "CC-BY-NC-SA-4.0"),
    License(5, "The Unlicense", "Unlicense"),
    License(6, "All Rights Reserved", "ARR"),
]

_AUTHORS = {name: Author(i, name) for i, name in enumerate([
    "Ravenfall", "Project Fika", "moxie", "Nightjar", "Larkspur", "Oxbow", "WTT", "Solarint", "DrakiaXYZ",
    "IhanaMies", "DanW", "Kestrel", "ovrdrv", "Acme Modding", "Tyfon", "mpstark", "Amands2Mello", "Fontaine",
    "Borkel", "Eukyre", "Old Mate", "Pinecone",
], start=11)}

# Helper libraries stand in for the DLLs of mods that have no compiled test assembly (see Part).
SERVER_FILLER = "server-4.0/HideoutAutomation.Common.dll"
CLIENT_FILLER = "client/TacticalHUD.Shared.dll"


class _Builder:
    """Collects mods with sequential version ids, so the data below reads like a table."""

    def __init__(self) -> None:
        self.mods: list[Mod] = []
        self.next_version_id = 5001

    def mod(self, mod_id: int, guid: str, name: str, slug: str, owner: str, *, category: int, license_id: int = 1,
            parts: Iterable[Part], teaser: str, **extra: object) -> Mod:
        mod = Mod(mod_id, guid, name, slug, teaser, _AUTHORS[owner], category, license_id, tuple(parts), **extra)
        mod.description = mod.description or f"{teaser} Read the full documentation on the mod's page."
        if not mod.source_code_links:
            mod.source_code_links = ((f"https://github.com/{owner.lower().replace(' ', '-')}/{slug}", None),)
        mod.favourites_count = mod.favourites_count or _spread(guid + "fav", 3, 900)
        self.mods.append(mod)
        return mod

    def version(self, mod: Mod, version: str, spt: str, published: str | None, *deps: tuple[str, str],
                **extra: object) -> ModVersion:
        entry = ModVersion(
            self.next_version_id, mod.id, version, spt, _date(published + "T12:00:00") if published else None,
            dependencies=tuple(Dependency(g, c) for g, c in deps), **extra)  # type: ignore[arg-type]
        entry.downloads = entry.downloads or _spread(f"{mod.guid}@{version}", 40, 25000)
        entry.description = entry.description or f"Changes in {mod.name} {version}: fixes and improvements."
        if not entry.virus_total and entry.direct_link:
            digest = f"{zlib.crc32(f'{mod.guid}{version}'.encode()):08x}" * 8
            entry.virus_total = ((f"https://www.virustotal.com/gui/file/{digest}", f"{mod.slug}-{version}"),)
        self.next_version_id += 1
        mod.versions.append(entry)
        return entry


def _server(folder: str, *sources: str) -> Part:
    return Part("server", folder, tuple(sources))


def _client(folder: str, *sources: str) -> Part:
    return Part("client", folder, tuple(sources))


# GUIDs used across the dependency data
BSK, FIKA, HIDEOUT, LOOTPULSE, TRADERTIMERS = (
    "com.ravenfall.betterscavkarma", "com.fika.server", "io.github.moxie.hideoutautomation",
    "com.nightjar.lootpulse", "dev.larkspur.tradertimers")
COMMONLIB, CORELIB, SHAREDUI = "com.wtt.commonlib", "com.ravenfall.corelib", "com.nightjar.sharedui"
SAIN, BIGBRAIN, WAYPOINTS = "me.sol.sain", "xyz.drakia.bigbrain", "xyz.drakia.waypoints"
FLEATWEAKS, STASHSORTER, RAIDREVIEW, RAIDCORE = (
    "com.kestrel.fleatweaks", "dev.larkspur.stashsorter", "com.ovrdrv.raidreview", "com.ovrdrv.raidcore")
SQUAD_TACTICS, SQUAD_COMMS, SQUAD_MARKERS, SQUAD_CORE = (
    "com.acme.squadtactics", "com.acme.squadcomms", "com.acme.squadmarkers", "com.acme.squadcore")


def _scenario_40(b: _Builder) -> None:
    """The mods of the SPT 4.0 sample install and what they depend on."""
    m = b.mod(1877, BSK, "Better Scav Karma", "better-scav-karma", "Ravenfall", category=3,
              parts=[_server("BetterScavKarma", "server-4.0/BetterScavKarma.dll")],
              teaser="Scav karma that remembers what you did.", fika_compatibility=True, hub_id=None)
    old = ((CORELIB, "~1.2.0"), (COMMONLIB, "^2.0.0"))
    b.version(m, "0.9.12", "~4.0.0", "2025-10-20", *old, fika="compatible")
    b.version(m, "0.9.13", "~4.0.0", "2025-12-02", *old, fika="compatible")
    b.version(m, "0.9.14", "~4.0.0", "2026-01-22", *old, (TRADERTIMERS, "~1.4.0"), fika="compatible")
    b.version(m, "0.9.15", "~4.0.0", "2026-03-20", *old, (TRADERTIMERS, "~1.4.0"), fika="compatible",
              archive_format="7z")
    b.version(m, "1.0.0", "~4.1.0", "2026-06-15", (CORELIB, "^1.3.0"), (COMMONLIB, "^2.1.0"), layout="4.1",
              fika="compatible")

    m = b.mod(2326, FIKA, "Fika Server", "fika-server", "Project Fika", category=9, license_id=4,
              parts=[_server("fika-server", "server-4.0/Fika.Server.dll")], featured=True, fika_compatibility=True,
              teaser="The server half of Fika, co-op for SPT.",
              source_code_links=(("https://github.com/project-fika/Fika-Server-CSharp", "GitHub"),))
    b.version(m, "2.3.2", ">=4.0.9 <4.1.0", "2026-01-25", fika="compatible")
    b.version(m, "2.3.3", ">=4.0.10 <4.1.0", "2026-02-28", fika="compatible")
    b.version(m, "2.3.4", ">=4.0.11 <4.1.0", "2026-03-20", fika="compatible", archive_format="7z")
    b.version(m, "2.4.0", "~4.1.0", "2026-06-20", fika="compatible", layout="4.1")

    m = b.mod(2140, HIDEOUT, "Hideout Automation", "hideout-automation", "moxie", category=4, license_id=2,
              parts=[_server("HideoutAutomation", "server-4.0/HideoutAutomation.dll",
                             "server-4.0/HideoutAutomation.Common.dll")],
              teaser="Crafts and collects in your hideout while you raid.")
    b.version(m, "0.9.0", "4.0.x", "2025-11-10")
    b.version(m, "1.0.0-beta.1", "4.0.x", "2026-02-10")
    b.version(m, "1.0.0-beta.2", "4.0.x", "2026-03-01")
    b.version(m, "1.0.0", "4.0.x", "2026-04-02", fika="incompatible")
    b.version(m, "1.1.0-beta.1", "~4.1.0", "2026-06-25", layout="4.1")

    m = b.mod(2291, LOOTPULSE, "LootPulse", "lootpulse", "Nightjar", category=4,
              parts=[_server("LootPulse", "server-4.0/LootPulse.Server.dll"),
                     _server("LootPulse/compat", "server-4.0/LootPulse.Compat.dll"),
                     _client("LootPulse", "client/LootPulse.Client.dll")],
              additional_authors=(_AUTHORS["Kestrel"], _AUTHORS["ovrdrv"]), fika_compatibility=True,
              teaser="Highlights valuable loot with a pulse you can hear.")
    pulse_deps = ((COMMONLIB, "^2.0.0"), (SHAREDUI, ">=1.1.0 <2.0.0"))
    b.version(m, "1.7.0", "~4.0.0", "2025-11-20", *pulse_deps, fika="compatible")
    b.version(m, "1.7.2+a", "~4.0.0", "2026-01-10", *pulse_deps, fika="compatible")
    b.version(m, "1.7.3+b", "~4.0.0", "2026-02-14", *pulse_deps, fika="compatible")
    b.version(m, "1.7.4", "~4.0.0", "2026-04-01", *pulse_deps, fika="compatible", archive_format="7z")
    b.version(m, "1.8.0", "~4.1.0", "2026-06-18", (COMMONLIB, "^2.1.0"), (SHAREDUI, "^1.2.0"), layout="4.1",
              fika="compatible")

    m = b.mod(2410, TRADERTIMERS, "Trader Timers", "trader-timers", "Larkspur", category=8, license_id=3,
              parts=[_server("TraderTimers", "server-4.0/Larkspur.TraderTimers.dll")],
              teaser="Shows when every trader restocks.")
    b.version(m, "1.4.0", "~4.0.0", "2025-12-10")
    b.version(m, "1.4.2", "~4.0.0", "2026-02-01")
    b.version(m, "1.5.0", ">=4.0.10 <4.1.0", "2026-04-10", (LOOTPULSE, "^2.0.0"))
    b.version(m, "2.0.0", "~4.1.0", "2026-06-22", layout="4.1")

    m = b.mod(1502, "com.oxbow.ammotools.stats", "AmmoTools", "ammotools", "Oxbow", category=1,
              parts=[_client("", "client/AmmoTools.dll")], teaser="Ammo stats and loadout helpers in the inventory.")
    for version, date in (("0.8.0", "2025-03-01"), ("0.8.1", "2025-04-02"), ("0.8.2", "2025-05-20")):
        b.version(m, version, "~3.11.0", date, layout="3.x")

    m = b.mod(1990, "com.ravenfall.tactical-hud", "TacticalHUD", "tacticalhud", "Ravenfall", category=4,
              parts=[_client("TacticalHUD", "client/TacticalHUD.dll", "client/TacticalHUD.Shared.dll")],
              teaser="A compact tactical HUD: compass, ammo count and squad markers.")
    b.version(m, "2.0.0", "~4.0.0", "2025-11-05", (CORELIB, "~1.2.0"))
    b.version(m, "2.1.0", "~4.0.0", "2026-01-28", (CORELIB, "~1.2.0"), (BIGBRAIN, ">=1.2.0"))
    b.version(m, "2.2.0", "~4.0.0", "2026-04-20", (CORELIB, "~1.2.0"), (BIGBRAIN, ">=1.2.0"))
    b.version(m, "2.3.0", "~4.1.0", "2026-07-01", (CORELIB, "^1.3.0"), layout="4.1")

    m = b.mod(1650, COMMONLIB, "WTT-CommonLib", "wtt-commonlib", "WTT", category=6,
              parts=[_server("WTT-CommonLib")], teaser="Shared items, traders and quests API for WTT mods.")
    b.version(m, "2.0.0", "~4.0.0", "2025-10-05", fika="compatible")
    b.version(m, "2.0.3", "~4.0.0", "2026-01-03", fika="compatible")
    b.version(m, "2.1.0", "~4.1.0", "2026-06-10", fika="compatible", layout="4.1")
    b.version(m, "2.1.1", "~4.1.0", "2026-07-05", fika="compatible", layout="4.1")

    m = b.mod(1876, CORELIB, "Ravenfall CoreLib", "ravenfall-corelib", "Ravenfall", category=6,
              parts=[_server("RavenfallCoreLib"), _client("RavenfallCoreLib")],
              teaser="Common code for Ravenfall's mods, server and client.")
    b.version(m, "1.2.0", "~4.0.0", "2025-10-10")
    b.version(m, "1.2.3", "~4.0.0", "2026-02-05")
    b.version(m, "1.3.0", "~4.1.0", "2026-06-12", layout="4.1")

    m = b.mod(2290, SHAREDUI, "Nightjar SharedUI", "nightjar-sharedui", "Nightjar", category=6,
              parts=[_client("SharedUI")], teaser="UI widgets shared by Nightjar's plugins.")
    b.version(m, "1.1.0", "~4.0.0", "2025-11-01")
    b.version(m, "1.1.4", "~4.0.0", "2026-01-15")
    b.version(m, "1.2.0", "~4.1.0", "2026-06-14", layout="4.1")


def _scenario_3x(b: _Builder) -> None:
    """The mods of the SPT 3.x sample install (package.json names; the Forge knows them by real GUIDs)."""
    m = b.mod(1126, SAIN, "SAIN", "sain", "Solarint", category=5, hub_id=1226, featured=True,
              parts=[_server("SAIN")], teaser="Solarint's AI Modifications: smarter, scarier bots.")
    b.version(m, "3.1.0", "~3.11.0", "2025-02-25", (BIGBRAIN, "^1.2.0"), (WAYPOINTS, "~1.6.0"), layout="3.x")
    b.version(m, "3.2.0", "~3.11.0", "2025-03-20", (BIGBRAIN, "^1.3.0"), (WAYPOINTS, "~1.6.0"), layout="3.x")
    b.version(m, "3.2.1", "~3.11.0", "2025-04-12", (BIGBRAIN, "^1.3.0"), (WAYPOINTS, "~1.6.0"), layout="3.x")
    b.version(m, "3.2.2", "~3.11.0", "2025-06-15", (BIGBRAIN, "^1.3.0"), (WAYPOINTS, "~1.6.0"), layout="3.x",
              archive_format="7z")
    b.version(m, "4.0.0", "~4.0.0", "2025-10-30", (BIGBRAIN, "^1.4.0"), (WAYPOINTS, "^1.8.0"))

    m = b.mod(1090, BIGBRAIN, "BigBrain", "bigbrain", "DrakiaXYZ", category=6, hub_id=1190,
              parts=[_server("BigBrain")], teaser="A library that lets mods replace bot brains.")
    b.version(m, "1.2.0", ">=3.10.0 <3.12.0", "2025-01-20", layout="3.x")
    b.version(m, "1.2.5", "~3.11.0", "2025-02-28", layout="3.x")
    b.version(m, "1.3.0", "~3.11.0", "2025-03-15", layout="3.x")
    b.version(m, "1.3.2", ">=3.11.0 <3.12.0", "2025-04-05", layout="3.x")
    b.version(m, "1.4.0", "~4.0.0", "2025-10-08")

    m = b.mod(1091, WAYPOINTS, "Waypoints", "waypoints", "DrakiaXYZ", category=5, hub_id=1191,
              parts=[_server("Waypoints")], teaser="Expanded bot navigation meshes and waypoints.")
    b.version(m, "1.6.0", "~3.11.0", "2025-02-22", (BIGBRAIN, "~1.2.0"), layout="3.x")
    b.version(m, "1.6.4", "~3.11.0", "2025-04-01", (BIGBRAIN, "^1.3.0"), layout="3.x")
    b.version(m, "1.7.0", "~3.11.0", "2025-06-01", (BIGBRAIN, "^1.3.0"), layout="3.x")
    b.version(m, "1.8.0", "~4.0.0", "2025-10-15", (BIGBRAIN, "^1.4.0"))

    m = b.mod(877, "com.ihanamies.lootvalue", "LootValue", "lootvalue", "IhanaMies", category=4, hub_id=977,
              parts=[_server("LootValue")], teaser="Shows what loot is worth, and sells it in one click.")
    b.version(m, "2.9.0", "", "2023-09-01", layout="3.x", direct_link=False, hub_id=4410)
    b.version(m, "3.0.0", "", "2023-12-10", layout="3.x", direct_link=False, hub_id=4688)
    b.version(m, "3.0.1", "~3.7.0", "2024-02-01", layout="3.x")

    m = b.mod(1109, "com.danw.sptquestingbots", "Questing Bots", "questing-bots", "DanW", category=5, hub_id=1209,
              parts=[_server("QuestingBots")], teaser="Bots that run quests, loot and roam the map.")
    deps = ((BIGBRAIN, ">=1.3.0"), (WAYPOINTS, ">=1.6.0"))
    b.version(m, "0.10.2", "~3.11.0", "2025-03-10", *deps, layout="3.x")
    b.version(m, "0.10.3", "~3.11.0", "2025-04-20", *deps, layout="3.x")
    b.version(m, "0.10.4", "~3.11.0", "2025-06-20", *deps, layout="3.x")


def _scenario_41(b: _Builder) -> None:
    """The mods of the SPT 4.1 sample install, and RaidCore, the middle of a dependency chain."""
    m = b.mod(3120, FLEATWEAKS, "FleaTweaks", "fleatweaks", "Kestrel", category=8,
              parts=[_server("FleaTweaks", "server-4.1/FleaTweaks.dll")], additional_authors=(_AUTHORS["Nightjar"],),
              teaser="Flea market rules you can tune.")
    deps = ((COMMONLIB, "^2.1.0"), (LOOTPULSE, "~1.7"))
    b.version(m, "3.0.0", "~4.1.0", "2026-06-12", *deps, layout="4.1")
    b.version(m, "3.0.1", "~4.1.0", "2026-06-30", *deps, layout="4.1")
    b.version(m, "3.1.0", "~4.1.0", "2026-07-25", *deps, layout="4.1", archive_format="7z")

    m = b.mod(3188, STASHSORTER, "Stash Sorter", "stash-sorter", "Larkspur", category=4,
              parts=[_server("StashSorter", "server-4.1/Larkspur.StashSorter.dll")], teaser="Sorts your stash.")
    b.version(m, "2.0.0", "~4.1.0", "2026-06-15", (FLEATWEAKS, "^3.0.0"), layout="4.1")
    b.version(m, "2.0.5", ">=4.1.0 <4.2.0", "2026-07-02", (FLEATWEAKS, "^3.0.0"), layout="4.1")
    b.version(m, "2.1.0", "~4.1.1", "2026-07-28", (FLEATWEAKS, "^4.0.0"), layout="4.1")

    m = b.mod(3305, RAIDREVIEW, "Raid Review", "raid-review", "ovrdrv", category=3, license_id=5,
              parts=[_server("RaidReview", "server-4.1/RaidReview.dll")], teaser="A timeline of your last raid.")
    b.version(m, "0.9.0", "~4.1.0", "2026-06-20", layout="4.1")
    b.version(m, "0.9.1", "~4.1.2", "2026-07-22", layout="4.1")
    b.version(m, "1.0.0", "~4.1.2", "2026-08-01", (RAIDCORE, "^1.0.0"), layout="4.1")

    m = b.mod(3306, RAIDCORE, "RaidCore", "raidcore", "ovrdrv", category=6, license_id=5,
              parts=[_server("RaidCore")], teaser="Raid event recording shared by ovrdrv's mods.")
    b.version(m, "0.9.0", "~4.1.0", "2026-06-20", layout="4.1")
    b.version(m, "0.9.5", "~4.1.0", "2026-07-10", layout="4.1")
    b.version(m, "1.0.0", "~4.1.0", "2026-07-30", (FLEATWEAKS, ">=3.1.0"), layout="4.1")


def _diamond(b: _Builder) -> None:
    """A diamond: Squad Tactics needs Comms and Markers, which both need Core, with overlapping ranges."""
    m = b.mod(2501, SQUAD_TACTICS, "Squad Tactics", "squad-tactics", "Acme Modding", category=3,
              parts=[_server("SquadTactics"), _client("SquadTactics")], teaser="Give orders to your squad.")
    for version, date in (("1.0.0", "2025-11-01"), ("1.1.0", "2026-01-10"), ("1.2.0", "2026-03-20")):
        b.version(m, version, "~4.0.0", date, (SQUAD_COMMS, "^1.0.0"), (SQUAD_MARKERS, "^2.0.0"))
    m = b.mod(2502, SQUAD_COMMS, "Squad Comms", "squad-comms", "Acme Modding", category=3,
              parts=[_client("SquadComms")], teaser="Radio chatter and call-outs for your squad.")
    for version, date in (("1.0.0", "2025-10-25"), ("1.1.0", "2026-01-05"), ("1.2.0", "2026-03-18")):
        b.version(m, version, "~4.0.0", date, (SQUAD_CORE, ">=1.0.0 <1.4.0"))
    m = b.mod(2503, SQUAD_MARKERS, "Squad Markers", "squad-markers", "Acme Modding", category=4,
              parts=[_client("SquadMarkers")], teaser="Ping locations for your squad.")
    for version, date in (("2.0.0", "2025-10-28"), ("2.0.1", "2025-12-12"), ("2.1.0", "2026-03-19")):
        b.version(m, version, "~4.0.0", date, (SQUAD_CORE, "^1.2.0"))
    m = b.mod(2504, SQUAD_CORE, "Squad Core", "squad-core", "Acme Modding", category=6,
              parts=[_server("SquadCore"), _client("SquadCore")], teaser="The squad framework.")
    for version, date in (("1.0.0", "2025-10-20"), ("1.2.0", "2025-12-01"), ("1.3.5", "2026-02-10"),
                          ("1.5.0", "2026-04-01")):
        b.version(m, version, "~4.0.0", date)


def _others(b: _Builder) -> None:
    """Mods that show the remaining rules: prereleases, build metadata, legacy, hidden mods and versions."""
    m = b.mod(2620, "com.acme.ballistics", "Ballistics Overhaul", "ballistics-overhaul", "Acme Modding", category=1,
              parts=[_server("BallisticsOverhaul")], teaser="Reworked penetration and armor damage.")
    b.version(m, "1.9.0", "~4.0.0", "2025-12-01")
    b.version(m, "2.0.0-alpha.1", "~4.0.0", "2026-02-01")
    b.version(m, "2.0.0-alpha.2", "~4.0.0", "2026-03-01")
    b.version(m, "2.0.0-beta.1", "~4.0.0", "2026-04-01")

    m = b.mod(1400, "com.mpstark.dynamicmaps", "Dynamic Maps", "dynamic-maps", "mpstark", category=4,
              parts=[_client("DynamicMaps")], teaser="An in-game map that follows you.", fika_compatibility=True)
    b.version(m, "1.0.1", "~4.0.0", "2025-10-20", fika="compatible")
    b.version(m, "1.0.2+a", "~4.0.0", "2025-12-20", fika="compatible")
    b.version(m, "1.0.2+b", "~4.0.0", "2026-01-05", fika="compatible")
    b.version(m, "1.1.0+h4", "~4.1.0", "2026-06-30", fika="compatible", layout="4.1")

    m = b.mod(1372, "com.tyfon.uifixes", "UI Fixes", "ui-fixes", "Tyfon", category=4, featured=True,
              parts=[_client("Tyfon.UIFixes")], teaser="Dozens of small fixes to the inventory and menus.")
    b.version(m, "4.0.0", "~4.0.0", "2025-10-12")
    b.version(m, "4.0.1", " 4.0.10 ", "2026-02-25")
    b.version(m, "4.1.0+hotfix", "~4.1.0", "2026-06-11", layout="4.1")

    m = b.mod(1201, "com.amands.graphics", "Amands's Graphics", "amandss-graphics", "Amands2Mello", category=7,
              parts=[_client("AmandsGraphics")], teaser="Lighting and post-processing overhaul.", featured=True)
    b.version(m, "1.6.0", "~3.11.0", "2025-03-02", layout="3.x")
    b.version(m, "2.0.0", "~4.0.0", "2025-10-15")
    b.version(m, "2.0.3", "~4.0.0", "2026-02-12")
    b.version(m, "2.1.0", "~4.1.0", "2026-06-16", layout="4.1")

    m = b.mod(1003, "com.fontaine.realism", "SPT Realism", "spt-realism", "Fontaine", category=3, featured=True,
              parts=[_server("Realism"), _client("RealismMod")], teaser="Ballistics, medical and recoil realism.",
              contains_ai_content=True, custom_ai_disclosure="Icons were generated with AI tools.")
    b.version(m, "1.5.0", "~3.11.0", "2025-03-12", layout="3.x")
    b.version(m, "1.6.0", "~4.0.0", "2025-11-02")
    b.version(m, "1.6.2", "~4.0.0", "2026-03-01")
    b.version(m, "1.7.0", "~4.1.0", "2026-06-24", layout="4.1")

    m = b.mod(1312, "com.borkel.nvgmasks", "Borkel's Realistic Night Vision", "borkels-realistic-night-vision",
              "Borkel", category=7, parts=[_client("RealisticNightVision")], teaser="Night vision that looks right.")
    b.version(m, "1.4.0", "~3.11.0", "2025-03-08", layout="3.x")
    b.version(m, "1.5.0", "~4.0.0", "2025-10-30")
    b.version(m, "1.5.1", "~4.0.0", "2026-01-30")

    m = b.mod(2327, "com.fika.headless", "Fika Headless", "fika-headless", "Project Fika", category=9, license_id=4,
              parts=[_client("Fika.Headless")], teaser="Host Fika raids from a headless client.",
              fika_compatibility=True)
    for version, date in (("1.0.0", "2026-01-25"), ("1.1.0", "2026-02-28"), ("1.2.0", "2026-03-21")):
        b.version(m, version, ">=4.0.9 <4.1.0", date, (FIKA, "^2.3.0"), fika="compatible")

    m = b.mod(1050, "com.eukyre.iteminfo", "Item Info", "item-info", "Eukyre", category=4, hub_id=1150,
              parts=[_server("ItemInfo")], teaser="Extra item details in descriptions.")
    b.version(m, "4.2.0", "~3.10.0", "2025-01-20", layout="3.x")
    b.version(m, "4.3.0", "~3.11.0", "2025-03-01", layout="3.x")
    b.version(m, "4.3.1", "~3.11.0", "2025-05-01", layout="3.x")

    m = b.mod(2701, "com.acme.gunsmithpresets", "Gunsmith Presets", "gunsmith-presets", "Acme Modding", category=1,
              parts=[_server("GunsmithPresets")], teaser="Presets for every gunsmith task.", contains_ads=True,
              contains_ai_content=True)
    for version, date in (("1.0.0", "2025-11-11"), ("1.0.1", "2025-12-24"), ("1.1.0", "2026-02-20")):
        b.version(m, version, "~4.0.0", date)

    m = b.mod(2702, "com.acme.lootradius", "Loot Radius", "loot-radius", "Acme Modding", category=3,
              parts=[_client("LootRadius")], teaser="Loot everything around you from one window.", cheat_notice=True)
    for version, date in (("1.0.0", "2025-10-22"), ("1.1.0", "2026-01-12"), ("1.2.0", "2026-03-25")):
        b.version(m, version, "~4.0.0", date)

    m = b.mod(640, "com.oldmate.legacyhud", "Legacy HUD", "legacy-hud", "Old Mate", category=4, hub_id=740,
              parts=[_client("LegacyHUD")], teaser="The HUD from the hub days.")
    for version, date in (("1.0.0", "2022-05-01"), ("1.1.0", "2022-09-01"), ("1.2.0", "2023-02-01")):
        b.version(m, version, "", date, layout="3.x")

    m = b.mod(2703, "com.acme.brokenmod", "Broken Mod", "broken-mod", "Acme Modding", category=3, disabled=True,
              parts=[_server("BrokenMod")], teaser="Disabled by the moderators.")
    for version, date in (("1.0.0", "2025-11-01"), ("1.0.1", "2025-12-01"), ("1.0.2", "2026-01-01")):
        b.version(m, version, "~4.0.0", date)

    m = b.mod(2704, "com.acme.upcoming", "Upcoming Mod", "upcoming-mod", "Acme Modding", category=3, unpublished=True,
              parts=[_server("UpcomingMod")], teaser="Not published yet.")
    for version in ("0.1.0", "0.2.0", "0.3.0"):
        b.version(m, version, "~4.1.0", None, layout="4.1")

    m = b.mod(2705, "com.acme.weather", "Weather Control", "weather-control", "Acme Modding", category=3,
              parts=[_server("WeatherControl")], teaser="Pick the weather before a raid.")
    b.version(m, "1.0.0", "~4.0.0", "2025-11-15")
    b.version(m, "1.1.0", "~4.0.0", "2026-01-15")
    b.version(m, "1.2.0", "~4.0.0", "2026-02-15", disabled=True)
    b.version(m, "1.3.0", "~4.0.0", None)

    m = b.mod(2706, "com.acme.tradertinker", "Trader Tinker", "trader-tinker", "Acme Modding", category=8,
              parts=[_server("TraderTinker")], teaser="Edit trader assortments in game.")
    b.version(m, "1.0.0", "~4.1.0", "2026-06-10", layout="4.1")
    b.version(m, "1.0.1", "~4.1.0", "2026-07-01", layout="4.1")
    b.version(m, "1.1.0", "~4.1.0", "2026-07-21", layout="4.1")
    b.version(m, "1.2.0", "~4.1.3", "2026-08-02", layout="4.1")  # only for an SPT version not yet published


def _addons(b: _Builder) -> list[Addon]:
    next_id = iter(range(901, 1000))

    def version(addon: Addon, text: str, constraint: str, date: str, *deps: tuple[str, str]) -> None:
        addon.versions.append(AddonVersion(
            next(next_id), addon.id, text, constraint, _date(date + "T15:00:00"),
            tuple(Dependency(g, c) for g, c in deps), downloads=_spread(addon.slug + text, 10, 3000),
            description=f"{addon.name} {text}"))

    sounds = Addon(1, "com.nightjar.lootpulse.sounds", "LootPulse Sound Pack", "lootpulse-sound-pack",
                   "More pulse sounds for LootPulse.", 2291, _AUTHORS["Nightjar"], 1,
                   (("SPT/user/mods/LootPulse/sounds/rare.ogg", "OggS sample: rare"),
                    ("SPT/user/mods/LootPulse/sounds/legendary.ogg", "OggS sample: legendary")),
                   description="Adds twelve new pulse sounds to LootPulse.")
    version(sounds, "1.0.0", "~1.7.0", "2025-12-01", (LOOTPULSE, "~1.7.0"))
    version(sounds, "1.1.0", "^1.7.3", "2026-02-20", (LOOTPULSE, "^1.7.3"), (SHAREDUI, "^1.1.0"))
    version(sounds, "1.2.0", "^1.8.0", "2026-06-20", (LOOTPULSE, "^1.8.0"))
    presets = Addon(2, "me.sol.sain.presets", "SAIN Personality Presets", "sain-personality-presets",
                    "Ready-made bot personalities for SAIN.", 1126, _AUTHORS["Solarint"], 1,
                    (("user/mods/SAIN/presets/hardcore.json", '{"preset": "hardcore"}'),),
                    description="Five personality presets for SAIN.")
    version(presets, "1.0.0", "^3.2.0", "2025-04-01", (SAIN, "^3.2.0"))
    version(presets, "1.0.1", "^3.2.0", "2025-06-20", (SAIN, "^3.2.0"))
    tables = Addon(3, "com.fontaine.realism.ammotables", "Realism Ammo Tables", "realism-ammo-tables",
                   "Printable ammo tables for SPT Realism.", 1003, _AUTHORS["Fontaine"], 6,
                   (("SPT/user/mods/Realism/tables/ammo.json", '{"tables": []}'),),
                   detached_at=_date("2026-05-01T10:00:00"))
    version(tables, "0.5.0", "^1.6.0", "2025-11-20")
    version(tables, "0.6.0", "^1.6.0", "2026-03-05")
    return [sounds, presets, tables]


def default_catalogue() -> Catalogue:
    """The seeded catalogue (a fresh copy each call: downloads counters are per Forge)."""
    b = _Builder()
    _scenario_40(b)
    _scenario_3x(b)
    _scenario_41(b)
    _diamond(b)
    _others(b)
    addons = _addons(b)
    return Catalogue(_spt_versions(), list(_CATEGORIES), list(_LICENSES), b.mods, addons)


# ----------------------------------------------------------------------------------------------------------
# Synthetic mods for benchmarks
# ----------------------------------------------------------------------------------------------------------

SYNTHETIC_VERSIONS = ("1.0.0", "1.1.0", "1.2.0")


def _synthetic_guid(index: int, count: int) -> str:
    return f"com.bench.mod{index:0{max(3, len(str(count - 1)))}d}"


def synthetic_installed(count: int) -> list[tuple[str, str]]:
    """(GUID, installed version) for the synthetic mods: every third is up to date, the rest have updates."""
    return [(_synthetic_guid(i, count), SYNTHETIC_VERSIONS[2 if i % 3 == 0 else i % 2])
            for i in range(count)]


def synthetic_catalogue(count: int, spt_version: str = "3.11.2") -> Catalogue:
    """The seeded catalogue plus `count` generated mods ``com.bench.mod000``… for benchmarks.

    Each generated mod has three versions (1.0.0, 1.1.0, 1.2.0) for the minor line of `spt_version`; every
    fifth one depends on its predecessor (``^1.0.0``), so dependency checks have work to do. Install them at the
    versions `synthetic_installed(count)` gives: a third are up to date, the rest get an update to 1.2.0.
    """
    catalogue = default_catalogue()
    base = parse_version(spt_version)
    layout = "3.x" if base.major < 4 else "4.1" if (base.major, base.minor) == (4, 1) else "4.0"
    constraint = f"~{base.major}.{base.minor}.0"
    b = _Builder()
    b.next_version_id = 100_001
    for index in range(count):
        guid = _synthetic_guid(index, count)
        mod = b.mod(50_000 + index, guid, f"Bench Mod {index:03d}", f"bench-mod-{index:03d}", "Acme Modding",
                    category=3, parts=[_server(f"BenchMod{index:03d}")], teaser="A generated mod for benchmarks.",
                    source_code_links=(("https://example.invalid/bench", None),))
        deps = ((_synthetic_guid(index - 1, count), "^1.0.0"),) if index and index % 5 == 0 else ()
        for number, version in enumerate(SYNTHETIC_VERSIONS):
            b.version(mod, version, constraint, f"2025-0{number + 1}-15", *deps, layout=layout)
    catalogue.mods.extend(b.mods)
    catalogue.reindex()
    return catalogue
