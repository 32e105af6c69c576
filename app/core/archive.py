"""Mod archives: what is inside one, where each file goes in an SPT install, and extraction into a staging folder.

Three steps, each usable on its own:

- `inspect_archive` reads headers only (never file data) and refuses anything hostile before a byte is written:
  unsafe or Windows-invalid names, links and device entries, too many files, size and compression-ratio bombs,
  passwords, damage, a wrong extension, names that collide on a case-insensitive file system.
- `plan_layout` maps the entries onto the install's layout ("3.x" | "4.0" | "4.1"): `BepInEx/`, `SPT/`,
  `SPT_Runtime/` and `user/mods/` roots, one wrapper folder, a 3.x server mod folder (package.json), loose client
  plugin DLLs; root readme/licence/image files are skipped.
- `extract` streams the planned files into a staging folder in 1 MiB chunks, counting the real bytes (headers can
  lie), hashing each file, reporting progress and honouring cancellation; on any failure it removes what it wrote.

Formats: zip (stored, deflate, deflate64, bzip2, lzma), 7z (py7zr; 7-Zip on the machine for methods py7zr lacks,
such as BCJ2, or cannot unpack safely: PPMd), rar (rarfile lists; an installed UnRAR or 7-Zip unpacks compressed
members) and a bare `.dll`.
"""

from __future__ import annotations

import bz2
import contextlib
import functools
import hashlib
import importlib.util
import lzma
import os
import queue
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from app.core.errors import KappaError

CHUNK_SIZE = 1 << 20  # bytes per read and write while extracting

LAYOUTS = ("3.x", "4.0", "4.1")
FORMATS = ("zip", "7z", "rar", "dll")


class ArchiveError(KappaError):
    """An archive Kappa refuses or cannot read. Message: "<archive name>: <entry>: <rule in words>"."""


class ExtractionCancelled(ArchiveError):
    """The user cancelled an extraction; whatever had been written to staging was removed."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_files: int = 5000
    max_total_size: int = 4 * 2**30
    max_entry_size: int = 2 * 2**30
    max_ratio: float = 200.0  # per entry (when its size > ratio_floor) and for the whole archive
    ratio_floor: int = 2**20


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class ArchiveEntry:
    name: str  # forward slashes, as stored (decoded); directories are not listed
    size: int
    compressed_size: int | None


@dataclass(frozen=True)
class ArchiveListing:
    path: Path
    format: str  # "zip" | "7z" | "rar" | "dll"
    files: tuple[ArchiveEntry, ...]

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.files)


@dataclass(frozen=True)
class Placement:
    source: str  # entry name in the archive ("" for a bare dll)
    target: str  # relative to the SPT root, forward slashes
    size: int


@dataclass(frozen=True)
class InstallLayout:
    placements: tuple[Placement, ...]
    skipped: tuple[str, ...]  # root readme/licence/txt/md/url/images and OS junk, not copied into the game

    @property
    def total_size(self) -> int:
        return sum(placement.size for placement in self.placements)


@dataclass(frozen=True)
class StagedFile:
    target: str
    path: Path
    size: int
    sha256: str


# ---------------------------------------------------------------------------------------------------------------------
# Messages

def _shown(name: str) -> str:
    """An entry name as it can be printed: control characters become visible escapes."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in name)


def _refuse(archive: Path, rule: str, entry: str | None = None) -> ArchiveError:
    if not entry:  # archive-wide rules, and a bare DLL (the file is its only entry)
        return ArchiveError(f"{archive.name}: {rule}")
    return ArchiveError(f"{archive.name}: {_shown(entry)}: {rule}")


def _human_size(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


_DAMAGED = "the archive is damaged or incomplete ({detail}); download it again"


# ---------------------------------------------------------------------------------------------------------------------
# Format sniffing: the bytes decide, and the extension must agree (a mismatch usually means a mislabelled download)

_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07\x01\x00", "rar"),  # RAR 5
    (b"Rar!\x1a\x07\x00", "rar"),  # RAR 1.5 to 4
    (b"MZ", "dll"),
)
_EXTENSIONS = {".zip": "zip", ".7z": "7z", ".rar": "rar", ".dll": "dll"}
_FORMAT_WORDS = {"zip": "a zip archive", "7z": "a 7z archive", "rar": "a RAR archive", "dll": "a DLL (Windows library)"}


def _sniff(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise _refuse(path, f"cannot be read ({exc.strerror or exc})") from exc
    detected = next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)
    named = _EXTENSIONS.get(path.suffix.lower())
    if detected is not None and detected == named:
        return detected
    raise _refuse(path, _sniff_problem(head, path.suffix, named, detected))


def _sniff_problem(head: bytes, suffix: str, named: str | None, detected: str | None) -> str:
    shown_suffix = suffix or "(no extension)"
    if detected is not None and named is not None:
        return (f"the file is named {shown_suffix} but is {_FORMAT_WORDS[detected]}: wrong extension, rename it "
                "or get it again")
    if detected is not None:
        return (f"the file is named {shown_suffix} but is {_FORMAT_WORDS[detected]}; "
                "Kappa installs .zip, .7z, .rar and .dll files with the right extension")
    if not head:
        return "the file is empty (the download probably failed)"
    if head.lstrip()[:1] == b"<":
        return "the file is a web page, not an archive (the link led to a download page, not to the file)"
    if named is not None:
        return (f"the file is named {shown_suffix} but is not {_FORMAT_WORDS[named]} (damaged, or a different kind "
                "of file)")
    return "the file is not a zip, 7z or rar archive nor a DLL, so Kappa cannot install it"


# ---------------------------------------------------------------------------------------------------------------------
# Entry names: one normal form (forward slashes), and every rule that keeps extraction inside the game folder
# and the names creatable on Windows

_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in [*"0123456789", "\u00b9", "\u00b2", "\u00b3"]]
)
_WINDOWS_FORBIDDEN_CHARS = frozenset('<>:"|?*')
_DRIVE = re.compile(r"^[A-Za-z]:")
_MAX_COMPONENT = 255  # longest file or folder name NTFS and ext4 accept


class _NameProblem(Exception):
    """An entry name breaks a rule; the message says which, in player words."""


def _normalise_entry_name(raw: str) -> str:
    """The entry's path with forward slashes and no empty or "." parts; _NameProblem when it is unsafe."""
    if "\x00" in raw:
        raise _NameProblem("the name contains a NUL character, which no file system allows")
    name = raw.replace("\\", "/")  # some Windows tools store backslashes; they are separators there
    if name.startswith("/"):
        raise _NameProblem("the path is absolute (starts at the root of a disk); archive paths must be relative")
    if _DRIVE.match(name):
        raise _NameProblem(f"the path starts with a drive letter ({name[:2]}); archive paths must be relative")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts:
        raise _NameProblem("the entry has an empty name")
    for part in parts:
        _check_component(part)
    return "/".join(parts)


def _check_component(part: str) -> None:
    if part == "..":
        raise _NameProblem("the path climbs out of its folder with '..'; an archive must not write outside the game")
    for ch in part:
        if ch in _WINDOWS_FORBIDDEN_CHARS:
            raise _NameProblem(f"the name contains '{ch}', a character Windows does not allow in file names")
        if ord(ch) < 32:
            raise _NameProblem("the name contains a control character, which Windows does not allow in file names")
    if part[-1] in ". ":
        raise _NameProblem("the name ends with a dot or a space, which Windows does not allow (it drops them)")
    if part.split(".")[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        raise _NameProblem(f"'{part}' uses a name Windows reserves for a device, so the file cannot exist on Windows")
    if len(part) > _MAX_COMPONENT:
        raise _NameProblem(f"a file or folder name is longer than {_MAX_COMPONENT} characters")


def _collision_key(name: str) -> str:
    # Windows compares names ignoring case with a simple one-letter-to-one-letter mapping, like str.lower()
    # (casefold would also merge "ß" and "ss", which Windows keeps apart).
    return name.lower()


# ---------------------------------------------------------------------------------------------------------------------
# One entry as a format reader sees it, before the common rules run

_FILE, _DIR, _SYMLINK, _HARDLINK, _SPECIAL = "file", "directory", "symlink", "hardlink", "special"

_KIND_RULES = {
    _SYMLINK: "the entry is a link; links are refused because they can point outside the game folder",
    _HARDLINK: "the entry is a hard link to another entry; links are refused",
    _SPECIAL: "the entry is a device, pipe or socket, not a regular file",
}


@dataclass
class _Member:
    raw_name: str  # how the reader library names it (the key used to extract it)
    kind: str
    size: int
    compressed_size: int | None
    encrypted: bool = False
    problem: str | None = None  # a format-specific refusal (unsupported method, multi-volume...)
    offset: int = 0  # zip: local header offset
    name: str = ""  # filled by the common checks
    handle: Any = field(default=None, repr=False)


def _kind_from_mode(mode: int) -> str | None:
    """The kind a POSIX st_mode describes, None when it carries no file type."""
    file_type = stat.S_IFMT(mode)
    if file_type == 0:
        return None
    if file_type == stat.S_IFREG:
        return _FILE
    if file_type == stat.S_IFDIR:
        return _DIR
    if file_type == stat.S_IFLNK:
        return _SYMLINK
    return _SPECIAL


def _validate(archive: Path, members: list[_Member], limits: ArchiveLimits) -> tuple[ArchiveEntry, ...]:
    """Apply every format-independent rule; returns the files (directories dropped) or raises ArchiveError."""
    _check_count(archive, members, limits)
    files: list[ArchiveEntry] = []
    for member in members:
        try:
            member.name = _normalise_entry_name(member.raw_name)
        except _NameProblem as problem:
            raise _refuse(archive, str(problem), member.raw_name) from None
        if member.kind in _KIND_RULES:
            raise _refuse(archive, _KIND_RULES[member.kind], member.name)
        if member.encrypted:
            raise _refuse(archive, "the entry is password-protected; Kappa installs only archives without a password",
                          member.name)
        if member.problem:
            raise _refuse(archive, member.problem, member.name)
        if member.kind == _FILE:
            _check_entry_size(archive, member, limits)
            files.append(ArchiveEntry(member.name, member.size, member.compressed_size))
    _check_collisions(archive, [member.name for member in members], {m.name for m in members if m.kind == _DIR})
    _check_totals(archive, files, limits)
    return tuple(files)


def _check_count(archive: Path, members: list[_Member], limits: ArchiveLimits) -> None:
    file_count = sum(1 for member in members if member.kind != _DIR)
    if file_count > limits.max_files:
        raise _refuse(archive, f"the archive holds {file_count} files, more than the limit of {limits.max_files}; "
                               "no mod needs that many, so it is refused as an archive bomb")
    # Folder entries cost nothing to write but a header with millions of them is still an attack.
    if len(members) > 2 * limits.max_files:
        raise _refuse(archive, f"the archive holds {len(members)} entries, more than the limit of "
                               f"{2 * limits.max_files}; refused as an archive bomb")


def _check_entry_size(archive: Path, member: _Member, limits: ArchiveLimits) -> None:
    if member.size > limits.max_entry_size:
        raise _refuse(archive, f"the file unpacks to {_human_size(member.size)}, more than the limit of "
                               f"{_human_size(limits.max_entry_size)} for one file", member.name)
    packed = member.compressed_size
    if packed is not None and member.size > limits.ratio_floor and member.size > packed * limits.max_ratio:
        ratio = member.size / max(packed, 1)
        raise _refuse(archive, f"the file would unpack {_human_size(packed)} into {_human_size(member.size)} "
                               f"({ratio:.0f} times), more than {limits.max_ratio:.0f} times: a compression bomb",
                      member.name)


def _check_collisions(archive: Path, names: Iterable[str], folders: set[str]) -> None:
    """Two entries that would be the same file on Windows, or one path that is both a file and a folder."""
    seen: dict[str, str] = {}
    for name in names:
        key = _collision_key(name)
        other = seen.get(key)
        if other is not None and not (name in folders and other in folders):
            rule = ("the archive holds this entry twice" if other == name else
                    f"it collides with '{_shown(other)}': the names differ only in upper/lower case, and Windows "
                    "treats them as the same file")
            raise _refuse(archive, rule, name)
        seen[key] = name
    file_keys = {key: name for key, name in seen.items() if name not in folders}
    for key, name in seen.items():
        parent = key.rpartition("/")[0]
        while parent:
            if parent in file_keys:
                raise _refuse(archive, f"the path goes through '{_shown(file_keys[parent])}', which is a file, "
                                       "not a folder", name)
            parent = parent.rpartition("/")[0]


def _check_totals(archive: Path, files: list[ArchiveEntry], limits: ArchiveLimits) -> None:
    total = sum(entry.size for entry in files)
    if total > limits.max_total_size:
        raise _refuse(archive, f"the archive unpacks to {_human_size(total)}, more than the limit of "
                               f"{_human_size(limits.max_total_size)}")
    archive_size = archive.stat().st_size
    if total > limits.ratio_floor and total > archive_size * limits.max_ratio:
        raise _refuse(archive, f"the archive would unpack {_human_size(archive_size)} into {_human_size(total)} "
                               f"({total / max(archive_size, 1):.0f} times), more than {limits.max_ratio:.0f} times: "
                               "a compression bomb")


# ---------------------------------------------------------------------------------------------------------------------
# zip

_ZIP_STORED, _ZIP_DEFLATED, _ZIP_DEFLATE64, _ZIP_BZIP2, _ZIP_LZMA = 0, 8, 9, 12, 14
_ZIP_SUPPORTED = {_ZIP_STORED, _ZIP_DEFLATED, _ZIP_DEFLATE64, _ZIP_BZIP2, _ZIP_LZMA}
_ZIP_METHOD_NAMES = {1: "Shrink", 6: "Implode", 9: "Deflate64", 10: "PKWARE DCL Implode", 18: "IBM TERSE",
                     19: "IBM LZ77", 93: "Zstandard", 94: "MP3", 95: "XZ", 96: "JPEG", 97: "WavPack", 98: "PPMd",
                     99: "AES"}
_ZIP_FLAG_ENCRYPTED, _ZIP_FLAG_STRONG_ENCRYPTION, _ZIP_FLAG_UTF8 = 0x1, 0x40, 0x800
_ZIP_UNICODE_PATH_EXTRA = 0x7075
_ZIP_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_ZIP_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_DOS_DIRECTORY_ATTRIBUTE = 0x10
_WINDOWS_REPARSE_POINT = 0x400


def _list_zip(path: Path, limits: ArchiveLimits) -> list[_Member]:
    _refuse_huge_zip_directory(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            directory_start = getattr(archive, "start_dir", path.stat().st_size)
    except UnicodeDecodeError as exc:
        shown = exc.object.decode("utf-8", "replace") if isinstance(exc.object, bytes) else "?"
        raise _refuse(path, "the name is marked as UTF-8 text but is not valid UTF-8; the archive is damaged or was "
                            "made by a broken tool", shown) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error) as exc:
        raise _refuse(path, _DAMAGED.format(detail=_zip_detail(exc))) from None
    members = [_zip_member(info) for info in infos]
    _check_zip_extents(path, members, directory_start)
    return members


def _zip_detail(exc: BaseException) -> str:
    text = str(exc)
    if "not a zip file" in text.lower():
        return "no zip directory at its end"
    return text or type(exc).__name__


def _refuse_huge_zip_directory(path: Path, limits: ArchiveLimits) -> None:
    """Read the entry count from the end record, so that a directory of millions of entries is never parsed."""
    declared = _zip_declared_entry_count(path)
    if declared is not None and declared > 2 * limits.max_files:
        raise _refuse(path, f"the archive declares {declared} entries, more than the limit of {limits.max_files} "
                            "files; refused as an archive bomb")


def _zip_declared_entry_count(path: Path) -> int | None:
    size = path.stat().st_size
    tail_size = min(size, _ZIP_EOCD.size + 0xFFFF)  # the record plus the longest possible comment
    with path.open("rb") as handle:
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + _ZIP_EOCD.size > len(tail):
            return None  # zipfile will say what is wrong
        count = _ZIP_EOCD.unpack_from(tail, at)[4]
        if count != 0xFFFF or at < _ZIP64_LOCATOR.size:
            return count
        signature, _disk, zip64_offset, _disks = _ZIP64_LOCATOR.unpack_from(tail, at - _ZIP64_LOCATOR.size)
        if signature != b"PK\x06\x07" or zip64_offset + _ZIP64_EOCD.size > size:
            return count
        handle.seek(zip64_offset)
        record = handle.read(_ZIP64_EOCD.size)
    if len(record) < _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
        return count
    return _ZIP64_EOCD.unpack(record)[7]


def _zip_member(info: zipfile.ZipInfo) -> _Member:
    name = _zip_entry_name(info)
    mode = info.external_attr >> 16
    kind = _kind_from_mode(mode) if mode else None
    if kind is None:
        dos_attributes = info.external_attr & 0xFFFF
        if name.endswith(("/", "\\")) or (dos_attributes & _DOS_DIRECTORY_ATTRIBUTE and info.file_size == 0):
            kind = _DIR
        elif info.create_system == 0 and dos_attributes & _WINDOWS_REPARSE_POINT:
            kind = _SYMLINK
        else:
            kind = _FILE
    elif name.endswith(("/", "\\")) and kind == _FILE:
        kind = _DIR
    problem = None
    if kind == _FILE and (info.compress_type not in _ZIP_SUPPORTED
                          or (info.compress_type == _ZIP_DEFLATE64 and not _have_inflate64())):
        method = _ZIP_METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        problem = (f"the file is compressed with {method}, which Kappa cannot unpack; repack the archive as a "
                   "standard zip or 7z")
    encrypted = bool(info.flag_bits & (_ZIP_FLAG_ENCRYPTED | _ZIP_FLAG_STRONG_ENCRYPTION)) or info.compress_type == 99
    return _Member(name, kind, info.file_size, info.compress_size, encrypted=encrypted, problem=problem,
                   offset=info.header_offset, handle=info)


@functools.cache
def _have_inflate64() -> bool:
    return importlib.util.find_spec("inflate64") is not None


def _zip_entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its author wrote it.

    zipfile decodes names without the UTF-8 flag as cp437 (the zip standard's default). Many tools write UTF-8
    without setting the flag, and Info-ZIP stores a UTF-8 copy in an extra field; both are preferred when present.
    cp437 maps every byte, so the raw bytes can always be recovered and the result is never an error.
    """
    if info.flag_bits & _ZIP_FLAG_UTF8:
        return info.orig_filename  # not .filename, which zipfile cuts at a NUL character
    raw = info.orig_filename.encode("cp437")
    unicode_path = _zip_unicode_path_extra(info.extra, raw)
    if unicode_path is not None:
        return unicode_path
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return info.orig_filename


def _zip_unicode_path_extra(extra: bytes, raw_name: bytes) -> str | None:
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<2H", extra, at)
        body = extra[at + 4:at + 4 + length]
        at += 4 + length
        if kind != _ZIP_UNICODE_PATH_EXTRA or len(body) < 5 or body[0] != 1:
            continue
        if struct.unpack_from("<L", body, 1)[0] != zlib.crc32(raw_name):
            return None  # written for a different name: the standard says ignore it
        try:
            return body[5:].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def _check_zip_extents(path: Path, members: list[_Member], directory_start: int) -> None:
    """Each entry's data must lie before the central directory and must not overlap the next entry.

    Overlapping entries are the trick behind the non-recursive zip bombs (many headers sharing one stream); data
    running past the directory means the file was cut. Both are seen from the headers alone.
    """
    stored = sorted((m for m in members if m.kind != _DIR), key=lambda member: member.offset)
    for member, following in zip(stored, [*stored[1:], None], strict=True):
        minimum_end = member.offset + _ZIP_LOCAL_HEADER.size + member.compressed_size
        if following is not None and minimum_end > following.offset:
            raise _refuse(path, "the entry overlaps the data of another entry (a zip bomb trick)", member.raw_name)
        if minimum_end > directory_start:
            raise _refuse(path, _DAMAGED.format(detail="its data runs past the end"), member.raw_name)


def _zip_chunks(archive: zipfile.ZipFile, handle: IO[bytes], info: zipfile.ZipInfo) -> Iterator[bytes]:
    if info.compress_type == _ZIP_DEFLATE64:
        yield from _deflate64_chunks(handle, info)
        return
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK_SIZE):
            yield chunk


def _deflate64_chunks(handle: IO[bytes], info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Deflate64 (Windows Explorer's method for big files), which zipfile does not read, through inflate64."""
    import inflate64  # installed with py7zr; _zip_member refuses Deflate64 when it is missing

    handle.seek(info.header_offset)
    header = handle.read(_ZIP_LOCAL_HEADER.size)
    if len(header) < _ZIP_LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    fields = _ZIP_LOCAL_HEADER.unpack(header)
    handle.seek(fields[9] + fields[10], os.SEEK_CUR)  # name and extra field
    inflater = inflate64.Inflater()
    remaining, crc = info.compress_size, 0
    # Small input pieces bound the output of one call (deflate64 reaches ~1000:1) without a max_length parameter.
    while remaining > 0 and not inflater.eof:
        piece = handle.read(min(remaining, 1 << 14))
        if not piece:
            raise EOFError("the compressed data ends early")
        remaining -= len(piece)
        chunk = inflater.inflate(piece)
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if crc != info.CRC:
        raise zipfile.BadZipFile("CRC check failed")


# ---------------------------------------------------------------------------------------------------------------------
# 7z

def _list_7z(path: Path) -> list[_Member]:
    import py7zr  # imported when needed: it is slow to import and most commands never read a 7z

    try:
        with py7zr.SevenZipFile(path, mode="r") as archive:
            encrypted = archive.needs_password()
            unsupported = _unsupported_7z_methods(archive)
            members = [_7z_member(entry, encrypted) for entry in archive.files]
    except py7zr.exceptions.PasswordRequired:
        raise _refuse(path, "the archive is password-protected (even its file list); Kappa installs only archives "
                            "without a password") from None
    except Exception as exc:  # a hostile header can raise anything from deep in py7zr; none of it may crash Kappa
        raise _refuse(path, _DAMAGED.format(detail=str(exc) or type(exc).__name__)) from None
    if unsupported and _find_7zip() is None:
        for member in members:
            if member.kind == _FILE and member.size:
                member.problem = (f"the file is compressed with {', '.join(unsupported)}, which needs 7-Zip: install "
                                  "7-Zip (7-zip.org) and try again, or ask the author for a standard 7z")
    return members


def _7z_member(entry: Any, encrypted: bool) -> _Member:
    file_type = entry.st_fmt
    if entry.is_directory and not entry.is_junction:
        kind = _DIR
    elif entry.is_symlink or entry.is_junction:
        kind = _SYMLINK
    elif file_type is not None and file_type != stat.S_IFREG:
        kind = _kind_from_mode(file_type) or _FILE
    else:
        kind = _FILE
    return _Member(entry.filename, kind, entry.uncompressed or 0, entry.compressed,
                   encrypted=encrypted and not entry.emptystream, handle=entry)


# py7zr's PPMd decoder (pyppmd) can crash the whole process on damaged input (seen in our tests on archives that
# py7zr's own PPMd encoder damages), and py7zr calls PPMd experimental. A hostile archive must not be able to do that,
# so PPMd goes through 7-Zip, like the methods py7zr lacks. 7-Zip itself uses PPMd only when asked to.
_PPMD = b"\x03\x04\x01"


def _unsupported_7z_methods(archive: Any) -> list[str]:
    """Methods py7zr cannot unpack, or cannot unpack safely: those need 7-Zip on the machine."""
    from py7zr.compressor import SupportedMethods
    from py7zr.exceptions import UnsupportedCompressionMethodError

    streams = getattr(archive.header, "main_streams", None)
    if streams is None:
        return []
    names: list[str] = []
    for folder in streams.unpackinfo.folders:
        for coder in folder.coders:
            method = coder["method"]
            try:
                SupportedMethods.is_native_coder(coder)
                if method != _PPMD:
                    continue
            except UnsupportedCompressionMethodError:
                pass
            name = {b"\x03\x03\x01\x1b": "BCJ2", _PPMD: "PPMd"}.get(method, f"method {method.hex()}")
            if name not in names:
                names.append(name)
    return names


def _find_7zip(*, for_rar: bool = False) -> str | None:
    # 7za is the standalone build without RAR support: good for 7z, useless for RAR.
    for command in ("7z", "7zz") if for_rar else ("7z", "7zz", "7za"):
        found = shutil.which(command)
        if found:
            return found
    if sys.platform == "win32":  # 7-Zip's installer does not put itself on PATH
        for base in (os.environ.get("PROGRAMFILES"), os.environ.get("PROGRAMFILES(X86)")):
            candidate = Path(base or "C:\\Program Files") / "7-Zip" / "7z.exe"
            if candidate.is_file():
                return str(candidate)
    return None


# ---------------------------------------------------------------------------------------------------------------------
# rar

_RAR5_REDIRECT_HARDLINK, _RAR5_REDIRECT_COPY = 4, 5
_RAR_STORED = 0x30
_RAR_SPLIT_BEFORE, _RAR_SPLIT_AFTER = 0x1, 0x2
_RAR_OS_UNIX = 3
_NEEDS_RAR_TOOL = ("the file is compressed RAR data, which needs 7-Zip or UnRAR: install 7-Zip (7-zip.org) or "
                   "UnRAR and try again")


def _list_rar(path: Path) -> list[_Member]:
    import rarfile  # imported when needed, like py7zr

    try:
        with rarfile.RarFile(str(path), errors="strict") as archive:
            infos = archive.infolist()
            locked = archive.needs_password()
    except Exception as exc:  # rarfile parses hostile bytes; nothing it raises may crash Kappa
        raise _refuse(path, _DAMAGED.format(detail=str(exc) or type(exc).__name__)) from None
    if locked and not any(info.needs_password() for info in infos):
        raise _refuse(path, "the archive is password-protected (even its file list); Kappa installs only archives "
                            "without a password")
    have_tool = _find_rar_tool() is not None
    return [_rar_member(info, have_tool) for info in infos]


def _rar_member(info: Any, have_tool: bool) -> _Member:
    redirect = info.file_redir
    if redirect and redirect[0] in (_RAR5_REDIRECT_HARDLINK, _RAR5_REDIRECT_COPY):
        kind = _HARDLINK
    elif info.is_symlink():
        kind = _SYMLINK
    elif info.is_dir():
        kind = _DIR
    elif info.host_os == _RAR_OS_UNIX:  # the mode is a POSIX st_mode
        kind = _kind_from_mode(info.mode) or _FILE
    else:
        kind = _FILE
    problem = None
    if info.flags & (_RAR_SPLIT_BEFORE | _RAR_SPLIT_AFTER):
        problem = "the file continues in another part of a multi-part RAR; Kappa installs single-file archives"
    elif kind == _FILE and info.compress_type != _RAR_STORED and not have_tool:
        problem = _NEEDS_RAR_TOOL
    return _Member(info.filename, kind, info.file_size, info.compress_size, encrypted=info.needs_password(),
                   problem=problem, handle=info)


def _find_rar_tool() -> list[str] | None:
    """The command that writes one member of a RAR archive to stdout, or None when neither tool is installed."""
    unrar = shutil.which("unrar")
    if unrar:
        return [unrar, "p", "-inul", "-p-", "--"]
    sevenzip = _find_7zip(for_rar=True)
    if sevenzip:
        return [sevenzip, "e", "-so", "-bb0", "-p", "--"]  # -p with no password: fail instead of asking
    return None


# ---------------------------------------------------------------------------------------------------------------------
# Inspection

def inspect_archive(path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> ArchiveListing:
    """List an archive's files from its headers, refusing anything hostile before a byte is written."""
    path = Path(path)
    if not path.is_file():
        raise _refuse(path, "the file does not exist or is not a file")
    kind = _sniff(path)
    if kind == "dll":
        return ArchiveListing(path, kind, (_dll_entry(path, limits),))
    readers: dict[str, Callable[[], list[_Member]]] = {
        "zip": lambda: _list_zip(path, limits),
        "7z": lambda: _list_7z(path),
        "rar": lambda: _list_rar(path),
    }
    members = readers[kind]()
    return ArchiveListing(path, kind, _validate(path, members, limits))


def _dll_entry(path: Path, limits: ArchiveLimits) -> ArchiveEntry:
    size = path.stat().st_size
    member = _Member(path.name, _FILE, size, None)
    try:
        _check_component(_plugin_file_name(path.name))
    except _NameProblem as problem:
        raise _refuse(path, str(problem)) from None
    _check_entry_size(path, member, limits)
    return ArchiveEntry(path.name, size, None)


_BROWSER_COPY_SUFFIX = re.compile(r"\s?\(\d+\)$")


def _plugin_file_name(file_name: str) -> str:
    """"Foo (1).dll" (a browser's second download of Foo.dll) is Foo.dll."""
    stem, dot, suffix = file_name.rpartition(".")
    if not dot:
        return _BROWSER_COPY_SUFFIX.sub("", file_name)
    return f"{_BROWSER_COPY_SUFFIX.sub('', stem) or stem}.{suffix}"


# ---------------------------------------------------------------------------------------------------------------------
# Layout planning

_SERVER_PREFIX = {"3.x": "", "4.0": "SPT/", "4.1": "SPT_Runtime/"}
_SERVER_ROOTS = frozenset({"spt", "spt_runtime"})
_PREFERRED_SERVER_ROOT = {"3.x": "spt", "4.0": "spt", "4.1": "spt_runtime"}
_BEPINEX_FOLDERS = {name.casefold(): name for name in ("plugins", "patchers", "config", "core")}
_USER_FOLDERS = {name: name for name in ("mods", "patchers")}
_ROOT_NAMES = {"bepinex", "spt", "spt_runtime", "user", "plugins", "patchers"}
_DOC_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".rst", ".nfo", ".rtf", ".pdf", ".htm", ".html", ".url",
                           ".website", ".lnk", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".ico"})
_DOC_NAME = re.compile(r"^(readme|read[ _]me|licen[cs]e|changelog|changes|copying|notice|authors|credits)([-_ .]|$)")
_JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


def plan_layout(listing: ArchiveListing, layout: str) -> InstallLayout:
    """Where each file of the archive goes in an install of `layout`; ArchiveError when the archive makes no sense."""
    if layout not in _SERVER_PREFIX:
        raise ValueError(f"unknown SPT layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    if listing.format == "dll":
        entry = listing.files[0]
        target = f"BepInEx/plugins/{_plugin_file_name(entry.name)}"
        return InstallLayout((Placement("", target, entry.size),), ())
    planner = _Planner(listing, layout)
    return planner.plan()


class _Planner:
    """Recognises the archive's shape, at its root or inside one wrapper folder, and maps it onto the install."""

    def __init__(self, listing: ArchiveListing, layout: str) -> None:
        self.listing = listing
        self.layout = layout
        self.server_prefix = _SERVER_PREFIX[layout]
        self.skipped: list[str] = []

    def plan(self) -> InstallLayout:
        wanted: list[tuple[str, ArchiveEntry]] = []
        for entry in self.listing.files:
            if _is_junk(entry.name):
                self.skipped.append(entry.name)
            else:
                wanted.append((entry.name, entry))
        if all("/" not in name and _is_document(name) for name, _ in wanted):
            raise _refuse(self.listing.path, "the archive holds no files to install (only documents, if anything)")
        mapped = self._plan_tree(wanted, _archive_mod_name(self.listing.path), allow_wrapper=True)
        if mapped is None:
            raise _refuse(self.listing.path, self._unrecognised())
        placements = tuple(Placement(entry.name, target, entry.size) for entry, target in mapped)
        _check_collisions(self.listing.path, [placement.target for placement in placements], set())
        return InstallLayout(placements, tuple(self.skipped))

    def _unrecognised(self) -> str:
        return ("Kappa cannot tell where these files go: there is no BepInEx/, SPT/, SPT_Runtime/ or user/mods/ "
                "folder, no package.json and no DLL at the top of the archive")

    def _plan_tree(self, entries: list[tuple[str, ArchiveEntry]], mod_name: str,
                   allow_wrapper: bool) -> list[tuple[ArchiveEntry, str]] | None:
        """entries: (path relative to the current base, entry). None when nothing is recognised at this base."""
        content = []
        for relative, entry in entries:
            if "/" not in relative and _is_document(relative):
                self.skipped.append(entry.name)
            else:
                content.append((relative, entry))
        top_files = [relative for relative, _ in content if "/" not in relative]
        top_folders = {relative.split("/", 1)[0] for relative, _ in content if "/" in relative}
        if any(folder.casefold() in _ROOT_NAMES for folder in top_folders):
            return self._place_rooted(content)
        if any(name.casefold() == "package.json" for name in top_files):
            return self._place_server_mod(content, mod_name)
        if any(name.casefold().endswith(".dll") for name in top_files):
            return [(entry, f"BepInEx/plugins/{relative}") for relative, entry in content]
        if top_files or len(top_folders) != 1:
            return None
        return self._plan_single_folder(content, top_folders.pop(), allow_wrapper)

    def _plan_single_folder(self, content: list[tuple[str, ArchiveEntry]], folder: str,
                            allow_wrapper: bool) -> list[tuple[ArchiveEntry, str]] | None:
        inner = [(relative[len(folder) + 1:], entry) for relative, entry in content]
        inner_top_files = [relative for relative, _ in inner if "/" not in relative]
        if any(name.casefold() == "package.json" for name in inner_top_files):
            return self._place_server_mod(inner, folder)  # the folder is a 3.x server mod folder
        holds_dlls_only = all(relative.casefold().endswith(".dll") for relative, _ in inner)
        has_top_dll = any(name.casefold().endswith(".dll") for name in inner_top_files)
        if (holds_dlls_only or has_top_dll) and not _names_a_root(inner):
            return [(entry, f"BepInEx/plugins/{relative}") for relative, entry in content]  # a client plugin folder
        if allow_wrapper:
            return self._plan_tree(inner, folder, allow_wrapper=False)
        return None

    def _place_server_mod(self, content: list[tuple[str, ArchiveEntry]],
                          mod_name: str) -> list[tuple[ArchiveEntry, str]]:
        try:
            _check_component(mod_name)
        except _NameProblem as problem:
            raise _refuse(self.listing.path, f"the mod folder name is not usable: {problem}") from None
        return [(entry, f"{self.server_prefix}user/mods/{mod_name}/{relative}") for relative, entry in content]

    def _place_rooted(self, content: list[tuple[str, ArchiveEntry]]) -> list[tuple[ArchiveEntry, str]]:
        server_roots = {relative.split("/", 1)[0].casefold() for relative, _ in content} & set(_SERVER_ROOTS)
        # An archive shipping both SPT/ (4.0) and SPT_Runtime/ (4.1) builds: install the one this install runs.
        dropped_root = None
        if len(server_roots) > 1:
            preferred = _PREFERRED_SERVER_ROOT[self.layout]
            dropped_root = next(root for root in server_roots if root != preferred)
        placed = []
        for relative, entry in content:
            first, _, rest = relative.partition("/")
            if first.casefold() == dropped_root:
                self.skipped.append(entry.name)
                continue
            placed.append((entry, self._rooted_target(first, rest, relative)))
        return placed

    def _rooted_target(self, first: str, rest: str, relative: str) -> str:
        key = first.casefold()
        if not rest:
            return relative  # a loose file beside the roots: the archive is install-ready, so it goes to the root
        if key == "bepinex":
            return f"BepInEx/{_canonical_first(rest, _BEPINEX_FOLDERS)}"
        if key in ("plugins", "patchers"):
            return f"BepInEx/{key}/{rest}"
        if key in _SERVER_ROOTS:
            return f"{self.server_prefix}{_canonical_server_path(rest)}"
        if key == "user":
            return f"{self.server_prefix}{_canonical_server_path(relative)}"
        return relative


def _names_a_root(entries: list[tuple[str, ArchiveEntry]]) -> bool:
    """Whether any folder on the way to these files is named like an install root (then it is not a plugin folder)."""
    return any(part.casefold() in _ROOT_NAMES for relative, _ in entries for part in relative.split("/")[:-1])


def _canonical_first(path: str, names: dict[str, str]) -> str:
    first, slash, rest = path.partition("/")
    return f"{names.get(first.casefold(), first)}{slash}{rest}"


def _canonical_server_path(path: str) -> str:
    """`User/Mods/x` -> `user/mods/x`: the server looks for exactly these names on Linux."""
    first, slash, rest = path.partition("/")
    if first.casefold() != "user" or not slash:
        return path
    return f"user/{_canonical_first(rest, _USER_FOLDERS)}"


def _is_junk(name: str) -> bool:
    parts = name.split("/")
    return parts[0] == "__MACOSX" or parts[-1].casefold() in _JUNK_NAMES or parts[-1].startswith("._")


def _is_document(file_name: str) -> bool:
    """Readme, licence, changelog, notes, links and pictures: for the player, not for the game."""
    lowered = file_name.casefold()
    suffix = PurePosixPath(lowered).suffix
    return suffix in _DOC_SUFFIXES or (suffix != ".dll" and _DOC_NAME.match(lowered) is not None)


def _archive_mod_name(path: Path) -> str:
    """The folder name for a server mod whose package.json sits at the archive's root: the archive's own name."""
    return _plugin_file_name(path.name).rpartition(".")[0] or path.stem


# ---------------------------------------------------------------------------------------------------------------------
# Extraction

def extract(listing: ArchiveListing, plan: InstallLayout, staging: Path, *, limits: ArchiveLimits = DEFAULT_LIMITS,
            progress: Callable[[int, int], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> list[StagedFile]:
    """Write every planned file to `staging / target`; on any failure remove what was written and raise."""
    writer = _StagingWriter(Path(staging), listing.path, plan.total_size, limits, progress, cancelled)
    try:
        writer.prepare()
        extractors = {"zip": _extract_zip, "7z": _extract_7z, "rar": _extract_rar, "dll": _extract_dll}
        extractors[listing.format](listing, plan, writer)
        writer.check_complete(plan)
    except BaseException as exc:
        writer.roll_back()
        raise _as_archive_error(listing.path, exc, writer.current) from None
    finally:
        writer.pipeline.close()
    writer.report()
    return writer.staged


def _as_archive_error(archive: Path, exc: BaseException, entry: str | None) -> BaseException:
    """What extraction failures say to the player (naming the entry being unpacked); library errors from damaged
    data all mean the same to them."""
    if isinstance(exc, _CallbackFailed):
        return exc.original
    if isinstance(exc, ArchiveError | KeyboardInterrupt | SystemExit):
        return exc
    if isinstance(exc, MemoryError):
        return _refuse(archive, "the archive needs more memory to unpack than this computer has", entry)
    if isinstance(exc, OSError) and exc.errno is not None:  # the disk, not the data (bz2 raises OSError without)
        where = f" {exc.filename}" if exc.filename else ""
        return _refuse(archive, f"could not write{where} while unpacking: {exc.strerror or exc}", entry)
    return _refuse(archive, _DAMAGED.format(detail=str(exc) or type(exc).__name__), entry)


class _CallbackFailed(Exception):
    """The caller's progress or cancelled callback raised: its own exception goes back to it unchanged."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


class _WritePipeline:
    """Hashes and writes chunks on a second thread while the caller unpacks the next ones.

    Decompression, hashing and file writes all release the GIL, so on two cores this hides most of the cost of
    the SHA-256 and the write behind the decompression. A small queue bounds the memory held in flight.
    """

    def __init__(self, depth: int = 4) -> None:
        self._queue: queue.Queue[tuple[_FileSink, bytes] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def submit(self, sink: _FileSink, chunk: bytes) -> None:
        self._raise_error()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kappa-extract-writer", daemon=True)
            self._thread.start()
        self._queue.put((sink, chunk))

    def drain(self) -> None:
        """Wait until every chunk submitted so far is hashed and written."""
        if self._thread is not None:
            self._queue.join()
        self._raise_error()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:  # after a failure, only drain the queue
                    sink, chunk = item
                    sink.hash.update(chunk)
                    sink.handle.write(chunk)
            except BaseException as exc:  # handed to the extracting thread, which raises it
                self._error = exc
            finally:
                self._queue.task_done()


class _StagingWriter:
    """Creates files only under the staging folder, counts every byte against the limits and remembers what it
    made so that a failure leaves the folder as it was."""

    def __init__(self, root: Path, archive: Path, total: int, limits: ArchiveLimits,
                 progress: Callable[[int, int], None] | None, cancelled: Callable[[], bool] | None) -> None:
        self.root = root.absolute()  # py7zr hands back absolute names; they are matched against this
        self.archive = archive
        self.total = total
        self.limits = limits
        self.progress = progress
        self.cancelled = cancelled
        self.done = 0
        self.current: str | None = None  # the entry being unpacked, named when unpacking fails
        self.pipeline = _WritePipeline()
        self.staged: list[StagedFile] = []
        self.open_sinks: list[_FileSink] = []
        self.created_files: list[Path] = []
        self.created_dirs: list[Path] = []

    def prepare(self) -> None:
        missing = []
        folder = self.root
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        self.root.mkdir(parents=True, exist_ok=True)
        self.created_dirs.extend(reversed(missing))
        self.report()

    def report(self) -> None:
        if self.progress is not None:
            try:
                self.progress(self.done, self.total)
            except BaseException as exc:
                raise _CallbackFailed(exc) from exc

    def check_cancelled(self) -> None:
        try:
            stop = self.cancelled is not None and self.cancelled()
        except BaseException as exc:
            raise _CallbackFailed(exc) from exc
        if stop:
            raise ExtractionCancelled(f"{self.archive.name}: extraction cancelled; nothing was installed")

    def open(self, placement: Placement, declared_size: int) -> _FileSink:
        self.check_cancelled()
        self.current = placement.source
        sink = _FileSink(self, placement, declared_size, self._create(placement.target))
        self.open_sinks.append(sink)
        return sink

    def copy(self, placement: Placement, declared_size: int, chunks: Iterable[bytes]) -> None:
        sink = self.open(placement, declared_size)
        for chunk in chunks:
            sink.write(chunk)
        sink.finish()

    def add_bytes(self, placement: Placement, count: int) -> None:
        self.done += count
        if self.done > self.limits.max_total_size:
            raise _refuse(self.archive, f"the archive unpacks to more than {_human_size(self.limits.max_total_size)} "
                                        "(the limit), more than its headers said: a compression bomb",
                          placement.source)
        self.check_cancelled()
        self.report()

    def _create(self, target: str) -> IO[bytes]:
        """Open staging/target for writing, creating folders one by one; never through a link, never over a file."""
        *folders, file_name = target.split("/")
        folder = self.root
        for part in folders:
            folder = folder / part
            try:
                os.mkdir(folder)
                self.created_dirs.append(folder)
            except FileExistsError:
                if not stat.S_ISDIR(os.lstat(folder).st_mode):
                    raise _refuse(self.archive, f"{folder} is in the way in the staging folder") from None
        path = folder / file_name
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(path, flags, 0o644)
        except FileExistsError:
            raise _refuse(self.archive, "another file was already staged at the same place", target) from None
        self.created_files.append(path)
        return os.fdopen(descriptor, "wb")

    def check_complete(self, plan: InstallLayout) -> None:
        staged = {item.target for item in self.staged}
        for placement in plan.placements:
            if placement.target not in staged:
                raise _refuse(self.archive, "the entry was not found when unpacking; the archive changed or is "
                                            "damaged", placement.source)

    def roll_back(self) -> None:
        self.pipeline.close()  # nothing may still be writing when the files go (Windows cannot delete open files)
        for sink in self.open_sinks:
            with contextlib.suppress(OSError):
                sink.handle.close()
        for path in reversed(self.created_files):
            with contextlib.suppress(OSError):
                os.unlink(path)
        for folder in reversed(self.created_dirs):
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        self.staged.clear()


class _FileSink:
    """One file being written: counts its real bytes against what the header declared (before anything of them
    reaches the disk), hashes, reports."""

    def __init__(self, writer: _StagingWriter, placement: Placement, declared_size: int, handle: IO[bytes]) -> None:
        self.writer = writer
        self.placement = placement
        self.declared_size = declared_size
        self.handle = handle
        self.size = 0
        self.hash = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.declared_size:
            raise _refuse(self.writer.archive, f"the file holds more data than its header says "
                                               f"({_human_size(self.declared_size)}); the archive is damaged or "
                                               "crafted to hide its real size", self.placement.source)
        self.writer.pipeline.submit(self, chunk)
        self.writer.add_bytes(self.placement, len(chunk))

    def close(self) -> None:
        self.writer.pipeline.drain()
        self.handle.close()

    def finish(self) -> None:
        self.close()
        if self.size != self.declared_size:
            raise _refuse(self.writer.archive, _DAMAGED.format(
                detail=f"the file holds {self.size} bytes, its header says {self.declared_size}"),
                self.placement.source)
        path = self.writer.root / self.placement.target
        self.writer.staged.append(StagedFile(self.placement.target, path, self.size, self.hash.hexdigest()))
        self.writer.open_sinks.remove(self)


def _placements_by_source(plan: InstallLayout) -> dict[str, Placement]:
    return {placement.source: placement for placement in plan.placements}


def _members_by_name(listing: ArchiveListing, members: list[_Member]) -> dict[str, _Member]:
    """Re-read members keyed by their checked names; the archive must still be the one that was inspected."""
    by_name: dict[str, _Member] = {}
    for member in members:
        with contextlib.suppress(_NameProblem):
            member.name = _normalise_entry_name(member.raw_name)
            by_name[member.name] = member
    for entry in listing.files:
        member = by_name.get(entry.name)
        if member is None or member.kind != _FILE or member.size != entry.size:
            raise _refuse(listing.path, "the archive changed since it was checked; inspect it again", entry.name)
    return by_name


def _extract_dll(listing: ArchiveListing, plan: InstallLayout, writer: _StagingWriter) -> None:
    with listing.path.open("rb") as source:
        for placement in plan.placements:
            writer.copy(placement, listing.files[0].size, iter(lambda: source.read(CHUNK_SIZE), b""))


def _extract_zip(listing: ArchiveListing, plan: InstallLayout, writer: _StagingWriter) -> None:
    wanted = _placements_by_source(plan)
    with zipfile.ZipFile(listing.path) as archive:
        members = _members_by_name(listing, [_zip_member(info) for info in archive.infolist()])
        jobs = sorted(((members[source], placement) for source, placement in wanted.items()),
                      key=lambda job: job[0].offset)  # archive order: one forward pass over the disk
        with listing.path.open("rb") as raw:
            for member, placement in jobs:
                writer.copy(placement, member.size, _zip_chunks(archive, raw, member.handle))


def _extract_rar(listing: ArchiveListing, plan: InstallLayout, writer: _StagingWriter) -> None:
    import rarfile

    wanted = _placements_by_source(plan)
    with rarfile.RarFile(str(listing.path), errors="strict") as archive:
        members = _members_by_name(listing, [_rar_member(info, True) for info in archive.infolist()])
        for name, member in members.items():
            placement = wanted.get(name)
            if placement is None:
                continue
            if member.handle.compress_type == _RAR_STORED:
                with archive.open(member.handle) as stream:
                    writer.copy(placement, member.size, iter(lambda s=stream: s.read(CHUNK_SIZE), b""))
            else:
                _copy_rar_through_tool(listing.path, member, placement, writer)


def _copy_rar_through_tool(path: Path, member: _Member, placement: Placement, writer: _StagingWriter) -> None:
    command = _find_rar_tool()
    if command is None:
        raise _refuse(path, _NEEDS_RAR_TOOL, member.name)
    creation_flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window flashing up on Windows
    process = subprocess.Popen([*command, str(path), member.raw_name], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, creationflags=creation_flags)
    try:
        assert process.stdout is not None
        sink = writer.open(placement, member.size)
        for chunk in iter(lambda: process.stdout.read(CHUNK_SIZE), b""):
            sink.write(chunk)
        sink.close()
        if process.wait() != 0:  # before the size check: the tool's failure is the better explanation
            raise _refuse(path, _DAMAGED.format(detail=f"{Path(command[0]).name} could not unpack it"), member.name)
        sink.finish()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _extract_7z(listing: ArchiveListing, plan: InstallLayout, writer: _StagingWriter) -> None:
    import py7zr

    wanted = _placements_by_source(plan)
    # A file object (not a path) keeps py7zr to one thread: memory stays bounded and the order predictable.
    with listing.path.open("rb") as handle, py7zr.SevenZipFile(handle, mode="r") as archive:
        members = _members_by_name(listing, [_7z_member(entry, False) for entry in archive.files])
        if _unsupported_7z_methods(archive):
            _extract_7z_with_tool(listing, members, wanted, writer)
            return
        jobs = {name: (member, wanted[name]) for name, member in members.items() if name in wanted}
        archive.worker = _chunked_worker(archive)
        factory = _SinkFactory(writer, jobs, writer.root)
        archive.extract(path=writer.root, targets=[member.raw_name for member, _ in jobs.values()], factory=factory)
        factory.check_finished()


def _chunked_worker(archive: Any) -> Any:
    """py7zr's Worker, changed to keep memory bounded whatever the archive.

    py7zr asks for up to 128 MB of output per step, and reads another input block at every step even while
    liblzma still holds unread input (so a well-compressed member piles its compressed data up in memory).
    This worker asks for 1 MiB at a time and reads more input only when the decompressor has used what it has.
    """
    from py7zr.exceptions import Bad7zFile, CrcError
    from py7zr.helpers import calculate_crc32
    from py7zr.py7zr import Worker

    class ChunkedWorker(Worker):  # type: ignore[misc]
        def decompress(self, fp: Any, folder: Any, fq: Any, size: int, compressed_size: int | None,
                       src_end: int, q: Any = None) -> int:
            remaining, crc32 = size, 0
            decompressor = folder.get_decompressor(compressed_size)
            decompressor.block_size = _input_block(decompressor)
            starved = False  # held input gave nothing (the stream ended): read from the archive next time
            while remaining > 0:
                position = fp.tell()
                source = fp if starved or not _holds_unread_input(decompressor) else _NO_INPUT
                chunk = decompressor.decompress(source, min(remaining, CHUNK_SIZE))
                if chunk:
                    remaining -= len(chunk)
                    fq.write(chunk)
                    crc32 = calculate_crc32(chunk, crc32)
                    starved = False
                elif source is _NO_INPUT:
                    starved = True
                elif fp.tell() == position:
                    raise Bad7zFile("the compressed data ends before the file does")
            if fp.tell() >= src_end and decompressor.crc is not None and not decompressor.check_crc():
                raise CrcError(decompressor.crc, decompressor.digest, None)
            return crc32

    return ChunkedWorker(archive.files, archive.afterheader, archive.header, False)


_7Z_INPUT_BLOCK = 256 * 1024  # compressed bytes read per step (py7zr reads 1 MiB)
# Decompressors that cannot stop at an output size return everything an input block holds, so their blocks are
# sized by the method's worst ratio: Deflate tops out near 1032:1, zstd and brotli reach tens of thousands.
# Only methods rare in 7z archives take these slower paths.
# PPMd stops at the output size but keeps unread input to itself: small blocks bound that pile (1/64 of the output).
_7Z_UNBOUNDED_INPUT_BLOCKS = {"DeflateDecompressor": 16 * 1024, "Deflate64Decompressor": 16 * 1024,
                              "PpmdDecompressor": 16 * 1024}
_7Z_TINY_INPUT_BLOCK = 1024
_SIZE_PRESERVING_FILTERS = ("BCJDecoder", "BcjArmDecoder", "BcjArmtDecoder", "BcjPpcDecoder", "BcjSparcDecoder")


class _EmptyInput:
    """Handed to py7zr's decompressor instead of the archive when it must first use the input it already holds."""

    def read(self, size: int = -1) -> bytes:
        return b""


_NO_INPUT = _EmptyInput()


def _unpacker(step: Any) -> Any:
    """The library decompressor inside py7zr's LZMA1 wrapper."""
    return getattr(step, "_decompressor", step)


def _bounded(decompressor: Any) -> bool:
    """Whether the folder's chain stops at the asked output size and tells when it still holds input: an LZMA,
    LZMA2 or BZip2 step, then only size-preserving branch filters (the usual LZMA:BCJ of DLLs)."""
    chain = getattr(decompressor, "chain", ())
    return (bool(chain) and isinstance(_unpacker(chain[0]), lzma.LZMADecompressor | bz2.BZ2Decompressor)
            and all(type(step).__name__ in _SIZE_PRESERVING_FILTERS for step in chain[1:]))


def _input_block(decompressor: Any) -> int:
    if _bounded(decompressor):
        return _7Z_INPUT_BLOCK
    chain = getattr(decompressor, "chain", ())
    first = type(chain[0]).__name__ if chain else ""
    return _7Z_UNBOUNDED_INPUT_BLOCKS.get(first, _7Z_TINY_INPUT_BLOCK)


def _holds_unread_input(decompressor: Any) -> bool:
    return _bounded(decompressor) and _unpacker(decompressor.chain[0]).needs_input is False


class _SinkFactory:
    """py7zr's WriterFactory: each file it unpacks streams straight into a staging file (no buffering in memory)."""

    def __init__(self, writer: _StagingWriter, jobs: dict[str, tuple[_Member, Placement]], root: Path) -> None:
        self.writer = writer
        self.jobs = jobs
        self.root_prefix = root.as_posix().rstrip("/") + "/"
        self.finished: set[str] = set()

    def create(self, filename: str) -> Any:
        relative = filename[len(self.root_prefix):] if filename.startswith(self.root_prefix) else filename
        key = _normalise_entry_name(relative)  # py7zr drops "./" and the like, as the checked names do
        member, placement = self.jobs[key]
        return _py7z_sink_class()(self, key, self.writer.open(placement, member.size))

    def check_finished(self) -> None:
        missing = set(self.jobs) - self.finished
        if missing:
            raise _refuse(self.writer.archive, "the entry was not unpacked; the archive is damaged", missing.pop())


@functools.cache
def _py7z_sink_class() -> type:
    """Defined on first use so that importing this module does not import py7zr."""
    from py7zr.io import Py7zIO

    class Py7zSink(Py7zIO):  # type: ignore[misc]
        def __init__(self, factory: _SinkFactory, key: str, sink: _FileSink) -> None:
            self.factory = factory
            self.key = key
            self.sink = sink

        def write(self, s: bytes | bytearray) -> int:
            self.sink.write(s)
            return len(s)

        def read(self, size: int | None = None) -> bytes:
            return b""

        def seek(self, offset: int, whence: int = 0) -> int:
            return 0

        def seekable(self) -> bool:  # py7zr rewinds seekable writers on close; this one streams to disk
            return False

        def flush(self) -> None:
            pass  # the write pipeline flushes when the file is finished

        def size(self) -> int:
            return self.sink.size

        def close(self) -> None:
            # Called once the member is completely unpacked (py7zr skips it when unpacking failed).
            self.sink.finish()
            self.factory.finished.add(self.key)

    return Py7zSink


def _extract_7z_with_tool(listing: ArchiveListing, members: dict[str, _Member], wanted: dict[str, Placement],
                          writer: _StagingWriter) -> None:
    """Methods py7zr lacks (BCJ2): 7-Zip unpacks into a private folder inside staging (declared sizes already passed
    the limits), then each planned file is copied into place through the same counting, hashing writer."""
    sevenzip = _find_7zip()
    if sevenzip is None:
        raise _refuse(listing.path, "the archive needs 7-Zip to unpack: install 7-Zip (7-zip.org) and try again")
    private = Path(tempfile.mkdtemp(prefix=".kappa-7z-", dir=writer.root))
    writer.created_dirs.append(private)
    try:
        _run_7zip(sevenzip, listing.path, private, writer)
        for name, member in members.items():
            placement = wanted.get(name)
            if placement is None:
                continue
            unpacked = private.joinpath(*member.raw_name.replace("\\", "/").split("/"))
            if unpacked.is_symlink() or not unpacked.is_file():
                raise _refuse(listing.path, "7-Zip did not unpack this entry as a regular file", name)
            with unpacked.open("rb") as source:
                writer.copy(placement, member.size, iter(lambda s=source: s.read(CHUNK_SIZE), b""))
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _run_7zip(sevenzip: str, archive: Path, destination: Path, writer: _StagingWriter) -> None:
    creation_flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    command = [sevenzip, "x", "-y", "-bd", "-p", f"-o{destination}", "--", str(archive)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, creationflags=creation_flags)
    try:
        while True:
            try:
                code = process.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                writer.check_cancelled()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if code != 0:
        raise _refuse(archive, _DAMAGED.format(detail=f"7-Zip stopped with error {code}"))
