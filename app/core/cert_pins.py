"""The certificates Kappa has been told to trust, one per server address (trust on first use, then pinning).

SPT 4.x, Fika and dedicated game servers serve HTTPS with certificates they sign themselves, so no authority can
vouch for them. Instead the player confirms a server's certificate once (or Kappa takes it from a local SPT install),
and from then on Kappa talks to that address only if it shows exactly that certificate (see app/net/tls.py).
No network here: this module only keeps the list, in `state/cert-pins.json` in Kappa's data dir.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.core.data_dir import DataDir
from app.core.fileio import atomic_write_text

log = logging.getLogger(__name__)

SOURCES = ("user", "spt-install")  # who vouched: the player (a prompt, `servers trust`) or the install's own files
_FILE_VERSION = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
# What tools print before a fingerprint: "SHA256 Fingerprint=" (openssl), "SHA-256:" (browsers), "sha256 ".
_LABEL = re.compile(r"^\s*sha-?256(\s*fingerprint)?\s*[:=]?\s*", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s:\-]+")


def normalize_fingerprint(text: str) -> str:
    """'AB:CD:…', 'ab cd …', 'abcd…' (optionally after 'SHA256 Fingerprint=') -> 64 lower-case hex digits."""
    if not isinstance(text, str):
        raise ValueError("a SHA-256 fingerprint must be text")
    digits = _SEPARATORS.sub("", _LABEL.sub("", text)).lower()
    if not _HEX64.fullmatch(digits):
        shown = text.strip()
        shown = shown if len(shown) <= 110 else shown[:100] + "…"
        raise ValueError(f"{shown!r} is not a SHA-256 fingerprint: that is 64 hexadecimal digits (0-9, A-F), "
                         "usually written in pairs separated by colons, like AB:CD:EF:…")
    return digits


def format_fingerprint(sha256: str) -> str:
    """The fingerprint the way people compare them by eye: 'AB:CD:EF:…', 32 upper-case pairs."""
    digits = normalize_fingerprint(sha256).upper()
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def fingerprint_of(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def address_of(url: str) -> str:
    """'https://Host:6969/x' -> 'host:6969'. The port defaults to 443 (80 for http://); IPv6 keeps its brackets."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text  # a bare "host:port" as people type it
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has a port that is not a number between 0 and 65535") from None
    host = parts.hostname
    if not host:
        raise ValueError(f"{url!r} does not name a server")
    if port is None:
        port = 80 if parts.scheme.lower() == "http" else 443
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


def _normal_address(address: str) -> str:
    """Pins are keyed by 'host:port' in lower case; a full URL is accepted too."""
    text = address.strip()
    if "://" in text:
        return address_of(text)
    if not text:
        raise ValueError("a pinned address cannot be empty")
    return text.lower()


@dataclass(frozen=True)
class Pin:
    address: str  # "host:port", lower case
    sha256: str  # 64 lower-case hex digits of the certificate's DER
    der: bytes = field(repr=False)  # the certificate itself: a TLS context can trust exactly it
    pinned_at: float  # unix seconds
    source: str  # "user" | "spt-install"


class CertPins:
    """The pinned certificates, in one small JSON file written atomically.

    The file is read on every call rather than cached: the GUI and a `kappa servers trust` in a terminal may both
    change it, and a stale copy in memory would resurrect a forgotten pin on the next write.
    """

    def __init__(self, data_dir: DataDir, *, clock: Callable[[], float] = time.time) -> None:
        self.file = data_dir.root / "state" / "cert-pins.json"
        self.clock = clock

    def get(self, address: str) -> Pin | None:
        return self._load().get(_normal_address(address))

    def pin(self, address: str, der: bytes, *, source: str = "user") -> Pin:
        """Trust `der` (and only it) for `address` from now on, replacing whatever was pinned there."""
        if source not in SOURCES:
            raise ValueError(f"unknown pin source {source!r}; expected one of {', '.join(SOURCES)}")
        if not isinstance(der, bytes | bytearray) or not der:
            raise ValueError("there is no certificate to pin")
        key = _normal_address(address)
        pin = Pin(key, fingerprint_of(bytes(der)), bytes(der), self.clock(), source)
        pins = self._load()
        pins[key] = pin
        self._save(pins)
        return pin

    def forget(self, address: str) -> None:
        pins = self._load()
        if pins.pop(_normal_address(address), None) is not None:
            self._save(pins)

    def all(self) -> list[Pin]:
        return sorted(self._load().values(), key=lambda pin: pin.address)

    def _load(self) -> dict[str, Pin]:
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # Losing the pins fails safe: every server asks to be trusted again, nothing is trusted by mistake.
            log.warning("ignoring damaged certificate pins file %s: %s", self.file, exc)
            return {}
        entries = raw.get("pins") if isinstance(raw, dict) else None
        if not isinstance(entries, dict):
            log.warning("ignoring certificate pins file %s: it does not hold a list of pins", self.file)
            return {}
        pins: dict[str, Pin] = {}
        for address, entry in entries.items():
            pin = _pin_from_json(address, entry)
            if pin is None:
                log.warning("ignoring a damaged certificate pin for %s in %s", address, self.file)
            else:
                pins[pin.address] = pin
        return pins

    def _save(self, pins: dict[str, Pin]) -> None:
        self._keep_damaged_copy()
        document = {"version": _FILE_VERSION, "pins": {key: _pin_to_json(pins[key]) for key in sorted(pins)}}
        atomic_write_text(self.file, json.dumps(document, indent=2) + "\n")

    def _keep_damaged_copy(self) -> None:
        """Before replacing a file that could not be read, set it aside: someone may want to look at it."""
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
            if isinstance(raw, dict) and isinstance(raw.get("pins"), dict):
                return
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            pass
        with contextlib.suppress(OSError):
            os.replace(self.file, self.file.with_name(self.file.name + ".damaged"))


def _pin_to_json(pin: Pin) -> dict[str, Any]:
    return {"sha256": pin.sha256, "der": base64.b64encode(pin.der).decode("ascii"), "pinned_at": pin.pinned_at,
            "source": pin.source}


def _pin_from_json(address: object, entry: object) -> Pin | None:
    if not isinstance(address, str) or not address or not isinstance(entry, dict):
        return None
    try:
        der = base64.b64decode(entry["der"], validate=True)
        sha256 = normalize_fingerprint(entry["sha256"])
        pinned_at = float(entry.get("pinned_at", 0.0))
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None
    source = entry.get("source", "user")
    if not der or fingerprint_of(der) != sha256 or source not in SOURCES:
        return None  # a certificate that does not match its own fingerprint was edited or damaged
    return Pin(address.lower(), sha256, der, pinned_at, source)
