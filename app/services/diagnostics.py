"""Diagnostics for a bug report: one zip in the data dir with the logs, the settings (without secrets), a scan of the
SPT install, Kappa's history on it and what Kappa runs on.

Nothing secret goes in: the logs are redacted again on the way in (with every secret the keyring holds registered
first, so that lines an older Kappa wrote are covered too), secret-looking settings fields are dropped, and every
member is checked for the registered secret values before it is written.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import re
import sys
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from app import __version__
from app.core.data_dir import DataDir
from app.core.install import InstallEngine
from app.core.logs import LOG_FILE, active_log_path, log_path, redact, redact_secrets_only, register_secret
from app.core.secrets import FORGE_TOKEN, get_secret
from app.core.spt_install import find_spt_root, open_install
from app.core.words import size_in_words
from app.services.installed_mods import InstalledModsService

log = logging.getLogger(__name__)

KEEP_ZIPS = 10  # older diagnostics are deleted when a new one is made
_SECRET_FIELD = re.compile(r"(?i)token|secret|passw(or)?d|pwd|api[_-]?key|^key$|_key$|credential|cookie|auth")

MEMBER_WORDS = {
    "about.json": "versions of Kappa, Python, Qt and the system",
    "settings.json": "settings without secrets",
    "scan.json": "the installed mods",
    "history.json": "Kappa's changes to the install",
}


def diagnostics_dir(data_dir: DataDir) -> Path:
    return data_dir.root / "diagnostics"


def build_diagnostics(data_dir: DataDir, spt_root: Path | None, *, now: datetime | None = None,
                      log_dir: Path | None = None) -> Path:
    """Write kappa-diagnostics-<timestamp>.zip under data_dir/diagnostics and return its path.

    `log_dir` is where the logs are read from: by default the folder this process logs to, else data_dir/logs.
    Reading the install never stops the zip from being made: what failed is written into it, in words.
    """
    now = now or datetime.now()
    _register_known_secrets(data_dir)
    log.info("collecting diagnostics (SPT install: %s)", spt_root or "none")
    members: dict[str, str] = {}
    scan, install_root = _scan(data_dir, spt_root)
    members["about.json"] = _json(_about(data_dir, spt_root, scan, now))
    members["settings.json"] = _json(_settings(data_dir))
    members["scan.json"] = _json(scan)
    if install_root is not None:
        members["history.json"] = _json(_history(data_dir, install_root))
    for name, text in _logs(log_dir or _default_log_dir(data_dir)):
        members[name] = redact(text)
    return _write_zip(diagnostics_dir(data_dir), now, {name: redact_secrets_only(text)
                                                       for name, text in members.items()})


def diagnostics_summary(path: Path) -> str:
    """What the zip holds and how big it is, in one sentence, e.g. for the clipboard."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    logs = [name for name in names if name.startswith("logs/")]
    parts = [MEMBER_WORDS.get(name, name) for name in names if not name.startswith("logs/")]
    parts.append(f"{len(logs)} log file{'' if len(logs) == 1 else 's'}" if logs else "no log file yet")
    return f"{path.name} ({size_in_words(path.stat().st_size)}): {', '.join(parts)}."


def diagnostics_contents(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


# -- the members

def _default_log_dir(data_dir: DataDir) -> Path:
    active = active_log_path()
    return active.parent if active is not None else log_path(data_dir).parent


def _register_known_secrets(data_dir: DataDir) -> None:
    """Read every secret Kappa keeps (which registers it with the redactor), so none can slip into the zip."""
    settings = _raw_settings(data_dir)
    servers = settings.get("servers") if isinstance(settings, dict) else None
    names = [FORGE_TOKEN]
    for entry in servers if isinstance(servers, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            names.append(f"server:{entry['name']}")
            if isinstance(entry.get("spt_root"), str):
                _register_local_fika_key(Path(entry["spt_root"]))
    for name in names:
        _read_secret(name)


def _read_secret(name: str) -> str | None:
    """The secret (registered with the redactor by get_secret), or None: a failing keyring must not stop the zip."""
    try:
        return get_secret(name)
    except Exception as exc:
        log.warning("cannot read %s from the keyring: %s", name, exc)
        return None


def _register_local_fika_key(root: Path) -> None:
    from app.core.local_server import read_local_server

    with contextlib.suppress(Exception):  # a server whose install is gone has no key to hide
        register_secret(read_local_server(open_install(root)).api_key)


def _scan(data_dir: DataDir, spt_root: Path | None) -> tuple[dict[str, Any], Path | None]:
    """The `kappa scan --json` document (with what the scan skipped), or an "error" in words; and the root found."""
    if spt_root is None:
        return {"error": "No SPT install was given or remembered, so none was scanned."}, None
    try:
        result = InstalledModsService(data_dir).scan_now(spt_root)
    except Exception as exc:  # whatever went wrong belongs in the report
        root = None
        with contextlib.suppress(Exception):
            root = find_spt_root(spt_root)
        return {"error": f"Could not scan the SPT install at {spt_root}: {_words(exc)}"}, root
    document = result.to_json()
    if result.problems:
        document["skipped"] = [str(problem) for problem in result.problems]
    if result.notes:
        document["notes"] = list(result.notes)
    return document, result.install.root


def _history(data_dir: DataDir, root: Path) -> dict[str, Any]:
    try:
        records = InstallEngine(root, data_dir).history()
    except Exception as exc:
        return {"error": f"Could not read Kappa's history for {root}: {_words(exc)}"}
    return {"root": str(root), "transactions": [record.to_json() for record in records]}


def _about(data_dir: DataDir, spt_root: Path | None, scan: dict[str, Any], now: datetime) -> dict[str, Any]:
    about: dict[str, Any] = {
        "kappa": __version__,
        "created": now.astimezone().isoformat(timespec="seconds"),
        "python": sys.version,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "frozen": bool(getattr(sys, "frozen", False)),
        "data_dir": str(data_dir.root),
        "spt_root": str(spt_root) if spt_root is not None else None,
    }
    with contextlib.suppress(Exception):  # the CLI may run where Qt is not installed
        import PySide6
        from PySide6 import QtCore

        about["pyside6"] = PySide6.__version__
        about["qt"] = QtCore.qVersion()
    spt = scan.get("spt")
    if isinstance(spt, dict):
        about["spt_layout"], about["spt_version"] = spt.get("layout"), spt.get("version")
    elif spt_root is not None:
        with contextlib.suppress(Exception):
            install = open_install(spt_root)
            about["spt_layout"], about["spt_version"] = install.layout, install.version
    return about


def _raw_settings(data_dir: DataDir) -> Any:
    try:
        return json.loads((data_dir.root / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _settings(data_dir: DataDir) -> dict[str, Any]:
    """settings.json as saved, without any field that could hold a secret; servers kept, without their keys."""
    file = data_dir.root / "settings.json"
    if not file.exists():
        return {"note": "No settings saved yet: Kappa runs on its defaults."}
    settings = _raw_settings(data_dir)
    if not isinstance(settings, dict):
        # the file itself is left out: it is damaged, and what it holds is unknown
        return {"error": f"{file} cannot be read as JSON settings, so Kappa runs on its defaults."}
    cleaned = _without_secrets(settings)
    for entry in cleaned.get("servers") or []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            entry["key_in_keyring"] = _read_secret(f"server:{entry['name']}") is not None
    cleaned["forge_token_in_keyring"] = _read_secret(FORGE_TOKEN) is not None
    return cleaned


def _without_secrets(value: Any) -> Any:
    """A copy without fields named like a secret that hold text, and with credentials in text redacted."""
    if isinstance(value, dict):
        return {key: _without_secrets(item) for key, item in value.items()
                if not (_SECRET_FIELD.search(str(key)) and not isinstance(item, bool | int | float | None))}
    if isinstance(value, list):
        return [_without_secrets(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value


def _logs(folder: Path) -> list[tuple[str, str]]:
    """Every log file, oldest first (kappa.log.5 … kappa.log)."""
    files = [path for path in folder.glob(LOG_FILE + "*") if path.is_file()] if folder.is_dir() else []

    def age(path: Path) -> int:
        suffix = path.name.removeprefix(LOG_FILE).lstrip(".")
        return int(suffix) if suffix.isdigit() else 0

    found = []
    for path in sorted(files, key=age, reverse=True):
        with contextlib.suppress(OSError):
            found.append((f"logs/{path.name}", path.read_text(encoding="utf-8", errors="replace")))
    return found


def _write_zip(folder: Path, now: datetime, members: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"kappa-diagnostics-{now:%Y%m%d-%H%M%S}"
    target = folder / f"{stem}.zip"
    number = 1
    while target.exists():
        number += 1
        target = folder / f"{stem}-{number}.zip"
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".diagnostics-", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in members.items():
                info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
                info.external_attr = 0o644 << 16  # readable files when unpacked
                archive.writestr(info, text, compress_type=zipfile.ZIP_DEFLATED)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _prune(folder, keep=target)
    log.info("diagnostics saved to %s", target)
    return target


def _prune(folder: Path, keep: Path) -> None:
    zips = sorted(folder.glob("kappa-diagnostics-*.zip"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in [path for path in zips if path != keep][KEEP_ZIPS - 1:]:
        with contextlib.suppress(OSError):
            old.unlink()


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _words(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__

