"""Finding the SPT root, telling the layout and reading the SPT and EFT versions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.core.spt_install import NotAnSptInstall, find_spt_root, open_install
from app.sandbox.sample_install import create_sample_install

EXPECTED = {
    "3.x": ("3.11.2", "."),
    "4.0": ("4.0.11", "SPT"),
    "4.1": ("4.1.2", "SPT_Runtime"),
}


def test_layout_and_versions_of_each_generation(sample_install: tuple[str, Path]) -> None:
    layout, root = sample_install
    install = open_install(root)
    version, server = EXPECTED[layout]
    assert install.root == root.resolve()
    assert install.layout == layout
    assert install.version == version
    assert install.server_dir == (root / server).resolve()
    assert install.mods_dir == (root / server / "user" / "mods").resolve()
    assert install.eft_version == "0.16.9.40087"
    assert install.eft_build == 40087


@pytest.mark.parametrize("inside", ["BepInEx/plugins/SwiftSort", "SPT/user/mods/LootPulse", "SPT/user", "BepInEx"])
def test_root_is_found_from_any_folder_inside(tmp_path: Path, inside: str) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    assert find_spt_root(root / inside) == root.resolve()
    assert find_spt_root(root / inside / "..") == root.resolve()


def test_root_is_found_from_a_file_inside(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.1")
    assert find_spt_root(root / "BepInEx/plugins/AmmoTools.dll") == root.resolve()


def test_a_folder_outside_any_install_is_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "Documents").mkdir()
    with pytest.raises(NotAnSptInstall, match="is not inside an SPT install"):
        find_spt_root(tmp_path / "Documents")
    with pytest.raises(NotAnSptInstall, match="does not exist"):
        find_spt_root(tmp_path / "missing")


def test_version_falls_back_to_spt_core_plugin(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    (root / "SPT" / "SPTarkov.Server.Core.dll").unlink()
    install = open_install(root)
    assert install.layout == "4.0"  # SPT/user/mods still tells the layout
    assert install.version == "4.0.11"  # from BepInEx/plugins/spt/spt-core.dll's file version


def test_unreadable_server_core_gives_no_version_rather_than_an_error(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    (root / "SPT" / "SPTarkov.Server.Core.dll").write_bytes(b"MZ not really")
    (root / "BepInEx/plugins/spt/spt-core.dll").unlink()
    assert open_install(root).version is None


def test_4_1_wins_when_an_upgrade_left_the_old_spt_folder(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.1")
    (root / "SPT" / "user" / "mods").mkdir(parents=True)  # leftovers of the 4.0 install
    install = open_install(root)
    assert install.layout == "4.1"
    assert install.server_dir.name == "SPT_Runtime"


def test_a_4_1_server_assembled_into_spt_is_4_1(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.1")
    shutil.move(root / "SPT_Runtime", root / "SPT")
    install = open_install(root)
    assert (install.layout, install.version, install.server_dir.name) == ("4.1", "4.1.2", "SPT")


def test_3x_aki_version_is_read(tmp_path: Path) -> None:
    root = tmp_path / "old"
    core = root / "Aki_Data/Server/configs/core.json"
    core.parent.mkdir(parents=True)
    core.write_text(json.dumps({"akiVersion": "3.7.6", "compatibleTarkovVersion": "0.13.5.27050"}))
    (root / "user" / "mods").mkdir(parents=True)
    install = open_install(root)
    assert (install.layout, install.version, install.eft_version) == ("3.x", "3.7.6", None)


def test_3x_malformed_core_json_gives_no_version(tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "3.x")
    (root / "SPT_Data/Server/configs/core.json").write_text("{ not json")
    assert open_install(root).version is None
