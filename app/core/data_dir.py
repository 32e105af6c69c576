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
    def thumbnails_dir(self) -> Path:
        """Forge thumbnails, cached for the Browse view."""
        return self.root / "cache" / "thumbnails"

    @property
    def downloads_dir(self) -> Path:
        """Archives being downloaded (partial files resume from here) and finished downloads."""
        return self.root / "downloads"

    @property
    def install_db(self) -> Path:
        """Install transactions, their journal, file ownership and history (SQLite)."""
        return self.root / "state" / "installs.sqlite3"

    @property
    def vault_dir(self) -> Path:
        """Staging, backups and disabled mods; on the SPT root's file system (see app/core/install.py)."""
        return self.root / "vault"

    @property
    def demo_root(self) -> Path:
        """Where `kappa --demo` builds its sample SPT install."""
        return self.root / "demo" / "SPT-4.0"
