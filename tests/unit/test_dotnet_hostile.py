"""Broken, foreign and hostile files: the reader says why in words and never raises anything else."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.dotnet import AssemblyInfo, AssemblyReadError, read_assembly, read_version_resource
from app.sandbox.sample_install import ASSEMBLIES

PLUGIN = ASSEMBLIES / "client" / "TacticalHUD.dll"
SERVER_MOD = ASSEMBLIES / "server-4.0" / "LootPulse.Server.dll"


def _write(tmp_path: Path, data: bytes, name: str = "Mod.dll") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"MZ", "not a Windows DLL"),
        (b"MZ" + b"\x00" * 100, "no PE header"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "not a Windows DLL"),
        (b"PK\x03\x04 a zip renamed to dll BepInPlugin\x00", "not a Windows DLL"),
    ],
)
def test_non_assemblies_are_reported_with_a_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(AssemblyReadError, match=reason):
        read_assembly(_write(tmp_path, data))


def test_a_library_without_mod_markers_is_not_parsed_beyond_its_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = ASSEMBLIES / "client" / "TacticalHUD.Shared.dll"
    monkeypatch.setattr("app.core.dotnet._AssemblyReader", None)  # any full parse would now fail
    assert read_assembly(library) == AssemblyInfo()


def test_a_native_dll_is_not_a_dotnet_assembly(tmp_path: Path) -> None:
    data = bytearray(PLUGIN.read_bytes())
    _clear_clr_directory(data)
    with pytest.raises(AssemblyReadError, match=r"not a \.NET assembly"):
        read_assembly(_write(tmp_path, bytes(data)))


@pytest.mark.parametrize("keep", [64, 128, 512, 1024, 2048, 3000, -1])
def test_truncated_assemblies_fail_cleanly(tmp_path: Path, keep: int) -> None:
    data = PLUGIN.read_bytes()[:keep]
    try:
        info = read_assembly(_write(tmp_path, data))
    except AssemblyReadError as error:
        assert str(error)
    else:  # a cut that spared the metadata may still read, but never as something else
        assert info == read_assembly(PLUGIN)


def test_huge_table_row_counts_are_refused(tmp_path: Path) -> None:
    data = bytearray(SERVER_MOD.read_bytes())
    offset = _first_row_count_offset(bytes(data))
    data[offset:offset + 4] = struct.pack("<I", 0x00FFFFFF)  # the Module table claims 16 million rows
    with pytest.raises(AssemblyReadError):
        read_assembly(_write(tmp_path, bytes(data)))


def test_oversized_files_are_skipped_without_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.core.dotnet.MAX_ASSEMBLY_BYTES", 1000)
    with pytest.raises(AssemblyReadError, match="larger than"):
        read_assembly(PLUGIN)


def test_version_resource_of_garbage_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AssemblyReadError):
        read_version_resource(_write(tmp_path, b"MZ garbage", "EscapeFromTarkov.exe"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([PLUGIN, SERVER_MOD]), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                                       min_size=1, max_size=12))
def test_corrupted_bytes_never_escape_as_anything_but_a_read_error(
    tmp_path: Path, original: Path, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(original.read_bytes())
    for position, value in flips:
        data[position % len(data)] = value
    path = _write(tmp_path, bytes(data), "Fuzzed.dll")
    try:
        read_assembly(path)
    except AssemblyReadError as error:
        assert str(error)


def _clear_clr_directory(data: bytearray) -> None:
    pe_offset = struct.unpack_from("<I", data, 0x3C)[0]
    optional = pe_offset + 24
    magic = struct.unpack_from("<H", data, optional)[0]
    directories = optional + (96 if magic == 0x10B else 112)
    com_descriptor = directories + 14 * 8
    data[com_descriptor:com_descriptor + 8] = b"\x00" * 8


def _first_row_count_offset(data: bytes) -> int:
    """File offset of the first row count in the #~ stream (found through its header's signature bytes)."""
    metadata = data.index(b"BSJB")
    stream = data.index(b"#~\x00", metadata)
    stream_offset = struct.unpack_from("<I", data, stream - 8)[0]
    return metadata + stream_offset + 24
