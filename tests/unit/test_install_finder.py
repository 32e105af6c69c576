"""Finding SPT installs: usual places probed one level deep, remembered ones, running processes; each install once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from app.core.install_finder import (
    FoundInstall,
    common_locations,
    find_installs,
    roots_at,
    running_install_roots,
    same_root,
)
from app.sandbox.sample_install import recreate_sample_install


@pytest.fixture
def games(tmp_path: Path) -> Path:
    """A games folder holding the three layouts side by side, and folders that only look a little like installs."""
    folder = tmp_path / "Games"
    for layout in ("3.x", "4.0", "4.1"):
        recreate_sample_install(folder / f"SPT-{layout}", layout)
    (folder / "empty").mkdir()
    (folder / "only-a-SPT-folder" / "SPT").mkdir(parents=True)  # the marker, but no server in it
    (folder / "Witcher 3" / "bin").mkdir(parents=True)
    (folder / "notes.txt").write_text("not a folder")
    recreate_sample_install(folder / "archive" / "old-copies" / "SPT-deep", "4.0")  # too deep to be probed
    return folder


def roots(found: list[FoundInstall]) -> list[str]:
    return [install.root.name for install in found]


def test_a_folder_of_games_yields_each_layout_with_its_version(games: Path) -> None:
    found = find_installs([], locations=[games], include_running=False)
    assert {(install.root.name, install.layout, install.version, install.source) for install in found} == {
        ("SPT-3.x", "3.x", "3.11.2", "common"),
        ("SPT-4.0", "4.0", "4.0.11", "common"),
        ("SPT-4.1", "4.1", "4.1.2", "common"),
    }
    assert all(install.usable for install in found)


def test_probing_stops_one_level_down(games: Path) -> None:
    assert "SPT-deep" not in roots(find_installs([], locations=[games], include_running=False))
    assert roots_at(games / "archive") == []
    assert [path.name for path in roots_at(games / "archive" / "old-copies")] == ["SPT-deep"]


def test_a_location_that_is_an_install_is_found_itself(games: Path) -> None:
    assert roots_at(games / "SPT-4.1") == [games / "SPT-4.1"]
    assert roots(find_installs([], locations=[games / "SPT-4.1"], include_running=False)) == ["SPT-4.1"]


def test_junk_and_missing_locations_are_skipped_silently(tmp_path: Path, games: Path) -> None:
    found = find_installs([str(tmp_path / "gone"), str(games / "empty")],
                          locations=[tmp_path / "nowhere", games / "notes.txt", games / "Witcher 3"],
                          include_running=False)
    assert found == []


def test_a_remembered_folder_inside_an_install_gives_the_game_root(games: Path) -> None:
    found = find_installs([str(games / "SPT-4.0" / "BepInEx" / "plugins")], locations=[], include_running=False)
    assert [(install.root, install.source) for install in found] == [(games / "SPT-4.0", "remembered")]


def test_order_is_running_remembered_common_and_each_install_appears_once(games: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-4.1"
    link.symlink_to(games / "SPT-4.1", target_is_directory=True)
    found = find_installs(
        [str(games / "SPT-3.x"), str(games / "SPT-4.0" / "SPT")],
        extra_locations=[link, games / "SPT-3.x"],
        locations=[games],
        running_roots=lambda: [games / "SPT-4.0"],
    )
    assert [(install.root.name, install.source) for install in found] == [
        ("SPT-4.0", "running"), ("SPT-3.x", "remembered"), ("SPT-4.1", "common")]


def test_without_running_the_process_list_is_not_read(games: Path) -> None:
    def never() -> list[Path]:
        raise AssertionError("the process list was read")

    assert len(find_installs([], locations=[games], include_running=False, running_roots=never)) == 3


def test_a_failing_process_list_costs_nothing_else(games: Path) -> None:
    def broken() -> list[Path]:
        raise psutil.AccessDenied()

    assert len(find_installs([], locations=[games], running_roots=broken)) == 3


def test_same_root_ignores_spelling(games: Path) -> None:
    assert same_root(games / "SPT-4.0", f"{games}/x/../SPT-4.0")
    assert not same_root(games / "SPT-4.0", games / "SPT-4.1")


# -- running processes (psutil replaced at its boundary: process_iter)

@dataclass
class FakeProcess:
    info: dict[str, Any] = field(default_factory=dict)


def fake_processes(monkeypatch: pytest.MonkeyPatch, *infos: dict[str, Any]) -> None:
    monkeypatch.setattr(psutil, "process_iter", lambda attrs=None: iter([FakeProcess(info) for info in infos]))


def test_running_spt_processes_give_their_install_roots(monkeypatch: pytest.MonkeyPatch, games: Path,
                                                        tmp_path: Path) -> None:
    root_40, root_41, root_3x = games / "SPT-4.0", games / "SPT-4.1", games / "SPT-3.x"
    fake_processes(
        monkeypatch,
        # the 4.0 server run natively, and its game: one root
        {"pid": 10, "name": "SPT.Server.exe", "exe": str(root_40 / "SPT" / "SPT.Server.exe"), "cwd": None},
        {"pid": 11, "name": "EscapeFromTarkov.exe", "exe": str(root_40 / "EscapeFromTarkov.exe"), "cwd": None},
        # `dotnet SPT.Server.dll` from the 4.1 server folder
        {"pid": 12, "name": "dotnet", "exe": "/usr/bin/dotnet", "cwd": str(root_41 / "SPT_Runtime"),
         "cmdline": ["dotnet", "SPT.Server.dll"]},
        # Wine: the executable is the preloader, the working folder tells
        {"pid": 13, "name": "SPT.Server.exe", "exe": "/usr/bin/wine64-preloader", "cwd": str(root_3x),
         "cmdline": ["C:\\SPT\\SPT.Server.exe"]},
        # a shell in an install is not an SPT process; an SPT process outside any install gives nothing
        {"pid": 14, "name": "bash", "exe": "/usr/bin/bash", "cwd": str(games / "SPT-4.1"), "cmdline": ["bash"]},
        {"pid": 15, "name": "SPT.Server.Linux", "exe": str(tmp_path / "elsewhere" / "SPT.Server.Linux"),
         "cwd": str(tmp_path)},
        {"pid": 16, "name": None, "exe": None, "cwd": None, "cmdline": None},  # access denied: psutil gives None
    )
    assert running_install_roots() == [root_40, root_41, root_3x]


def test_running_installs_come_first_in_find_installs(monkeypatch: pytest.MonkeyPatch, games: Path) -> None:
    fake_processes(monkeypatch, {"pid": 20, "name": "SPT.Server.Linux",
                                 "exe": str(games / "SPT-4.1" / "SPT_Runtime" / "SPT.Server.Linux"), "cwd": None})
    found = find_installs([], locations=[games])
    assert (found[0].root.name, found[0].source) == ("SPT-4.1", "running")
    assert len(found) == 3


def test_a_process_list_that_cannot_be_read_gives_no_roots(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(attrs: object = None) -> object:
        raise psutil.AccessDenied()

    monkeypatch.setattr(psutil, "process_iter", denied)
    assert running_install_roots() == []


# -- the usual places

def test_linux_locations_include_home_games_and_wine_prefixes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    lutris = home / "Games" / "escape-from-tarkov" / "drive_c"
    bottle = home / ".local" / "share" / "bottles" / "bottles" / "Tarkov" / "drive_c"
    lutris.mkdir(parents=True)
    bottle.mkdir(parents=True)
    locations = common_locations(home, "Linux")
    for expected in (home / "Games" / "SPT", home / "SPT", home / "Games", home / ".wine" / "drive_c",
                     lutris, lutris / "Games", bottle / "SPT"):
        assert expected in locations
    assert len(locations) == len(set(locations))


def test_installs_in_the_usual_linux_places_are_found(tmp_path: Path) -> None:
    home = tmp_path / "home"
    recreate_sample_install(home / "Games" / "SPT", "4.0")
    recreate_sample_install(home / "Games" / "tarkov" / "drive_c" / "SPT", "4.1")
    recreate_sample_install(home / "Desktop" / "spt-3", "3.x")
    found = find_installs([], locations=common_locations(home, "Linux"), include_running=False)
    assert sorted(install.root.relative_to(home).as_posix() for install in found) == [
        "Desktop/spt-3", "Games/SPT", "Games/tarkov/drive_c/SPT"]


def test_windows_locations_cover_the_usual_folders_and_each_drive(tmp_path: Path) -> None:
    home = tmp_path / "Users" / "me"
    locations = common_locations(home, "Windows", drives=[Path("C:/"), Path("E:/")])
    for expected in (Path("C:/SPT"), Path("C:/Games/SPT"), Path("D:/SPT"), Path("D:/Games/SPT"),
                     home / "Desktop" / "SPT", Path("E:/")):
        assert expected in locations
    assert any("Program Files" in str(location) for location in locations)
