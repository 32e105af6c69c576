"""What a local SPT install says about its own server: its address, Fika's API key and its certificate file.

No network here: everything comes from files. The address is SPT's `http.json`, overridden by Fika's
`fika.jsonc` (`server.SPT.http`), which Fika applies over SPT's config when the server starts. The certificate is the
one the server made for itself on its first start (`user/certs/`), so Kappa can pin it without asking the player.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import json5

from app.core.errors import KappaError
from app.core.logs import register_secret
from app.core.spt_install import LAYOUT_3X, SptInstall

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 6969
FIKA_FOLDER = "fika-server"
_FIKA_CONFIG = ("assets", "configs", "fika.jsonc")
_FIKA_DLLS = ("fikaserver.dll", "fika.server.dll")
# Newest first: SPT 4.x exports certificate.pfx (.NET, no password); some builds write server.crt; 3.x localhost.crt.
_CERTIFICATE_FILES = ("certificate.pfx", "server.crt", "localhost.crt")
_HTTP_JSON_4X = (("SPT_Data", "configs", "http.json"),)  # under the server dir
_HTTP_JSON_3X = (("SPT_Data", "Server", "configs", "http.json"), ("Aki_Data", "Server", "configs", "http.json"))
# Addresses that mean "every interface" to a listening server; from this computer, loopback reaches it.
_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]", "*", "+"}
_JSON5_ERROR = re.compile(r"^<string>:(\d+) (.*) at column (\d+)$")


class NoLocalServer(KappaError):
    """The install's server configuration cannot be read."""


@dataclass(frozen=True)
class LocalServer:
    url: str  # "https://127.0.0.1:6969": where Kappa, on this computer, reaches the server
    api_key: str | None = field(repr=False)  # fika.jsonc server.apiKey; None when Fika has not made one yet
    certificate_file: Path | None  # user/certs/certificate.pfx (4.x), server.crt or localhost.crt (3.x)
    fika_installed: bool
    notes: tuple[str, ...] = ()  # sentences for the player: where the values came from, what is missing


def read_local_server(install: SptInstall) -> LocalServer:
    notes: list[str] = []
    fika_file = _fika_config(install.mods_dir)
    fika = _read_jsonc(fika_file) if fika_file else None
    http_file = _http_json(install)
    spt = _read_jsonc(http_file) if http_file else None
    url = _url(install, fika_file, fika, http_file, spt, notes)
    fika_installed = fika_file is not None or _fika_folder(install.mods_dir) is not None
    api_key = _api_key(fika)
    if fika_installed:
        _fika_notes(install, fika_file, api_key, notes)
    else:
        notes.append("Fika is not installed in this SPT install (no user/mods/fika-server folder).")
    certificate = _certificate_file(install.server_dir)
    if certificate is None:
        notes.append("The server has not made its certificate yet (user/certs/certificate.pfx); it does on its "
                     "first start. Kappa will show it to you to confirm the first time it connects.")
    return LocalServer(url=url, api_key=api_key, certificate_file=certificate, fika_installed=fika_installed,
                       notes=tuple(notes))


def _url(install: SptInstall, fika_file: Path | None, fika: dict[str, Any] | None, http_file: Path | None,
         spt: dict[str, Any] | None, notes: list[str]) -> str:
    """Where the server listens, as reached from this computer.

    SPT's config has two addresses: `ip`/`port`, where the server listens, and `backendIp`/`backendPort`, what it
    tells game clients (often a public or VPN address, or a port forwarded by a router). Kappa runs on the same
    computer as this install, so the listening address is the one that surely works: a public address would depend
    on the router looping back, and a forwarded port may differ from the one the server opened.
    """
    settings: dict[str, tuple[Any, Path, str]] = {}  # key -> (value, file, where in it)
    if spt is not None and http_file is not None:
        for key in ("ip", "port", "backendIp", "backendPort"):
            if key in spt:
                settings[key] = (spt[key], http_file, key)
    fika_http = _section(fika, "server", "SPT", "http")
    if fika_http is not None and fika_file is not None:
        for key in ("ip", "port", "backendIp", "backendPort"):
            if key in fika_http:
                settings[key] = (fika_http[key], fika_file, f"server.SPT.http.{key}")
    ip = _host(settings.get("ip"))
    backend_ip = _host(settings.get("backendIp"))
    listen_port = _port(settings.get("port"))
    backend_port = _port(settings.get("backendPort"))

    if "ip" in settings:
        host = ip if ip not in _ANY_ADDRESS else DEFAULT_HOST  # every interface includes loopback
    else:
        host = backend_ip if backend_ip not in _ANY_ADDRESS else DEFAULT_HOST
    port = listen_port or backend_port or DEFAULT_PORT
    if fika_http is not None:
        notes.append("The address comes from Fika's fika.jsonc (server.SPT.http), which Fika applies over SPT's "
                     "http.json.")
    elif http_file is not None:
        notes.append(f"The address comes from SPT's {_relative(install, http_file)}.")
    else:
        notes.append(f"SPT's http.json was not found; SPT's default address {DEFAULT_HOST}:{DEFAULT_PORT} is used.")
    if ip in _ANY_ADDRESS and "ip" in settings:
        notes.append(f"The server listens on every network interface ({ip or 'no address given'}); Kappa reaches "
                     f"it through {host}.")
    backend = _joined(backend_ip, backend_port or port) if backend_ip not in _ANY_ADDRESS else None
    if backend and backend != _joined(host, port):
        notes.append(f"Players are told to connect to {backend}; Kappa, on this computer, uses the address the "
                     f"server listens on ({_joined(host, port)}).")
    return f"https://{_joined(host, port)}"


def _host(setting: tuple[Any, Path, str] | None) -> str:
    if setting is None:
        return ""
    value, file, where = setting
    if not isinstance(value, str):
        raise NoLocalServer(f"In {file}, {where} is {value!r}, which is not an address. Put the server's IP "
                            f'address there in quotes, for example "127.0.0.1".')
    return value.strip()


def _port(setting: tuple[Any, Path, str] | None) -> int | None:
    if setting is None:
        return None
    value, file, where = setting
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if number is None or not 1 <= number <= 65535:
        raise NoLocalServer(f"In {file}, {where} is {value!r}, which is not a port number (1 to 65535); SPT's "
                            f"default is {DEFAULT_PORT}.")
    return number


def _joined(host: str, port: int) -> str:
    host = host.strip("[]")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _api_key(fika: dict[str, Any] | None) -> str | None:
    server = _section(fika, "server")
    key = server.get("apiKey") if server is not None else None
    if not isinstance(key, str) or not key.strip():
        return None
    register_secret(key)  # never in the log
    return key.strip()


def _fika_notes(install: SptInstall, fika_file: Path | None, api_key: str | None, notes: list[str]) -> None:
    if fika_file is None:
        notes.append("Fika is installed, but its fika.jsonc does not exist yet: the server writes it (with an API "
                     "key) the first time it starts with Fika.")
    elif api_key is None:
        notes.append("fika.jsonc has no API key yet: Fika makes one when the server next starts.")
    if install.layout == LAYOUT_3X:
        notes.append("Fika for SPT 3.x has no admin API (fika/api); the Fika panel needs SPT 4.x with Fika 2.0 "
                     "or later.")


def _section(document: dict[str, Any] | None, *keys: str) -> dict[str, Any] | None:
    current: Any = document
    for key in keys:
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current if isinstance(current, dict) else None


def _read_jsonc(path: Path) -> dict[str, Any]:
    """A JSON file that may have comments and trailing commas (JSONC, read as JSON5), as an object."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise NoLocalServer(f"Kappa cannot read {path}: it is not UTF-8 text.") from None
    except OSError as exc:
        raise NoLocalServer(f"Kappa cannot read {path}: {exc.strerror or exc}.") from None
    if not text.strip():
        raise NoLocalServer(f"{path} is empty. Delete it and start the server once: it writes a fresh one.")
    try:
        document = json5.loads(text)
    except ValueError as exc:
        raise NoLocalServer(f"{path} is not valid JSON ({_where(exc)}). Fix it in a text editor, or delete it and "
                            "start the server once to get a fresh one.") from None
    if not isinstance(document, dict):
        raise NoLocalServer(f"{path} does not hold a JSON object ({{ ... }}) as a server config does.")
    return document


def _where(exc: ValueError) -> str:
    """'line 5, column 3: Unexpected "}"' from json5's '<string>:5 Unexpected "}" at column 3'."""
    message = str(exc)
    match = _JSON5_ERROR.match(message)
    if match:
        return f"line {match.group(1)}, column {match.group(3)}: {match.group(2)}"
    return message


def _http_json(install: SptInstall) -> Path | None:
    if install.layout == LAYOUT_3X:
        candidates = [_find(install.root, *parts) for parts in _HTTP_JSON_3X]
    else:
        candidates = [_find(install.server_dir, *parts) for parts in _HTTP_JSON_4X]
    return next((path for path in candidates if path is not None and path.is_file()), None)


def _fika_config(mods_dir: Path) -> Path | None:
    """fika.jsonc of the Fika server mod: in user/mods/fika-server, or in whatever a player renamed that folder."""
    folders = _folders(mods_dir)
    folders.sort(key=lambda folder: (folder.name.lower() != FIKA_FOLDER, "fika" not in folder.name.lower(),
                                     folder.name.lower()))
    for folder in folders:
        found = _find(folder, *_FIKA_CONFIG)
        if found is not None and found.is_file():
            return found
    return None


def _fika_folder(mods_dir: Path) -> Path | None:
    for folder in _folders(mods_dir):
        if folder.name.lower() == FIKA_FOLDER or any(_find(folder, dll) for dll in _FIKA_DLLS):
            return folder
    return None


def _folders(folder: Path) -> list[Path]:
    try:
        return [entry for entry in folder.iterdir() if entry.is_dir()]
    except OSError:
        return []


def _certificate_file(server_dir: Path) -> Path | None:
    for name in _CERTIFICATE_FILES:
        found = _find(server_dir, "user", "certs", name)
        if found is not None and found.is_file():
            return found
    return None


def _find(base: Path, *parts: str) -> Path | None:
    """base/parts, matching each name case-insensitively: installs copied from Windows keep odd capitals."""
    current = base
    for part in parts:
        exact = current / part
        if exact.exists():
            current = exact
            continue
        try:
            current = next(entry for entry in current.iterdir() if entry.name.lower() == part.lower())
        except (OSError, StopIteration):
            return None
    return current


def _relative(install: SptInstall, path: Path) -> str:
    try:
        return path.relative_to(install.root).as_posix()
    except ValueError:
        return str(path)
