"""Finding an SPT install on disk and telling which generation it is.

Three layouts exist (see shared/reference/spt-ecosystem.md section 2.1):
  3.x  the Node server at the game root: `user/mods`, `SPT_Data/Server/configs/core.json` (older: `Aki_Data`)
  4.0  the C# server in `<game>/SPT/`: `SPT/user/mods`, version in `SPT/SPTarkov.Server.Core.dll`
  4.1  the same in `<game>/SPT_Runtime/`
Client mods live in `<game>/BepInEx` for every generation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.dotnet import AssemblyReadError, read_version_resource
from app.core.errors import KappaError

LAYOUT_3X, LAYOUT_40, LAYOUT_41 = "3.x", "4.0", "4.1"
SERVER_CORE_DLL = "SPTarkov.Server.Core.dll"
_SERVER_DIRS = (("SPT_Runtime", LAYOUT_41), ("SPT", LAYOUT_40))
_CORE_JSON_3X = ("SPT_Data/Server/configs/core.json", "Aki_Data/Server/configs/core.json")
_SPT_CORE_PLUGIN = "BepInEx/plugins/spt/spt-core.dll"
_GAME_EXE = "EscapeFromTarkov.exe"


class NotAnSptInstall(KappaError):
    """The folder is not inside an SPT install."""


@dataclass(frozen=True)
class SptInstall:
    """Where everything of one SPT install is, and which versions it runs."""

    root: Path  # the game root: the folder with EscapeFromTarkov.exe and BepInEx/
    layout: str  # "3.x" | "4.0" | "4.1"
    server_dir: Path  # root (3.x), root/SPT (4.0) or root/SPT_Runtime (4.1)
    version: str | None  # the SPT version, e.g. "4.0.11"; None when no file says it
    eft_version: str | None = None  # EscapeFromTarkov.exe product version, e.g. "0.16.9.40087"

    @property
    def mods_dir(self) -> Path:
        return self.server_dir / "user" / "mods"

    @property
    def disabled_mods_dir(self) -> Path:
        return self.server_dir / "user" / "mods.disabled"

    @property
    def bepinex_dir(self) -> Path:
        return self.root / "BepInEx"

    @property
    def eft_build(self) -> int | None:
        """The client build number (the last numeric part of the product version, e.g. 40087)."""
        if not self.eft_version:
            return None
        numbers = [part for part in self.eft_version.split(".") if part.isdigit()]
        return int(numbers[-1]) if len(numbers) >= 4 else None

    def moved_to(self, root: Path) -> SptInstall:
        """The same install laid out under another folder (Kappa's disabled store, a staging area)."""
        return replace(self, root=root, server_dir=root / self.server_dir.relative_to(self.root))

    def relative(self, path: Path) -> str:
        """`path` relative to the game root, with forward slashes (the scan contract's form)."""
        return path.relative_to(self.root).as_posix()


def find_spt_root(start: Path) -> Path:
    """The SPT game root for `start`, which may be the root itself or any folder inside it."""
    start = start.expanduser()
    if not start.exists():
        raise NotAnSptInstall(f"{start} does not exist")
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for candidate in (here, *here.parents):
        if _looks_like_spt_root(candidate):
            return candidate
    raise NotAnSptInstall(
        f"{start} is not inside an SPT install: no SPT/, SPT_Runtime/ or SPT_Data/ folder was found "
        "there or in any folder above it"
    )


def open_install(start: Path) -> SptInstall:
    """Find the SPT root from `start` and read its layout and versions."""
    root = find_spt_root(start)
    layout, server_dir = _detect_layout(root)
    version = _spt_version(root, layout, server_dir)
    if layout == LAYOUT_40 and version and _minor_at_least(version, 4, 1):
        layout = LAYOUT_41  # an SPT 4.1 build assembled into SPT/ (seen in bento snapshots)
    return SptInstall(root=root, layout=layout, server_dir=server_dir, version=version,
                      eft_version=_eft_version(root))


def _looks_like_spt_root(folder: Path) -> bool:
    for name, _ in _SERVER_DIRS:
        server = folder / name
        if (server / SERVER_CORE_DLL).is_file() or (server / "user" / "mods").is_dir():
            return True
    return any((folder / core).is_file() for core in _CORE_JSON_3X) or (folder / "SPT_Data" / "Server").is_dir()


def _detect_layout(root: Path) -> tuple[str, Path]:
    # When both SPT/ and SPT_Runtime/ exist (an upgrade left the old one behind), the folder that holds
    # the server wins, and SPT_Runtime over SPT when both do.
    for require_core in (True, False):
        for name, layout in _SERVER_DIRS:
            server = root / name
            found = (server / SERVER_CORE_DLL).is_file() if require_core else (server / "user" / "mods").is_dir()
            if found:
                return layout, server
    return LAYOUT_3X, root


def _spt_version(root: Path, layout: str, server_dir: Path) -> str | None:
    if layout == LAYOUT_3X:
        return _version_from_core_json(root)
    for dll in (server_dir / SERVER_CORE_DLL, root / _SPT_CORE_PLUGIN):
        version = _file_version_of(dll)
        if version:
            return version
    return None


def _file_version_of(dll: Path) -> str | None:
    """First three numeric parts of a DLL's file version ("4.0.11.0" -> "4.0.11")."""
    if not dll.is_file():
        return None
    try:
        file_version, _ = read_version_resource(dll)
    except AssemblyReadError:
        return None
    return _first_three_parts(file_version) if file_version else None


def _first_three_parts(text: str) -> str | None:
    match = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        return None
    major, minor, patch = match.group(1), match.group(2), match.group(3) or "0"
    return f"{int(major)}.{int(minor)}.{int(patch)}"


def _version_from_core_json(root: Path) -> str | None:
    for relative in _CORE_JSON_3X:
        path = root / relative
        if not path.is_file():
            continue
        try:
            config = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            return None
        value = config.get("sptVersion") or config.get("akiVersion") if isinstance(config, dict) else None
        return _first_three_parts(value) if isinstance(value, str) else None
    return None


def _eft_version(root: Path) -> str | None:
    """The client's product version without its commit suffix ("0.16.9.40087-f1f8f8cf" -> "0.16.9.40087")."""
    exe = root / _GAME_EXE
    if not exe.is_file():
        return None
    try:
        file_version, product_version = read_version_resource(exe)
    except AssemblyReadError:
        return None
    text = product_version or file_version
    return text.split("-")[0].strip() if text else None


def _minor_at_least(version: str, major: int, minor: int) -> bool:
    parts = version.split(".")
    try:
        return (int(parts[0]), int(parts[1])) >= (major, minor)
    except (IndexError, ValueError):
        return False
