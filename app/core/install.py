"""Install transactions: every change Kappa makes to an SPT install, made so that it can never half-happen.

The promise: whatever happens (a crash, a power cut, a full disk, the server running) the install ends either exactly as
before or exactly as planned, and any change can be undone later.

How (one mechanism for install, update, uninstall, disable, enable and undo):
1. Plan: which files go where, checked before anything is written (conflicts, running processes, free space, every
   source present and every destination free).
2. Journal: the transaction and its ordered operations are committed to SQLite (fsynced) before the first file moves.
   An operation is either "mkdir" (a folder created in the SPT root) or "move" (one `os.replace` on one file system:
   an old file into `backup/<txid>/`, a staged file into the root, a file to or from the `disabled/` mirror tree).
3. Move: the operations run in journal order. `os.replace` is atomic, so after a crash each operation is plainly done
   (source gone, destination present) or not (source present) — nothing is ever copied half-way.
4. The folders touched are fsynced, then the commit record is written (one SQLite commit, which also changes ownership
   and mod rows). Before it exists the transaction is rolled back on recovery; after it, rolled forward.
5. Cleanup: folders the change emptied are pruned, staging is deleted, and the transaction is marked cleaned.

Recovery reads the journal and infers each operation's state from the file system, walking it backwards; it is
idempotent, so a crash during recovery is recovered by the next recovery.

The vault (staging/, backup/<txid>/, disabled/) lives in Kappa's data dir when that is on the SPT root's file system,
else in `<root>/.kappa-vault/`, because every move must be a rename within one file system to be atomic.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.install_state import (
    COMMITTED,
    PENDING,
    ROOT,
    VAULT,
    CommitStats,
    InstallState,
    ModRow,
    Operation,
    OwnedFile,
    StateError,
    TxRow,
)
from app.core.processes import RunningProcess, running_spt_processes

log = logging.getLogger(__name__)

KINDS = ("install", "update", "uninstall", "disable", "enable", "undo")
DISABLED = "disabled"  # OwnedFile.location of a disabled mod's files
FALLBACK_VAULT = ".kappa-vault"  # inside the SPT root, when the data dir is on another file system
# Free space kept in reserve for the journal, SQLite's own journal and new folder entries. The files themselves are
# only renamed (they were written to staging before), so they need no more room.
FREE_SPACE_RESERVE = 32 * 2**20
FREE_SPACE_PER_OPERATION = 4096
# Transient locks (an antivirus scanning a new DLL, Explorer's preview): retry, doubling the pause, for about 5 s.
RETRY_FIRST_PAUSE = 0.05
RETRY_MAX_PAUSE = 1.0
RETRY_TOTAL = 5.0

_THIS_TX = 0  # stands for the id of the transaction being planned (SQLite ids start at 1)
_THIS_BACKUP = "backup"  # a planned move's destination area: this transaction's backup folder
_DISABLED_IN_BACKUP = ".kappa-disabled"  # backup/<txid>/ sub-folder for files that came from the disabled/ tree
# Folders an SPT install needs even when empty: pruning stops below them.
_KEPT_FOLDERS = frozenset({
    "bepinex/plugins", "bepinex/patchers", "bepinex/config", "bepinex/core", "bepinex/cache", "bepinex/monomod",
    "user/mods", "user/mods.disabled", "spt/user", "spt/user/mods", "spt/user/mods.disabled",
    "spt_runtime/user", "spt_runtime/user/mods", "spt_runtime/user/mods.disabled",
})


# -- public data ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewFile:
    """A file of the new version, already extracted into the vault's staging area (the engine moves it)."""

    target: str  # "BepInEx/plugins/Foo/Foo.dll"
    path: Path  # the staged file, inside InstallEngine.staging
    sha256: str
    size: int


@dataclass(frozen=True)
class ModChange:
    key: str  # mod key: lower-case GUID (what ownership is recorded under)
    name: str
    version: str | None  # None: the mod is removed
    new_files: tuple[NewFile, ...] = ()
    # Targets of the installed version that go away. None: the files the ownership record says this mod owns
    # (none when Kappa never installed it); the service passes the scanned files for mods Kappa did not install.
    old_files: tuple[str, ...] | None = None
    forge_id: int | None = None
    kind: str = "client"  # "server" | "client" | "both"


@dataclass(frozen=True)
class Conflict:
    target: str
    owner: str | None  # mod key that owns the file today; None: a file no mod owns (put there by hand)
    owner_name: str | None
    wanted_by: str  # name of the mod in this change that writes it

    def __str__(self) -> str:
        owner = f"{self.owner_name or self.owner}'s" if self.owner else "a file no mod owns,"
        return f"{self.target} ({owner} wanted by {self.wanted_by})"


class ConflictPolicy(StrEnum):
    FAIL = "fail"  # FilesConflict before anything is written
    OVERWRITE = "overwrite"  # replace: the other file goes to the backup store and ownership moves
    KEEP = "keep"  # leave the existing file; that one new file is not installed


@dataclass(frozen=True)
class TransactionRecord:
    """One row of `kappa history`."""

    id: int
    kind: str  # "install" | "update" | "uninstall" | "disable" | "enable" | "undo"
    summary: str  # "install SAIN 3.2.0, BigBrain 1.3.0"
    started_at: float
    finished_at: float | None
    state: str  # "committed" | "rolled_back" | "undone" | "pending"
    files_placed: int
    files_removed: int
    backup_bytes: int
    backup_pruned: bool
    undoes: int | None  # for kind "undo": the id it reverted
    notes: tuple[str, ...] = ()  # what the player should know: config kept, edited config left...

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "summary": self.summary, "started_at": self.started_at,
            "finished_at": self.finished_at, "state": self.state, "files_placed": self.files_placed,
            "files_removed": self.files_removed, "backup_bytes": self.backup_bytes,
            "backup_pruned": self.backup_pruned, "undoes": self.undoes, "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ModRecord:
    """A mod Kappa knows: installed by it, or disabled through it."""

    key: str
    name: str
    version: str | None
    forge_id: int | None
    kind: str
    enabled: bool
    managed: bool  # Kappa placed its files (False: a mod Kappa did not install, disabled through Kappa)
    files: tuple[str, ...]  # targets it owns (while disabled they are in the disabled/ mirror tree)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "version": self.version, "forge_id": self.forge_id,
                "kind": self.kind, "enabled": self.enabled, "managed": self.managed, "files": list(self.files)}


@dataclass(frozen=True)
class PruneReport:
    pruned: tuple[int, ...]  # transaction ids whose backups were deleted
    freed_bytes: int
    kept_bytes: int  # what the backup store holds afterwards

    def to_json(self) -> dict[str, Any]:
        return {"pruned": list(self.pruned), "freed_bytes": self.freed_bytes, "kept_bytes": self.kept_bytes}


class InstallError(KappaError):
    """An install transaction was refused or failed; the install is as it was unless the message says otherwise."""


class FilesConflict(InstallError):
    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        self.conflicts = tuple(conflicts)
        shown = "; ".join(str(conflict) for conflict in self.conflicts[:10])
        more = f" and {len(self.conflicts) - 10} more" if len(self.conflicts) > 10 else ""
        super().__init__(f"{len(self.conflicts)} file(s) would overwrite files already in the install: {shown}{more}. "
                         "Nothing was changed; choose whether to overwrite them or keep the existing files.")


class ProcessRunning(InstallError):
    def __init__(self, processes: Sequence[RunningProcess], root: Path) -> None:
        self.processes = tuple(processes)
        names = ", ".join(str(process) for process in self.processes)
        verb, pronoun = ("is", "it") if len(self.processes) == 1 else ("are", "them")
        super().__init__(f"{names} {verb} running from {root}: close {pronoun} first. "
                         "Kappa changes nothing while the SPT server, the launcher or the game runs.")


class InstallBusy(InstallError):
    """Another Kappa (or another task of this one) is changing the install."""


class NotEnoughSpace(InstallError):
    pass


class FileInUse(InstallError):
    pass


class UndoRefused(InstallError):
    pass


# -- the engine -----------------------------------------------------------------------------------------------------

class _Move(NamedTuple):
    """A planned file move (the journal's Operation before it has an id and a sequence number)."""

    role: str
    target: str
    src_area: str
    src: str
    dst_area: str  # ROOT, VAULT or _THIS_BACKUP
    dst: str
    sha256: str | None = None
    size: int = 0


@dataclass
class _Plan:
    moves: list[_Move] = field(default_factory=list)
    ownership: dict[str, OwnedFile | None] = field(default_factory=dict)
    mods: dict[str, ModRow | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    staging: set[str] = field(default_factory=set)
    undoes: int | None = None


class InstallEngine:
    """Changes one SPT install, one transaction at a time. Synchronous: services call it from a worker thread."""

    def __init__(self, root: Path, data_dir: DataDir, *, checkpoint: Callable[[str], None] | None = None,
                 running_check: Callable[[Path], list[RunningProcess]] = running_spt_processes,
                 replace: Callable[[str | Path, str | Path], None] = os.replace,
                 sleep: Callable[[float], None] = time.sleep,
                 disk_usage: Callable[[Path], Any] = shutil.disk_usage,
                 clock: Callable[[], float] = time.time) -> None:
        self.root = _resolved(Path(root))
        self.data_dir = data_dir
        self._checkpoint = checkpoint or (lambda label: None)
        self._running_check = running_check
        self._replace = replace
        self._sleep = sleep
        self._disk_usage = disk_usage
        self._clock = clock
        self._state = InstallState(data_dir.install_db)
        self._install: tuple[int, Path] | None = None
        self._thread_lock = threading.Lock()

    # -- places ------------------------------------------------------------------------------------------------------

    @property
    def vault(self) -> Path:
        return self._install_row()[1]

    @property
    def staging(self) -> Path:
        """The staging root: services extract into a fresh folder below it (new_staging_area())."""
        path = self.vault / "staging"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def new_staging_area(self) -> Path:
        area = self.staging / f"{int(self._clock())}-{os.urandom(4).hex()}"
        area.mkdir()
        return area

    def discard_staging_area(self, area: Path) -> None:
        """Delete a staging folder a service no longer needs (a cancelled or refused install)."""
        area = _resolved(area)
        if area.parent != _resolved(self.staging):
            raise InstallError(f"{area} is not a staging folder of this install")
        shutil.rmtree(area, ignore_errors=True)

    @property
    def disabled_root(self) -> Path:
        """Mirror of the SPT root holding disabled mods' files, at their own relative paths (the scan reads it)."""
        return self.vault / "disabled"

    def backup_dir(self, tx_id: int) -> Path:
        return self.vault / "backup" / str(tx_id)

    # -- reading -----------------------------------------------------------------------------------------------------

    def history(self) -> list[TransactionRecord]:
        """Every transaction on this install, newest first."""
        return [_record(row) for row in self._state.transactions(self._install_id())]

    def managed_mods(self) -> list[ModRecord]:
        """Mods whose files Kappa placed."""
        return [mod for mod in self._mod_records() if mod.managed]

    def disabled_mods(self) -> list[ModRecord]:
        return [mod for mod in self._mod_records() if not mod.enabled]

    def owner_of(self, target: str) -> str | None:
        owned = self._state.ownership(self._install_id()).get(target)
        return owned.mod_key if owned else None

    def conflicts(self, changes: Sequence[ModChange]) -> list[Conflict]:
        """The files of `changes` that would overwrite another mod's file or a file no mod owns."""
        changes = tuple(changes)
        self._validate_changes(changes)
        owned = self._state.ownership(self._install_id())
        return self._writers(changes, owned, _leaving(changes, owned), ConflictPolicy.KEEP)[1]

    def check_free_space(self, bytes_to_write: int = 0) -> None:
        """Refuse (NotEnoughSpace) unless the install's disk can take `bytes_to_write` more plus Kappa's reserve.

        Services call it before extracting an archive into staging; transactions call it before the journal.
        """
        needed = FREE_SPACE_RESERVE + bytes_to_write
        for folder in dict.fromkeys((self.root, _existing_ancestor(self.data_dir.install_db.parent))):
            free = self._disk_usage(folder).free
            if free < needed:
                raise NotEnoughSpace(
                    f"Not enough free space on the disk holding {folder}: Kappa needs {_mb(needed)} free to change "
                    f"your install safely and {_mb(free)} are free. Nothing was changed; free some space and retry.")

    # -- changing ----------------------------------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Finish or roll back a transaction an interrupted Kappa left; sentences saying what was done."""
        with self._exclusive():
            return self._recover()

    def apply(self, changes: Sequence[ModChange], *, kind: str, summary: str,
              on_conflict: ConflictPolicy = ConflictPolicy.FAIL) -> TransactionRecord:
        """Install, update or remove the mods in `changes` as one transaction."""
        changes = tuple(changes)
        if kind not in KINDS or kind in ("disable", "enable", "undo"):
            raise ValueError(f"apply() does not make transactions of kind {kind!r}")
        self._validate_changes(changes)
        with self._changing():
            plan = self._plan_changes(changes, ConflictPolicy(on_conflict))
            return self._run(plan, kind=kind, summary=summary)

    def uninstall(self, key: str, name: str, files: Sequence[str] | None = None) -> TransactionRecord:
        """Remove exactly what the mod owns (or `files`, the scanned files of a mod Kappa did not install)."""
        old_files = tuple(files) if files is not None else None
        if old_files is None and not self._knows(key):
            raise InstallError(f"Kappa has no record of {name}'s files (it did not install it): scan the install "
                               "and uninstall it from the list, which says which files it has.")
        change = ModChange(key=key, name=name, version=None, old_files=old_files)
        return self.apply([change], kind="uninstall", summary=f"uninstall {name}")

    def disable(self, key: str, name: str, files: Sequence[str] | None = None) -> TransactionRecord:
        """Move a mod's files into the disabled/ mirror tree (BepInEx/config files stay: the game ignores them)."""
        with self._changing():
            return self._run(self._plan_disable(key, name, files), kind="disable", summary=f"disable {name}")

    def enable(self, key: str) -> TransactionRecord:
        """Move a disabled mod's files back to their places."""
        with self._changing():
            plan, name = self._plan_enable(key)
            return self._run(plan, kind="enable", summary=f"enable {name}")

    def undo(self) -> TransactionRecord:
        """Revert the newest committed transaction not yet undone (undo transactions themselves are skipped, so
        repeated undos walk back through history)."""
        with self._changing():
            plan, reverted = self._plan_undo()
            return self._run(plan, kind="undo", summary=f"undo {reverted.summary}", refusal=UndoRefused)

    def prune_backups(self, max_bytes: int, max_age_days: float, now: float | None = None) -> PruneReport:
        """Delete the backups of the oldest transactions until the store is under `max_bytes` and none is older than
        `max_age_days`; the newest committed transaction's backup is always kept (so one undo always works)."""
        now = self._clock() if now is None else now
        with self._exclusive():
            rows = [row for row in reversed(self._state.transactions(self._install_id())) if row.state != PENDING]
            sizes = {row.id: _tree_size(self.backup_dir(row.id)) for row in rows
                     if not row.backup_pruned and self.backup_dir(row.id).is_dir()}
            chosen = _backups_to_prune(rows, sizes, max_bytes, max_age_days * 86400, now)
            # Marked first, deleted second: an undo never trusts a backup that may be half deleted.
            self._state.mark_pruned(chosen)
            for row in rows:
                if row.id in chosen or row.backup_pruned:  # also what a crash mid-prune left behind
                    shutil.rmtree(self.backup_dir(row.id), ignore_errors=True)
            freed = sum(sizes[tx_id] for tx_id in chosen)
            return PruneReport(pruned=tuple(chosen), freed_bytes=freed, kept_bytes=sum(sizes.values()) - freed)

    # -- planning ----------------------------------------------------------------------------------------------------

    def _validate_changes(self, changes: Sequence[ModChange]) -> None:
        if not changes:
            raise InstallError("Nothing to change: no mod was given.")
        keys = [change.key for change in changes]
        if len(set(keys)) != len(keys):
            raise InstallError(f"A mod appears twice in one change: {', '.join(sorted(keys))}")
        staging = _resolved(self.staging)
        for change in changes:
            if change.version is None and change.new_files:
                raise InstallError(f"{change.name}: files to install were given for a mod being removed")
            for target in change.old_files or ():
                _check_target(target)
            for new in change.new_files:
                _check_target(new.target)
                path = _resolved(new.path)
                if staging not in path.parents:
                    raise InstallError(f"{change.name}: {new.target} was not staged in Kappa's staging folder")
                if not path.is_file() or path.stat().st_size != new.size:
                    raise InstallError(f"{change.name}: the staged copy of {new.target} is missing or incomplete; "
                                       "extract the archive again")

    def _plan_changes(self, changes: Sequence[ModChange], policy: ConflictPolicy) -> _Plan:
        install_id = self._install_id()
        owned = self._state.ownership(install_id)
        mods = self._state.mods(install_id)
        for change in changes:
            known = mods.get(change.key)
            if known and not known.enabled and change.version is not None:
                raise InstallError(f"{known.name} is disabled: enable it before updating it")
        leaving = _leaving(changes, owned)
        writers, conflicts, kept = self._writers(changes, owned, leaving, policy)
        if conflicts and policy is ConflictPolicy.FAIL:
            raise FilesConflict(conflicts)
        plan = _Plan(notes=kept)
        placements: list[_Move] = []
        for target, (change, new) in writers.items():
            self._plan_placement(plan, placements, change, new, owned.get(target))
        removed: set[str] = set()
        for change in changes:
            shipped = {new.target for new in change.new_files}  # placed, or kept as the player's configuration
            for target in sorted(_old_files(change, owned)):
                if target not in writers and target not in shipped and target not in removed:
                    removed.add(target)
                    self._plan_removal(plan, change, target, owned.get(target))
            plan.mods[change.key] = None if change.version is None else ModRow(
                key=change.key, name=change.name, version=change.version, forge_id=change.forge_id,
                kind=change.kind, enabled=True, managed=True, tx_id=_THIS_TX)
        # Everything leaving goes first, then everything arriving: a new file may need a folder where an old file was.
        plan.moves.extend(placements)
        return plan

    def _writers(self, changes: Sequence[ModChange], owned: Mapping[str, OwnedFile], leaving: set[str],
                 policy: ConflictPolicy) -> tuple[dict[str, tuple[ModChange, NewFile]], list[Conflict], list[str]]:
        """Which change writes each target, the conflicts found, and notes about user configuration kept."""
        names = self._mod_names()
        writers: dict[str, tuple[ModChange, NewFile]] = {}
        conflicts: list[Conflict] = []
        kept: list[str] = []
        for change in changes:
            for new in change.new_files:
                target = new.target
                existing = self.root / target
                if is_user_config(target) and os.path.lexists(existing):
                    if _sha256(existing) != new.sha256:
                        kept.append(f"Kept your {target}; the copy from {change.name} was not installed.")
                    continue
                conflict = self._conflict_for(target, change, owned, leaving, writers, names)
                if conflict:
                    conflicts.append(conflict)
                    if policy is not ConflictPolicy.OVERWRITE:
                        continue
                writers[target] = (change, new)
        return writers, conflicts, kept

    def _conflict_for(self, target: str, change: ModChange, owned: Mapping[str, OwnedFile], leaving: set[str],
                      writers: Mapping[str, tuple[ModChange, NewFile]], names: Mapping[str, str]) -> Conflict | None:
        if target in writers:
            other = writers[target][0]
            return Conflict(target=target, owner=other.key, owner_name=other.name, wanted_by=change.name)
        if target in leaving:
            return None
        owner = owned.get(target)
        if owner and owner.mod_key != change.key:
            return Conflict(target=target, owner=owner.mod_key, owner_name=names.get(owner.mod_key),
                            wanted_by=change.name)
        if owner is None and os.path.lexists(self.root / target):
            return Conflict(target=target, owner=None, owner_name=None, wanted_by=change.name)
        return None

    def _plan_placement(self, plan: _Plan, placements: list[_Move], change: ModChange, new: NewFile,
                        owner: OwnedFile | None) -> None:
        target = new.target
        disabled_copy = self.disabled_root / target
        if owner and owner.location == DISABLED and os.path.lexists(disabled_copy):
            # Overwriting a disabled mod's file: its copy goes to the backup too, so enabling it cannot clash later.
            plan.moves.append(_Move("backup", target, VAULT, f"disabled/{target}", _THIS_BACKUP,
                                    f"{_DISABLED_IN_BACKUP}/{target}", owner.sha256, _size(disabled_copy)))
        existing = self.root / target
        if os.path.lexists(existing):
            plan.moves.append(_Move("backup", target, ROOT, target, _THIS_BACKUP, target, None, _size(existing)))
        staged = _resolved(new.path).relative_to(_resolved(self.vault)).as_posix()
        plan.staging.add("/".join(staged.split("/")[:2]))
        placements.append(_Move("place", target, VAULT, staged, ROOT, target, new.sha256, new.size))
        plan.ownership[target] = OwnedFile(target, change.key, new.sha256, _THIS_TX, ROOT)

    def _plan_removal(self, plan: _Plan, change: ModChange, target: str, owner: OwnedFile | None) -> None:
        if owner and owner.mod_key != change.key:
            plan.notes.append(f"Left {target}: it belongs to {self._mod_name(owner.mod_key)}, not {change.name}.")
            return
        in_disabled = bool(owner and owner.location == DISABLED)
        path = self.disabled_root / target if in_disabled else self.root / target
        if owner:
            plan.ownership[target] = None
        if not os.path.lexists(path):
            return  # already gone: only the record changes
        if is_user_config(target) and (owner is None or owner.sha256 != _sha256(path)):
            plan.notes.append(f"Left your edited {target} in place.")
            return
        if in_disabled:
            plan.moves.append(_Move("backup", target, VAULT, f"disabled/{target}", _THIS_BACKUP,
                                    f"{_DISABLED_IN_BACKUP}/{target}", None, _size(path)))
        else:
            plan.moves.append(_Move("backup", target, ROOT, target, _THIS_BACKUP, target, None, _size(path)))

    def _plan_disable(self, key: str, name: str, files: Sequence[str] | None) -> _Plan:
        install_id = self._install_id()
        owned = self._state.ownership(install_id)
        known = self._state.mods(install_id).get(key)
        if known and not known.enabled:
            raise InstallError(f"{known.name} is already disabled")
        targets = sorted(files) if files is not None else sorted(t for t, o in owned.items() if o.mod_key == key)
        if not targets:
            raise InstallError(f"Kappa has no record of {name}'s files: scan the install and disable it from the list.")
        plan = _Plan()
        for target in targets:
            _check_target(target)
            owner = owned.get(target)
            path = self.root / target
            if owner and owner.mod_key != key:
                plan.notes.append(f"Left {target}: it belongs to {self._mod_name(owner.mod_key)}, not {name}.")
            elif target.casefold().startswith("bepinex/config/"):
                continue  # BepInEx ignores the configuration of a plugin that is not there; it stays for later
            elif owner and owner.location == DISABLED:
                continue
            elif not os.path.lexists(path):
                if owner:
                    plan.ownership[target] = None  # gone by hand: the record follows
            else:
                sha = _sha256(path)
                plan.moves.append(_Move("disable", target, ROOT, target, VAULT, f"disabled/{target}", sha,
                                        _size(path)))
                plan.ownership[target] = OwnedFile(target, key, owner.sha256 if owner else sha,
                                                   owner.tx_id if owner else _THIS_TX, DISABLED)
        if not plan.moves:
            raise InstallError(f"None of {name}'s files are in the install: there is nothing to disable.")
        plan.mods[key] = replace(known, enabled=False) if known else ModRow(
            key=key, name=name, version=None, forge_id=None, kind=_kind_of(targets), enabled=False, managed=False,
            tx_id=_THIS_TX)
        return plan

    def _plan_enable(self, key: str) -> tuple[_Plan, str]:
        install_id = self._install_id()
        known = self._state.mods(install_id).get(key)
        if known is None or known.enabled:
            raise InstallError(f"{known.name if known else key} is not disabled: there is nothing to enable.")
        owned = self._state.ownership(install_id)
        mine = [o for o in owned.values() if o.mod_key == key and o.location == DISABLED]
        taken = [o.target for o in mine if os.path.lexists(self.root / o.target)]
        if taken:
            raise FilesConflict([Conflict(target, None, None, known.name) for target in taken])
        plan = _Plan()
        for owner in mine:
            path = self.disabled_root / owner.target
            if os.path.lexists(path):
                plan.moves.append(_Move("enable", owner.target, VAULT, f"disabled/{owner.target}", ROOT,
                                        owner.target, _sha256(path), _size(path)))
                plan.ownership[owner.target] = replace(owner, location=ROOT)
            else:
                plan.ownership[owner.target] = None
        plan.mods[key] = replace(known, enabled=True)
        return plan, known.name

    def _plan_undo(self) -> tuple[_Plan, TxRow]:
        rows = self._state.transactions(self._install_id())
        reverted = next((row for row in rows if row.state == COMMITTED and row.kind != "undo"), None)
        if reverted is None:
            raise UndoRefused("There is nothing to undo: every change in the history is already undone.")
        operations = self._state.operations(reverted.id)
        if reverted.backup_pruned and any(op.dst.startswith(f"backup/{reverted.id}/") for op in operations):
            raise UndoRefused(
                f"Transaction {reverted.id} ({reverted.summary}) cannot be undone: its backups were deleted by the "
                "backup policy (older than the age limit, or over the size limit in settings).")
        plan = _Plan(undoes=reverted.id, notes=[f"Reverted transaction {reverted.id} ({reverted.summary})."])
        for op in reversed([op for op in operations if op.kind == "move"]):
            move = self._reverse(reverted, op)
            if move:
                plan.moves.append(move)
        plan.ownership, plan.mods = self._state.prior_rows(reverted.id)
        return plan, reverted

    def _reverse(self, reverted: TxRow, op: Operation) -> _Move | None:
        """The move that takes back `op`; None for a configuration file the player has since removed."""
        if op.dst_area == ROOT:
            path = self.root / op.dst
            if not os.path.lexists(path):
                if is_user_config(op.target):
                    return None
                raise UndoRefused(f"{op.target} was removed since transaction {reverted.id} ({reverted.summary}) "
                                  "placed it, so it cannot be undone exactly.")
            if op.sha256 and not is_user_config(op.target) and _sha256(path) != op.sha256:
                raise UndoRefused(f"{op.target} was changed since transaction {reverted.id} ({reverted.summary}) "
                                  "placed it; undo would lose that change, so it was refused.")
        assert op.src_area is not None and op.src is not None
        if op.src_area == VAULT and op.src.startswith("staging/"):
            # A file the transaction brought in: it goes into this undo's own backup (nothing is ever deleted).
            return _Move("unplace", op.target, op.dst_area, op.dst, _THIS_BACKUP, op.target, op.sha256, op.size)
        # What the transaction took away comes back ("restore"); what it brought goes back where it came from.
        role = "unplace" if op.role in ("place", "enable", "restore") else "restore"
        return _Move(role, op.target, op.dst_area, op.dst, op.src_area, op.src, op.sha256, op.size)

    # -- running a transaction ---------------------------------------------------------------------------------------

    def _run(self, plan: _Plan, *, kind: str, summary: str,
             refusal: type[InstallError] = InstallError) -> TransactionRecord:
        self._check_moves(plan.moves, refusal)
        self.check_free_space(FREE_SPACE_PER_OPERATION * len(plan.moves))
        self._sync_staged_files(plan.moves)
        install_id = self._install_id()
        self._checkpoint("start")
        tx_id = self._state.write_journal(
            install_id, kind=kind, summary=summary, started_at=self._clock(), notes=plan.notes,
            staging=sorted(plan.staging), build_operations=lambda tx_id: self._operations(plan.moves, tx_id))
        self._checkpoint("journal")
        # From here the journal is the truth: run exactly the operations it holds.
        try:
            touched = self._execute(self._state.operations(tx_id))
            _fsync_folders(touched)
            self._checkpoint("synced")
            self._checkpoint("commit")
            self._state.commit(tx_id, self._stats(tx_id), ownership=_this_tx(plan.ownership, tx_id),
                               mods={key: _mod_this_tx(row, tx_id) for key, row in plan.mods.items()},
                               undoes=plan.undoes)
        except Exception as exc:
            self._abort(tx_id, exc)
        self._checkpoint("committed")
        self._clean_up(self._state.transaction(tx_id))
        return _record(self._state.transaction(tx_id))

    def _operations(self, moves: Sequence[_Move], tx_id: int) -> list[Operation]:
        """The journal's operations: the moves, each preceded by the root folders it needs that do not exist yet."""
        operations: list[Operation] = []
        created: set[str] = set()
        for move in moves:
            if move.dst_area == ROOT:
                for folder in _parents(move.dst):
                    if folder not in created and not (self.root / folder).is_dir():
                        created.add(folder)
                        operations.append(Operation(len(operations), "mkdir", "dir", folder, None, None, ROOT, folder))
            dst_area, dst = move.dst_area, move.dst
            if dst_area == _THIS_BACKUP:
                dst_area, dst = VAULT, f"backup/{tx_id}/{move.dst}"
            operations.append(Operation(len(operations), "move", move.role, move.target, move.src_area, move.src,
                                        dst_area, dst, move.sha256, move.size))
        return operations

    def _check_moves(self, moves: Sequence[_Move], refusal: type[InstallError]) -> None:
        """Walk the plan on paper: every source must be there and every destination free when its turn comes."""
        present: dict[str, bool] = {}

        def exists(key: str, path: Path) -> bool:
            return present[key] if key in present else os.path.lexists(path)

        for move in moves:
            src_key = f"{move.src_area}:{move.src}"
            dst_key = f"{move.dst_area}:{move.dst}"
            src = self._path(move.src_area, move.src)
            if not exists(src_key, src):
                raise refusal(f"{move.target}: {src} is missing, so nothing was changed.")
            if src_key not in present and src.is_dir() and not src.is_symlink():
                raise refusal(f"{move.target} is a folder, not a file: Kappa moves files one by one, so nothing was "
                              "changed.")
            if move.dst_area == _THIS_BACKUP:
                if present.get(dst_key):
                    raise refusal(f"{move.target} would be backed up twice in one change")
            elif exists(dst_key, self._path(move.dst_area, move.dst)):
                raise refusal(f"{move.target}: {self._path(move.dst_area, move.dst)} is in the way, so nothing was "
                              "changed.")
            present[src_key] = False
            present[dst_key] = True

    def _sync_staged_files(self, moves: Sequence[_Move]) -> None:
        """The staged files' bytes must be on disk before the commit record says they are in place."""
        for move in moves:
            if move.role == "place":
                _fsync_file(self._path(move.src_area, move.src))

    def _execute(self, operations: Sequence[Operation]) -> set[Path]:
        touched: set[Path] = set()
        for op in operations:
            label = f"{op.seq} {op.role} {op.target}"
            self._checkpoint(f"before {label}")
            dst = self._path(op.dst_area, op.dst)
            if op.kind == "mkdir":
                with contextlib.suppress(FileExistsError):
                    dst.mkdir()
                touched.add(dst.parent)
            else:
                assert op.src_area is not None and op.src is not None
                touched |= self._move(self._path(op.src_area, op.src), dst, op.target)
            self._checkpoint(f"after {label}")
        return touched

    def _move(self, src: Path, dst: Path, target: str) -> set[Path]:
        """One atomic rename, retried while another program holds the file (a transient lock on Windows).

        Returns the folders to fsync for the rename to be durable: both parents, and the parent of every folder
        made for the destination (in the vault; root folders come from the journal's mkdir operations).
        """
        touched = {src.parent, dst.parent}
        if os.path.lexists(dst):
            raise InstallError(f"{target}: {dst} appeared while Kappa was working; it does not overwrite files it "
                               "did not plan to.")
        for folder in reversed(dst.parents):
            if not folder.is_dir():
                folder.mkdir(exist_ok=True)
                touched.add(folder.parent)
        pause, waited = RETRY_FIRST_PAUSE, 0.0
        while True:
            try:
                self._replace(src, dst)
                return touched
            except PermissionError as exc:
                if waited >= RETRY_TOTAL:
                    raise FileInUse(f"{target} is in use by another program (tried for {waited:.0f} s): close the "
                                    "game, the server, or any program that has it open, then try again.") from exc
                self._sleep(pause)
                waited += pause
                pause = min(pause * 2, RETRY_MAX_PAUSE)
            except OSError as exc:
                if exc.errno == errno.EXDEV:
                    raise InstallError(f"{target}: {dst.parent} is on another disk than Kappa's vault (a link?), so "
                                       "it cannot be changed safely.") from exc
                raise InstallError(f"{target} could not be moved: {exc.strerror or exc}") from exc

    def _stats(self, tx_id: int) -> CommitStats:
        operations = [op for op in self._state.operations(tx_id) if op.kind == "move"]
        arrived = {op.target for op in operations if op.dst_area == ROOT}
        left = {op.target for op in operations if op.src_area == ROOT} - arrived
        backup = sum(op.size for op in operations if op.dst.startswith(f"backup/{tx_id}/"))
        return CommitStats(finished_at=self._clock(), files_placed=len(arrived), files_removed=len(left),
                           backup_bytes=backup)

    def _abort(self, tx_id: int, error: Exception) -> None:
        """Something failed before the commit record: put everything back, then report (always raises)."""
        row = self._state.transaction(tx_id)
        if row.state == COMMITTED:  # the commit record made it after all: the new tree stands
            return
        try:
            self._roll_back(row, discard_staging=False, reason=str(error))
        except Exception as rollback_error:
            log.exception("rolling back transaction %s failed", tx_id)
            raise InstallError(f"{error} Kappa could not yet put every file back ({rollback_error}); it will finish "
                               "that when it next starts.") from error
        if isinstance(error, KappaError):
            raise error
        raise InstallError(f"{row.summary} failed ({error}); every file was put back.") from error

    # -- recovery, rollback and cleanup ------------------------------------------------------------------------------

    def _recover(self) -> list[str]:
        sentences: list[str] = []
        for row in self._state.unfinished(self._install_id()):
            if row.state == PENDING:
                problems = self._roll_back(row, discard_staging=True, reason="interrupted")
                sentence = f"Rolled back transaction {row.id} ({row.summary}), which had been interrupted."
                if problems:
                    sentence += f" These files were missing: {', '.join(problems)}."
            else:
                self._clean_up(row)
                sentence = f"Finished transaction {row.id} ({row.summary}), which had been committed when interrupted."
            log.info("%s", sentence)
            sentences.append(sentence)
        return sentences

    def _roll_back(self, row: TxRow, *, discard_staging: bool, reason: str) -> list[str]:
        """Take back every operation done, newest first. An operation is done exactly when its source is gone and its
        destination present: os.replace is atomic, and walking backwards every later operation is already taken back
        when an earlier one is looked at. Running it again finds nothing to do (idempotent)."""
        touched: set[Path] = set()
        problems: list[str] = []
        operations = self._state.operations(row.id)
        for op in reversed(operations):
            dst = self._path(op.dst_area, op.dst)
            if op.kind == "mkdir":
                if dst.is_dir() and not any(dst.iterdir()):
                    dst.rmdir()
                    touched.add(dst.parent)
                continue
            assert op.src_area is not None and op.src is not None
            src = self._path(op.src_area, op.src)
            if os.path.lexists(dst) and not os.path.lexists(src):
                touched |= self._move(dst, src, op.target)
            elif not os.path.lexists(src):
                problems.append(op.target)
        _fsync_folders(touched)
        self._prune_vault(operations, row.id)
        self._state.mark_rolled_back(row.id, self._clock(), f"Rolled back: {reason}")
        if discard_staging:
            self._discard_staging(row)
        return problems

    def _clean_up(self, row: TxRow) -> None:
        """After the commit record: prune what the change emptied, delete its staging. Idempotent (roll forward)."""
        self._checkpoint("cleanup")
        operations = self._state.operations(row.id)
        if row.kind == "undo" and row.undoes is not None:
            # Exactly the folders the reverted transaction created: the tree before it had none of them.
            created = [op for op in self._state.operations(row.undoes) if op.kind == "mkdir"]
            removed = _remove_empty_folders(self.root / op.dst for op in reversed(created))
        else:
            removed = self._prune_root(operations)
        removed |= self._prune_vault(operations, row.id)
        _fsync_folders({folder.parent for folder in removed})
        self._checkpoint("pruned")
        self._discard_staging(row)
        self._state.mark_cleaned(row.id)
        self._checkpoint("cleaned")

    def _prune_root(self, operations: Sequence[Operation]) -> set[Path]:
        """Folders of the root this change emptied by moving files out (not those an SPT install always has)."""
        removed: set[Path] = set()
        for op in operations:
            if op.kind == "move" and op.src_area == ROOT:
                assert op.src is not None
                for folder in reversed(_parents(op.src)):
                    if not _may_prune(folder):
                        break
                    path = self.root / folder
                    if not path.is_dir() or any(path.iterdir()):
                        break
                    path.rmdir()
                    removed.add(path)
        return removed

    def _prune_vault(self, operations: Sequence[Operation], tx_id: int) -> set[Path]:
        """Empty folders left in the vault (disabled/ mirror, backups) by files moved out of them."""
        folders: list[Path] = []
        for op in operations:
            for area, relative in ((op.src_area, op.src), (op.dst_area, op.dst)):
                if area == VAULT and relative and not relative.startswith("staging/"):
                    folders.extend(self.vault / parent for parent in reversed(_parents(relative)))
        folders.append(self.backup_dir(tx_id))
        stops = {self.vault, self.disabled_root, self.vault / "backup", self.vault / "staging"}
        return _remove_empty_folders(folder for folder in folders if folder not in stops)

    def _discard_staging(self, row: TxRow) -> None:
        for area in row.staging:
            path = self.vault / area
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                path.unlink()

    # -- helpers -----------------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """The guard around every change: no SPT process running, no other transaction, none left unfinished."""
        running = self._running_check(self.root)
        if running:
            raise ProcessRunning(running, self.root)
        with self._exclusive():
            self._recover()
            yield

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One transaction at a time per install: a lock file in the vault, held while a transaction runs. The
        operating system releases it when the process dies, so a crashed Kappa never blocks the next one."""
        busy = InstallBusy(f"Another Kappa is changing this install ({self.root}) right now: wait until it has "
                           "finished, then try again.")
        if not self._thread_lock.acquire(blocking=False):
            raise busy
        try:
            self.vault.mkdir(parents=True, exist_ok=True)
            with _FileLock(self.vault / "lock", busy):
                yield
        finally:
            self._thread_lock.release()

    def _install_row(self) -> tuple[int, Path]:
        if self._install is None:
            try:
                install_id, vault = self._state.install(str(self.root), self._choose_vault)
            except OSError as exc:
                raise InstallError(f"Kappa cannot prepare its vault for {self.root}: {exc}") from exc
            self._install = (install_id, Path(vault))
        return self._install

    def _install_id(self) -> int:
        return self._install_row()[0]

    def _choose_vault(self) -> str:
        if not self.root.is_dir():
            raise InstallError(f"{self.root} is not a folder: there is no SPT install to change there.")
        preferred = self.data_dir.vault_dir / _install_slug(self.root)
        preferred.mkdir(parents=True, exist_ok=True)
        if preferred.stat().st_dev == self.root.stat().st_dev:
            return str(preferred)
        with contextlib.suppress(OSError):
            preferred.rmdir()
        return str(self.root / FALLBACK_VAULT)

    def _path(self, area: str, relative: str) -> Path:
        return (self.root if area == ROOT else self.vault) / relative

    def _knows(self, key: str) -> bool:
        install_id = self._install_id()
        return key in self._state.mods(install_id) or any(
            owned.mod_key == key for owned in self._state.ownership(install_id).values())

    def _mod_names(self) -> dict[str, str]:
        return {key: row.name for key, row in self._state.mods(self._install_id()).items()}

    def _mod_name(self, key: str) -> str:
        return self._mod_names().get(key, key)

    def _mod_records(self) -> list[ModRecord]:
        install_id = self._install_id()
        files: dict[str, list[str]] = {}
        for owned in self._state.ownership(install_id).values():
            files.setdefault(owned.mod_key, []).append(owned.target)
        return [ModRecord(key=row.key, name=row.name, version=row.version, forge_id=row.forge_id, kind=row.kind,
                          enabled=row.enabled, managed=row.managed, files=tuple(sorted(files.get(row.key, ()))))
                for row in self._state.mods(install_id).values()]


class _FileLock:
    """An exclusive, non-blocking OS lock on a file (flock on POSIX, msvcrt on Windows)."""

    def __init__(self, path: Path, busy: InstallError) -> None:
        self.path = path
        self.busy = busy
        self.handle: Any = None

    def __enter__(self) -> _FileLock:
        self.handle = open(self.path, "a+b")  # held until __exit__
        try:
            _lock_file(self.handle)
        except OSError:
            self.handle.close()
            raise self.busy from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):
            _unlock_file(self.handle)
        self.handle.close()


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock_file(handle: Any) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock_file(handle: Any) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock_file(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# -- rules ----------------------------------------------------------------------------------------------------------

def is_user_config(target: str) -> bool:
    """User configuration that updates never replace: `BepInEx/config/**`, and files under a `config/` folder inside
    a server mod folder (`<server>/user/mods/<mod>/.../config/...`) or a plugin folder (`BepInEx/plugins/<mod>/...`)."""
    folders = target.casefold().split("/")[:-1]
    if folders[:2] == ["bepinex", "config"]:
        return True
    for index in range(len(folders) - 2):
        if folders[index:index + 2] == ["user", "mods"] and "config" in folders[index + 3:]:
            return True
    return folders[:2] == ["bepinex", "plugins"] and "config" in folders[3:]


def _check_target(target: str) -> None:
    """Targets are relative to the SPT root with forward slashes, and never leave it."""
    parts = target.split("/")
    if (not target or "\\" in target or ":" in target or target.startswith("/")
            or any(part in ("", ".", "..") for part in parts)):
        raise InstallError(f"{target!r} is not a path inside the SPT folder; nothing was changed.")


def _leaving(changes: Sequence[ModChange], owned: Mapping[str, OwnedFile]) -> set[str]:
    """Targets the changes take away (their mods' old files): writing one of them is no conflict."""
    return {target for change in changes for target in _old_files(change, owned)}


def _old_files(change: ModChange, owned: Mapping[str, OwnedFile]) -> tuple[str, ...]:
    if change.old_files is not None:
        return change.old_files
    return tuple(target for target, owner in owned.items() if owner.mod_key == change.key)


def _kind_of(targets: Sequence[str]) -> str:
    client = any(target.casefold().startswith("bepinex/") for target in targets)
    server = any("user/mods/" in target.casefold() for target in targets)
    return "both" if client and server else "server" if server else "client"


def _backups_to_prune(rows: Sequence[TxRow], sizes: Mapping[int, int], max_bytes: int, max_age: float,
                      now: float) -> list[int]:
    """Oldest first, the transactions whose backups go: while the store is over `max_bytes`, and any older than
    `max_age` seconds; never the newest committed transaction (`rows` oldest first, `sizes` of existing backups)."""
    newest = next((row.id for row in reversed(rows) if row.state == COMMITTED), None)
    kept = sum(sizes.values())
    chosen: list[int] = []
    for row in rows:
        if row.id == newest or row.id not in sizes:
            continue
        if kept > max_bytes or now - (row.finished_at or row.started_at) > max_age:
            chosen.append(row.id)
            kept -= sizes[row.id]
    return chosen


def _may_prune(folder: str) -> bool:
    return "/" in folder and folder.casefold() not in _KEPT_FOLDERS


def _parents(relative: str) -> list[str]:
    """The folders above a relative path, outermost first: "a/b/c.dll" -> ["a", "a/b"]."""
    parts = relative.split("/")[:-1]
    return ["/".join(parts[:index]) for index in range(1, len(parts) + 1)]


def _this_tx(ownership: Mapping[str, OwnedFile | None], tx_id: int) -> dict[str, OwnedFile | None]:
    return {target: replace(owned, tx_id=tx_id) if owned and owned.tx_id == _THIS_TX else owned
            for target, owned in ownership.items()}


def _mod_this_tx(row: ModRow | None, tx_id: int) -> ModRow | None:
    return replace(row, tx_id=tx_id) if row and row.tx_id == _THIS_TX else row


def _record(row: TxRow) -> TransactionRecord:
    return TransactionRecord(id=row.id, kind=row.kind, summary=row.summary, started_at=row.started_at,
                             finished_at=row.finished_at, state=row.state, files_placed=row.files_placed,
                             files_removed=row.files_removed, backup_bytes=row.backup_bytes,
                             backup_pruned=row.backup_pruned, undoes=row.undoes, notes=row.notes)


# -- file system helpers --------------------------------------------------------------------------------------------

def _install_slug(root: Path) -> str:
    """A stable folder name for an install's vault: readable, unique per root path."""
    digest = hashlib.sha256(str(root).encode("utf-8")).hexdigest()[:12]
    name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in root.name)[:40] or "root"
    return f"{name}-{digest}"


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _size(path: Path) -> int:
    return path.lstat().st_size


def _tree_size(folder: Path) -> int:
    total = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(base, name)).st_size
    return total


def _remove_empty_folders(folders: Iterable[Path]) -> set[Path]:
    """rmdir each folder (in the order given) that exists and is empty."""
    removed: set[Path] = set()
    for folder in folders:
        with contextlib.suppress(OSError):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                removed.add(folder)
    return removed


def _fsync_file(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - Windows flushes through a handle opened for writing
        with contextlib.suppress(PermissionError), open(path, "r+b") as handle:
            os.fsync(handle.fileno())
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_folders(folders: set[Path]) -> None:
    """Make renames and new folders durable: a rename is only on disk once its folders are flushed. (Windows has no
    folder handles for this; NTFS journals its metadata itself.)"""
    if os.name == "nt":  # pragma: no cover
        return
    for folder in sorted(folders):
        try:
            descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except FileNotFoundError:
            continue
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


__all__ = [
    "DISABLED", "KINDS", "Conflict", "ConflictPolicy", "FileInUse", "FilesConflict", "InstallBusy", "InstallEngine",
    "InstallError", "ModChange", "ModRecord", "NewFile", "NotEnoughSpace", "ProcessRunning", "PruneReport",
    "StateError", "TransactionRecord", "UndoRefused", "is_user_config",
]
