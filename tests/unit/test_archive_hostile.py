"""The hostile-archive corpus: every archive is built here in tmp_path, and each must be refused with a message that
names the archive, the entry and the rule, with nothing written anywhere (tmp_path is the same before and after)."""

from __future__ import annotations

import os
import stat
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.archive import (
    DEFAULT_LIMITS,
    ArchiveError,
    ArchiveLimits,
    extract,
    inspect_archive,
    plan_layout,
)
from tests.archive_builders import (
    CHAR_DEVICE_MODE,
    FIFO_MODE,
    RAR5_REDIRECT_HARDLINK,
    RAR5_REDIRECT_UNIX_SYMLINK,
    RAR5_REDIRECT_WINDOWS_SYMLINK,
    SYMLINK_MODE,
    RarEntry,
    RawZipEntry,
    build_7z,
    build_rar5,
    build_zip,
    many_files_zip,
    raw_deflate,
    unicode_path_extra,
    unix_7z_attributes,
    unix_mode_attr,
    write_raw_zip,
)

GOOD = "BepInEx/plugins/Mod.dll"
DLL = b"MZ" + b"\x90" * 2000


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every file, folder and link under root, with its type, size and modification time."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            found[path.relative_to(root).as_posix()] = (stat.filemode(info.st_mode), info.st_size, info.st_mtime_ns)
    return found


def assert_refused(archive: Path, *fragments: str, limits: ArchiveLimits = DEFAULT_LIMITS) -> str:
    """inspect, plan and extract the archive; it must fail with every fragment in the message, writing nothing."""
    root = archive.parent
    before = snapshot(root)
    with pytest.raises(ArchiveError) as caught:
        listing = inspect_archive(archive, limits)
        extract(listing, plan_layout(listing, "4.1"), root / "staging", limits=limits)
    message = str(caught.value)
    assert message.startswith(f"{archive.name}: "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert snapshot(root) == before
    return message


# ---------------------------------------------------------------------------------------------------------------------
# Paths that leave the staging folder, and names Windows cannot hold

UNSAFE_PATHS = [
    ("/etc/passwd", "absolute"),
    ("/BepInEx/plugins/Mod.dll", "absolute"),
    ("\\\\server\\share\\Mod.dll", "absolute"),
    ("../../evil.dll", "'..'"),
    ("BepInEx/../../evil.dll", "'..'"),
    ("BepInEx\\..\\..\\evil.dll", "'..'"),
    ("C:/Windows/System32/evil.dll", "drive letter (C:)"),
    ("c:evil.dll", "drive letter"),
    ("BepInEx/plugins/CON", "reserves for a device"),
    ("BepInEx/plugins/con.dll", "reserves for a device"),
    ("BepInEx/plugins/COM1.txt", "reserves for a device"),
    ("BepInEx/plugins/Lpt9", "reserves for a device"),
    ("BepInEx/plugins/AUX .dll", "reserves for a device"),
    ("NUL/Mod.dll", "reserves for a device"),
    ("BepInEx/plugins/a:b.dll", "':'"),
    ("BepInEx/plugins/a<b.dll", "'<'"),
    ("BepInEx/plugins/a>b.dll", "'>'"),
    ("BepInEx/plugins/a|b.dll", "'|'"),
    ("BepInEx/plugins/a?b.dll", "'?'"),
    ("BepInEx/plugins/a*b.dll", "'*'"),
    ('BepInEx/plugins/a"b.dll', "'\"'"),
    ("BepInEx/plugins/a\x07b.dll", "control character"),
    ("BepInEx/plugins/Mod./a.dll", "ends with a dot or a space"),
    ("BepInEx/plugins/Mod /a.dll", "ends with a dot or a space"),
    ("BepInEx/plugins/Mod.dll.", "ends with a dot or a space"),
    ("BepInEx/plugins/" + "x" * 256 + ".dll", "longer than 255"),
]


@pytest.mark.parametrize(("name", "rule"), UNSAFE_PATHS)
def test_zip_unsafe_names(tmp_path: Path, name: str, rule: str) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry(GOOD, DLL), RawZipEntry(name, DLL)])
    message = assert_refused(archive, rule)
    assert name.replace("\x07", "\\x07")[:40] in message


@pytest.mark.parametrize(("name", "rule"), [
    ("/etc/passwd", "absolute"), ("../../evil.dll", "'..'"), ("C:/evil.dll", "drive letter"),
    ("BepInEx/plugins/CON.dll", "reserves for a device"), ("BepInEx/plugins/a:b.dll", "':'"),
    ("BepInEx/plugins/Mod ", "ends with a dot or a space"),
])
def test_7z_unsafe_names(tmp_path: Path, name: str, rule: str) -> None:
    archive = build_7z(tmp_path / "Mod.7z", {GOOD: DLL, "placeholder": DLL}, names={"placeholder": name})
    assert_refused(archive, name, rule)


@pytest.mark.parametrize(("name", "rule"), [
    ("/etc/passwd", "absolute"), ("../../evil.dll", "'..'"), ("BepInEx\\..\\..\\evil.dll", "'..'"),
    ("C:\\evil.dll", "drive letter"), ("BepInEx/plugins/PRN", "reserves for a device"),
    ("BepInEx/plugins/a?b.dll", "'?'"),
])
def test_rar_unsafe_names(tmp_path: Path, name: str, rule: str) -> None:
    archive = build_rar5(tmp_path / "Mod.rar", [RarEntry(GOOD, DLL), RarEntry(name, DLL)])
    assert_refused(archive, name, rule)


def test_a_nul_byte_in_a_name_is_refused(tmp_path: Path) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry(b"BepInEx/plugins/Mod.dll\x00.txt", DLL)])
    assert_refused(archive, "BepInEx/plugins/Mod.dll\\x00.txt", "NUL character")


# ---------------------------------------------------------------------------------------------------------------------
# Links and special files


@pytest.mark.parametrize(("mode", "rule"), [
    (SYMLINK_MODE, "is a link"), (FIFO_MODE, "device, pipe or socket"), (CHAR_DEVICE_MODE, "device, pipe or socket"),
    (stat.S_IFSOCK | 0o600, "device, pipe or socket"), (stat.S_IFBLK | 0o600, "device, pipe or socket"),
])
def test_zip_links_and_special_files(tmp_path: Path, mode: int, rule: str) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [
        RawZipEntry(GOOD, DLL),
        RawZipEntry("BepInEx/plugins/link.dll", b"/etc/passwd", external_attr=unix_mode_attr(mode)),
    ])
    assert_refused(archive, "BepInEx/plugins/link.dll", rule)


def test_zip_windows_reparse_point_is_a_link(tmp_path: Path) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [
        RawZipEntry("BepInEx/plugins/link.dll", b"C:\\Windows", external_attr=0x400, create_system=0),
    ])
    assert_refused(archive, "BepInEx/plugins/link.dll", "is a link")


@pytest.mark.parametrize(("mode", "rule"), [(SYMLINK_MODE, "is a link"), (FIFO_MODE, "device, pipe or socket"),
                                            (CHAR_DEVICE_MODE, "device, pipe or socket")])
def test_7z_links_and_special_files(tmp_path: Path, mode: int, rule: str) -> None:
    archive = build_7z(tmp_path / "Mod.7z", {GOOD: DLL, "BepInEx/plugins/link.dll": b"../../../etc/passwd"},
                       attributes={"BepInEx/plugins/link.dll": unix_7z_attributes(mode)})
    assert_refused(archive, "BepInEx/plugins/link.dll", rule)


def test_7z_windows_reparse_point_is_a_link(tmp_path: Path) -> None:
    archive = build_7z(tmp_path / "Mod.7z", {GOOD: DLL, "BepInEx/plugins/link.dll": b"C:\\Windows"},
                       attributes={"BepInEx/plugins/link.dll": 0x400 | 0x20})
    assert_refused(archive, "BepInEx/plugins/link.dll", "is a link")


@pytest.mark.parametrize(("entry", "rule"), [
    (RarEntry("BepInEx/plugins/link.dll", redirect=RAR5_REDIRECT_UNIX_SYMLINK, redirect_target="/etc/passwd",
              mode=SYMLINK_MODE), "is a link"),
    (RarEntry("BepInEx/plugins/link.dll", redirect=RAR5_REDIRECT_WINDOWS_SYMLINK, host_os=0,
              redirect_target="C:\\Windows"), "is a link"),
    (RarEntry("BepInEx/plugins/link.dll", redirect=RAR5_REDIRECT_HARDLINK, redirect_target=GOOD), "hard link"),
    (RarEntry("BepInEx/plugins/link.dll", mode=FIFO_MODE), "device, pipe or socket"),
    (RarEntry("BepInEx/plugins/link.dll", mode=CHAR_DEVICE_MODE), "device, pipe or socket"),
])
def test_rar_links_and_special_files(tmp_path: Path, entry: RarEntry, rule: str) -> None:
    archive = build_rar5(tmp_path / "Mod.rar", [RarEntry(GOOD, DLL), entry])
    assert_refused(archive, "BepInEx/plugins/link.dll", rule)


# ---------------------------------------------------------------------------------------------------------------------
# Too many files, size and ratio bombs, headers that lie


def test_10000_files_are_refused_fast_from_the_headers(tmp_path: Path) -> None:
    archive = many_files_zip(tmp_path / "Many.zip", 10_000)
    started = time.perf_counter()
    assert_refused(archive, "10000 files", "limit of 5000")
    assert time.perf_counter() - started < 2.0


def test_a_zip_declaring_millions_of_entries_is_refused_before_its_directory_is_read(tmp_path: Path) -> None:
    archive = write_raw_zip(tmp_path / "Many.zip", [RawZipEntry(GOOD, DLL)], declared_count=0xFFFF)
    assert_refused(archive, "declares 65535 entries", limits=ArchiveLimits(max_files=100))


@pytest.mark.parametrize("kind", ["7z", "rar"])
def test_too_many_files_in_7z_and_rar(tmp_path: Path, kind: str) -> None:
    names = [f"BepInEx/plugins/Mod/f{index}.dll" for index in range(12)]
    if kind == "7z":
        archive = build_7z(tmp_path / "Mod.7z", dict.fromkeys(names, b"x"))
    else:
        archive = build_rar5(tmp_path / "Mod.rar", [RarEntry(name, b"x") for name in names])
    assert_refused(archive, "12 files", "limit of 10", limits=ArchiveLimits(max_files=10))


def test_an_entry_declaring_3_gib_is_refused(tmp_path: Path) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [
        RawZipEntry(GOOD, raw_deflate(b"\0" * 1000), method=8, file_size=3 * 2**30, crc=0),
    ])
    assert_refused(archive, GOOD, "3.0 GiB", "limit of 2.0 GiB for one file")


def test_total_size_over_the_limit_is_refused(tmp_path: Path) -> None:
    archive = build_zip(tmp_path / "Mod.zip", {f"BepInEx/plugins/{n}.dll": os.urandom(100_000) for n in "abc"},
                        method=zipfile.ZIP_STORED)
    assert_refused(archive, "unpacks to 293.0 KiB", "limit of 195.3 KiB", limits=ArchiveLimits(max_total_size=200_000))


def test_a_deflate_ratio_bomb_is_refused_from_the_headers(tmp_path: Path) -> None:
    zeros = b"\0" * (20 * 2**20)
    archive = write_raw_zip(tmp_path / "Bomb.zip", [RawZipEntry(GOOD, raw_deflate(zeros), method=8, plain=zeros)])
    assert_refused(archive, GOOD, "times), more than 200 times: a compression bomb")


def test_a_7z_ratio_bomb_is_refused_from_the_headers(tmp_path: Path) -> None:
    archive = build_7z(tmp_path / "Bomb.7z", {GOOD: b"\0" * (8 * 2**20)})
    assert_refused(archive, "Bomb.7z: ", "a compression bomb")


def test_many_small_entries_over_the_whole_archive_ratio_are_refused(tmp_path: Path) -> None:
    zeros = b"\0" * 900_000  # each entry under the 1 MiB floor of the per-entry ratio check
    packed = raw_deflate(zeros)
    archive = write_raw_zip(tmp_path / "Bomb.zip", [
        RawZipEntry(f"BepInEx/plugins/Mod/f{index}.dll", packed, method=8, plain=zeros) for index in range(50)
    ])
    assert_refused(archive, "the archive would unpack", "a compression bomb")


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    zeros = b"\0" * 500_000
    packed = raw_deflate(zeros)
    archive = write_raw_zip(tmp_path / "Bomb.zip", [
        RawZipEntry("BepInEx/plugins/a.dll", packed, method=8, plain=zeros),
        RawZipEntry("BepInEx/plugins/b.dll", b"", method=8, plain=zeros, compress_size=len(packed), header_offset=0),
    ])
    assert_refused(archive, "overlaps the data of another entry")


def test_a_header_hiding_the_real_size_fails_during_extraction_and_leaves_nothing(tmp_path: Path) -> None:
    data = os.urandom(3 * 2**20)
    archive = write_raw_zip(tmp_path / "Liar.zip", [
        RawZipEntry("BepInEx/plugins/First.dll", DLL),
        RawZipEntry(GOOD, raw_deflate(data), method=8, plain=data, file_size=1000),  # CRC of the real data
    ])
    assert_refused(archive, f"Liar.zip: {GOOD}: the archive is damaged or incomplete (Bad CRC-32")


def test_extraction_enforces_the_total_limit_on_real_bytes(tmp_path: Path) -> None:
    archive = build_zip(tmp_path / "Mod.zip", {f"BepInEx/plugins/{n}.dll": os.urandom(300_000) for n in "abcd"})
    listing = inspect_archive(archive)
    before = snapshot(tmp_path)
    with pytest.raises(ArchiveError, match=r"Mod\.zip: BepInEx/plugins/\w\.dll: the archive unpacks to more than"):
        extract(listing, plan_layout(listing, "4.1"), tmp_path / "staging",
                limits=ArchiveLimits(max_total_size=700_000))
    assert snapshot(tmp_path) == before


def test_a_dll_that_grew_after_inspection_is_stopped_at_its_declared_size(tmp_path: Path) -> None:
    dll = tmp_path / "Mod.dll"
    dll.write_bytes(DLL)
    listing = inspect_archive(dll)
    plan = plan_layout(listing, "4.1")
    with dll.open("ab") as grow:
        grow.write(b"\0" * 3 * 2**20)
    before = snapshot(tmp_path)
    with pytest.raises(ArchiveError, match=r"^Mod\.dll: the file holds more data than its header says"):
        extract(listing, plan, tmp_path / "staging")
    assert snapshot(tmp_path) == before


def test_a_bare_dll_over_the_entry_limit_is_refused(tmp_path: Path) -> None:
    dll = tmp_path / "Mod.dll"
    dll.write_bytes(DLL)
    assert_refused(dll, "Mod.dll: the file unpacks to 2.0 KiB, more than the limit of 1000 bytes",
                   limits=ArchiveLimits(max_entry_size=1000))


# ---------------------------------------------------------------------------------------------------------------------
# Passwords


@pytest.mark.parametrize(("flags", "method"), [(0x1, 8), (0x41, 8), (0x1, 99)])
def test_encrypted_zip_entries(tmp_path: Path, flags: int, method: int) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [
        RawZipEntry(GOOD, os.urandom(100), method=method, flags=flags, plain=DLL),
    ])
    assert_refused(archive, GOOD, "password-protected")


def test_encrypted_7z(tmp_path: Path) -> None:
    archive = build_7z(tmp_path / "Mod.7z", {GOOD: DLL}, password="secret")
    assert_refused(archive, GOOD, "password-protected")


def test_7z_with_an_encrypted_file_list(tmp_path: Path) -> None:
    archive = build_7z(tmp_path / "Mod.7z", {GOOD: DLL}, password="secret", header_encryption=True)
    assert_refused(archive, "password-protected (even its file list)")


def test_encrypted_rar_entry(tmp_path: Path) -> None:
    archive = build_rar5(tmp_path / "Mod.rar", [RarEntry(GOOD, DLL, encrypted=True)])
    assert_refused(archive, GOOD, "password-protected")


def test_rar_with_an_encrypted_file_list(tmp_path: Path) -> None:
    archive = build_rar5(tmp_path / "Mod.rar", [], header_encrypted=True)
    assert_refused(archive, "password-protected (even its file list)")


# ---------------------------------------------------------------------------------------------------------------------
# Truncation and corruption


def _cut(path: Path, keep: Callable[[int], int]) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[:keep(len(data))])
    return path


@pytest.mark.parametrize("keep", [lambda n: n - 10, lambda n: n // 2, lambda n: 40])
def test_truncated_zip(tmp_path: Path, keep: Callable[[int], int]) -> None:
    archive = _cut(build_zip(tmp_path / "Mod.zip", {GOOD: os.urandom(50_000), "BepInEx/plugins/b.dll": DLL}), keep)
    assert_refused(archive, "damaged or incomplete")


@pytest.mark.parametrize("keep", [lambda n: n - 10, lambda n: n // 2, lambda n: 40])
def test_truncated_7z(tmp_path: Path, keep: Callable[[int], int]) -> None:
    archive = _cut(build_7z(tmp_path / "Mod.7z", {GOOD: os.urandom(50_000), "BepInEx/plugins/b.dll": DLL}), keep)
    assert_refused(archive, "damaged or incomplete")


@pytest.mark.parametrize("keep", [lambda n: n - 3, lambda n: n // 2, lambda n: 12])
def test_truncated_rar(tmp_path: Path, keep: Callable[[int], int]) -> None:
    archive = _cut(build_rar5(tmp_path / "Mod.rar", [RarEntry(GOOD, os.urandom(50_000)), RarEntry("b.dll", DLL)]),
                   keep)
    assert_refused(archive, "damaged or incomplete")


def test_zip_entry_cut_short_before_the_directory(tmp_path: Path) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry(GOOD, DLL, compress_size=len(DLL) + 5000)])
    assert_refused(archive, GOOD, "runs past the end")


@pytest.mark.parametrize("kind", ["zip", "7z", "rar"])
def test_corrupted_data_fails_during_extraction_and_leaves_nothing(tmp_path: Path, kind: str) -> None:
    payload = os.urandom(2000) + b"text " * 40_000
    if kind == "zip":
        archive = build_zip(tmp_path / "Mod.zip", {"BepInEx/plugins/a.dll": DLL, GOOD: payload})
    elif kind == "7z":
        archive = build_7z(tmp_path / "Mod.7z", {"BepInEx/plugins/a.dll": DLL, GOOD: payload})
    else:
        archive = build_rar5(tmp_path / "Mod.rar", [RarEntry("BepInEx/plugins/a.dll", DLL), RarEntry(GOOD, payload)])
    data = bytearray(archive.read_bytes())
    at = data.find(payload[:64]) + 200 if kind == "rar" else len(data) // 3  # inside the payload's data
    for offset in range(at, at + 60):
        data[offset] ^= 0x5A
    archive.write_bytes(bytes(data))
    assert_refused(archive, f"{archive.name}: {GOOD}: the archive is damaged or incomplete")


# ---------------------------------------------------------------------------------------------------------------------
# Wrong extensions and files that are not archives


@pytest.mark.parametrize(("make", "name", "rule"), [
    (lambda p: build_zip(p, {GOOD: DLL}), "Mod.7z", "named .7z but is a zip archive"),
    (lambda p: build_7z(p, {GOOD: DLL}), "Mod.zip", "named .zip but is a 7z archive"),
    (lambda p: build_rar5(p, [RarEntry(GOOD, DLL)]), "Mod.zip", "named .zip but is a RAR archive"),
    (lambda p: build_zip(p, {GOOD: DLL}), "Mod.dll", "named .dll but is a zip archive"),
    (lambda p: p.write_bytes(DLL), "Mod.zip", "named .zip but is a DLL"),
    (lambda p: p.write_bytes(DLL), "Mod.exe", "named .exe but is a DLL"),
    (lambda p: build_zip(p, {GOOD: DLL}), "Mod", "named (no extension) but is a zip archive"),
    (lambda p: p.write_bytes(b"<!DOCTYPE html><html>MEGA</html>"), "Mod.zip", "is a web page"),
    (lambda p: p.write_bytes(b""), "Mod.7z", "is empty"),
    (lambda p: p.write_bytes(os.urandom(100)), "Mod.rar", "is not a RAR archive"),
    (lambda p: p.write_bytes(b"\x1f\x8b" + os.urandom(100)), "Mod.tar.gz", "not a zip, 7z or rar archive"),
])
def test_wrong_extension_or_not_an_archive(tmp_path: Path, make: Callable[[Path], object], name: str,
                                           rule: str) -> None:
    archive = tmp_path / name
    make(archive)
    assert_refused(archive, rule)


# ---------------------------------------------------------------------------------------------------------------------
# Names that collide on Windows


@pytest.mark.parametrize(("names", "entry", "rule"), [
    (["BepInEx/plugins/Mod.dll", "BepInEx/plugins/mod.DLL"], "mod.DLL", "differ only in upper/lower case"),
    (["BepInEx/Plugins/a.dll", "bepinex/plugins/A.dll"], "A.dll", "differ only in upper/lower case"),
    (["BepInEx/plugins/Mod.dll", "BepInEx/plugins/Mod.dll"], "Mod.dll", "holds this entry twice"),
    (["BepInEx/plugins/Ärger.dll", "BepInEx/plugins/äRGER.dll"], "äRGER.dll", "differ only in upper/lower case"),
    (["BepInEx/plugins/Mod", "BepInEx/plugins/Mod/Mod.dll"], "BepInEx/plugins/Mod/Mod.dll", "which is a file"),
])
def test_zip_names_colliding_on_windows(tmp_path: Path, names: list[str], entry: str, rule: str) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry(name, DLL) for name in names])
    assert_refused(archive, entry, rule)


def test_7z_names_colliding_on_windows(tmp_path: Path) -> None:
    archive = build_7z(tmp_path / "Mod.7z", {GOOD: DLL, "BepInEx/PLUGINS/mod.dll": DLL})
    assert_refused(archive, "BepInEx/PLUGINS/mod.dll", "differ only in upper/lower case")


def test_rar_names_colliding_on_windows(tmp_path: Path) -> None:
    archive = build_rar5(tmp_path / "Mod.rar", [RarEntry(GOOD, DLL), RarEntry(GOOD.upper(), DLL)])
    assert_refused(archive, GOOD.upper(), "differ only in upper/lower case")


# ---------------------------------------------------------------------------------------------------------------------
# Names that are not UTF-8: decoded sensibly or refused clearly, never a crash


def _names_of(archive: Path) -> list[str]:
    return [entry.name for entry in inspect_archive(archive).files]


def test_cp437_names_without_the_utf8_flag_decode_as_cp437(tmp_path: Path) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry("BepInEx/plugins/Bär.dll".encode("cp437"), DLL)])
    assert _names_of(archive) == ["BepInEx/plugins/Bär.dll"]


def test_utf8_names_without_the_utf8_flag_decode_as_utf8(tmp_path: Path) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry("BepInEx/plugins/Мод.dll".encode(), DLL)])
    assert _names_of(archive) == ["BepInEx/plugins/Мод.dll"]


def test_info_zip_unicode_path_field_wins_over_the_legacy_name(tmp_path: Path) -> None:
    legacy = "BepInEx/plugins/Мод.dll".encode("cp866")
    archive = write_raw_zip(tmp_path / "Mod.zip", [
        RawZipEntry(legacy, DLL, extra=unicode_path_extra(legacy, "BepInEx/plugins/Мод.dll")),
    ])
    assert _names_of(archive) == ["BepInEx/plugins/Мод.dll"]


def test_a_legacy_code_page_name_becomes_some_valid_name(tmp_path: Path) -> None:
    legacy = "BepInEx/plugins/モッド.dll".encode("shift_jis")
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry(legacy, DLL)])
    (name,) = _names_of(archive)
    assert name == legacy.decode("cp437")
    listing = inspect_archive(archive)
    staged = extract(listing, plan_layout(listing, "4.1"), tmp_path / "staging")
    assert staged[0].path.read_bytes() == DLL


def test_a_name_flagged_utf8_that_is_not_is_refused_clearly(tmp_path: Path) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry(b"BepInEx/plugins/\xff\xfe.dll", DLL, flags=0x800)])
    assert_refused(archive, "BepInEx/plugins/\ufffd\ufffd.dll", "not valid UTF-8")


def test_a_legacy_name_decoding_to_control_characters_is_refused(tmp_path: Path) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry(b"BepInEx/plugins/\x01\x02.dll", DLL)])
    assert_refused(archive, "BepInEx/plugins/\\x01\\x02.dll", "control character")


def test_rar_names_that_are_not_utf8_are_replaced_not_crashed(tmp_path: Path) -> None:
    archive = build_rar5(tmp_path / "Mod.rar", [RarEntry(b"BepInEx/plugins/M\xffd.dll", DLL)])
    listing = inspect_archive(archive)
    assert [entry.name for entry in listing.files] == ["BepInEx/plugins/M\ufffdd.dll"]
    staged = extract(listing, plan_layout(listing, "4.1"), tmp_path / "staging")
    assert staged[0].path.read_bytes() == DLL


def test_a_rar_header_that_fails_its_checksum_is_damage(tmp_path: Path) -> None:
    archive = build_rar5(tmp_path / "Mod.rar", [RarEntry(GOOD, DLL)])
    archive.write_bytes(archive.read_bytes().replace(b"Mod.dll", b"M\xffd.dll"))
    assert_refused(archive, "damaged or incomplete", "Header CRC")


def test_a_utf8_flagged_zip_name_hiding_a_nul_is_refused(tmp_path: Path) -> None:
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry("BepInEx/plugins/Mod.dll\x00ü.txt", DLL)])
    assert_refused(archive, "Mod.dll\\x00ü.txt", "NUL character")


def test_zip_crc_of_the_unicode_field_must_match(tmp_path: Path) -> None:
    legacy = b"BepInEx/plugins/Mod.dll"
    extra = b"\x75\x70" + (5 + 7).to_bytes(2, "little") + b"\x01" + zlib.crc32(b"other").to_bytes(4, "little")
    archive = write_raw_zip(tmp_path / "Mod.zip", [RawZipEntry(legacy, DLL, extra=extra + b"Evil/..")])
    assert _names_of(archive) == ["BepInEx/plugins/Mod.dll"]


def test_a_good_extraction_writes_only_inside_staging(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    files = {GOOD: DLL, "SPT/user/mods/Mod/Mod.dll": DLL * 3}
    archives = [build_zip(work / "Mod.zip", files), build_7z(work / "Mod.7z", files),
                build_rar5(work / "Mod.rar", [RarEntry(name, data) for name, data in files.items()])]
    before = snapshot(tmp_path)
    for archive in archives:
        listing = inspect_archive(archive)
        extract(listing, plan_layout(listing, "4.1"), tmp_path / "staging" / listing.format)
    after = {path: info for path, info in snapshot(tmp_path).items() if not path.startswith("staging")}
    assert after == before
