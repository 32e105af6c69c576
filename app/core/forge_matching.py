"""Telling which Forge mod and which Forge version an installed mod is, without false "update available".

Installed metadata and the Forge disagree in form more often than in substance: a DLL says `1.0.2` where
the Forge stores `1.0.2+a`, a .NET file version has four parts, a BepInEx GUID is not the Forge GUID
(`Tyfon.UIFixes` vs `com.tyfon.uifixes`), and the server and client halves of one mod are two entries on disk.
This module holds the pure rules for bridging those gaps; the update-check service does the asking.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.core.mods import InstalledMod
from app.core.versions import parse_version

# Below this, a name match is only offered to the user as a suggestion, never used on its own.
NAME_MATCH_THRESHOLD = 0.86
_NOISE_WORDS = ("spt", "server", "client", "plugin", "mod", "the")


@dataclass(frozen=True)
class InstalledGroup:
    """One mod as the Forge sees it: the server half and client half(s) that share a GUID or a name."""

    guid: str
    name: str
    version: str
    members: tuple[InstalledMod, ...]

    @property
    def key(self) -> str:
        return self.guid.lower()


@dataclass(frozen=True)
class NameCandidate:
    forge_id: int
    name: str
    slug: str
    guid: str | None = None


@dataclass(frozen=True)
class NameMatch:
    candidate: NameCandidate
    confidence: float  # 0..1

    @property
    def is_confident(self) -> bool:
        return self.confidence >= NAME_MATCH_THRESHOLD


def group_installed(mods: Iterable[InstalledMod]) -> list[InstalledGroup]:
    """Group installed mods into Forge mods: same GUID (any case), or a client plugin named like a server mod.

    The server half leads (its name and version speak for the group); mods are in scan order.
    """
    groups: dict[str, list[InstalledMod]] = {}
    server_names: dict[str, str] = {}
    for mod in mods:
        key = mod.guid.lower()
        if key not in groups and mod.kind == "client" and _plain(mod.name) in server_names:
            key = server_names[_plain(mod.name)]
        groups.setdefault(key, []).append(mod)
        if mod.kind == "server":
            server_names.setdefault(_plain(mod.name), key)
    result = []
    for members in groups.values():
        lead = next((m for m in members if m.kind == "server"), members[0])
        result.append(InstalledGroup(lead.guid, lead.name, lead.version, tuple(members)))
    return result


def same_release(installed: str, forge: str) -> bool:
    """Whether two version strings name the same release: equal SemVer precedence, build metadata ignored.

    `1.0.2` == `1.0.2+a`, `1.0` == `1.0.0`, `13.9.1.27928` == `13.9.1+27928`. Unparsable strings only match
    themselves.
    """
    if installed.strip() == forge.strip():
        return True
    try:
        return parse_version(installed) == parse_version(forge)
    except ValueError:
        return False


def match_forge_version(installed: str, forge_versions: Sequence[tuple[int, str]]) -> str | None:
    """The Forge's own string for the installed release, given (version id, version string) pairs.

    The exact string wins. Otherwise the release with equal precedence; when several differ only in build
    metadata (`1.0.2+a`, `1.0.2+b`), the one published last (highest id), since a DLL cannot tell them apart.
    """
    exact = [version for _, version in forge_versions if version == installed]
    if exact:
        return exact[0]
    same = [(version_id, version) for version_id, version in forge_versions if same_release(installed, version)]
    return max(same)[1] if same else None


def best_name_match(name: str, candidates: Iterable[NameCandidate]) -> NameMatch | None:
    """The candidate whose name or slug is most like `name`, with a confidence between 0 and 1."""
    wanted = _plain(name)
    if not wanted:
        return None
    best: NameMatch | None = None
    for candidate in candidates:
        score = max(_similarity(wanted, _plain(candidate.name)), _similarity(wanted, _plain(candidate.slug)))
        if best is None or score > best.confidence:
            best = NameMatch(candidate, round(score, 3))
    return best


def search_phrases(name: str) -> list[str]:
    """What to type into the Forge's search for an installed name: as written, then with its words split.

    "QuestingBots" finds nothing where the Forge says "Questing Bots"; "SPT-Realism" should also try "Realism".
    """
    words = re.findall(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|\d+", name)
    split = " ".join(word for word in words if word.lower() not in _NOISE_WORDS)
    return [phrase for phrase in dict.fromkeys((name.strip(), split)) if phrase]


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def _plain(text: str) -> str:
    """Lower case, words only, no noise words: "SPT-Realism Mod (Server)" -> "realism"."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower())
    return "".join(word for word in words if word not in _NOISE_WORDS)
