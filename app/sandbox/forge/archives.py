"""Real, installation-ready archives for every version in a catalogue (zip and 7z).

Layouts follow the Forge's content guidelines and its verifier: server mods in ``SPT/user/mods/<Folder>/`` (4.0)
or ``SPT_Runtime/user/mods/<Folder>/`` (4.1), client plugins in ``BepInEx/plugins/<Folder>/`` (or loose),
patchers in ``BepInEx/patchers/``, and SPT 3.x server mods as ``user/mods/<folder>/`` packages with a
package.json and ``src/mod.js``. DLLs are byte-for-byte copies of the compiled test assemblies in
``app/sandbox/assemblies`` (see tests/assemblies/README.md), except that the mod version a DLL declares is
rewritten to the archive's version where both strings have the same length (0.9.14 -> 0.9.15), so an installed
update reads as the version it is; where the lengths differ (1.0.0-beta.2 -> 1.0.0) the DLL keeps its compiled
version. Mods without a compiled assembly carry a helper-library DLL named after the folder.

Building is deterministic, and an archive directory that already holds the same archives (same manifest
fingerprint) is reused rather than rebuilt, so test sessions and demo starts stay fast.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import py7zr

from app.core.dotnet import AssemblyReadError, read_assembly
from app.sandbox.forge.catalogue import (
    CLIENT_FILLER,
    SERVER_FILLER,
    Addon,
    AddonVersion,
    Catalogue,
    Mod,
    ModVersion,
    Part,
)
from app.sandbox.sample_install import ASSEMBLIES

MANIFEST = "manifest.json"
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_SERVER_ROOTS = {"4.0": "SPT/user/mods", "4.1": "SPT_Runtime/user/mods", "3.x": "user/mods"}
CONTENT_TYPES = {".zip": "application/zip", ".7z": "application/x-7z-compressed"}


@dataclass(frozen=True)
class _Planned:
    name: str
    entries: tuple[tuple[str, bytes], ...]
    target: ModVersion | AddonVersion


def archive_entries(mod: Mod, version: ModVersion) -> list[tuple[str, bytes]]:
    """The files of `version`'s archive: (path inside the archive, content), in a stable order."""
    entries: list[tuple[str, bytes]] = []
    for part in mod.parts:
        entries.extend(_part_entries(mod, version, part))
    return entries


def _part_entries(mod: Mod, version: ModVersion, part: Part) -> list[tuple[str, bytes]]:
    if part.kind == "server" and version.layout == "3.x":
        return _package_entries(mod, version, part)
    if part.kind == "server":
        root = f"{_SERVER_ROOTS[version.layout]}/{part.folder}"
        filler = SERVER_FILLER
    elif part.kind == "patcher":
        root, filler = "BepInEx/patchers", CLIENT_FILLER
    else:
        root = "BepInEx/plugins" + (f"/{part.folder}" if part.folder else "")
        filler = CLIENT_FILLER
    if part.sources:
        return [(f"{root}/{Path(source).name}", _assembly_for(source, version.version)) for source in part.sources]
    name = part.folder.rsplit("/", 1)[-1] or mod.slug
    return [(f"{root}/{name}.dll", _assembly(filler))]


def _package_entries(mod: Mod, version: ModVersion, part: Part) -> list[tuple[str, bytes]]:
    """An SPT 3.x server mod: only package.json matters to a scan; the code is never run."""
    package = {
        "name": part.folder,
        "version": version.version,
        "sptVersion": version.spt_constraint.strip() or "~3.7.0",
        "author": mod.owner.name,
        "license": "MIT",
        "main": "src/mod.js",
        "modDependencies": {_package_name(d.guid): d.constraint for d in version.dependencies},
    }
    root = f"user/mods/{part.folder}"
    return [
        (f"{root}/package.json", (json.dumps(package, indent=2) + "\n").encode()),
        (f"{root}/src/mod.js", b"// sample server mod from the local Forge: never executed by Kappa\n"),
    ]


def _package_name(guid: str) -> str:
    # 3.x packages name their dependencies by package name, which for these mods is the GUID's last part.
    return {"xyz.drakia.bigbrain": "BigBrain", "xyz.drakia.waypoints": "Waypoints"}.get(guid, guid.rsplit(".", 1)[-1])


_ASSEMBLY_CACHE: dict[str, bytes] = {}


def _assembly(relative: str) -> bytes:
    if relative not in _ASSEMBLY_CACHE:
        _ASSEMBLY_CACHE[relative] = (ASSEMBLIES / relative).read_bytes()
    return _ASSEMBLY_CACHE[relative]


def _assembly_for(relative: str, version: str) -> bytes:
    """The compiled assembly with its declared mod version rewritten to `version` (same length only).

    The version is a length-prefixed UTF-8 string in an attribute blob (plugins) or a UTF-16 user string
    (server metadata); replacing it with one of the same length keeps every offset valid. The result is read
    back and used only if it reads as `version`.
    """
    data = _assembly(relative)
    wanted = version.split("+", 1)[0]
    declared = _declared_versions(relative)
    olds = [old for old in declared if old != wanted and len(old) == len(wanted)]
    if not olds:
        return data
    for old in olds:
        data = data.replace(bytes([len(old)]) + old.encode(), bytes([len(wanted)]) + wanted.encode())
        data = data.replace(old.encode("utf-16-le"), wanted.encode("utf-16-le"))
    return data if _declared_versions_of(data) == {wanted} else _assembly(relative)


_DECLARED_CACHE: dict[str, set[str]] = {}


def _declared_versions(relative: str) -> set[str]:
    if relative not in _DECLARED_CACHE:
        _DECLARED_CACHE[relative] = _declared_versions_of(_assembly(relative))
    return _DECLARED_CACHE[relative]


def _declared_versions_of(data: bytes) -> set[str]:
    with tempfile.TemporaryDirectory(prefix="kappa-forge-dll-") as folder:
        path = Path(folder) / "probe.dll"
        path.write_bytes(data)
        try:
            info = read_assembly(path)
        except AssemblyReadError:
            return set()
    return {p.version for p in info.plugins} | {m.version for m in info.server_mods if m.version}


def archive_name(slug: str, version: str, archive_format: str) -> str:
    # '+' is legal in a URL path but is turned into a space by some clients; hosts avoid it in file names.
    return f"{slug}-{version.replace('+', '-')}.{archive_format}"


def _plan(catalogue: Catalogue) -> list[_Planned]:
    planned = []
    for mod in catalogue.mods:
        for version in mod.versions:
            if version.direct_link:
                name = archive_name(mod.slug, version.version, version.archive_format)
                planned.append(_Planned(name, tuple(archive_entries(mod, version)), version))
    for addon in catalogue.addons:
        planned.extend(_plan_addon(addon))
    return planned


def _plan_addon(addon: Addon) -> Iterable[_Planned]:
    for version in addon.versions:
        entries = tuple((path, f"{text}\n{addon.slug} {version.version}\n".encode()) for path, text in addon.files)
        yield _Planned(archive_name(addon.slug, version.version, "zip"), entries, version)


def _fingerprint(planned: list[_Planned]) -> str:
    digest = hashlib.sha256()
    for item in planned:
        digest.update(item.name.encode() + b"\0")
        for path, data in item.entries:
            digest.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def build_archives(catalogue: Catalogue, directory: Path) -> None:
    """Write every version's archive into `directory` and record name, size and file tree on the version."""
    directory.mkdir(parents=True, exist_ok=True)
    planned = _plan(catalogue)
    fingerprint = _fingerprint(planned)
    sizes = _reusable_sizes(directory, fingerprint, planned)
    if sizes is None:
        sizes = {item.name: _write(directory / item.name, item.entries) for item in planned}
        _write_atomically(directory / MANIFEST, json.dumps({"fingerprint": fingerprint, "sizes": sizes}).encode())
    for item in planned:
        item.target.archive_name = item.name
        item.target.content_length = sizes[item.name]
        item.target.file_tree = tuple(path for path, _ in item.entries)


def _reusable_sizes(directory: Path, fingerprint: str, planned: list[_Planned]) -> dict[str, int] | None:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("fingerprint") != fingerprint:
        return None
    sizes = manifest.get("sizes")
    if not isinstance(sizes, dict):
        return None
    for item in planned:
        path = directory / item.name
        if not path.is_file() or path.stat().st_size != sizes.get(item.name):
            return None
    return {str(k): int(v) for k, v in sizes.items()}


def _write(path: Path, entries: tuple[tuple[str, bytes], ...]) -> int:
    data = _zip_bytes(entries) if path.suffix == ".zip" else _7z_bytes(entries)
    _write_atomically(path, data)
    return len(data)


def _zip_bytes(entries: tuple[tuple[str, bytes], ...]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries:
            info = zipfile.ZipInfo(path, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _7z_bytes(entries: tuple[tuple[str, bytes], ...]) -> bytes:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as archive:
        for path, data in entries:
            # writef, not writestr: py7zr 1.1 cannot read back a multi-file archive written with writestr.
            archive.writef(io.BytesIO(data), path)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    # Another Forge may be reading the same directory; it must never see half a file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
