"""Kappa's one settings store: a small JSON file in the data dir, typed, written atomically.

Secrets never live here (see app/core/secrets.py): the file holds only what may be read by anyone.
"""

from __future__ import annotations

import json
import logging

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.core.data_dir import DataDir
from app.core.fileio import atomic_write_text

DEFAULT_FORGE_URL = "https://sp-mod.com/api/v0"
log = logging.getLogger(__name__)


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")  # settings written by a newer Kappa must not break an older one

    forge_url: str = DEFAULT_FORGE_URL
    forge_mirror: str | None = None  # e.g. the community mirror, tried when the primary is down
    spt_path: str | None = None  # the install opened last
    forge_mappings: dict[str, int] = Field(default_factory=dict)  # installed GUID (lower case) -> Forge mod id
    # The backup store (what installs replaced or removed; what `undo` restores) is pruned past either limit,
    # oldest transaction first. The last transaction's backups are always kept, so one undo always works.
    backup_max_mb: int = Field(default=2048, ge=0)
    backup_max_days: int = Field(default=30, ge=0)

    @field_validator("forge_url", "forge_mirror")
    @classmethod
    def _plain_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value


class SettingsStore:
    def __init__(self, data_dir: DataDir) -> None:
        self.file = data_dir.root / "settings.json"

    def load(self) -> Settings:
        """The saved settings, or the defaults when there are none or the file is damaged."""
        try:
            return Settings.model_validate(json.loads(self.file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return Settings()
        except (OSError, ValueError, ValidationError) as exc:
            log.warning("ignoring unreadable settings file %s: %s", self.file, exc)
            return Settings()

    def save(self, settings: Settings) -> None:
        atomic_write_text(self.file, settings.model_dump_json(indent=2) + "\n")
