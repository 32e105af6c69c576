"""A persistent cache of what was read from each file, so that a second scan reads almost nothing.

Entries are keyed by absolute path and trusted only while the file's size and modification time are
unchanged. The cache is a JSON file in Kappa's data dir, replaced atomically; a damaged or outdated cache
file is simply ignored (it only costs a cold scan).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.core.dotnet import AssemblyInfo, PluginDependency, PluginInfo, ServerModMetadata
from app.core.fileio import atomic_write_text

# Bump when what the readers extract changes, so that old entries are not trusted.
CACHE_FORMAT = 1


class ScanCache:
    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        if file is not None:
            self._load(file)

    def _load(self, file: Path) -> None:
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(document, dict) and document.get("format") == CACHE_FORMAT:
            entries = document.get("entries")
            if isinstance(entries, dict):
                self._entries = entries

    @staticmethod
    def stamp(stat: os.stat_result) -> list[int]:
        return [stat.st_size, stat.st_mtime_ns]

    def get(self, path: Path, stamp: list[int]) -> dict[str, Any] | None:
        """The stored record for `path` if the file is unchanged since it was stored."""
        entry = self._entries.get(str(path))
        if entry is None or entry.get("stamp") != stamp:
            return None
        return entry.get("record")

    def put(self, path: Path, stamp: list[int], record: dict[str, Any]) -> None:
        self._entries[str(path)] = {"stamp": stamp, "record": record}
        self._dirty = True

    def forget_missing(self, seen: set[str], under: Path) -> None:
        """Drop entries for files below `under` that the scan no longer found."""
        prefix = str(under).rstrip(os.sep) + os.sep  # "/games/SPT" must not claim "/games/SPT-old"
        stale = [key for key in self._entries if key.startswith(prefix) and key not in seen]
        for key in stale:
            del self._entries[key]
        self._dirty = self._dirty or bool(stale)

    def save(self) -> None:
        if self.file is None or not self._dirty:
            return
        document = {"format": CACHE_FORMAT, "entries": self._entries}
        try:
            atomic_write_text(self.file, json.dumps(document, separators=(",", ":")))
            self._dirty = False
        except OSError:
            pass  # a cache that cannot be written only makes the next scan slower


def assembly_to_record(info: AssemblyInfo) -> dict[str, Any]:
    return {"assembly": asdict(info)}


def error_to_record(reason: str) -> dict[str, Any]:
    return {"error": reason}


def assembly_from_record(record: dict[str, Any]) -> AssemblyInfo:
    data = dict(record["assembly"])
    data["plugins"] = tuple(
        PluginInfo(
            guid=p["guid"], name=p["name"], version=p["version"],
            dependencies=tuple(PluginDependency(**d) for d in p["dependencies"]),
            incompatibilities=tuple(p["incompatibilities"]), processes=tuple(p["processes"]),
        )
        for p in data["plugins"]
    )
    data["server_mods"] = tuple(
        ServerModMetadata(**{**m, "incompatibilities": tuple(m["incompatibilities"]),
                             "contributors": tuple(m["contributors"])})
        for m in data["server_mods"]
    )
    return AssemblyInfo(**data)
