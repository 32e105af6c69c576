"""Kappa's own data directory: the only place outside an SPT root that Kappa ever writes to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Kappa"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


@dataclass(frozen=True)
class DataDir:
    root: Path

    @classmethod
    def at(cls, path: Path | None) -> DataDir:
        return cls((path or default_data_dir()).expanduser().absolute())

    @property
    def scan_cache_file(self) -> Path:
        return self.root / "cache" / "scan.json"

    @property
    def http_cache_file(self) -> Path:
        return self.root / "cache" / "http.sqlite3"

    @property
    def demo_root(self) -> Path:
        """Where `kappa --demo` builds its sample SPT install."""
        return self.root / "demo" / "SPT-4.0"
