"""What a scan finds: installed mods, the install they belong to, and files it could not read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.spt_install import SptInstall

ModKind = Literal["server", "client"]


@dataclass(frozen=True)
class InstalledMod:
    """One server mod folder or one client plugin (a DLL can hold several plugins)."""

    guid: str
    name: str
    version: str
    author: str | None
    kind: ModKind
    path: str  # relative to the game root, forward slashes: the mod folder (server) or the DLL (client)
    spt_constraint: str | None
    dependencies: dict[str, str]  # guid -> constraint; what must be present for the mod to load
    enabled: bool
    # Beyond the scan contract: kept for the resolver, the GUI and later checks.
    optional_dependencies: dict[str, str] = field(default_factory=dict)  # BepInEx soft dependencies
    incompatibilities: tuple[str, ...] = ()
    url: str | None = None
    license: str | None = None
    source: str = "dll"  # "dll" (4.x server metadata), "plugin", "patcher" or "package.json" (3.x)
    load_before: tuple[str, ...] = ()
    load_after: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Exactly the entry shape of `kappa scan --json` (shared/design.md)."""
        return {
            "guid": self.guid,
            "name": self.name,
            "version": self.version,
            "author": self.author,
            "kind": self.kind,
            "path": self.path,
            "spt_constraint": self.spt_constraint,
            "dependencies": dict(self.dependencies),
            "enabled": self.enabled,
        }


@dataclass(frozen=True)
class ScanProblem:
    """A file or folder the scan skipped, and why, in words."""

    path: str  # relative to the game root
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class ScanResult:
    install: SptInstall
    mods: tuple[InstalledMod, ...]
    problems: tuple[ScanProblem, ...] = ()
    files_read: int = 0  # how many files were parsed rather than taken from the scan cache
    notes: tuple[str, ...] = ()  # what was done before reading, e.g. an interrupted install rolled back

    def to_json(self) -> dict[str, Any]:
        """Exactly the document `kappa scan --json` prints (shared/design.md)."""
        return {
            "spt": {
                "root": str(self.install.root),
                "layout": self.install.layout,
                "version": self.install.version,
            },
            "mods": [mod.to_json() for mod in self.mods],
        }
