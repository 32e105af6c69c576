"""Accounts and personal access tokens, as the Forge's v0 auth endpoints had them (Sanctum era).

The live API no longer needs a token, but older and self-hosted instances do; `LocalForge(require_token=True)`
plays one of those. Tokens look like Sanctum's (``<id>|<40 characters>``) and are really issued and revoked.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.sandbox.forge.query import ApiError
from app.sandbox.forge.resources import iso

DEMO_USER_EMAIL = "tester@kappa.invalid"
DEMO_USER_PASSWORD = "kappa-demo-password"
OAUTH_USER_EMAIL = "discord-user@kappa.invalid"
ABILITIES = ("create", "read", "update", "delete")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class User:
    id: int
    name: str
    email: str
    password: str | None  # None: registered through OAuth, no password login
    timezone: str = "UTC"
    created_at: datetime = field(default_factory=lambda: datetime(2025, 4, 1, 10, 0, tzinfo=UTC))
    verified_at: datetime | None = field(default_factory=lambda: datetime(2025, 4, 2, 20, 44, 38, tzinfo=UTC))

    def to_json(self, *, with_email: bool) -> dict[str, Any]:
        slug = self.name.replace(" ", "+")
        data: dict[str, Any] = {"id": self.id, "name": self.name}
        if with_email:
            data["email"] = self.email
            data["email_verified_at"] = iso(self.verified_at)
        data["profile_photo_url"] = f"https://ui-avatars.com/api/?name={slug}&color=7F9CF5&background=EBF4FF"
        data["cover_photo_url"] = f"https://picsum.photos/seed/{slug}/1280/384"
        if not with_email:
            data["timezone"] = self.timezone
        data["created_at"] = iso(self.created_at)
        if not with_email:
            data["updated_at"] = iso(self.created_at)
        return data


@dataclass(frozen=True)
class Token:
    id: int
    user_id: int
    name: str
    abilities: tuple[str, ...]
    secret: str

    @property
    def plain_text(self) -> str:
        return f"{self.id}|{self.secret}"


class AuthStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = [User(1, "Kappa Tester", DEMO_USER_EMAIL, DEMO_USER_PASSWORD),
                       User(2, "Discord User", OAUTH_USER_EMAIL, None)]
        self._tokens: dict[str, Token] = {}
        self._next_token = 1

    def token_for(self, authorization: str | None) -> tuple[User, Token] | None:
        """The user and token of an ``Authorization: Bearer <token>`` header, if the token is live."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        with self._lock:
            token = self._tokens.get(authorization[7:].strip())
            if token is None:
                return None
            user = next(u for u in self._users if u.id == token.user_id)
            return user, token

    def login(self, body: dict[str, Any]) -> str:
        errors: dict[str, list[str]] = {}
        email, password, abilities = body.get("email"), body.get("password"), body.get("abilities", ["read"])
        if not isinstance(email, str) or not email:
            errors["email"] = ["The email field is required."]
        elif not _EMAIL.match(email):
            errors["email"] = ["The email field must be a valid email address."]
        if not isinstance(password, str) or not password:
            errors["password"] = ["The password field is required."]
        if not isinstance(abilities, list):
            errors["abilities"] = ["The abilities field must be an array."]
        else:
            for index, ability in enumerate(abilities):
                if ability not in ABILITIES:
                    errors[f"abilities.{index}"] = [
                        f"The selected ability {ability} is invalid. Allowed abilities are: {', '.join(ABILITIES)}"]
        if errors:
            raise ApiError(422, "VALIDATION_FAILED", "Validation failed.", errors)
        with self._lock:
            user = next((u for u in self._users if u.email.lower() == str(email).lower()), None)
            if user is not None and user.password is None:
                raise ApiError(403, "PASSWORD_LOGIN_UNAVAILABLE",
                               "Password login is not available for accounts created via OAuth. Please use the "
                               "original login method or set a password for your account.")
            if user is None or not secrets.compare_digest(user.password or "", str(password)):
                raise ApiError(401, "UNAUTHENTICATED", "Invalid credentials provided.")
            token = Token(self._next_token, user.id, str(body.get("token_name") or "api-token"),
                          tuple(dict.fromkeys(abilities or ["read"])), secrets.token_urlsafe(30)[:40])
            self._next_token += 1
            self._tokens[token.plain_text] = token
            return token.plain_text

    def revoke(self, token: Token) -> None:
        with self._lock:
            self._tokens.pop(token.plain_text, None)

    def revoke_all(self, user: User) -> None:
        with self._lock:
            for key in [k for k, t in self._tokens.items() if t.user_id == user.id]:
                del self._tokens[key]

    def register(self, body: dict[str, Any]) -> User:
        name, email = body.get("name"), body.get("email")
        password, timezone = body.get("password"), body.get("timezone")
        errors: dict[str, list[str]] = {}
        with self._lock:
            if not isinstance(name, str) or not name.strip():
                errors["name"] = ["The name field is required."]
            elif any(u.name.lower() == name.lower() for u in self._users):
                errors["name"] = ["The name has already been taken."]
            if not isinstance(email, str) or not email:
                errors["email"] = ["The email field is required."]
            elif not _EMAIL.match(email):
                errors["email"] = ["The email must be a valid email address."]
            elif any(u.email.lower() == email.lower() for u in self._users):
                errors["email"] = ["The email has already been taken."]
            if not isinstance(password, str) or not password:
                errors["password"] = ["The password field is required."]
            elif len(password) < 8:
                errors["password"] = ["The password must be at least 8 characters."]
            if not isinstance(timezone, str) or not timezone:
                errors["timezone"] = ["The timezone field is required."]
            if errors:
                raise ApiError(422, "VALIDATION_FAILED", "Validation failed.", errors)
            user = User(max(u.id for u in self._users) + 1, str(name), str(email), str(password), str(timezone),
                        datetime.now(UTC), verified_at=None)
            self._users.append(user)
            return user
