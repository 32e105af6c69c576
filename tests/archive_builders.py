"""Archive builders for the tests: honest zips and 7zs, raw zips with any header a hostile tool could write, and a
minimal RAR 5 writer (stored data only; rar itself is non-free, so tests cannot create RAR files with a tool).

Every builder writes to the path it is given (tests pass a path under tmp_path) and returns that path.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import py7zr

# ---------------------------------------------------------------------------------------------------------------------
# zip


def build_zip(path: Path, files: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
              method: int = zipfile.ZIP_DEFLATED) -> Path:
    """An ordinary zip as Python writes it."""
    items = files.items() if isinstance(files, Mapping) else files
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return path


def raw_deflate(data: bytes, level: int = 9) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def unix_mode_attr(mode: int) -> int:
    """external_attr for a zip entry made on Unix with st_mode `mode`."""
    return mode << 16


@dataclass
class RawZipEntry:
    """One entry of a hand-written zip. Sizes and CRC default to the honest values for `data`."""

    name: str | bytes
    data: bytes = b""  # the bytes stored in the archive (already compressed when method != 0)
    method: int = 0
    file_size: int | None = None  # default: len(plain) when given, else len(data)
    compress_size: int | None = None  # default: len(data)
    crc: int | None = None  # default: CRC-32 of `plain` (or of data when stored)
    plain: bytes | None = None  # the uncompressed content, for the default size and CRC
    flags: int = 0  # general purpose bits; 0x800 = the name is UTF-8 (added for str names that need it)
    external_attr: int = 0
    create_system: int = 3  # 3 = Unix, 0 = MS-DOS/Windows
    extra: bytes = b""
    header_offset: int | None = None  # force the local header offset written in the central directory

    def encoded_name(self) -> tuple[bytes, int]:
        if isinstance(self.name, bytes):
            return self.name, self.flags
        try:
            return self.name.encode("ascii"), self.flags
        except UnicodeEncodeError:
            return self.name.encode("utf-8"), self.flags | 0x800


def write_raw_zip(path: Path, entries: Iterable[RawZipEntry], *, declared_count: int | None = None) -> Path:
    """A zip written field by field, so headers can say anything."""
    body = bytearray()
    central = bytearray()
    count = 0
    for entry in entries:
        count += 1
        name, flags = entry.encoded_name()
        plain = entry.plain if entry.plain is not None else entry.data
        crc = entry.crc if entry.crc is not None else zlib.crc32(plain)
        file_size = entry.file_size if entry.file_size is not None else len(plain)
        compress_size = entry.compress_size if entry.compress_size is not None else len(entry.data)
        offset = len(body)
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, entry.method, 0, 0x21, crc,
                            compress_size, file_size, len(name), len(entry.extra))
        body += name + entry.extra + entry.data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", (entry.create_system << 8) | 20, 20, flags,
                               entry.method, 0, 0x21, crc, compress_size, file_size, len(name), len(entry.extra),
                               0, 0, 0, entry.external_attr,
                               entry.header_offset if entry.header_offset is not None else offset)
        central += name + entry.extra
    total = declared_count if declared_count is not None else count
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(total, 0xFFFF), min(total, 0xFFFF), len(central),
                      len(body), 0)
    path.write_bytes(bytes(body) + bytes(central) + end)
    return path


def unicode_path_extra(raw_name: bytes, unicode_name: str) -> bytes:
    """Info-ZIP's Unicode Path extra field (0x7075): a UTF-8 copy of a name written in a legacy code page."""
    body = b"\x01" + struct.pack("<L", zlib.crc32(raw_name)) + unicode_name.encode("utf-8")
    return struct.pack("<2H", 0x7075, len(body)) + body


def many_files_zip(path: Path, count: int) -> Path:
    """`count` empty files, written fast (no compression, no per-file zipfile overhead)."""
    return write_raw_zip(path, (RawZipEntry(f"BepInEx/plugins/Many/file{index:05d}.txt") for index in range(count)))


# ---------------------------------------------------------------------------------------------------------------------
# 7z


def build_7z(path: Path, files: Mapping[str, bytes], *, names: Mapping[str, str] | None = None,
             attributes: Mapping[str, int] | None = None, password: str | None = None,
             header_encryption: bool = False, filters: list[dict[str, int]] | None = None) -> Path:
    """A 7z made by py7zr. `names` renames entries in the header after py7zr checked them (for hostile names
    py7zr refuses to write); `attributes` sets an entry's raw attribute word (e.g. a Unix file type)."""
    if password is not None and filters is None:
        filters = [{"id": py7zr.FILTER_LZMA2}, {"id": py7zr.FILTER_CRYPTO_AES256_SHA256}]
    with py7zr.SevenZipFile(path, "w", password=password, header_encryption=header_encryption,
                            filters=filters) as archive:
        for name, data in files.items():
            archive.writef(io.BytesIO(data), name)  # writestr cannot be read back for several files in py7zr 1.1
            info = archive.header.files_info.files[-1]
            if attributes and name in attributes:
                info["attributes"] = attributes[name]
            if names and name in names:
                info["filename"] = names[name]
    return path


def unix_7z_attributes(mode: int) -> int:
    """A 7z attribute word carrying a Unix st_mode (FILE_ATTRIBUTE_UNIX_EXTENSION)."""
    return 0x8000 | (mode << 16)


SYMLINK_MODE = stat.S_IFLNK | 0o777
FIFO_MODE = stat.S_IFIFO | 0o644
CHAR_DEVICE_MODE = stat.S_IFCHR | 0o644


# ---------------------------------------------------------------------------------------------------------------------
# RAR 5 (https://www.rarlab.com/technote.htm): signature, main header, file headers with their data, end header


RAR5_SIGNATURE = b"Rar!\x1a\x07\x01\x00"
RAR5_REDIRECT_UNIX_SYMLINK, RAR5_REDIRECT_WINDOWS_SYMLINK, RAR5_REDIRECT_HARDLINK = 1, 2, 4


def vint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _rar_block(block_type: int, body: bytes, *, extra: bytes = b"", data_size: int | None = None,
               flags: int = 0) -> bytes:
    if extra:
        flags |= 0x0001
    if data_size is not None:
        flags |= 0x0002
    fields = vint(block_type) + vint(flags)
    if extra:
        fields += vint(len(extra))
    if data_size is not None:
        fields += vint(data_size)
    fields += body + extra
    header = vint(len(fields)) + fields
    return struct.pack("<L", zlib.crc32(header)) + header


def _rar_extra_record(record_type: int, data: bytes) -> bytes:
    record = vint(record_type) + data
    return vint(len(record)) + record


@dataclass
class RarEntry:
    name: str | bytes  # bytes: written as they are (RAR 5 says UTF-8; a broken tool may write anything)
    data: bytes = b""
    directory: bool = False
    compressed: bool = False  # mark the data as compressed (it is still stored: only a refusal can be tested)
    encrypted: bool = False  # add a file encryption record (the data is not really encrypted)
    redirect: int | None = None  # RAR5_REDIRECT_* : the entry is a link to `redirect_target`
    redirect_target: str = "target"
    host_os: int = 1  # 0 Windows, 1 Unix
    mode: int | None = None  # attributes: a Unix st_mode by default
    declared_size: int | None = None  # unpacked size in the header (default len(data))


def _rar_file_header(entry: RarEntry) -> bytes:
    name = entry.name if isinstance(entry.name, bytes) else entry.name.encode("utf-8")
    file_flags = 0x0001 if entry.directory else 0x0004  # directory, or "CRC32 present"
    mode = entry.mode if entry.mode is not None else (
        (stat.S_IFDIR | 0o755) if entry.directory else (stat.S_IFREG | 0o644)) if entry.host_os == 1 else 0x20
    method = 3 if entry.compressed else 0
    body = vint(file_flags) + vint(entry.declared_size if entry.declared_size is not None else len(entry.data))
    body += vint(mode)
    if not entry.directory:
        body += struct.pack("<L", zlib.crc32(entry.data))
    body += vint(method << 7) + vint(entry.host_os) + vint(len(name)) + name
    extra = b""
    if entry.encrypted:
        extra += _rar_extra_record(0x01, vint(0) + vint(0) + bytes([15]) + b"\x11" * 16 + b"\x22" * 16)
    if entry.redirect is not None:
        target = entry.redirect_target.encode("utf-8")
        extra += _rar_extra_record(0x05, vint(entry.redirect) + vint(0) + vint(len(target)) + target)
    data_size = None if entry.directory else len(entry.data)
    return _rar_block(2, body, extra=extra, data_size=data_size) + (b"" if entry.directory else entry.data)


def build_rar5(path: Path, entries: Iterable[RarEntry], *, header_encrypted: bool = False) -> Path:
    out = bytearray(RAR5_SIGNATURE)
    if header_encrypted:
        # An archive encryption header: everything after it would be AES-encrypted with a password.
        out += _rar_block(4, vint(0) + vint(0) + bytes([15]) + b"\x33" * 16)
        out += b"\x00" * 64
        path.write_bytes(bytes(out))
        return path
    out += _rar_block(1, vint(0))  # main archive header, no flags
    for entry in entries:
        out += _rar_file_header(entry)
    out += _rar_block(5, vint(0))  # end of archive
    path.write_bytes(bytes(out))
    return path
