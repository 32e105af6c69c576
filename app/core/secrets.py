"""Secrets (the Forge token, later server keys) live in the OS keyring, never in files or logs."""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError

from app.core.errors import KappaError

SERVICE = "Kappa"
FORGE_TOKEN = "forge-token"


class NoKeyring(KappaError):
    """The OS keyring cannot be used, so a secret can neither be kept nor read."""


def get_secret(name: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, name)
    except KeyringError:
        return None  # no keyring means no secret was ever stored


def set_secret(name: str, value: str) -> None:
    try:
        keyring.set_password(SERVICE, name, value)
    except KeyringError as exc:
        raise NoKeyring(f"the OS keyring is not available ({exc}); Kappa keeps secrets nowhere else") from None


def delete_secret(name: str) -> None:
    try:
        keyring.delete_password(SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        pass  # already gone
    except KeyringError as exc:
        raise NoKeyring(f"the OS keyring is not available ({exc})") from None
