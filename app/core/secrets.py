"""Secrets (the Forge token, server keys) live in the OS keyring, never in files or logs.

Every value read or written here is registered with the log's redactor (app/core/logs.py), so that it never reaches
the log file even when an error message or a URL carries it.
"""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError

from app.core.errors import KappaError
from app.core.logs import register_secret

SERVICE = "Kappa"
FORGE_TOKEN = "forge-token"


class NoKeyring(KappaError):
    """The OS keyring cannot be used, so a secret can neither be kept nor read."""


def get_secret(name: str) -> str | None:
    try:
        value = keyring.get_password(SERVICE, name)
    except KeyringError:
        return None  # no keyring means no secret was ever stored
    register_secret(value)
    return value


def set_secret(name: str, value: str) -> None:
    register_secret(value)
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
