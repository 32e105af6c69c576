"""What `kappa --smoke-test` checks beyond the window: that a build holds everything Kappa loads only when needed.

A frozen build (packaging/kappa.spec) holds only what PyInstaller saw imported. Kappa imports its archive readers,
its .NET metadata readers, the OS keyring's backend and the sandbox on first use, so a build that misses one
starts fine and fails later, in front of the player. The smoke test imports them all at once instead.

The spec takes its hidden imports from `LAZY_IMPORTS` and `platform_imports()`, and tests/unit/test_packaging.py
checks that every import made inside a function in app/ is listed here. This module imports nothing heavy at
module level: the spec reads it without Qt.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

LAZY_IMPORTS: tuple[str, ...] = (
    # archives (app/core/archive.py): 7z through py7zr and the codecs it picks per archive, RAR listing, Deflate64
    "py7zr",
    "py7zr.compressor",
    "py7zr.exceptions",
    "py7zr.helpers",
    "py7zr.io",
    "py7zr.py7zr",
    "pyppmd",
    "bcj",
    "brotli",
    "backports.zstd",
    "multivolumefile",
    "Cryptodome.Cipher.AES",
    "inflate64",
    "rarfile",
    # .NET metadata (app/core/dotnet.py, also run in the scan's worker processes)
    "dnfile",
    "dncil.cil.body",
    "dncil.cil.opcode",
    "pefile",
    # the OS keyring (app/core/secrets.py); the platform's backend is in platform_imports()
    "keyring",
    "keyring.backends.chainer",
    "keyring.backends.fail",
    # network: httpx's async backend (loaded by name), its HTTP/1.1 connection, certifi's authorities
    "httpx",
    "httpcore._async.http11",
    "anyio",
    "anyio._backends._asyncio",
    "h11",
    "certifi",
    # the rest of what is loaded on first use
    "psutil",
    "json5",
    "cryptography.x509",
    "cryptography.hazmat.primitives.asymmetric.ec",
    "cryptography.hazmat.primitives.asymmetric.rsa",
    "cryptography.hazmat.primitives.serialization",
    "resolvelib",
    "pydantic",
    "platformdirs",
    "PySide6.QtWidgets",
    # Kappa's own modules imported inside functions: the demo and the sandbox, the server clients
    "app.core.cert_pins",
    "app.core.local_server",
    "app.core.scan",
    "app.net.dedicated",
    "app.net.fika",
    "app.net.tls",
    "app.sandbox.certificates",
    "app.sandbox.dedicated",
    "app.sandbox.demo_servers",
    "app.sandbox.fika",
    "app.sandbox.file_host",
    "app.sandbox.forge",
    "app.sandbox.forge.server",
    "app.sandbox.sample_install",
    "app.sandbox.serving",
    "app.ui.app",
    "app.ui.servers_dock",
)

# the keyring backend each platform uses, and what that backend imports only when it can (a missing one makes the
# backend silently unusable rather than failing an import)
_PLATFORM_IMPORTS: dict[str, tuple[str, ...]] = {
    "win32": ("keyring.backends.Windows", "win32ctypes.pywin32.win32cred", "win32ctypes.pywin32.pywintypes"),
    "darwin": ("keyring.backends.macOS", "keyring.backends.macOS.api"),
    "linux": ("keyring.backends.SecretService", "secretstorage", "jeepney", "jeepney.io.blocking"),
}
_KEYRING_BACKEND: dict[str, str] = {"win32": "Windows", "darwin": "macOS", "linux": "SecretService"}

# image formats the Browse view's thumbnails come in (PNG is built into Qt; the others are plugins)
IMAGE_FORMATS = ("png", "jpeg", "gif", "webp", "ico")

WORKER_TIMEOUT = 60.0


def _platform() -> str:
    return "linux" if sys.platform.startswith("linux") else sys.platform


def platform_imports() -> tuple[str, ...]:
    """The modules only this platform needs (its keyring backend and what that backend uses)."""
    return _PLATFORM_IMPORTS.get(_platform(), ())


def modules_to_check() -> tuple[str, ...]:
    return (*LAZY_IMPORTS, *platform_imports())


def check_lazy_imports() -> list[str]:
    """Import every module Kappa loads on first use; one line per problem (empty: all present).

    Also checks what those modules find by name rather than by import: the keyring's backends (package metadata)
    and certifi's bundle of authorities (a data file)."""
    problems = []
    for name in modules_to_check():
        try:
            importlib.import_module(name)
        except Exception as exc:  # an import can fail with anything a module runs at import time
            problems.append(f"cannot import {name}: {type(exc).__name__}: {exc}")
    problems += _keyring_problems()
    problems += _certifi_problems()
    return problems


def _keyring_problems() -> list[str]:
    from importlib.metadata import entry_points

    backend = _KEYRING_BACKEND.get(_platform())
    names = {entry.name for entry in entry_points(group="keyring.backends")}
    if backend is not None and backend not in names:
        return [f"keyring cannot find its {backend} backend (the keyring package's metadata is missing)"]
    return []


def _certifi_problems() -> list[str]:
    try:
        import certifi
    except ImportError:
        return []  # reported above
    if not Path(certifi.where()).is_file():
        return [f"certifi's certificate bundle is missing ({certifi.where()})"]
    return []


def check_runtime() -> list[str]:
    """What the window needs beyond modules: Qt's image format plugins for the Forge's thumbnails, and the scan's
    worker processes (a frozen app must start them as workers, not as a second Kappa). Needs a QGuiApplication."""
    return [*_image_format_problems(), *_worker_problems()]


def _image_format_problems() -> list[str]:
    from PySide6.QtGui import QImageReader

    supported = {bytes(name.data()).decode().lower() for name in QImageReader.supportedImageFormats()}
    return [f"Qt cannot read {fmt} images (its image format plugin is missing)"
            for fmt in IMAGE_FORMATS if fmt not in supported]


def _worker_problems() -> list[str]:
    import multiprocessing

    from app.core.scan import _parse_dll_args
    from app.sandbox.sample_install import ASSEMBLIES

    dll = ASSEMBLIES / "lib" / "BepInEx.dll"
    if not dll.is_file():
        return [f"the sample install's assemblies are missing ({dll})"]
    try:
        with multiprocessing.get_context("spawn").Pool(1) as pool:  # the scan's context; leaving terminates it
            record = pool.apply_async(_parse_dll_args, ((str(dll), False),)).get(timeout=WORKER_TIMEOUT)
    except Exception as exc:
        return [f"a scan worker process failed: {type(exc).__name__}: {exc}"]
    if "error" in record:
        return [f"a scan worker process could not read {dll.name}: {record['error']}"]
    return []
