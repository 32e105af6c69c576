"""Typed models of the Forge API v0: request filters and response objects.

Every response model tolerates fields it does not know (`extra="allow"`: they stay readable through
`model.model_extra`), because the Forge adds fields without notice. Wrong types are rejected. Fields that a
`fields=` request parameter can strip are optional; only the ones the Forge always sends are required.

Where the API changed over time, the models normalise the differences (see reference §1):
- `spt_version_constraint`, `version_constraint` and `mod_version_constraint` are trimmed (live answers pad them).
- `fika_compatibility` is a bool on mods and a string on versions; mods keep `bool`, versions get `FikaCompatibility`
  (an unknown word becomes `UNKNOWN` rather than an error, so a new Forge value cannot break an update check).
- `additional_authors` was once called `authors`; both are read.
- A version's `dependencies` were once mod objects with their matching `versions`; both shapes are read into
  `VersionDependency`.
- `/mods/dependencies` answered a flat array (with `required_by`) before 2026-07-28 and an object keyed by queried
  pair since; both become one `DependencyResult` (built by `app.net.forge`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

T = TypeVar("T")

# The Forge's own download route (`/mod/download/{id}/{slug}/{version}`): a 307 to the file host, limited to
# 5 requests per minute per mod. Older versions still carry raw external links instead.
_FORGE_DOWNLOAD_PATH = re.compile(r"^https?://[^/]+/mod/download/\d+/", re.IGNORECASE)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _empty_list_to_none(value: Any) -> Any:
    # PHP serialises an empty associative array as `[]`, so an empty object can arrive as a list.
    return None if value == [] else value


Trimmed = Annotated[str, BeforeValidator(_strip)]
Timestamp = Annotated[datetime | None, BeforeValidator(_blank_to_none)]


class FikaCompatibility(StrEnum):
    COMPATIBLE = "compatible"
    INCOMPATIBLE = "incompatible"
    UNKNOWN = "unknown"


def _fika_level(value: Any) -> Any:
    if isinstance(value, bool):  # the mod-level form; "not flagged compatible" is not a known incompatibility
        return FikaCompatibility.COMPATIBLE if value else FikaCompatibility.UNKNOWN
    if isinstance(value, str):
        word = value.strip().lower()
        return FikaCompatibility(word) if word in FikaCompatibility._value2member_map_ else FikaCompatibility.UNKNOWN
    return value


def _fika_flag(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in FikaCompatibility._value2member_map_:
        return value.strip().lower() == FikaCompatibility.COMPATIBLE
    return value


FikaLevel = Annotated[FikaCompatibility, BeforeValidator(_fika_level)]
FikaFlag = Annotated[bool, BeforeValidator(_fika_flag)]


class ForgeModel(BaseModel):
    """Base of every response model: unknown fields are kept, wrong types are rejected."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Downloadable(ForgeModel):
    """A mod version shape with a download `link`."""

    link: str | None = None

    @property
    def link_is_forge_redirect(self) -> bool:
        """True for the Forge's own download route (rate-limited to 5 per minute per mod); False for a raw
        external link, which older versions still carry and which is not always a direct download."""
        return bool(self.link and _FORGE_DOWNLOAD_PATH.match(self.link))


# --- pagination (§1.5) --------------------------------------------------------------------------------------------


class PageLinks(ForgeModel):
    first: str | None = None
    last: str | None = None
    prev: str | None = None
    next: str | None = None


class PageMetaLink(ForgeModel):
    url: str | None = None
    label: str = ""
    page: int | None = None  # absent in the seed document, present in live answers
    active: bool = False


class PageMeta(ForgeModel):
    current_page: int
    from_: int | None = Field(default=None, alias="from")
    last_page: int
    links: list[PageMetaLink] = Field(default_factory=list)
    path: str | None = None
    per_page: int
    to: int | None = None
    total: int


class Page(ForgeModel, Generic[T]):
    """One page of a paginated collection: the items (the envelope's `data`), `links` and `meta`."""

    items: list[T]
    links: PageLinks
    meta: PageMeta

    @property
    def has_next(self) -> bool:
        # meta is authoritative: links.next is built from the request URL and says nothing more.
        return self.meta.current_page < self.meta.last_page


# --- users and small objects --------------------------------------------------------------------------------------


class Role(ForgeModel):
    id: int
    name: str | None = None
    short_name: str | None = None
    description: str | None = None
    color_class: str | None = None


class User(ForgeModel):
    """A Forge user: the authenticated user (`/auth/user`), a mod owner or an additional author."""

    id: int
    name: str | None = None
    email: str | None = None
    email_verified_at: Timestamp = None
    profile_photo_url: str | None = None
    cover_photo_url: str | None = None
    timezone: str | None = None
    role: Role | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class SourceCodeLink(ForgeModel):
    url: str
    label: str | None = None


class VirusTotalLink(ForgeModel):
    url: str
    label: str | None = None


class License(ForgeModel):
    id: int
    name: str | None = None
    short_name: str | None = None
    link: str | None = None


class ModCategory(ForgeModel):
    """A mod category. `/mod-categories` names it `title`; the `category` include on a mod names it `name`."""

    id: int
    hub_id: int | None = None
    title: str | None = None
    name: str | None = None
    slug: str | None = None
    description: str | None = None
    color_class: str | None = None

    @property
    def label(self) -> str:
        return self.title or self.name or self.slug or str(self.id)


# --- mods and versions (§1.6, §1.8) -------------------------------------------------------------------------------


class VersionDependency(ForgeModel):
    """An immediate dependency of a mod version (`/mod/{id}/versions?include=dependencies`).

    Today: `{id, mod_id, mod_guid, mod_name, version_constraint, is_optional}`. An older shape listed the dependency
    mod itself (`{id, guid, name, slug, ..., versions: [...]}`); it is read into the same fields, with the matching
    versions in `resolved_versions`.
    """

    id: int | None = None
    mod_id: int | None = None
    mod_guid: str | None = None
    mod_name: str | None = None
    version_constraint: Trimmed | None = None
    is_optional: bool = False
    resolved_versions: list[ModVersion] | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_mod_shape(cls, data: Any) -> Any:
        if isinstance(data, dict) and "mod_guid" not in data and "guid" in data and "versions" in data:
            data = {**data, "mod_id": data.get("id"), "mod_guid": data.get("guid"), "mod_name": data.get("name"),
                    "resolved_versions": data.get("versions")}
        return data


class ModVersion(Downloadable):
    """A mod version. `id` and `version` are always sent; the rest can be stripped by `fields=`.

    `link` is a Forge redirect URL (`https://sp-mod.com/mod/download/...`) for recent answers and a raw external
    URL for older ones: see `link_is_forge_redirect`. `content_length` is null for versions older than the
    file-size check. `spt_version_constraint` is trimmed; an empty constraint marks a legacy version.
    """

    id: int
    mod_id: int | None = None
    hub_id: int | None = None
    version: str
    description: str | None = None
    content_length: int | None = None
    spt_version_constraint: Trimmed | None = None
    downloads: int | None = None
    fika_compatibility: FikaLevel | None = None
    published_at: Timestamp = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    dependencies: list[VersionDependency] | None = None  # only with include=dependencies
    virus_total_links: list[VirusTotalLink] | None = None  # only with include=virus_total_links

    @property
    def is_legacy(self) -> bool:
        """True when the version names no SPT version at all (hidden by default on the Forge)."""
        return self.spt_version_constraint == ""


class Listing(ForgeModel):
    """What mods and addons share: identity, authorship, links and flags."""

    id: int
    guid: str | None = None
    name: str | None = None
    slug: str | None = None
    teaser: str | None = None
    description: str | None = None
    thumbnail: str | None = None
    downloads: int | None = None
    owner: User | None = None
    additional_authors: list[User] = Field(default_factory=list,
                                           validation_alias=AliasChoices("additional_authors", "authors"))
    source_code_links: list[SourceCodeLink] | None = None
    detail_url: str | None = None
    contains_ads: bool | None = None
    contains_ai_content: bool | None = None
    custom_ai_disclosure: str | None = None
    license: License | None = None
    published_at: Timestamp = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class Mod(Listing):
    """A mod (`/mods`, `/mod/{id}`). `description` is only sent by `/mod/{id}`.

    `versions` (include=versions) holds at most the 10 latest versions (the docs say 6); use `mod_versions` for all.
    Includes that were not requested are None; `owner` and `additional_authors` always come.
    """

    hub_id: int | None = None
    favourites_count: int | None = None
    fika_compatibility: FikaFlag | None = None
    featured: bool | None = None
    shows_profile_binding_notice: bool | None = None
    cheat_notice: bool | None = None
    category_id: int | None = None
    category: ModCategory | None = None
    versions: list[ModVersion] | None = None


class FileTree(ForgeModel):
    """The archive listing from a version's latest passed verification (§1.9). 404 for unverified (e.g. 3.x) ones."""

    verified_at: Timestamp = None
    file_count: int
    truncated: bool = False
    files: list[str]


# --- addons -------------------------------------------------------------------------------------------------------


class AddonVersion(ForgeModel):
    id: int
    version: str
    description: str | None = None
    link: str | None = None
    content_length: int | None = None
    mod_version_constraint: Trimmed | None = None
    downloads: int | None = None
    published_at: Timestamp = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    virus_total_links: list[VirusTotalLink] | None = None


class Addon(Listing):
    """Content published against a parent mod (`mod_id`); `is_detached` when the parent link was cut."""

    mod_id: int | None = None
    is_detached: bool | None = None
    mod: Mod | None = None
    versions: list[AddonVersion] | None = None
    latest_version: AddonVersion | None = None


# --- SPT versions (§1.12) -----------------------------------------------------------------------------------------


class SptVersion(ForgeModel):
    id: int
    version: str
    version_major: int | None = None
    version_minor: int | None = None
    version_patch: int | None = None
    version_labels: str | None = None
    mod_count: int | None = None
    link: str | None = None
    color_class: str | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


# --- /mods/updates (§1.10) ----------------------------------------------------------------------------------------


class InstalledVersion(ForgeModel):
    """The installed version a pair resolved to (`current_version` in updates and blocked updates)."""

    id: int
    mod_id: int
    guid: str | None = None
    name: str | None = None
    slug: str | None = None
    version: str


class RecommendedVersion(Downloadable):
    id: int
    version: str
    content_length: int | None = None
    fika_compatibility: FikaLevel | None = None
    spt_versions: list[str] = Field(default_factory=list)


class AvailableUpdate(ForgeModel):
    current_version: InstalledVersion
    recommended_version: RecommendedVersion
    update_reason: str  # newer_version_available | newer_prerelease_available


class BlockingMod(ForgeModel):
    mod_id: int | None = None
    mod_guid: str | None = None
    mod_name: str | None = None
    current_version: str | None = None
    constraint: Trimmed | None = None
    incompatible_with: str | None = None


class BlockedUpdate(ForgeModel):
    current_version: InstalledVersion
    latest_version: RecommendedVersion | None = None
    block_reason: str  # dependency_constraint_violation | missing_dependency | chain_dependency_conflict
    blocking_mods: list[BlockingMod] = Field(default_factory=list)


class UpToDateMod(ForgeModel):
    id: int
    mod_id: int
    guid: str | None = None
    name: str | None = None
    slug: str | None = None
    version: str
    spt_versions: list[str] = Field(default_factory=list)


class IncompatibleMod(ForgeModel):
    id: int
    mod_id: int
    guid: str | None = None
    name: str | None = None
    slug: str | None = None
    version: str
    reason: str  # no_version_for_spt
    latest_compatible_version: RecommendedVersion | None = None


class UpdateCheck(ForgeModel):
    """The merged answer of `/mods/updates` (one or more requests of at most 50 pairs). Unknown pairs are dropped
    by the Forge silently: a pair missing from every list did not match an exact stored version."""

    spt_version: str | None = None
    updates: list[AvailableUpdate] = Field(default_factory=list)
    blocked_updates: list[BlockedUpdate] = Field(default_factory=list)
    up_to_date: list[UpToDateMod] = Field(default_factory=list)
    incompatible_with_spt: list[IncompatibleMod] = Field(default_factory=list)

    def merged_with(self, other: UpdateCheck) -> UpdateCheck:
        return UpdateCheck(spt_version=self.spt_version or other.spt_version,
                           updates=[*self.updates, *other.updates],
                           blocked_updates=[*self.blocked_updates, *other.blocked_updates],
                           up_to_date=[*self.up_to_date, *other.up_to_date],
                           incompatible_with_spt=[*self.incompatible_with_spt, *other.incompatible_with_spt])


# --- /mods/dependencies and /addons/dependencies (§1.11) ---------------------------------------------------------


class DependencyVersion(Downloadable):
    id: int
    version: str
    content_length: int | None = None
    fika_compatibility: FikaLevel | None = None


def _as_strings(value: Any) -> Any:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [str(item) if isinstance(item, int) and not isinstance(item, bool) else item for item in value]
    return value


class DependencyNode(ForgeModel):
    """A mod that is needed, with the version the Forge chose and what that version needs in turn.

    `conflict` is True when no single version satisfies every constraint (the old shape then lists one entry per
    conflicting version). `required_by` lists the queried identifiers (old shape only; empty today).
    """

    id: int
    guid: str | None = None
    name: str | None = None
    slug: str | None = None
    latest_compatible_version: DependencyVersion | None = None
    conflict: bool = False
    dependencies: list[DependencyNode] = Field(default_factory=list)
    required_by: Annotated[list[str], BeforeValidator(_as_strings)] = Field(default_factory=list)

    def walk(self) -> Iterator[DependencyNode]:
        yield self
        for child in self.dependencies:
            yield from child.walk()


class DependencyResult(ForgeModel):
    """One model for both shapes of the dependency endpoints.

    - `by_pair`: queried pair string (`"identifier:version"`, exactly as sent) -> its top-level dependency nodes.
      Pairs that did not resolve are absent. For the old flat shape it is filled from `required_by` where the
      identifiers match a queried pair.
    - `nodes`: every top-level node once (the same mod/version needed by two pairs is listed once; conflicting
      versions are separate entries with `conflict=True`).
    - `shape`: "keyed" (since 2026-07-28) or "flat" (before).
    """

    shape: Literal["keyed", "flat"]
    spt_version: str | None = None
    by_pair: dict[str, list[DependencyNode]] = Field(default_factory=dict)
    nodes: list[DependencyNode] = Field(default_factory=list)

    def for_pair(self, identifier: int | str, version: str) -> list[DependencyNode]:
        return self.by_pair.get(f"{identifier}:{version}", [])

    def walk(self) -> Iterator[DependencyNode]:
        """Every node of every tree, depth first (a shared dependency appears once per place it is needed)."""
        for node in self.nodes:
            yield from node.walk()

    @property
    def conflicts(self) -> list[DependencyNode]:
        return [node for node in self.walk() if node.conflict]


# --- request filters ----------------------------------------------------------------------------------------------


def _as_list(value: Any) -> Any:
    """Scalars and comma strings become lists, so `guid="a,b"`, `guid=["a", "b"]` and `id=5` all work."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return value


IdList = Annotated[list[int], BeforeValidator(_as_list)]
StrList = Annotated[list[str], BeforeValidator(_as_list)]
DateRange = tuple[date, date]


class Filters(BaseModel):
    """Base of the typed `filter[...]` parameters: each set field becomes one `filter[name]` query parameter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                params[f"filter[{name}]"] = _filter_value(name, value)
        return params


def _filter_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):  # a date range
        return ",".join(day.isoformat() for day in value)
    if isinstance(value, list):
        # Comma lists only: the Forge answers 400 to the `filter[x][]=` array syntax.
        items = [str(item) for item in value]
        if any("," in item for item in items):
            raise ValueError(f"filter[{name}]: a value cannot contain a comma ({items!r})")
        return ",".join(items)
    return str(value)


class ModFilters(Filters):
    """`/mods` filters (reference §1.6). Lists go comma-joined, booleans as 1/0, ranges as `YYYY-MM-DD,YYYY-MM-DD`.

    `guid` is sent as given: the Forge lower-cases it since 2026-06-24, older instances compare case-sensitively.
    `spt_version` is a SemVer constraint and filters mods only, not their versions. `include_legacy` also returns mods
    whose versions name no SPT version.
    """

    id: IdList | None = None
    hub_id: IdList | None = None
    guid: StrList | None = None
    name: str | None = None
    slug: str | None = None
    teaser: str | None = None
    featured: bool | None = None
    contains_ads: bool | None = None
    contains_ai_content: bool | None = None
    cheat_notice: bool | None = None
    category_id: IdList | None = None
    category_slug: StrList | None = None
    created_between: DateRange | None = None
    updated_between: DateRange | None = None
    published_between: DateRange | None = None
    spt_version: str | None = None
    fika_compatibility: bool | None = None
    include_legacy: bool | None = None


class ModVersionFilters(Filters):
    """`/mod/{id}/versions` filters (§1.8). `version` and `spt_version` are SemVer constraints; giving `spt_version`
    also shows versions whose SPT version does not resolve."""

    id: IdList | None = None
    hub_id: IdList | None = None
    version: str | None = None
    description: str | None = None
    published_between: DateRange | None = None
    created_between: DateRange | None = None
    updated_between: DateRange | None = None
    spt_version: str | None = None
    fika_compatibility: Annotated[list[FikaCompatibility], BeforeValidator(_as_list)] | None = None


class AddonFilters(Filters):
    id: IdList | None = None
    name: str | None = None
    slug: str | None = None
    teaser: str | None = None
    mod_id: IdList | None = None
    contains_ads: bool | None = None
    contains_ai_content: bool | None = None
    is_detached: bool | None = None
    created_between: DateRange | None = None
    updated_between: DateRange | None = None
    published_between: DateRange | None = None


class AddonVersionFilters(Filters):
    id: IdList | None = None
    version: str | None = None
    description: str | None = None
    link: str | None = None
    published_between: DateRange | None = None
    created_between: DateRange | None = None
    updated_between: DateRange | None = None


class ModCategoryFilters(Filters):
    id: IdList | None = None
    slug: StrList | None = None
    title: str | None = None


class SptVersionFilters(Filters):
    """`/spt/versions` filters (§1.12): `spt_version` is a SemVer constraint (`4.0.11` matches exactly that one)."""

    id: IdList | None = None
    spt_version: str | None = None
    created_between: DateRange | None = None
    updated_between: DateRange | None = None


VersionDependency.model_rebuild()
DependencyNode.model_rebuild()
