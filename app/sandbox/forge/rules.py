"""The Forge's domain rules over a catalogue: what the public sees, version order, update checks
(ModUpdateController) and dependency resolution (DependencyService, old flat and new keyed variants).

Constraint matching is composer's, through `app.core.versions` (the Forge's VersionMatcher: an unparsable
version or constraint is a non-match). Version *order* is the Forge's SQL order on the stored columns:
major, minor, patch descending, then stable before labelled, then labels as text ascending; build metadata
is not a label. Mirroring those queries keeps their quirks: a prerelease install is offered the *lowest*
newer label of its release, and ``1.0.2+a`` counts as up to date although ``1.0.2+b`` exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.core.versions import max_satisfying, satisfies
from app.sandbox.forge.catalogue import Addon, AddonVersion, Catalogue, Dependency, Mod, ModVersion
from app.sandbox.forge.query import php_int, php_is_numeric
from app.sandbox.forge.resources import Render


def matches(version: str, constraint: str) -> bool:
    try:
        return satisfies(version, constraint)
    except ValueError:
        return False


def newest_first(version: ModVersion | AddonVersion) -> tuple[int, int, int, int, str]:
    major, minor, patch, labels = version.parts
    return (-major, -minor, -patch, 0 if labels == "" else 1, labels)


def composer_highest(versions: Iterable[str]) -> str | None:
    """The first of the highest versions in composer's order (Semver::rsort()[0])."""
    return max_satisfying(list(versions), "*")


class View:
    """The catalogue as a guest sees it at one moment (the v0 API is pinned to the public viewpoint)."""

    def __init__(self, catalogue: Catalogue, now: datetime | None = None) -> None:
        self.catalogue = catalogue
        self.now = now or datetime.now(UTC)

    def mod_public(self, mod: Mod) -> bool:
        published = mod.published_at
        return not mod.disabled and published is not None and published <= self.now

    def version_public(self, version: ModVersion | AddonVersion) -> bool:
        return not version.disabled and version.published_at is not None and version.published_at <= self.now

    def version_listed(self, version: ModVersion) -> bool:
        """Public and linked to at least one published SPT version (what lists show by default)."""
        return self.version_public(version) and bool(version.spt_versions)

    def mod_listed(self, mod: Mod, include_legacy: bool = False) -> bool:
        """The default visibility of /mods: public, with a listed version (or a legacy one when asked)."""
        if not self.mod_public(mod):
            return False
        if any(self.version_listed(v) for v in mod.versions):
            return True
        return include_legacy and any(self.version_public(v) and v.is_legacy for v in mod.versions)

    def listed_versions(self, mod: Mod) -> list[ModVersion]:
        return sorted((v for v in mod.versions if self.version_listed(v)), key=newest_first)

    def mod_for(self, guid: str) -> Mod | None:
        mod = self.catalogue.mod_by_guid.get(guid.lower())
        return mod if mod is not None and self.mod_public(mod) else None

    def addon_public(self, addon: Addon) -> bool:
        parent = self.catalogue.mod_by_id.get(addon.mod_id)
        return (parent is not None and self.mod_listed(parent) and addon.published_at is not None
                and addon.published_at <= self.now and any(self.version_public(v) for v in addon.versions))

    def spt_published(self, version: str) -> bool:
        spt = self.catalogue.spt(version)
        return spt is not None and spt.publish_date is not None and spt.publish_date <= self.now

    def satisfied_spt_versions(self, constraint: str) -> set[str]:
        """Semver::satisfiedBy(published SPT versions, constraint)."""
        return {s.version for s in self.catalogue.published_spt_versions if matches(s.version, constraint)}

    def versions_for_spt(self, mod: Mod, spt: str) -> list[ModVersion]:
        """publishedVersionsForSpt(): public versions linked to `spt`, newest first."""
        if not self.mod_public(mod):
            return []
        return sorted((v for v in mod.versions if self.version_public(v) and spt in v.spt_versions),
                      key=newest_first)


# ----------------------------------------------------------------------------------------------------------
# identifier:version pairs
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    identifier: str
    version: str
    is_id: bool

    @property
    def key(self) -> str:
        return f"{self.identifier}:{self.version}"


def parse_pairs(text: str) -> list[Pair]:
    """DependencyService::parseModVersionPairs: split, trim, dedupe, exactly one ':' and nothing empty or '0'."""
    pairs: list[Pair] = []
    seen: set[str] = set()
    for raw in text.split(","):
        item = raw.strip()
        if item in ("", "0") or item in seen:
            continue
        seen.add(item)
        parts = item.split(":")
        if len(parts) != 2:
            continue
        identifier, version = parts[0].strip(), parts[1].strip()
        if identifier in ("", "0") or version in ("", "0"):
            continue
        is_id = php_is_numeric(identifier) and php_int(identifier, 0) > 0
        pairs.append(Pair(identifier, version, is_id))
    return pairs


@dataclass
class Queried:
    version: ModVersion | AddonVersion
    keys: list[str] = field(default_factory=list)


def resolve_mod_pairs(view: View, pairs: Sequence[Pair]) -> list[Queried]:
    """Public mod versions named by exact version string and mod id or (lower-cased) GUID."""
    found: dict[int, Queried] = {}
    for pair in pairs:
        mod = _mod_by_identifier(view, pair)
        if mod is None:
            continue
        for version in mod.versions:
            if version.version == pair.version and view.version_public(version):
                found.setdefault(version.id, Queried(version)).keys.append(pair.key)
    return list(found.values())


def _mod_by_identifier(view: View, pair: Pair) -> Mod | None:
    if pair.is_id:
        mod = view.catalogue.mod_by_id.get(php_int(pair.identifier, 0))
    else:
        mod = view.catalogue.mod_by_guid.get(pair.identifier.lower())
    return mod if mod is not None and view.mod_public(mod) else None


def resolve_addon_pairs(view: View, pairs: Sequence[Pair]) -> list[Queried]:
    found: dict[int, Queried] = {}
    for pair in pairs:
        if pair.is_id:
            addon = view.catalogue.addon_by_id.get(php_int(pair.identifier, 0))
        else:
            addon = next((a for a in view.catalogue.addons if a.slug == pair.identifier), None)
        if addon is None or not view.addon_public(addon):
            continue
        for version in addon.versions:
            if version.version == pair.version and view.version_public(version):
                found.setdefault(version.id, Queried(version)).keys.append(pair.key)
    return list(found.values())


# ----------------------------------------------------------------------------------------------------------
# Dependency rows and trees (DependencyService)
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    mod: Mod
    constraint: str
    latest: ModVersion | None


@dataclass
class RawNode:
    mod: Mod
    latest: ModVersion | None
    dependencies: list[RawNode]


class Resolver:
    """Dependency trees for one request (rows are memoised per version, as the service does)."""

    def __init__(self, view: View, spt: str | None) -> None:
        self.view = view
        self.spt = spt
        self._rows: dict[int, list[Row]] = {}

    def rows(self, dependencies: Sequence[Dependency], owner_id: int) -> list[Row]:
        """One row per dependency on a public mod, with the highest public version meeting its constraint
        (linked to the SPT version when there is one). Without an SPT version, rows with no match are dropped."""
        if owner_id in self._rows:
            return self._rows[owner_id]
        rows: list[Row] = []
        for dependency in dependencies:
            target = self.view.mod_for(dependency.guid)
            if target is None:
                continue
            latest = self._latest(target, dependency.constraint)
            if latest is None and self.spt is None:
                continue
            row = Row(target, dependency.constraint, latest)
            if row not in rows:
                rows.append(row)
        self._rows[owner_id] = rows
        return rows

    def _latest(self, mod: Mod, constraint: str) -> ModVersion | None:
        candidates = (v for v in mod.versions if self.view.version_public(v) and matches(v.version, constraint)
                      and (self.spt is None or self.spt in v.spt_versions))
        return min(candidates, key=newest_first, default=None)

    def version_rows(self, version: ModVersion) -> list[Row]:
        return self.rows(version.dependencies, version.id)

    def build_tree(self, version: ModVersion, processed: list[int],
                   constraints: dict[int, list[str]]) -> list[RawNode] | None:
        """buildDependencyTree(): record every constraint met on the way; `processed` is shared across the walk."""
        if version.id in processed:
            return None
        processed.append(version.id)
        rows = self.version_rows(version)
        record_constraints(rows, constraints)
        return self._nodes(rows, processed, constraints)

    def _nodes(self, rows: list[Row], processed: list[int], constraints: dict[int, list[str]]) -> list[RawNode]:
        latest_by_mod = {row.mod.id: row.latest for row in rows}
        nodes = []
        for mod in _unique_mods(rows):
            latest = latest_by_mod[mod.id]
            children = self.build_tree(latest, processed, constraints) if latest is not None else []
            nodes.append(RawNode(mod, latest, children or []))
        return nodes

    def addon_tree(self, version: AddonVersion, constraints: dict[int, list[str]]) -> list[RawNode]:
        rows = self.rows(version.dependencies, -version.id)
        record_constraints(rows, constraints)
        return self._nodes(rows, [], constraints)


def record_constraints(rows: Iterable[Row], constraints: dict[int, list[str]]) -> None:
    for row in rows:
        constraints.setdefault(row.mod.id, []).append(row.constraint)


def _unique_mods(rows: Iterable[Row]) -> list[Mod]:
    seen: dict[int, Mod] = {}
    for row in rows:
        seen.setdefault(row.mod.id, row.mod)
    return list(seen.values())


# ----------------------------------------------------------------------------------------------------------
# /mods/dependencies and /addons/dependencies
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    version: ModVersion | None
    conflict: bool


def grouped_dependencies(view: View, render: Render, queried: Sequence[Queried], spt: str,
                         addons: bool = False) -> dict[str, list[dict[str, Any]]]:
    """The keyed answer (since 2026-07-28): one tree per queried pair, one global version choice per mod."""
    resolver = Resolver(view, spt)
    constraints: dict[int, list[str]] = {}
    candidates: dict[int, dict[int, ModVersion]] = {}
    for item in queried:
        if isinstance(item.version, AddonVersion):
            tree = resolver.addon_tree(item.version, constraints)
        else:
            tree = resolver.build_tree(item.version, [], constraints) or []
        _collect_candidates(tree, candidates)
    picks = _global_picks(candidates, constraints)
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in queried:
        if isinstance(item.version, AddonVersion):
            rows, path = resolver.rows(item.version.dependencies, -item.version.id), []
        else:
            rows, path = resolver.version_rows(item.version), [item.version.id]
        nodes = _render_nodes(resolver, render, rows, picks, path)
        for key in item.keys:
            groups[key] = nodes
    return groups


def _collect_candidates(tree: Iterable[RawNode], candidates: dict[int, dict[int, ModVersion]]) -> None:
    for node in tree:
        if node.latest is not None:
            candidates.setdefault(node.mod.id, {})[node.latest.id] = node.latest
        _collect_candidates(node.dependencies, candidates)


def _global_picks(candidates: dict[int, dict[int, ModVersion]], constraints: dict[int, list[str]]) -> dict[int, Pick]:
    picks = {}
    for mod_id, versions in candidates.items():
        wanted = constraints.get(mod_id, [])
        satisfying = [v for v in versions.values() if all(matches(v.version, c) for c in wanted)]
        if not satisfying:
            picks[mod_id] = Pick(None, True)
            continue
        highest = composer_highest(v.version for v in satisfying)
        picks[mod_id] = Pick(next(v for v in satisfying if v.version == highest), False)
    return picks


def _render_nodes(resolver: Resolver, render: Render, rows: list[Row], picks: dict[int, Pick],
                  path: list[int]) -> list[dict[str, Any]]:
    nodes = []
    rendered: set[int] = set()
    for row in rows:
        if row.mod.id in rendered:
            continue
        rendered.add(row.mod.id)
        pick = picks.get(row.mod.id)
        if pick is not None and pick.version is not None:
            version, conflict = pick.version, False
        else:
            version, conflict = row.latest, pick is not None and pick.conflict
        children: list[dict[str, Any]] = []
        if version is not None and version.id not in path:
            children = _render_nodes(resolver, render, resolver.version_rows(version), picks, [*path, version.id])
        nodes.append(_node(render, row.mod, version, conflict, children))
    return nodes


def _node(render: Render, mod: Mod, version: ModVersion | None, conflict: bool,
          children: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": mod.id, "guid": mod.guid, "name": mod.name, "slug": mod.slug,
            "latest_compatible_version": render.compact_version(mod, version), "conflict": conflict,
            "dependencies": children}


def flat_dependencies(view: View, render: Render, queried: Sequence[Queried]) -> list[dict[str, Any]]:
    """The flat answer (before 2026-07-28): top-level nodes of every queried tree, deduplicated by mod."""
    resolver = Resolver(view, None)
    constraints: dict[int, list[str]] = {}
    top: list[tuple[dict[str, Any], str]] = []
    for item in queried:
        if isinstance(item.version, AddonVersion):
            tree = resolver.addon_tree(item.version, constraints)
        else:
            tree = resolver.build_tree(item.version, [], constraints) or []
        requirer = item.keys[0].split(":")[0]
        top.extend((_old_node(render, node, constraints), requirer) for node in tree)
    return _dedupe(top, constraints, top_level=True)


def _old_node(render: Render, node: RawNode, constraints: dict[int, list[str]]) -> dict[str, Any]:
    children = [(_old_node(render, child, constraints), "") for child in node.dependencies]
    return _node(render, node.mod, node.latest, False, _dedupe(children, constraints, top_level=False))


def _dedupe(entries: list[tuple[dict[str, Any], str]], constraints: dict[int, list[str]],
            top_level: bool) -> list[dict[str, Any]]:
    """deduplicateDependencies(): one entry per mod when some version meets every constraint, else all of them."""
    groups: dict[int, list[tuple[dict[str, Any], str]]] = {}
    for node, requirer in entries:
        groups.setdefault(node["id"], []).append((node, requirer))
    result = []
    for mod_id, group in groups.items():
        kept = _dedupe_group(group, constraints.get(mod_id, []))
        for node, requirers in kept:
            if top_level:
                node["required_by"] = requirers
            result.append(node)
    return result


def _dedupe_group(group: list[tuple[dict[str, Any], str]],
                  wanted: list[str]) -> list[tuple[dict[str, Any], list[str]]]:
    everyone = list(dict.fromkeys(r for _, r in group if r))
    if len(group) == 1 or not wanted:
        group[0][0]["conflict"] = False
        return [(group[0][0], everyone)]
    versions = [n["latest_compatible_version"]["version"] for n, _ in group if n["latest_compatible_version"]]
    satisfying = [v for v in versions if all(matches(v, c) for c in wanted)]
    if satisfying:
        highest = composer_highest(satisfying)
        node = next(n for n, _ in group if (n["latest_compatible_version"] or {}).get("version") == highest)
        node["conflict"] = False
        return [(node, everyone)]
    for node, _ in group:
        node["conflict"] = True
    return [(node, [r] if r else []) for node, r in group]


# ----------------------------------------------------------------------------------------------------------
# /mods/updates (ModUpdateController@check)
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    valid: bool
    block_reason: str | None = None
    blocking_mods: list[dict[str, Any]] | None = None


def check_updates(view: View, render: Render, installed: Sequence[ModVersion], spt: str) -> dict[str, Any]:
    result: dict[str, Any] = {"spt_version": spt, "updates": [], "blocked_updates": [], "up_to_date": [],
                              "incompatible_with_spt": []}
    for current in sorted(installed, key=lambda v: v.id):
        bucket, entry = _check_one(view, render, current, spt, installed)
        result[bucket].append(entry)
    return result


def _check_one(view: View, render: Render, current: ModVersion, spt: str,
               installed: Sequence[ModVersion]) -> tuple[str, dict[str, Any]]:
    mod = view.catalogue.mod_by_id[current.mod_id]
    prerelease = current.labels != ""
    candidate = find_candidate(view, mod, current, spt, prerelease)
    if candidate is None:
        if spt in current.spt_versions:
            return "up_to_date", {"id": current.id, "mod_id": mod.id, "guid": mod.guid, "name": mod.name,
                                  "version": current.version, "spt_versions": list(current.spt_versions)}
        return "incompatible_with_spt", {"id": current.id, "mod_id": mod.id, "guid": mod.guid, "name": mod.name,
                                         "version": current.version, "reason": "no_version_for_spt",
                                         "latest_compatible_version": None}
    verdict = validate_update(view, mod, current, candidate, spt, installed)
    if verdict.valid:
        return "updates", {
            "current_version": {"id": current.id, "mod_id": mod.id, "guid": mod.guid, "name": mod.name,
                                "slug": mod.slug, "version": current.version},
            "recommended_version": {"id": candidate.id, "version": candidate.version,
                                    "link": render.redirect_link(mod, candidate),
                                    "content_length": candidate.content_length, "fika_compatibility": candidate.fika,
                                    "spt_versions": list(candidate.spt_versions)},
            "update_reason": "newer_prerelease_available" if prerelease else "newer_version_available",
        }
    blocked: dict[str, Any] = {
        "current_version": {"id": current.id, "mod_id": mod.id, "guid": mod.guid, "name": mod.name,
                            "version": current.version},
        "latest_version": {"id": candidate.id, "version": candidate.version,
                           "spt_versions": list(candidate.spt_versions)},
        "block_reason": verdict.block_reason,
    }
    if verdict.blocking_mods is not None:
        blocked["blocking_mods"] = verdict.blocking_mods
    return "blocked_updates", blocked


def find_candidate(view: View, mod: Mod, current: ModVersion, spt: str, prerelease: bool) -> ModVersion | None:
    """The newest version for `spt` that counts as newer: stable installs only see stable versions; a
    prerelease also sees its own release and later labels of it (labels compared as text)."""
    major, minor, patch, labels = current.parts

    def newer(version: ModVersion) -> bool:
        v_major, v_minor, v_patch, v_labels = version.parts
        if (v_major, v_minor, v_patch) > (major, minor, patch):
            return True
        return prerelease and (v_major, v_minor, v_patch) == (major, minor, patch) and (
            v_labels == "" or v_labels > labels)

    candidates = [v for v in view.versions_for_spt(mod, spt) if (prerelease or v.labels == "") and newer(v)]
    return candidates[0] if candidates else None


def validate_update(view: View, mod: Mod, current: ModVersion, candidate: ModVersion, spt: str,
                    installed: Sequence[ModVersion]) -> Verdict:
    checks: tuple[Callable[[], Verdict | None], ...] = (
        lambda: _incoming(view, mod, current, candidate, installed),
        lambda: _outgoing(view, candidate, spt),
        lambda: _transitive(view, candidate, spt, installed),
    )
    for check in checks:
        verdict = check()
        if verdict is not None:
            return verdict
    return Verdict(True)


def _incoming(view: View, mod: Mod, current: ModVersion, candidate: ModVersion,
              installed: Sequence[ModVersion]) -> Verdict | None:
    """Would the update break a constraint another installed mod has on this one?"""
    for other in sorted(installed, key=lambda v: v.id):
        if other.id == current.id:
            continue
        for dependency in other.dependencies:
            target = view.catalogue.mod_by_guid.get(dependency.guid.lower())
            if target is None or target.id != mod.id or matches(candidate.version, dependency.constraint):
                continue
            owner = view.catalogue.mod_by_id[other.mod_id]
            return Verdict(False, "dependency_constraint_violation", [{
                "mod_id": owner.id, "mod_guid": owner.guid, "mod_name": owner.name,
                "current_version": other.version, "constraint": dependency.constraint,
                "incompatible_with": candidate.version,
            }])
    return None


def _outgoing(view: View, candidate: ModVersion, spt: str) -> Verdict | None:
    """Can every dependency of the update be met for this SPT version?"""
    for dependency in candidate.dependencies:
        target = view.catalogue.mod_by_guid.get(dependency.guid.lower())
        versions = view.versions_for_spt(target, spt) if target is not None else []
        if not any(matches(v.version, dependency.constraint) for v in versions):
            return Verdict(False, "missing_dependency")
    return None


def _transitive(view: View, candidate: ModVersion, spt: str, installed: Sequence[ModVersion]) -> Verdict | None:
    """Does anything in the update's dependency tree need another version of an installed mod?"""
    constraints: dict[int, list[str]] = {}
    Resolver(view, spt).build_tree(candidate, [], constraints)
    for other in sorted(installed, key=lambda v: v.id):
        if any(not matches(other.version, c) for c in constraints.get(other.mod_id, [])):
            return Verdict(False, "chain_dependency_conflict")
    return None
