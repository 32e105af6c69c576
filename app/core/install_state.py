"""The install state store: one SQLite file (`DataDir.install_db`) holding, for every SPT install Kappa changes,
the transaction journal (each transaction's ordered file operations), file ownership, the mods Kappa knows, and history.

Why SQLite: a commit is atomic and, with `PRAGMA synchronous=FULL`, on disk when `COMMIT` returns, so "the journal is
written before the first file moves" and "the commit record exists or it does not" hold across a power cut. Every public
method here is one short SQLite transaction on a fresh connection (callers may use the store from any thread).

The schema is versioned with `PRAGMA user_version`: a record written by a newer Kappa, or a file that is not a readable
database, stops Kappa with a message instead of being guessed at (it is what says how to undo past changes).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.core.errors import KappaError

SCHEMA_VERSION = 1

# Transaction states.
PENDING = "pending"  # journal written; files may be anywhere between the old and the new tree
COMMITTED = "committed"  # every file is in its new place (cleanup may still be unfinished: see `cleaned`)
ROLLED_BACK = "rolled_back"  # every file is back in its old place
UNDONE = "undone"  # committed, then reverted by a later transaction of kind "undo"

# Where a path of an operation is relative to.
ROOT = "root"  # the SPT game root
VAULT = "vault"  # the install's vault (staging/, backup/<txid>/, disabled/)

_SCHEMA = """
CREATE TABLE installs (
    id INTEGER PRIMARY KEY,
    root TEXT NOT NULL UNIQUE,
    vault TEXT NOT NULL
);
CREATE TABLE transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    install_id INTEGER NOT NULL REFERENCES installs(id),
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    state TEXT NOT NULL,
    cleaned INTEGER NOT NULL DEFAULT 0,
    files_placed INTEGER NOT NULL DEFAULT 0,
    files_removed INTEGER NOT NULL DEFAULT 0,
    backup_bytes INTEGER NOT NULL DEFAULT 0,
    backup_pruned INTEGER NOT NULL DEFAULT 0,
    undoes INTEGER REFERENCES transactions(id),
    notes TEXT NOT NULL DEFAULT '[]',
    staging TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX transactions_by_install ON transactions(install_id, id);
CREATE TABLE operations (
    tx_id INTEGER NOT NULL REFERENCES transactions(id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    role TEXT NOT NULL,
    target TEXT NOT NULL,
    src_area TEXT,
    src TEXT,
    dst_area TEXT NOT NULL,
    dst TEXT NOT NULL,
    sha256 TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tx_id, seq)
) WITHOUT ROWID;
CREATE TABLE ownership (
    install_id INTEGER NOT NULL REFERENCES installs(id),
    target TEXT NOT NULL,
    mod_key TEXT NOT NULL,
    sha256 TEXT,
    tx_id INTEGER,
    location TEXT NOT NULL,
    PRIMARY KEY (install_id, target)
) WITHOUT ROWID;
CREATE INDEX ownership_by_mod ON ownership(install_id, mod_key);
CREATE TABLE mods (
    install_id INTEGER NOT NULL REFERENCES installs(id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT,
    forge_id INTEGER,
    kind TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    managed INTEGER NOT NULL,
    tx_id INTEGER,
    PRIMARY KEY (install_id, key)
) WITHOUT ROWID;
CREATE TABLE prior_rows (
    tx_id INTEGER NOT NULL REFERENCES transactions(id),
    tbl TEXT NOT NULL,
    row_key TEXT NOT NULL,
    row TEXT,
    PRIMARY KEY (tx_id, tbl, row_key)
) WITHOUT ROWID;
"""


class StateError(KappaError):
    """The install record cannot be used: damaged, written by a newer Kappa, or busy."""


@dataclass(frozen=True)
class Operation:
    """One step of a transaction, in journal order.

    kind "move": os.replace(src, dst). kind "mkdir": create directory `dst` (only ever recorded for the SPT root, so
    that a rollback removes exactly the folders the transaction made). `target` is the root-relative path concerned.
    """

    seq: int
    kind: str  # "move" | "mkdir"
    role: str  # move: "backup" | "place" | "disable" | "enable" | "restore" | "unplace"; mkdir: "dir"
    target: str
    src_area: str | None
    src: str | None
    dst_area: str
    dst: str
    sha256: str | None = None  # of the file moved, when known (what undo compares against)
    size: int = 0


@dataclass(frozen=True)
class OwnedFile:
    target: str
    mod_key: str
    sha256: str | None  # of the file as Kappa placed (or adopted) it
    tx_id: int | None  # the transaction that placed or adopted it
    location: str  # "root", or "disabled" while the mod is disabled (the file is then in the vault's disabled/ tree)


@dataclass(frozen=True)
class ModRow:
    key: str
    name: str
    version: str | None
    forge_id: int | None
    kind: str
    enabled: bool
    managed: bool  # Kappa placed its files (False: Kappa only adopted a scanned mod's files, to disable it)
    tx_id: int | None


@dataclass(frozen=True)
class TxRow:
    id: int
    install_id: int
    kind: str
    summary: str
    started_at: float
    finished_at: float | None
    state: str
    cleaned: bool
    files_placed: int
    files_removed: int
    backup_bytes: int
    backup_pruned: bool
    undoes: int | None
    notes: tuple[str, ...]
    staging: tuple[str, ...]  # vault-relative staging folders the transaction consumes (deleted at cleanup)


@dataclass(frozen=True)
class CommitStats:
    finished_at: float
    files_placed: int
    files_removed: int
    backup_bytes: int


class InstallState:
    """The SQLite store. Cheap to create; the file is opened (and created or checked) on first use."""

    def __init__(self, path: Path, *, timeout: float = 15.0) -> None:
        self.path = path
        self.timeout = timeout  # how long to wait for another Kappa's SQLite write lock
        self._checked = False

    # -- installs ---------------------------------------------------------------------------------------------------

    def install(self, root: str, choose_vault: Callable[[], str]) -> tuple[int, str]:
        """The install's id and vault folder; `choose_vault()` decides the vault the first time an install is seen."""
        with self._transaction() as db:
            row = db.execute("SELECT id, vault FROM installs WHERE root = ?", (root,)).fetchone()
            if row:
                return int(row[0]), str(row[1])
            vault = choose_vault()
            cursor = db.execute("INSERT INTO installs (root, vault) VALUES (?, ?)", (root, vault))
            return int(cursor.lastrowid or 0), vault

    # -- the journal ------------------------------------------------------------------------------------------------

    def write_journal(self, install_id: int, *, kind: str, summary: str, started_at: float, notes: Sequence[str],
                      staging: Sequence[str], build_operations: Callable[[int], Sequence[Operation]]) -> int:
        """Record a new pending transaction and all its operations in one commit; returns its id.

        `build_operations(tx_id)` receives the id because backup paths contain it.
        """
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO transactions (install_id, kind, summary, started_at, state, notes, staging)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (install_id, kind, summary, started_at, PENDING, json.dumps(list(notes)), json.dumps(list(staging))),
            )
            tx_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO operations (tx_id, seq, kind, role, target, src_area, src, dst_area, dst, sha256, size)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(tx_id, op.seq, op.kind, op.role, op.target, op.src_area, op.src, op.dst_area, op.dst, op.sha256,
                  op.size) for op in build_operations(tx_id)],
            )
            return tx_id

    def operations(self, tx_id: int) -> list[Operation]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT seq, kind, role, target, src_area, src, dst_area, dst, sha256, size FROM operations"
                " WHERE tx_id = ? ORDER BY seq", (tx_id,)).fetchall()
        return [Operation(*row) for row in rows]

    def commit(self, tx_id: int, stats: CommitStats, *, ownership: Mapping[str, OwnedFile | None],
               mods: Mapping[str, ModRow | None], undoes: int | None = None) -> None:
        """THE commit record: the transaction becomes committed, and ownership and mod rows change, atomically.

        The rows each change replaces are kept (prior_rows) so that an undo can put them back. `None` deletes a row.
        """
        with self._transaction() as db:
            install_id, state = _install_and_state(db, tx_id)
            if state != PENDING:
                raise StateError(f"transaction {tx_id} is {state}, not pending: it cannot be committed")
            for target, owned in ownership.items():
                before = _owned_row(db, install_id, target)
                _remember(db, tx_id, "ownership", target, before)
                db.execute("DELETE FROM ownership WHERE install_id = ? AND target = ?", (install_id, target))
                if owned is not None:
                    db.execute(
                        "INSERT INTO ownership (install_id, target, mod_key, sha256, tx_id, location)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (install_id, owned.target, owned.mod_key, owned.sha256, owned.tx_id, owned.location))
            for key, mod in mods.items():
                _remember(db, tx_id, "mods", key, _mod_row(db, install_id, key))
                db.execute("DELETE FROM mods WHERE install_id = ? AND key = ?", (install_id, key))
                if mod is not None:
                    db.execute(
                        "INSERT INTO mods (install_id, key, name, version, forge_id, kind, enabled, managed, tx_id)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (install_id, mod.key, mod.name, mod.version, mod.forge_id, mod.kind, int(mod.enabled),
                         int(mod.managed), mod.tx_id))
            db.execute(
                "UPDATE transactions SET state = ?, finished_at = ?, files_placed = ?, files_removed = ?,"
                " backup_bytes = ?, undoes = ? WHERE id = ?",
                (COMMITTED, stats.finished_at, stats.files_placed, stats.files_removed, stats.backup_bytes, undoes,
                 tx_id))
            if undoes is not None:
                db.execute("UPDATE transactions SET state = ? WHERE id = ? AND state = ?", (UNDONE, undoes, COMMITTED))

    def mark_cleaned(self, tx_id: int) -> None:
        with self._transaction() as db:
            db.execute("UPDATE transactions SET cleaned = 1 WHERE id = ?", (tx_id,))

    def mark_rolled_back(self, tx_id: int, finished_at: float, note: str | None = None) -> None:
        with self._transaction() as db:
            notes = json.loads(db.execute("SELECT notes FROM transactions WHERE id = ?", (tx_id,)).fetchone()[0])
            if note:
                notes.append(note)
            db.execute("UPDATE transactions SET state = ?, finished_at = ?, cleaned = 1, notes = ? WHERE id = ?",
                       (ROLLED_BACK, finished_at, json.dumps(notes), tx_id))

    def mark_pruned(self, tx_ids: Sequence[int]) -> None:
        with self._transaction() as db:
            db.executemany("UPDATE transactions SET backup_pruned = 1 WHERE id = ?", [(tx_id,) for tx_id in tx_ids])

    # -- reading ----------------------------------------------------------------------------------------------------

    def transaction(self, tx_id: int) -> TxRow:
        with self._connection() as db:
            row = db.execute(f"SELECT {_TX_COLUMNS} FROM transactions WHERE id = ?", (tx_id,)).fetchone()
        if row is None:
            raise StateError(f"Kappa's install record has no transaction {tx_id}")
        return _tx_row(row)

    def transactions(self, install_id: int) -> list[TxRow]:
        """Every transaction of the install, newest first."""
        with self._connection() as db:
            rows = db.execute(f"SELECT {_TX_COLUMNS} FROM transactions WHERE install_id = ? ORDER BY id DESC",
                              (install_id,)).fetchall()
        return [_tx_row(row) for row in rows]

    def unfinished(self, install_id: int) -> list[TxRow]:
        """Transactions an interrupted Kappa left: pending, or committed with cleanup not done. Oldest first."""
        with self._connection() as db:
            rows = db.execute(
                f"SELECT {_TX_COLUMNS} FROM transactions WHERE install_id = ? AND (state = ? OR cleaned = 0)"
                " ORDER BY id", (install_id, PENDING)).fetchall()
        return [_tx_row(row) for row in rows]

    def ownership(self, install_id: int) -> dict[str, OwnedFile]:
        with self._connection() as db:
            rows = db.execute("SELECT target, mod_key, sha256, tx_id, location FROM ownership WHERE install_id = ?"
                              " ORDER BY target", (install_id,)).fetchall()
        return {row[0]: OwnedFile(*row) for row in rows}

    def mods(self, install_id: int) -> dict[str, ModRow]:
        with self._connection() as db:
            rows = db.execute(f"SELECT {_MOD_COLUMNS} FROM mods WHERE install_id = ? ORDER BY key",
                              (install_id,)).fetchall()
        return {row[0]: _mod_from_row(row) for row in rows}

    def prior_rows(self, tx_id: int) -> tuple[dict[str, OwnedFile | None], dict[str, ModRow | None]]:
        """The ownership and mod rows as they were before transaction `tx_id` changed them (None: no row)."""
        with self._connection() as db:
            rows = db.execute("SELECT tbl, row_key, row FROM prior_rows WHERE tx_id = ?", (tx_id,)).fetchall()
        ownership: dict[str, OwnedFile | None] = {}
        mods: dict[str, ModRow | None] = {}
        for table, key, row in rows:
            fields = json.loads(row) if row else None
            if table == "ownership":
                ownership[key] = OwnedFile(**fields) if fields else None
            else:
                mods[key] = ModRow(**fields) if fields else None
        return ownership, mods

    # -- connections ------------------------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction. BEGIN IMMEDIATE takes SQLite's write lock at once, so two Kappas never interleave."""
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            db = self._open()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            yield db
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        finally:
            db.close()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; _transaction() says where each one begins and ends.
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA synchronous = FULL")  # COMMIT returns only once the journal and data are on disk
            db.execute("PRAGMA foreign_keys = ON")
            if not self._checked:
                self._check_schema(db)
                self._checked = True
        except BaseException:
            db.close()
            raise
        return db

    def _check_schema(self, db: sqlite3.Connection) -> None:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StateError(
                f"Kappa's install record {self.path} was written by a newer Kappa (record version {version}; this "
                f"Kappa reads version {SCHEMA_VERSION}). Update Kappa: it changes nothing in your install until then.")
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version != 0 or tables:
            raise StateError(self._damaged_message(f"unknown record version {version}"))
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:  # not created meanwhile
                # One statement at a time: executescript() would commit the open transaction first.
                for statement in filter(None, (part.strip() for part in _SCHEMA.split(";"))):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _error(self, exc: sqlite3.Error) -> StateError:
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            return StateError(f"Kappa's install record {self.path} is busy: another Kappa is using it. "
                              "Try again in a moment.")
        return StateError(self._damaged_message(text))

    def _damaged_message(self, reason: str) -> str:
        return (f"Kappa's install record {self.path} cannot be read ({reason}). Kappa changes nothing in your install "
                "without it, because it says which files your mods own and how to undo past changes. Restore the file "
                "from a backup, or move it aside to start a new record (Kappa then forgets which files it placed).")


_TX_COLUMNS = ("id, install_id, kind, summary, started_at, finished_at, state, cleaned, files_placed, files_removed,"
               " backup_bytes, backup_pruned, undoes, notes, staging")
_MOD_COLUMNS = "key, name, version, forge_id, kind, enabled, managed, tx_id"


def _tx_row(row: Sequence[Any]) -> TxRow:
    (tx_id, install_id, kind, summary, started_at, finished_at, state, cleaned, placed, removed, backup_bytes, pruned,
     undoes, notes, staging) = row
    return TxRow(id=tx_id, install_id=install_id, kind=kind, summary=summary, started_at=started_at,
                 finished_at=finished_at, state=state, cleaned=bool(cleaned), files_placed=placed,
                 files_removed=removed, backup_bytes=backup_bytes, backup_pruned=bool(pruned), undoes=undoes,
                 notes=tuple(json.loads(notes)), staging=tuple(json.loads(staging)))


def _mod_from_row(row: Sequence[Any]) -> ModRow:
    key, name, version, forge_id, kind, enabled, managed, tx_id = row
    return ModRow(key=key, name=name, version=version, forge_id=forge_id, kind=kind, enabled=bool(enabled),
                  managed=bool(managed), tx_id=tx_id)


def _install_and_state(db: sqlite3.Connection, tx_id: int) -> tuple[int, str]:
    row = db.execute("SELECT install_id, state FROM transactions WHERE id = ?", (tx_id,)).fetchone()
    if row is None:
        raise StateError(f"Kappa's install record has no transaction {tx_id}")
    return int(row[0]), str(row[1])


def _owned_row(db: sqlite3.Connection, install_id: int, target: str) -> OwnedFile | None:
    row = db.execute("SELECT target, mod_key, sha256, tx_id, location FROM ownership"
                     " WHERE install_id = ? AND target = ?", (install_id, target)).fetchone()
    return OwnedFile(*row) if row else None


def _mod_row(db: sqlite3.Connection, install_id: int, key: str) -> ModRow | None:
    row = db.execute(f"SELECT {_MOD_COLUMNS} FROM mods WHERE install_id = ? AND key = ?", (install_id, key)).fetchone()
    return _mod_from_row(row) if row else None


def _remember(db: sqlite3.Connection, tx_id: int, table: str, key: str, row: OwnedFile | ModRow | None) -> None:
    """Keep the row as it was before this transaction (first change wins: that is the state an undo restores)."""
    db.execute("INSERT OR IGNORE INTO prior_rows (tx_id, tbl, row_key, row) VALUES (?, ?, ?, ?)",
               (tx_id, table, key, json.dumps(asdict(row)) if row else None))
