"""The install engine: installs, updates, conflicts, configuration survival, uninstall, disable/enable, history, undo,
backup pruning, and every refusal (locks, full disk, running processes, another Kappa, a damaged record)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from app.core.data_dir import DataDir
from app.core.install import (
    RETRY_TOTAL,
    Conflict,
    ConflictPolicy,
    FileInUse,
    FilesConflict,
    InstallBusy,
    InstallEngine,
    InstallError,
    ModChange,
    NewFile,
    NotEnoughSpace,
    ProcessRunning,
    StateError,
    UndoRefused,
    is_user_config,
)
from app.core.processes import RunningProcess
from app.sandbox.sample_install import create_sample_install
from tests.staging import stage
from tests.trees import Tree, snapshot


def files_of(tree: Tree) -> dict[str, bytes]:
    return {path: data for path, data in tree.items() if data is not None}


def make_engine(root: Path, data_dir: DataDir, **options: Any) -> InstallEngine:
    options.setdefault("running_check", lambda root: [])
    return InstallEngine(root, data_dir, **options)


def change(engine: InstallEngine, key: str, version: str | None, files: dict[str, bytes], **fields: Any) -> ModChange:
    return ModChange(key=key, name=key.capitalize(), version=version, new_files=stage(engine, files), **fields)


def install(engine: InstallEngine, key: str, version: str, files: dict[str, bytes], *, kind: str = "install",
            on_conflict: ConflictPolicy = ConflictPolicy.FAIL) -> Any:
    return engine.apply([change(engine, key, version, files)], kind=kind, summary=f"{kind} {key} {version}",
                        on_conflict=on_conflict)


class Lab(NamedTuple):
    root: Path
    data_dir: DataDir
    engine: InstallEngine

    def tree(self) -> Tree:
        return snapshot(self.root)

    def read(self, target: str) -> bytes:
        return (self.root / target).read_bytes()

    def exists(self, target: str) -> bool:
        return (self.root / target).exists()


@pytest.fixture
def lab(tmp_path: Path, data_dir: DataDir) -> Lab:
    root = create_sample_install(tmp_path / "SPT", "4.0")
    return Lab(root, data_dir, make_engine(root, data_dir))


FOO_V1 = {
    "BepInEx/plugins/Foo/Foo.dll": b"foo 1",
    "BepInEx/plugins/Foo/Foo.Helpers.dll": b"helpers 1",
    "SPT/user/mods/Foo/Foo.Server.dll": b"server 1",
    "SPT/user/mods/Foo/legacy/old.json": b"{}",
}
FOO_V2 = {
    "BepInEx/plugins/Foo/Foo.dll": b"foo 2",
    "SPT/user/mods/Foo/Foo.Server.dll": b"server 2",
    "SPT/user/mods/Foo/assets/new.bundle": b"bundle",
}
SERVER_DIR = {"3.x": "", "4.0": "SPT/", "4.1": "SPT_Runtime/"}


# -- installing and updating ----------------------------------------------------------------------------------------

def test_install_into_each_sample_install(sample_install: tuple[str, Path], data_dir: DataDir) -> None:
    layout, root = sample_install
    engine = make_engine(root, data_dir)
    before = snapshot(root)
    files = {"BepInEx/plugins/Foo/Foo.dll": b"client", f"{SERVER_DIR[layout]}user/mods/Foo/Foo.Server.dll": b"server"}
    record = install(engine, "foo", "1.0", files)

    assert record.state == "committed" and record.kind == "install" and record.files_placed == 2
    assert files_of(snapshot(root)) == {**files_of(before), **files}  # exactly the new files appear
    assert all(engine.owner_of(target) == "foo" for target in files)
    mods = [(mod.key, mod.version, mod.files) for mod in engine.managed_mods()]
    assert mods == [("foo", "1.0", tuple(sorted(files)))]
    assert not any(engine.staging.iterdir())  # staging is consumed
    assert not engine.vault.is_relative_to(root)  # same file system: the vault is in the data dir
    assert engine.undo().state == "committed"
    assert snapshot(root) == before


def test_update_replaces_removes_and_adds_files(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", FOO_V1)
    record = install(lab.engine, "foo", "2.0", FOO_V2, kind="update")

    assert record.kind == "update" and record.files_placed == 3 and record.files_removed == 2
    assert lab.read("BepInEx/plugins/Foo/Foo.dll") == b"foo 2"
    assert lab.read("SPT/user/mods/Foo/assets/new.bundle") == b"bundle"
    assert not lab.exists("BepInEx/plugins/Foo/Foo.Helpers.dll")
    assert not lab.exists("SPT/user/mods/Foo/legacy")  # emptied by the update: pruned
    backup = lab.engine.backup_dir(record.id)
    assert (backup / "BepInEx/plugins/Foo/Foo.dll").read_bytes() == b"foo 1"
    assert (backup / "SPT/user/mods/Foo/legacy/old.json").read_bytes() == b"{}"
    assert record.backup_bytes == sum(len(data) for data in FOO_V1.values())
    assert lab.engine.owner_of("BepInEx/plugins/Foo/Foo.Helpers.dll") is None
    assert [mod.version for mod in lab.engine.managed_mods()] == ["2.0"]


def test_removing_the_last_plugin_keeps_the_folders_an_install_needs(tmp_path: Path, data_dir: DataDir) -> None:
    root = tmp_path / "SPT"
    (root / "SPT/user/mods").mkdir(parents=True)
    (root / "BepInEx/plugins").mkdir(parents=True)
    engine = make_engine(root, data_dir)
    before = snapshot(root)
    install(engine, "foo", "1.0", {"BepInEx/plugins/Foo.dll": b"x", "SPT/user/mods/Foo/Foo.dll": b"y"})
    engine.uninstall("foo", "Foo")
    assert snapshot(root) == before


def test_bad_targets_and_foreign_staged_files_are_refused(lab: Lab, tmp_path: Path) -> None:
    before = lab.tree()
    [staged] = stage(lab.engine, {"x.dll": b"x"})
    for target in ("../evil.dll", "/etc/evil", "BepInEx\\plugins\\x.dll", "C:/x.dll", "BepInEx//x.dll", "a/./b"):
        evil = ModChange("evil", "Evil", "1", (NewFile(target, staged.path, staged.sha256, staged.size),))
        with pytest.raises(InstallError, match="not a path inside the SPT folder"):
            lab.engine.apply([evil], kind="install", summary="install Evil")
    outside = tmp_path / "outside.dll"
    outside.write_bytes(b"x")
    evil = ModChange("evil", "Evil", "1", (NewFile("BepInEx/plugins/x.dll", outside, staged.sha256, 1),))
    with pytest.raises(InstallError, match="not staged"):
        lab.engine.apply([evil], kind="install", summary="install Evil")
    assert lab.tree() == before


# -- conflicts ------------------------------------------------------------------------------------------------------

def conflicting_change(lab: Lab) -> ModChange:
    """Bar writes over Foo's DLL, over a file no mod owns (AmmoTools.dll of the sample install), and a new file."""
    install(lab.engine, "foo", "1.0", {"BepInEx/plugins/Foo/Foo.dll": b"foo"})
    return change(lab.engine, "bar", "1.0", {"BepInEx/plugins/Foo/Foo.dll": b"bar's foo",
                                             "BepInEx/plugins/AmmoTools.dll": b"bar's ammo",
                                             "BepInEx/plugins/Bar.dll": b"bar"})


def test_conflicts_are_listed_and_fail_changes_nothing(lab: Lab) -> None:
    bar = conflicting_change(lab)
    expected = [Conflict("BepInEx/plugins/Foo/Foo.dll", "foo", "Foo", "Bar"),
                Conflict("BepInEx/plugins/AmmoTools.dll", None, None, "Bar")]
    assert lab.engine.conflicts([bar]) == expected
    before, history = lab.tree(), lab.engine.history()

    with pytest.raises(FilesConflict) as raised:
        lab.engine.apply([bar], kind="install", summary="install Bar")
    assert list(raised.value.conflicts) == expected
    assert "BepInEx/plugins/Foo/Foo.dll" in str(raised.value) and "Foo's" in str(raised.value)
    assert lab.tree() == before and lab.engine.history() == history
    assert all(new.path.is_file() for new in bar.new_files)  # staging kept: the player may choose another policy


def test_conflict_overwrite_moves_ownership_and_backs_up(lab: Lab) -> None:
    bar = conflicting_change(lab)
    before = lab.tree()
    record = lab.engine.apply([bar], kind="install", summary="install Bar", on_conflict=ConflictPolicy.OVERWRITE)
    assert lab.read("BepInEx/plugins/Foo/Foo.dll") == b"bar's foo"
    assert lab.read("BepInEx/plugins/AmmoTools.dll") == b"bar's ammo"
    assert lab.engine.owner_of("BepInEx/plugins/Foo/Foo.dll") == "bar"
    assert lab.engine.owner_of("BepInEx/plugins/AmmoTools.dll") == "bar"
    assert (lab.engine.backup_dir(record.id) / "BepInEx/plugins/Foo/Foo.dll").read_bytes() == b"foo"
    lab.engine.undo()
    assert lab.tree() == before
    assert lab.engine.owner_of("BepInEx/plugins/Foo/Foo.dll") == "foo"
    assert lab.engine.owner_of("BepInEx/plugins/AmmoTools.dll") is None


def test_overwriting_a_disabled_mods_file(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", {"BepInEx/plugins/Foo/Foo.dll": b"foo"})
    lab.engine.disable("foo", "Foo")
    before = lab.tree()
    bar = change(lab.engine, "bar", "1.0", {"BepInEx/plugins/Foo/Foo.dll": b"bar"})
    assert lab.engine.conflicts([bar]) == [Conflict("BepInEx/plugins/Foo/Foo.dll", "foo", "Foo", "Bar")]
    lab.engine.apply([bar], kind="install", summary="install Bar", on_conflict=ConflictPolicy.OVERWRITE)
    assert not (lab.engine.disabled_root / "BepInEx/plugins/Foo/Foo.dll").exists()  # in the backup: no later clash
    assert lab.engine.enable("foo").files_placed == 0
    lab.engine.undo()
    lab.engine.undo()
    assert lab.tree() == before
    assert (lab.engine.disabled_root / "BepInEx/plugins/Foo/Foo.dll").read_bytes() == b"foo"


def test_a_folder_is_never_moved_as_a_file(lab: Lab) -> None:
    before = lab.tree()
    with pytest.raises(InstallError, match="is a folder, not a file"):
        lab.engine.uninstall("tacticalhud", "TacticalHUD", ["BepInEx/plugins/TacticalHUD"])
    clash = change(lab.engine, "bar", "1.0", {"BepInEx/plugins/TacticalHUD": b"a file where a folder is"})
    with pytest.raises(InstallError, match="is a folder, not a file"):
        lab.engine.apply([clash], kind="install", summary="install Bar", on_conflict=ConflictPolicy.OVERWRITE)
    assert lab.tree() == before


def test_conflict_keep_leaves_existing_files(lab: Lab) -> None:
    bar = conflicting_change(lab)
    ammo = lab.read("BepInEx/plugins/AmmoTools.dll")
    record = lab.engine.apply([bar], kind="install", summary="install Bar", on_conflict=ConflictPolicy.KEEP)
    assert record.files_placed == 1
    assert lab.read("BepInEx/plugins/Foo/Foo.dll") == b"foo"
    assert lab.read("BepInEx/plugins/AmmoTools.dll") == ammo
    assert lab.read("BepInEx/plugins/Bar.dll") == b"bar"
    assert lab.engine.owner_of("BepInEx/plugins/Foo/Foo.dll") == "foo"
    assert lab.engine.owner_of("BepInEx/plugins/AmmoTools.dll") is None


def test_a_mods_own_old_files_are_no_conflict(lab: Lab) -> None:
    """A mod Kappa did not install: its scanned files are old_files, so its update overwrites them freely."""
    scanned = ("BepInEx/plugins/TacticalHUD/TacticalHUD.dll", "BepInEx/plugins/TacticalHUD/TacticalHUD.Shared.dll")
    update = change(lab.engine, "tacticalhud", "2.0", {scanned[0]: b"hud 2"}, old_files=scanned)
    assert lab.engine.conflicts([update]) == []
    lab.engine.apply([update], kind="update", summary="update TacticalHUD")
    assert lab.read(scanned[0]) == b"hud 2" and not lab.exists(scanned[1])


# -- user configuration ---------------------------------------------------------------------------------------------

CONFIGURED = {
    "BepInEx/plugins/Foo/Foo.dll": b"foo 1",
    "BepInEx/config/com.example.foo.cfg": b"default 1",
    "SPT/user/mods/Foo/Foo.Server.dll": b"server 1",
    "SPT/user/mods/Foo/config/config.json": b"server default 1",
    "SPT/user/mods/Foo/config/untouched.json": b"untouched 1",
}


def test_configuration_survives_an_update(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", CONFIGURED)
    (lab.root / "BepInEx/config/com.example.foo.cfg").write_bytes(b"mine")
    (lab.root / "SPT/user/mods/Foo/config/config.json").write_bytes(b"my server settings")
    v2 = {target: data.replace(b"1", b"2") for target, data in CONFIGURED.items()}
    record = install(lab.engine, "foo", "2.0", v2, kind="update")

    assert lab.read("BepInEx/config/com.example.foo.cfg") == b"mine"
    assert lab.read("SPT/user/mods/Foo/config/config.json") == b"my server settings"
    assert lab.read("SPT/user/mods/Foo/config/untouched.json") == b"untouched 1"  # configuration is never replaced
    assert lab.read("BepInEx/plugins/Foo/Foo.dll") == b"foo 2"
    assert any("BepInEx/config/com.example.foo.cfg" in note for note in record.notes)
    assert any("SPT/user/mods/Foo/config/config.json" in note for note in record.notes)


def test_uninstall_leaves_edited_configuration(lab: Lab) -> None:
    before_files = files_of(lab.tree())
    install(lab.engine, "foo", "1.0", CONFIGURED)
    (lab.root / "BepInEx/config/com.example.foo.cfg").write_bytes(b"mine")
    record = lab.engine.uninstall("foo", "Foo")

    after_files = files_of(lab.tree())
    assert after_files == {**before_files, "BepInEx/config/com.example.foo.cfg": b"mine"}
    assert record.notes == ("Left your edited BepInEx/config/com.example.foo.cfg in place.",)
    assert lab.engine.owner_of("BepInEx/config/com.example.foo.cfg") is None
    assert lab.engine.managed_mods() == []


@pytest.mark.parametrize(("target", "expected"), [
    ("BepInEx/config/com.example.foo.cfg", True),
    ("BepInEx/Config/sub/x.json", True),
    ("SPT/user/mods/Foo/config/config.json", True),
    ("SPT_Runtime/user/mods/Foo/assets/config/x.json5", True),
    ("user/mods/Foo/config/config.jsonc", True),
    ("BepInEx/plugins/Foo/config/foo.json", True),
    ("SPT/user/mods/Foo/config.json", False),
    ("BepInEx/plugins/config/Foo.dll", False),
    ("BepInEx/plugins/Foo/Foo.dll", False),
])
def test_what_counts_as_user_configuration(target: str, expected: bool) -> None:
    assert is_user_config(target) is expected


# -- uninstall ------------------------------------------------------------------------------------------------------

def test_uninstall_removes_exactly_what_the_mod_owns(lab: Lab) -> None:
    before = lab.tree()
    install(lab.engine, "foo", "1.0", {"BepInEx/plugins/Shared/Foo.dll": b"foo", "SPT/user/mods/Foo/Foo.dll": b"f"})
    install(lab.engine, "bar", "1.0", {"BepInEx/plugins/Shared/Bar.dll": b"bar"})
    (lab.root / "SPT/user/mods/Foo/log.txt").write_bytes(b"the server wrote this")
    with_bar = lab.tree()

    record = lab.engine.uninstall("foo", "Foo")
    assert record.kind == "uninstall" and record.files_removed == 2
    assert lab.read("BepInEx/plugins/Shared/Bar.dll") == b"bar"
    assert lab.read("SPT/user/mods/Foo/log.txt") == b"the server wrote this"  # not Foo's: stays, and so its folder
    assert [mod.key for mod in lab.engine.managed_mods()] == ["bar"]
    gone = set(files_of(with_bar)) - set(files_of(lab.tree()))
    assert gone == {"BepInEx/plugins/Shared/Foo.dll", "SPT/user/mods/Foo/Foo.dll"}
    lab.engine.uninstall("bar", "Bar")
    (lab.root / "SPT/user/mods/Foo/log.txt").unlink()
    (lab.root / "SPT/user/mods/Foo").rmdir()
    assert lab.tree() == before


def test_uninstall_of_a_mod_kappa_did_not_install(lab: Lab) -> None:
    before = lab.tree()
    files = ("BepInEx/plugins/TacticalHUD/TacticalHUD.dll", "BepInEx/plugins/TacticalHUD/TacticalHUD.Shared.dll")
    with pytest.raises(InstallError, match="no record of TacticalHUD's files"):
        lab.engine.uninstall("tacticalhud", "TacticalHUD")
    lab.engine.uninstall("tacticalhud", "TacticalHUD", files)
    assert not lab.exists("BepInEx/plugins/TacticalHUD")
    lab.engine.undo()
    assert lab.tree() == before


# -- disable and enable ---------------------------------------------------------------------------------------------

def test_disable_enable_round_trip(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", CONFIGURED)
    installed = lab.tree()
    record = lab.engine.disable("foo", "Foo")

    assert record.kind == "disable"
    disabled = lab.engine.disabled_root
    for target, data in CONFIGURED.items():
        if target.startswith("BepInEx/config/"):
            assert lab.read(target) == data  # BepInEx ignores a missing plugin's configuration: it stays
        else:
            assert not lab.exists(target)
            assert (disabled / target).read_bytes() == data  # the same relative path in the mirror tree
    assert not lab.exists("SPT/user/mods/Foo") and not lab.exists("BepInEx/plugins/Foo")
    assert [(mod.key, mod.enabled) for mod in lab.engine.disabled_mods()] == [("foo", False)]
    with pytest.raises(InstallError, match="already disabled"):
        lab.engine.disable("foo", "Foo")
    with pytest.raises(InstallError, match="disabled: enable it"):
        install(lab.engine, "foo", "2.0", {"BepInEx/plugins/Foo/Foo.dll": b"2"}, kind="update")

    assert lab.engine.enable("foo").kind == "enable"
    assert lab.tree() == installed
    assert lab.engine.disabled_mods() == [] and not any(disabled.rglob("*"))


def test_disable_a_mod_kappa_did_not_install(lab: Lab) -> None:
    before = lab.tree()
    folder = ("SPT/user/mods/BetterScavKarma/BetterScavKarma.dll",)
    lab.engine.disable("com.ravenfall.betterscavkarma", "BetterScavKarma", folder)
    assert not lab.exists("SPT/user/mods/BetterScavKarma")
    [record] = lab.engine.disabled_mods()
    assert (record.key, record.managed, record.kind, record.files) == (
        "com.ravenfall.betterscavkarma", False, "server", folder)
    assert lab.engine.managed_mods() == []

    (lab.root / folder[0]).parent.mkdir()
    (lab.root / folder[0]).write_bytes(b"someone put it back")
    with pytest.raises(FilesConflict):
        lab.engine.enable("com.ravenfall.betterscavkarma")
    (lab.root / folder[0]).unlink()
    (lab.root / folder[0]).parent.rmdir()
    lab.engine.enable("com.ravenfall.betterscavkarma")
    assert lab.tree() == before


def test_uninstall_a_disabled_mod(lab: Lab) -> None:
    before = lab.tree()
    install(lab.engine, "foo", "1.0", FOO_V1)
    lab.engine.disable("foo", "Foo")
    lab.engine.uninstall("foo", "Foo")
    assert lab.tree() == before
    assert lab.engine.disabled_mods() == [] and not any(lab.engine.disabled_root.rglob("*"))
    lab.engine.undo()
    assert [(mod.key, mod.enabled) for mod in lab.engine.disabled_mods()] == [("foo", False)]
    lab.engine.enable("foo")
    assert lab.read("BepInEx/plugins/Foo/Foo.dll") == b"foo 1"


# -- history and undo -----------------------------------------------------------------------------------------------

def test_history_lists_every_transaction_newest_first(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", FOO_V1)
    install(lab.engine, "foo", "2.0", FOO_V2, kind="update")
    lab.engine.disable("foo", "Foo")
    lab.engine.enable("foo")
    lab.engine.uninstall("foo", "Foo")
    undo = lab.engine.undo()

    history = lab.engine.history()
    assert [(r.kind, r.state) for r in history] == [
        ("undo", "committed"), ("uninstall", "undone"), ("enable", "committed"), ("disable", "committed"),
        ("update", "committed"), ("install", "committed")]
    assert undo.undoes == history[1].id and undo.summary == "undo uninstall Foo"
    assert [r.id for r in history] == sorted((r.id for r in history), reverse=True)
    entry = history[4].to_json()
    assert entry["summary"] == "update foo 2.0" and entry["files_placed"] == 3 and entry["backup_pruned"] is False
    assert all(r.finished_at is not None and r.finished_at >= r.started_at for r in history)


OPERATIONS: dict[str, Callable[[Lab], object]] = {
    "install": lambda lab: install(lab.engine, "bar", "1.0", {"BepInEx/plugins/Bar/deep/Bar.dll": b"bar"}),
    "update": lambda lab: install(lab.engine, "foo", "2.0", FOO_V2, kind="update"),
    "uninstall": lambda lab: lab.engine.uninstall("foo", "Foo"),
    "disable": lambda lab: lab.engine.disable("foo", "Foo"),
    "overwrite": lambda lab: install(lab.engine, "bar", "1.0", {"BepInEx/plugins/Foo/Foo.dll": b"bar",
                                                                "BepInEx/plugins/AmmoTools.dll": b"bar"},
                                     on_conflict=ConflictPolicy.OVERWRITE),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_undo_restores_byte_for_byte(lab: Lab, operation: str) -> None:
    install(lab.engine, "foo", "1.0", FOO_V1)
    before, mods = lab.tree(), lab.engine.managed_mods()
    OPERATIONS[operation](lab)
    assert lab.tree() != before
    lab.engine.undo()
    assert lab.tree() == before
    assert lab.engine.managed_mods() == mods
    assert lab.engine.disabled_mods() == []


def test_undo_of_enable(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", FOO_V1)
    lab.engine.disable("foo", "Foo")
    disabled = lab.tree()
    lab.engine.enable("foo")
    lab.engine.undo()
    assert lab.tree() == disabled and [mod.key for mod in lab.engine.disabled_mods()] == ["foo"]


def test_repeated_undo_walks_back_through_history(lab: Lab) -> None:
    pristine = lab.tree()
    install(lab.engine, "foo", "1.0", FOO_V1)
    install(lab.engine, "foo", "2.0", FOO_V2, kind="update")
    install(lab.engine, "bar", "1.0", {"BepInEx/plugins/Bar.dll": b"bar"})
    reverted = [lab.engine.undo().summary for _ in range(3)]
    assert reverted == ["undo install bar 1.0", "undo update foo 2.0", "undo install foo 1.0"]
    assert lab.tree() == pristine and lab.engine.managed_mods() == []
    with pytest.raises(UndoRefused, match="nothing to undo"):
        lab.engine.undo()


def test_undo_refuses_when_a_placed_file_changed(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", FOO_V1)
    (lab.root / "BepInEx/plugins/Foo/Foo.dll").write_bytes(b"patched by hand")
    before = lab.tree()
    with pytest.raises(UndoRefused, match=r"BepInEx/plugins/Foo/Foo\.dll was changed since transaction 1"):
        lab.engine.undo()
    assert lab.tree() == before
    (lab.root / "BepInEx/plugins/Foo/Foo.dll").unlink()
    with pytest.raises(UndoRefused, match=r"BepInEx/plugins/Foo/Foo\.dll was removed since"):
        lab.engine.undo()


def test_undo_takes_edited_configuration_into_its_backup(lab: Lab) -> None:
    pristine = lab.tree()
    install(lab.engine, "foo", "1.0", CONFIGURED)
    (lab.root / "BepInEx/config/com.example.foo.cfg").write_bytes(b"mine")
    (lab.root / "SPT/user/mods/Foo/config/untouched.json").unlink()
    record = lab.engine.undo()
    assert lab.tree() == pristine
    assert (lab.engine.backup_dir(record.id) / "BepInEx/config/com.example.foo.cfg").read_bytes() == b"mine"


# -- backups --------------------------------------------------------------------------------------------------------

def test_prune_backups_by_size_and_age(lab: Lab) -> None:
    install(lab.engine, "foo", "1", {"BepInEx/plugins/Foo.dll": b"1" * 1000})
    for version in "234":
        install(lab.engine, "foo", version, {"BepInEx/plugins/Foo.dll": version.encode() * 1000}, kind="update")
    ids = [record.id for record in reversed(lab.engine.history())]  # install, update 2, 3, 4

    report = lab.engine.prune_backups(max_bytes=1500, max_age_days=365)
    assert report.pruned == (ids[1], ids[2]) and report.freed_bytes == 2000 and report.kept_bytes == 1000
    assert [r.backup_pruned for r in reversed(lab.engine.history())] == [False, True, True, False]
    assert not lab.engine.backup_dir(ids[1]).exists() and lab.engine.backup_dir(ids[3]).exists()

    assert lab.engine.prune_backups(max_bytes=0, max_age_days=365).pruned == ()  # the newest is always kept
    now = lab.engine.history()[0].finished_at or 0
    assert lab.engine.prune_backups(max_bytes=10**9, max_age_days=1, now=now + 2 * 86400).pruned == ()

    lab.engine.undo()  # the newest transaction's backup was kept: one undo always works
    assert lab.read("BepInEx/plugins/Foo.dll") == b"3" * 1000
    with pytest.raises(UndoRefused, match="deleted by the backup policy"):
        lab.engine.undo()


def test_prune_backups_by_age(lab: Lab) -> None:
    clock = [1_000_000.0]
    engine = make_engine(lab.root, lab.data_dir, clock=lambda: clock[0])
    install(engine, "foo", "1", {"BepInEx/plugins/Foo.dll": b"1"})
    for version in "23":
        clock[0] += 86400
        install(engine, "foo", version, {"BepInEx/plugins/Foo.dll": version.encode()}, kind="update")
    update_2, update_3 = [r.id for r in engine.history()][1::-1]
    assert engine.prune_backups(max_bytes=10**9, max_age_days=1.5).pruned == ()
    assert engine.prune_backups(max_bytes=10**9, max_age_days=0.5).pruned == (update_2,)
    assert engine.backup_dir(update_3).exists()


# -- refusals -------------------------------------------------------------------------------------------------------

def test_transient_lock_is_retried_with_back_off(lab: Lab) -> None:
    failures = {"count": 0}
    pauses: list[float] = []

    def flaky_replace(src: str | Path, dst: str | Path) -> None:
        if str(dst).endswith("Foo.dll") and failures["count"] < 3:
            failures["count"] += 1
            raise PermissionError(13, "The process cannot access the file")
        os.replace(src, dst)

    engine = make_engine(lab.root, lab.data_dir, replace=flaky_replace, sleep=pauses.append)
    assert install(engine, "foo", "1.0", FOO_V1).state == "committed"
    assert pauses == [0.05, 0.1, 0.2]


def test_a_lock_that_stays_is_reported_with_the_file_name(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", FOO_V1)
    before = lab.tree()
    pauses: list[float] = []

    def locked_replace(src: str | Path, dst: str | Path) -> None:
        if str(src).endswith("Foo.Server.dll"):  # the old server DLL is held open by someone
            raise PermissionError(13, "The process cannot access the file")
        os.replace(src, dst)

    engine = make_engine(lab.root, lab.data_dir, replace=locked_replace, sleep=pauses.append)
    update = change(engine, "foo", "2.0", FOO_V2)
    with pytest.raises(FileInUse, match=r"SPT/user/mods/Foo/Foo\.Server\.dll is in use by another program"):
        engine.apply([update], kind="update", summary="update foo")
    assert RETRY_TOTAL <= sum(pauses) < RETRY_TOTAL + 1.5 and pauses[:2] == [0.05, 0.1]
    assert lab.tree() == before  # everything done before the lock was put back
    assert engine.history()[0].state == "rolled_back"
    assert all(new.path.is_file() for new in update.new_files)  # the staged files are back: a retry can work
    assert lab.engine.apply([update], kind="update", summary="update foo").state == "committed"


def test_full_disk_is_refused_before_any_change(lab: Lab) -> None:
    class Usage(NamedTuple):
        total: int
        used: int
        free: int

    engine = make_engine(lab.root, lab.data_dir, disk_usage=lambda path: Usage(10**9, 10**9 - 2**20, 2**20))
    update = change(engine, "foo", "1.0", FOO_V1)
    before = lab.tree()
    with pytest.raises(NotEnoughSpace, match=r"needs 32 MB free .* and 1 MB are free"):
        engine.apply([update], kind="install", summary="install foo")
    assert lab.tree() == before and engine.history() == []
    assert all(new.path.is_file() for new in update.new_files)


def test_running_server_is_refused(lab: Lab) -> None:
    server = RunningProcess("SPT.Server.exe", 1234, None)
    engine = make_engine(lab.root, lab.data_dir, running_check=lambda root: [server])
    before = lab.tree()
    with pytest.raises(ProcessRunning, match=r"SPT\.Server\.exe \(pid 1234\) is running .*close it first"):
        install(engine, "foo", "1.0", FOO_V1)
    for refused in (engine.undo, lambda: engine.disable("x", "X", ["BepInEx/plugins/AmmoTools.dll"])):
        with pytest.raises(ProcessRunning):
            refused()
    assert lab.tree() == before and engine.history() == []


def test_another_transaction_in_progress_is_refused(lab: Lab) -> None:
    other = make_engine(lab.root, lab.data_dir)  # another Kappa on the same install
    refusals: list[str] = []

    def meanwhile(label: str) -> None:
        if label == "journal":
            for attempt in (lambda: install(other, "bar", "1.0", {"BepInEx/plugins/Bar.dll": b"b"}), other.recover):
                with pytest.raises(InstallBusy) as raised:
                    attempt()
                refusals.append(str(raised.value))

    engine = make_engine(lab.root, lab.data_dir, checkpoint=meanwhile)
    assert install(engine, "foo", "1.0", FOO_V1).state == "committed"
    assert len(refusals) == 2 and all("Another Kappa is changing this install" in text for text in refusals)
    assert install(other, "bar", "1.0", {"BepInEx/plugins/Bar.dll": b"b"}).state == "committed"


def test_a_damaged_state_record_stops_everything_with_a_clear_message(lab: Lab) -> None:
    lab.data_dir.install_db.parent.mkdir(parents=True, exist_ok=True)
    lab.data_dir.install_db.write_bytes(b"this is not a database, it is a shopping list " * 100)
    engine = make_engine(lab.root, lab.data_dir)
    before = lab.tree()
    for attempt in (engine.history, engine.recover, lambda: engine.disable("x", "X", ["BepInEx/plugins/x.dll"])):
        with pytest.raises(StateError, match=r"install record .*installs\.sqlite3 cannot be read"):
            attempt()
    assert lab.tree() == before


def test_a_state_record_from_a_newer_kappa_is_refused(lab: Lab) -> None:
    assert lab.engine.history() == []  # creates the record
    with sqlite3.connect(lab.data_dir.install_db) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(StateError, match=r"written by a newer Kappa .*version 99"):
        make_engine(lab.root, lab.data_dir).history()


# -- failures and recovery in process -------------------------------------------------------------------------------

class Crash(BaseException):
    """Stands for the process dying: nothing in the engine catches it."""


def failing_at(label_start: str, error: BaseException) -> Callable[[str], None]:
    def checkpoint(label: str) -> None:
        if label.startswith(label_start):
            raise error
    return checkpoint


def test_a_failure_mid_transaction_puts_everything_back(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", FOO_V1)
    before = lab.tree()
    engine = make_engine(lab.root, lab.data_dir, checkpoint=failing_at("after 3 ", RuntimeError("disk on fire")))
    update = change(engine, "foo", "2.0", FOO_V2)
    with pytest.raises(InstallError, match=r"update foo failed \(disk on fire\); every file was put back"):
        engine.apply([update], kind="update", summary="update foo")
    assert lab.tree() == before
    assert lab.engine.history()[0].state == "rolled_back"
    assert [mod.version for mod in lab.engine.managed_mods()] == ["1.0"]


def test_recovery_rolls_back_before_the_commit_and_forward_after(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", FOO_V1)
    before = lab.tree()
    crashing = make_engine(lab.root, lab.data_dir, checkpoint=failing_at("after 4 ", Crash()))
    with pytest.raises(Crash):
        crashing.apply([change(crashing, "foo", "2.0", FOO_V2)], kind="update", summary="update foo")
    assert lab.tree() != before
    sentences = make_engine(lab.root, lab.data_dir).recover()
    assert sentences == ["Rolled back transaction 2 (update foo), which had been interrupted."]
    assert lab.tree() == before

    crashing = make_engine(lab.root, lab.data_dir, checkpoint=failing_at("cleanup", Crash()))
    with pytest.raises(Crash):
        crashing.apply([change(crashing, "foo", "2.0", FOO_V2)], kind="update", summary="update foo")
    assert lab.exists("SPT/user/mods/Foo/legacy")  # the committed update's cleanup did not run
    # The next change recovers first (here: rolls forward), then runs.
    install(lab.engine, "bar", "1.0", {"BepInEx/plugins/Bar.dll": b"bar"})
    assert not lab.exists("SPT/user/mods/Foo/legacy")
    assert [(r.kind, r.state) for r in lab.engine.history()] == [
        ("install", "committed"), ("update", "committed"), ("update", "rolled_back"), ("install", "committed")]


def test_an_interrupted_recovery_is_finished_by_the_next_one(lab: Lab) -> None:
    install(lab.engine, "foo", "1.0", FOO_V1)
    before = lab.tree()
    crashing = make_engine(lab.root, lab.data_dir, checkpoint=failing_at("after 7 ", Crash()))
    with pytest.raises(Crash):
        crashing.apply([change(crashing, "foo", "2.0", FOO_V2)], kind="update", summary="update foo")
    moves: list[str] = []

    def dying_replace(src: str | Path, dst: str | Path) -> None:
        moves.append(str(dst))
        if len(moves) == 3:  # dies in the middle of putting files back
            raise Crash()
        os.replace(src, dst)

    with pytest.raises(Crash):
        make_engine(lab.root, lab.data_dir, replace=dying_replace).recover()
    assert make_engine(lab.root, lab.data_dir).recover() == [
        "Rolled back transaction 2 (update foo), which had been interrupted."]
    assert lab.tree() == before
