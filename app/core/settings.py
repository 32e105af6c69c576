"""Kappa's one settings store: a small JSON file in the data dir, typed, written atomically.

Secrets never live here (see app/core/secrets.py): the file holds only what may be read by anyone.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.core.data_dir import DataDir
from app.core.fileio import atomic_write_text

DEFAULT_FORGE_URL = "https://sp-mod.com/api/v0"
log = logging.getLogger(__name__)


SERVER_NAME = re.compile(r"^[\w][\w .'()-]{0,39}$")


class ServerEntry(BaseModel):
    """A game server shown in a side panel. Its key or token is in the keyring (app/core/secrets.py), never here."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    kind: Literal["fika", "dedicated"]
    url: str  # "https://host:port"
    notify: bool = False  # desktop notifications for players, raids and the headless client
    # Set for a server added from a local SPT install: its key is read from the install's fika.jsonc on every
    # connection (so it is never copied, and a regenerated key just works) and its certificate is pinned from there.
    spt_root: str | None = None

    @field_validator("name")
    @classmethod
    def _short_plain_name(cls, value: str) -> str:
        value = value.strip()
        if not SERVER_NAME.match(value):
            raise ValueError(f"{value!r} is not a usable server name: up to 40 letters, digits, spaces or . ' ( ) -")
        return value

    @field_validator("url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if "://" not in value:
            value = "https://" + value  # people type "192.168.1.20:6969"
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"{value!r} is not an https:// address (game servers speak HTTPS only)")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError(f"{value!r} has a port that is not a number") from None
        return f"https://{parts.netloc}{parts.path.rstrip('/')}"


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")  # settings written by a newer Kappa must not break an older one

    forge_url: str = DEFAULT_FORGE_URL
    forge_mirror: str | None = None  # e.g. the community mirror, tried when the primary is down
    spt_path: str | None = None  # the install opened last
    spt_installs: list[str] = Field(default_factory=list)  # every install the player added, to switch between
    theme: Literal["system", "light", "dark"] = "system"
    download_concurrency: int = Field(default=3, ge=1, le=8)  # archives downloaded at once
    forge_mappings: dict[str, int] = Field(default_factory=dict)  # installed GUID (lower case) -> Forge mod id
    # The backup store (what installs replaced or removed; what `undo` restores) is pruned past either limit,
    # oldest transaction first. The last transaction's backups are always kept, so one undo always works.
    backup_max_mb: int = Field(default=2048, ge=0)
    backup_max_days: int = Field(default=30, ge=0)
    servers: list[ServerEntry] = Field(default_factory=list)  # the side panels, in the order shown

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


def first_validation_error(exc: ValueError) -> str:
    """The first of pydantic's complaints, as the sentence our validators wrote."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        message = str(first.get("msg", exc))
        if message.startswith("Value error, "):
            return message.removeprefix("Value error, ")
        field = ".".join(str(part) for part in first.get("loc", ()))
        return f"{field}: {message}" if field else message  # pydantic's own words need the field they are about
    return str(exc)
