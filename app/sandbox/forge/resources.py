"""JSON shapes of the Forge's API resources (app/Http/Resources/Api/V0/*), old and new variants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from app.sandbox.forge.catalogue import Addon, AddonVersion, Catalogue, Mod, ModVersion, SptVersion
from app.sandbox.forge.images import thumbnail_path

MOD_FIELDS = (
    "hub_id", "guid", "name", "slug", "teaser", "description", "thumbnail", "downloads", "favourites_count",
    "featured", "contains_ai_content", "custom_ai_disclosure", "contains_ads", "cheat_notice", "category_id",
    "published_at", "created_at", "updated_at", "detail_url", "fika_compatibility", "shows_profile_binding_notice",
)
MOD_REQUIRED = ("id",)
MOD_INCLUDES = ("versions", "license", "category", "source_code_links")
VERSION_FIELDS = (
    "id", "hub_id", "version", "description", "link", "content_length", "spt_version_constraint", "downloads",
    "fika_compatibility", "published_at", "created_at", "updated_at",
)
VERSION_REQUIRED = ("id", "mod_id", "version")
VERSION_INCLUDES = ("dependencies", "virus_total_links")
SPT_FIELDS = (
    "id", "version", "version_major", "version_minor", "version_patch", "version_labels", "mod_count", "link",
    "color_class", "created_at", "updated_at",
)
ADDON_FIELDS = (
    "name", "slug", "teaser", "description", "thumbnail", "downloads", "contains_ai_content", "contains_ads",
    "mod_id", "detached_at", "published_at", "created_at", "updated_at", "detail_url", "is_detached",
)
ADDON_REQUIRED = ("id", "owner_id", "license_id", "mod_id")
ADDON_INCLUDES = ("owner", "authors", "versions", "latest_version", "license", "mod", "source_code_links")
ADDON_VERSION_FIELDS = (
    "id", "version", "description", "link", "content_length", "mod_version_constraint", "downloads",
    "published_at", "created_at", "updated_at",
)
ADDON_VERSION_REQUIRED = ("id", "addon_id", "version")


def iso(moment: datetime | None) -> str | None:
    """Carbon's toISOString(): microseconds and a Z."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def mysql(moment: datetime | None) -> str | None:
    """How the database compares a timestamp column (for the *_between filters)."""
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Render:
    """Everything a resource needs beyond the row: where the server is and which API generation it mimics."""

    catalogue: Catalogue
    root_url: str
    shape: str  # "new" or "old"

    # -- links ---------------------------------------------------------------------------------------------

    def file_url(self, version: ModVersion | AddonVersion) -> str:
        return f"{self.root_url}/files/{quote(version.archive_name or '')}"

    def external_link(self, mod: Mod, version: ModVersion) -> str:
        """The link the author entered: a file on a host, or for old hub-era versions a landing page."""
        if not version.direct_link or version.archive_name is None:
            return f"{self.root_url}/landing/{mod.slug}-{quote(version.version, safe='+')}.html"
        return self.file_url(version)

    def redirect_link(self, mod: Mod, version: ModVersion) -> str:
        """ModVersion::downloadUrl(): the Forge's own download route, a 307 to the external link."""
        return f"{self.root_url}/mod/download/{mod.id}/{mod.slug}/{quote(version.version, safe='+')}"

    def link(self, mod: Mod, version: ModVersion) -> str:
        # Since 2026-07-07 every API `link` is the redirect URL; before, it was the raw external URL.
        return self.redirect_link(mod, version) if self.shape == "new" else self.external_link(mod, version)

    def detail_url(self, mod: Mod) -> str:
        return f"{self.root_url}/mods/{mod.id}/{mod.slug}"

    def thumbnail(self, mod: Mod) -> str:
        """The mod's own thumbnail URL if the catalogue sets one, else the generated picture on this server's
        hotlink-protected image route (see app/sandbox/forge/images.py)."""
        return mod.thumbnail or f"{self.root_url}{thumbnail_path(mod.id)}"

    # -- mods ----------------------------------------------------------------------------------------------

    def mod(self, mod: Mod, *, includes: set[str], fields: Sequence[str] | None, show: bool = False,
            versions: Sequence[ModVersion] = ()) -> dict[str, Any]:
        values = self._mod_values(mod)
        wanted = (lambda name: True) if fields is None else (lambda name: name in fields or name in MOD_REQUIRED)
        data: dict[str, Any] = {}
        for name, value in values.items():
            if name in ("owner", "additional_authors"):
                data[name] = value  # always present, whatever `fields` says
            elif name == "source_code_links":
                if fields is None or "source_code_links" in includes:
                    data[name] = value
            elif name == "description":
                if show and wanted(name):
                    data[name] = value
            elif wanted(name):
                data[name] = value
            if name == "category_id":
                self._mod_includes(data, mod, includes, versions)
        return data

    def _mod_values(self, mod: Mod) -> dict[str, Any]:
        return {
            "id": mod.id, "hub_id": mod.hub_id, "guid": mod.guid, "name": mod.name, "slug": mod.slug,
            "teaser": mod.teaser, "description": mod.description, "thumbnail": self.thumbnail(mod),
            "downloads": mod.downloads, "favourites_count": mod.favourites_count, "owner": mod.owner.to_json(),
            "additional_authors": [a.to_json() for a in mod.additional_authors],
            "source_code_links": [{"url": url, "label": label} for url, label in mod.source_code_links],
            "detail_url": self.detail_url(mod), "fika_compatibility": mod.fika_compatibility,
            "featured": mod.featured, "contains_ads": mod.contains_ads, "contains_ai_content": mod.contains_ai_content,
            "custom_ai_disclosure": mod.custom_ai_disclosure,
            "shows_profile_binding_notice": mod.shows_profile_binding_notice, "cheat_notice": mod.cheat_notice,
            "category_id": mod.category_id, "published_at": iso(mod.published_at), "created_at": iso(mod.created_at),
            "updated_at": iso(mod.updated_at),
        }

    def _mod_includes(self, data: dict[str, Any], mod: Mod, includes: set[str],
                      versions: Sequence[ModVersion]) -> None:
        if "versions" in includes:
            data["versions"] = [self.version(mod, v, includes=set(), fields=None) for v in versions[:10]]
        if "license" in includes:
            lic = self.catalogue.license_by_id.get(mod.license_id)
            data["license"] = None if lic is None else {"id": lic.id, "name": lic.name, "short_name": lic.short_name}
        if "category" in includes:
            category = self.catalogue.category_by_id.get(mod.category_id)
            data["category"] = None if category is None else self.category(category)

    def category(self, category: Any) -> dict[str, Any]:
        return {"id": category.id, "hub_id": category.hub_id, "title": category.title, "slug": category.slug,
                "description": category.description}

    # -- mod versions --------------------------------------------------------------------------------------

    def version(self, mod: Mod, version: ModVersion, *, includes: set[str], fields: Sequence[str] | None,
                html: bool = False) -> dict[str, Any]:
        values = {
            "id": version.id, "hub_id": version.hub_id, "version": version.version,
            "description": f"<p>{version.description}</p>" if html else version.description,
            "link": self.link(mod, version), "content_length": version.content_length,
            "spt_version_constraint": version.spt_constraint, "downloads": version.downloads,
            "fika_compatibility": version.fika, "published_at": iso(version.published_at),
            "created_at": iso(version.created_at), "updated_at": iso(version.updated_at),
        }
        data = {k: v for k, v in values.items() if fields is None or k in fields or k in VERSION_REQUIRED}
        if "dependencies" in includes:
            data["dependencies"] = self.dependencies(version)
        if "virus_total_links" in includes:
            data["virus_total_links"] = [{"url": url, "label": label} for url, label in version.virus_total]
        return data

    def dependencies(self, version: ModVersion) -> list[dict[str, Any]]:
        rows = []
        for dependency_id, dependency in zip(version.dependency_ids, version.dependencies, strict=True):
            target = self.catalogue.mod_by_guid.get(dependency.guid.lower())
            rows.append({
                "id": dependency_id, "mod_id": target.id if target else None,
                "mod_guid": target.guid if target else dependency.guid, "mod_name": target.name if target else None,
                "version_constraint": dependency.constraint, "is_optional": dependency.optional,
            })
        return rows

    def compact_version(self, mod: Mod, version: ModVersion | None) -> dict[str, Any] | None:
        """The version inside dependency-tree nodes."""
        if version is None:
            return None
        return {"id": version.id, "version": version.version, "link": self.link(mod, version),
                "content_length": version.content_length, "fika_compatibility": version.fika}

    # -- SPT versions --------------------------------------------------------------------------------------

    def spt_version(self, spt: SptVersion, mod_count: int, fields: Sequence[str] | None) -> dict[str, Any]:
        major, minor, patch, labels = spt.parts
        values = {
            "id": spt.id, "version": spt.version, "version_major": major, "version_minor": minor,
            "version_patch": patch, "version_labels": labels, "mod_count": mod_count,
            "link": f"https://github.com/sp-tarkov/build/releases/tag/{spt.version}", "color_class": spt.color_class,
            "created_at": iso(spt.created_at), "updated_at": iso(spt.created_at),
        }
        return {k: v for k, v in values.items() if fields is None or k in fields or k == "id"}

    # -- addons --------------------------------------------------------------------------------------------

    def addon(self, addon: Addon, *, includes: set[str], fields: Sequence[str] | None, show: bool = False,
              versions: Sequence[AddonVersion] = ()) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": addon.id, "guid": addon.guid, "name": addon.name, "slug": addon.slug, "teaser": addon.teaser,
            "description": addon.description, "thumbnail": "", "downloads": addon.downloads,
            "owner": addon.owner.to_json(), "additional_authors": [],
            "source_code_links": [{"url": u, "label": lab} for u, lab in addon.source_code_links],
            "detail_url": f"{self.root_url}/addon/{addon.id}/{addon.slug}", "contains_ads": addon.contains_ads,
            "contains_ai_content": addon.contains_ai_content, "mod_id": addon.mod_id,
            "is_detached": addon.detached_at is not None, "published_at": iso(addon.published_at),
            "created_at": iso(addon.created_at), "updated_at": iso(addon.updated_at),
        }
        data: dict[str, Any] = {}
        for name, value in values.items():
            if name == "description" and not show:
                continue
            if name in ("owner", "additional_authors", "source_code_links") or fields is None \
                    or name in fields or name in ADDON_REQUIRED:
                data[name] = value
        if "versions" in includes:
            data["versions"] = [self.addon_version(v, fields=None) for v in versions]
        if "latest_version" in includes:
            data["latest_version"] = self.addon_version(versions[0], fields=None) if versions else None
        if "license" in includes:
            lic = self.catalogue.license_by_id.get(addon.license_id)
            data["license"] = None if lic is None else {"id": lic.id, "name": lic.name, "short_name": lic.short_name}
        if "mod" in includes:
            parent = self.catalogue.mod_by_id.get(addon.mod_id)
            data["mod"] = None if parent is None else {"id": parent.id, "guid": parent.guid, "name": parent.name,
                                                       "slug": parent.slug}
        return data

    def addon_version(self, version: AddonVersion, fields: Sequence[str] | None) -> dict[str, Any]:
        values = {
            "id": version.id, "version": version.version, "description": version.description,
            "link": self.file_url(version), "content_length": version.content_length,
            "mod_version_constraint": version.mod_version_constraint, "downloads": version.downloads,
            "published_at": iso(version.published_at), "created_at": iso(version.created_at),
            "updated_at": iso(version.updated_at),
        }
        return {k: v for k, v in values.items() if fields is None or k in fields or k in ("id", "version")}
