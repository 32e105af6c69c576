"""Kappa's log: a rotating file in the data dir (logs/kappa.log, 1 MB x 5 files), with every secret redacted.

`configure_logging` attaches one handler to the root logger, so that records of every logger (Kappa's, httpx's,
captured warnings) pass the `Redactor` before they are written. The redactor replaces the secret values Kappa has
seen at runtime (`register_secret`: the keyring calls it for every value it reads or writes) and anything shaped like
a credential (bearer tokens, `token=…` in URLs, `"apiKey": "…"` in JSON, key headers) with "[redacted]", in the
message, its %-arguments, exception tracebacks and stack traces alike.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import quote, quote_plus

from app.core.data_dir import DataDir

REDACTED = "[redacted]"
LOG_FILE = "kappa.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words
FILE_ONLY = "kappa_file_only"  # extra={FILE_ONLY: True}: a record for the log file, not for stderr
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# Libraries that log every request at INFO (the servers dock polls every few seconds): only their warnings are kept,
# unless --verbose asks for everything.
CHATTY_LIBRARIES = ("httpx", "httpcore", "hpack", "asyncio", "qasync", "urllib3", "PIL")

# -- what is redacted

_secrets: frozenset[str] = frozenset()
_secrets_lock = threading.Lock()

# names whose value is a credential: api_key, apiKey, X-Api-Key, token, access_token, password, client_secret…
_SECRET_NAME = r"[\w-]*?(?:api[_-]?key|token|passw(?:or)?d|pwd|secret|credential|session[_-]?id)[\w-]*"
_PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # Authorization / Proxy-Authorization headers, whatever their scheme: "Authorization: Bearer abc", "Basic abc"
    (re.compile(r"(?i)\b((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)((?:bearer|basic|token|digest)\s+)?"
                r"(?!\[redacted\])[^\s'\",;]+"),
     r"\1\2" + REDACTED),
    # a bearer token anywhere else: "bearer abc|def"
    (re.compile(r"(?i)\b(bearer\s+)(?!\[redacted\])[\w\-.~+/|=:]+"), r"\1" + REDACTED),
    # JSON or a Python dict: "token": "abc", 'apiKey': 'abc'
    (re.compile(r"(?i)([\"'](?:" + _SECRET_NAME + r")[\"']\s*:\s*)([\"'])(?:\\.|(?!\2).)*\2"),
     r"\1\2" + REDACTED + r"\2"),
    # query strings, forms and reprs: ?token=abc&api_key=def, password=hunter2, Session(token='abc')
    (re.compile(r"(?i)\b(" + _SECRET_NAME + r"\s*=\s*['\"]?)(?!\[redacted\])[^&\s'\"#,;)]+"), r"\1" + REDACTED),
    # headers and "name: value" lines: X-Api-Key: abc, Fika-Key: abc, Cookie: a=b (not "SomeTokenError: …")
    (re.compile(r"(?i)\b(" + _SECRET_NAME + r"|[\w-]*-key|cookie|set-cookie)(\s*:\s*['\"]?)(?![\"'\[{])[^\s,;'\"]+"),
     lambda m: m.group(0) if m.group(1).endswith(("Error", "Exception", "Warning"))
     else m.group(1) + m.group(2) + REDACTED),
    # a password in a URL: https://user:secret@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), r"\1" + REDACTED + "@"),
)


def register_secret(value: str | None) -> None:
    """Redact `value` from every log line from now on (values shorter than 6 characters are ignored)."""
    global _secrets
    if not value or len(value.strip()) < MIN_SECRET_LENGTH:
        return
    value = value.strip()
    forms = {value, quote(value, safe=""), quote_plus(value)}  # as sent in a URL, too
    with _secrets_lock:
        _secrets = _secrets | forms


def forget_registered_secrets() -> None:
    """Start with no registered secret, as a new process does (for tests)."""
    global _secrets
    with _secrets_lock:
        _secrets = frozenset()


def redact(text: str) -> str:
    """`text` with every registered secret and every credential-shaped value replaced by "[redacted]"."""
    if not text:
        return text
    for secret in sorted(_secrets, key=len, reverse=True):  # a longer form first, so no tail of it is left
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_secrets_only(text: str) -> str:
    """Only the registered secret values replaced: for documents (a scan) whose words the patterns could mangle."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class Redactor(logging.Filter):
    """Rewrites a record before a handler writes it: its message (with the %-arguments already applied), its
    exception text and its stack, redacted. The record is changed in place, so later handlers see the redacted
    text too. Never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, in words
            message = f"{record.msg!r} (arguments {record.args!r} did not fit the message)"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _QuietLibraries(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".", 1)[0] not in CHATTY_LIBRARIES


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Warnings on the current stderr, as Python prints them when no handler is configured."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(lambda record: not getattr(record, FILE_ONLY, False))

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class KappaFileHandler(logging.handlers.RotatingFileHandler):
    """The one file handler Kappa adds (a class of its own, so that it is found again and never added twice)."""


# -- configuring

@dataclass
class _State:
    file_handler: KappaFileHandler
    stderr_handler: logging.Handler | None
    previous_root_level: int


_state: _State | None = None
_state_lock = threading.Lock()


def log_path(data_dir: DataDir) -> Path:
    return data_dir.root / "logs" / LOG_FILE


def active_log_path() -> Path | None:
    """The file this process logs to, or None when logging to a file is not configured."""
    state = _state
    return Path(state.file_handler.baseFilename) if state is not None else None


def configure_logging(data_dir: DataDir, *, verbose: bool = False) -> Path:
    """Log to data_dir/logs/kappa.log (INFO, or DEBUG when `verbose`), every record redacted; returns the file.

    Calling it again changes the level (and the file, for another data dir) without adding a second handler.
    Raises OSError when the folder or the file cannot be written; nothing is configured then.
    """
    global _state
    path = log_path(data_dir)
    level = logging.DEBUG if verbose else logging.INFO
    with _state_lock:
        if _state is not None and Path(_state.file_handler.baseFilename) == path.absolute():
            _set_level(_state, level, verbose)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = KappaFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(Redactor())
        root = logging.getLogger()
        if _state is not None:
            previous_level = _state.previous_root_level
            _remove(_state)
        else:
            previous_level = root.level
        # Python prints warnings on stderr while no handler is configured; keep doing so once ours is there.
        stderr_handler: logging.Handler | None = None
        if not root.handlers:
            stderr_handler = _StderrHandler()
            stderr_handler.setLevel(logging.WARNING)
            stderr_handler.addFilter(Redactor())
            root.addHandler(stderr_handler)
        root.addHandler(handler)
        _state = _State(handler, stderr_handler, previous_level)
        _set_level(_state, level, verbose)
        logging.captureWarnings(True)
    logging.getLogger(__name__).debug("logging to %s", path)
    return path


def reset_logging() -> None:
    """Remove and close Kappa's handlers, restoring the root level and warnings (at exit, and for tests)."""
    global _state
    with _state_lock:
        if _state is None:
            return
        logging.getLogger().setLevel(_state.previous_root_level)
        _remove(_state)
        _state = None
        logging.captureWarnings(False)


def _set_level(state: _State, level: int, verbose: bool) -> None:
    logging.getLogger().setLevel(level)
    state.file_handler.setLevel(level)
    for quiet in [f for f in state.file_handler.filters if isinstance(f, _QuietLibraries)]:
        state.file_handler.removeFilter(quiet)
    if not verbose:
        state.file_handler.addFilter(_QuietLibraries())


def _remove(state: _State) -> None:
    root = logging.getLogger()
    for handler in (state.file_handler, state.stderr_handler):
        if handler is not None:
            root.removeHandler(handler)
            handler.close()
