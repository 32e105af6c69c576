"""The install state store: schema and version, the journal, the commit record with prior rows, and refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.core.install_state import (
    COMMITTED,
    PENDING,
    ROLLED_BACK,
    ROOT,
    SCHEMA_VERSION,
    UNDONE,
    VAULT,
    CommitStats,
    InstallState,
    ModRow,
    Operation,
    OwnedFile,
    StateError,
)


@pytest.fixture
def state(tmp_path: Path) -> InstallState:
    return InstallState(tmp_path / "state" / "installs.sqlite3")


def journal(state: InstallState, install_id: int, kind: str = "install") -> int:
    def operations(tx_id: int) -> list[Operation]:
        return [
            Operation(0, "mkdir", "dir", "BepInEx/plugins/Foo", None, None, ROOT, "BepInEx/plugins/Foo"),
            Operation(1, "move", "backup", "a.dll", ROOT, "a.dll", VAULT, f"backup/{tx_id}/a.dll", None, 3),
            Operation(2, "move", "place", "a.dll", VAULT, "staging/x/a.dll", ROOT, "a.dll", "ab" * 32, 4),
        ]
    return state.write_journal(install_id, kind=kind, summary=f"{kind} Foo", started_at=100.0, notes=["kept x"],
                               staging=["staging/x"], build_operations=operations)


def stats(finished_at: float = 200.0) -> CommitStats:
    return CommitStats(finished_at=finished_at, files_placed=1, files_removed=0, backup_bytes=3)


def owned(target: str, mod_key: str, tx_id: int | None) -> OwnedFile:
    return OwnedFile(target=target, mod_key=mod_key, sha256="ab" * 32, tx_id=tx_id, location=ROOT)


def mod(key: str, version: str, tx_id: int | None) -> ModRow:
    return ModRow(key=key, name=key.upper(), version=version, forge_id=7, kind="client", enabled=True, managed=True,
                  tx_id=tx_id)


def test_the_schema_is_created_and_versioned(state: InstallState) -> None:
    install_id, vault = state.install("/games/SPT", lambda: "/data/vault/SPT")
    assert (install_id, vault) == (1, "/data/vault/SPT")
    assert state.install("/games/SPT", lambda: pytest.fail("the vault is chosen once")) == (1, "/data/vault/SPT")
    assert state.install("/games/SPT-2", lambda: "/elsewhere")[0] == 2
    with sqlite3.connect(state.path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()
    with state._connection() as db:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_the_journal_is_written_in_one_piece(state: InstallState) -> None:
    install_id, _ = state.install("/games/SPT", lambda: "/vault")
    tx_id = journal(state, install_id)
    row = state.transaction(tx_id)
    assert (row.state, row.kind, row.notes, row.staging, row.cleaned) == (PENDING, "install", ("kept x",),
                                                                         ("staging/x",), False)
    operations = state.operations(tx_id)
    assert [op.seq for op in operations] == [0, 1, 2]
    assert operations[1].dst == f"backup/{tx_id}/a.dll" and operations[2].sha256 == "ab" * 32
    assert [r.id for r in state.unfinished(install_id)] == [tx_id]


def test_a_journal_that_fails_to_build_leaves_no_trace(state: InstallState) -> None:
    install_id, _ = state.install("/games/SPT", lambda: "/vault")

    def broken(tx_id: int) -> list[Operation]:
        raise RuntimeError("planning bug")

    with pytest.raises(RuntimeError):
        state.write_journal(install_id, kind="install", summary="x", started_at=1.0, notes=[], staging=[],
                            build_operations=broken)
    assert state.transactions(install_id) == []


def test_commit_changes_rows_and_remembers_what_they_were(state: InstallState) -> None:
    install_id, _ = state.install("/games/SPT", lambda: "/vault")
    first = journal(state, install_id)
    state.commit(first, stats(), ownership={"a.dll": owned("a.dll", "foo", first)},
                 mods={"foo": mod("foo", "1", first)})
    assert state.unfinished(install_id)[0].id == first  # committed, cleanup not yet done
    state.mark_cleaned(first)
    assert state.unfinished(install_id) == []

    second = journal(state, install_id, "update")
    state.commit(second, stats(), ownership={"a.dll": owned("a.dll", "foo", second), "b.dll": None},
                 mods={"foo": mod("foo", "2", second)})
    assert state.ownership(install_id) == {"a.dll": owned("a.dll", "foo", second)}
    assert state.mods(install_id)["foo"].version == "2"
    prior_ownership, prior_mods = state.prior_rows(second)
    assert prior_ownership == {"a.dll": owned("a.dll", "foo", first), "b.dll": None}
    assert prior_mods == {"foo": mod("foo", "1", first)}
    row = state.transaction(second)
    assert (row.state, row.finished_at, row.files_placed, row.backup_bytes) == (COMMITTED, 200.0, 1, 3)

    with pytest.raises(StateError, match="not pending"):
        state.commit(second, stats(), ownership={}, mods={})


def test_an_undo_commit_marks_the_reverted_transaction(state: InstallState) -> None:
    install_id, _ = state.install("/games/SPT", lambda: "/vault")
    first = journal(state, install_id)
    state.commit(first, stats(), ownership={"a.dll": owned("a.dll", "foo", first)},
                 mods={"foo": mod("foo", "1", first)})
    undo = journal(state, install_id, "undo")
    ownership, mods = state.prior_rows(first)
    state.commit(undo, stats(), ownership=ownership, mods=mods, undoes=first)
    assert state.transaction(first).state == UNDONE
    assert state.transaction(undo).undoes == first
    assert state.ownership(install_id) == {} and state.mods(install_id) == {}
    assert [row.id for row in state.transactions(install_id)] == [undo, first]


def test_rolled_back_and_pruned_marks(state: InstallState) -> None:
    install_id, _ = state.install("/games/SPT", lambda: "/vault")
    tx_id = journal(state, install_id)
    state.mark_rolled_back(tx_id, 300.0, "Rolled back: interrupted")
    row = state.transaction(tx_id)
    assert (row.state, row.finished_at, row.notes, row.cleaned) == (
        ROLLED_BACK, 300.0, ("kept x", "Rolled back: interrupted"), True)
    assert state.unfinished(install_id) == []
    state.mark_pruned([tx_id])
    assert state.transaction(tx_id).backup_pruned


def test_installs_are_kept_apart(state: InstallState) -> None:
    first, _ = state.install("/games/A", lambda: "/vault/A")
    second, _ = state.install("/games/B", lambda: "/vault/B")
    tx_id = journal(state, first)
    state.commit(tx_id, stats(), ownership={"a.dll": owned("a.dll", "foo", tx_id)}, mods={"foo": mod("foo", "1", 1)})
    assert state.ownership(second) == {} and state.mods(second) == {} and state.transactions(second) == []
    assert state.unfinished(second) == []


def test_a_file_that_is_not_a_database_is_refused(state: InstallState) -> None:
    state.path.parent.mkdir(parents=True)
    state.path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(StateError, match=r"installs\.sqlite3 cannot be read .*move it aside"):
        state.install("/games/SPT", lambda: "/vault")


def test_a_foreign_database_is_refused(state: InstallState) -> None:
    state.path.parent.mkdir(parents=True)
    with sqlite3.connect(state.path) as db:
        db.execute("CREATE TABLE recipes (name TEXT)")
    db.close()
    with pytest.raises(StateError, match="unknown record version 0"):
        state.transactions(1)


def test_a_newer_record_is_refused(state: InstallState) -> None:
    state.install("/games/SPT", lambda: "/vault")
    with sqlite3.connect(state.path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StateError, match="newer Kappa"):
        InstallState(state.path).transactions(1)


def test_a_busy_record_says_so(state: InstallState) -> None:
    state.install("/games/SPT", lambda: "/vault")
    holder = sqlite3.connect(state.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StateError, match="busy: another Kappa"):
            InstallState(state.path, timeout=0.05).install("/games/other", lambda: "/v")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
