"""Every change the desktop app makes to an install: update, install (from the Forge or from archives), uninstall,
disable, enable and undo. Each runs as one Activity job (queued, with progress, cancellable) and asks the player
first: a plan, or a question naming what would break. Nothing here writes a file: the installer does, in one
transaction per change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from app.core.errors import KappaError
from app.core.install import ConflictPolicy, TransactionRecord
from app.services.activity import Activity, Job, JobContext
from app.services.installer import Installer, NothingToInstall, PlannedChange, Proposal
from app.services.mod_library import ModRow
from app.services.planner import ModSpec, PlanOutcome
from app.services.workspace import Workspace
from app.ui.dialogs import confirm
from app.ui.plan_dialog import PlanAnswer, PlanDialog


class NothingChanged(Exception):
    """The player said no: the job ends quietly."""


class ModActions(QObject):
    changed = Signal()  # an install changed: rescan
    notice = Signal(str)  # a sentence for the status bar

    def __init__(self, workspace: Workspace, activity: Activity, root: Callable[[], Path],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.activity = activity
        self.root = root
        self.window = parent
        self.dialogs: list[QDialog] = []  # the open question, for tests and for keeping it alive

    # -- from the Forge
    def update(self, rows: Sequence[ModRow] | None = None) -> Job:
        """Update `rows`, or every installed mod when None; the resolver keeps the whole install consistent."""
        keys = [row.key for row in rows] if rows is not None else None
        title = "Update every mod" if keys is None else f"Update {_names(rows or [])}"

        async def work(context: JobContext) -> Any:
            installer = await self._installer(context)
            context.set_step("Planning")
            planned = await installer.plan(update=keys, update_all=keys is None)
            return await self._run_plan(context, installer, planned, title)

        return self._submit(title, work)

    def install_from_forge(self, forge_id: int, name: str) -> Job:
        title = f"Install {name}"

        async def work(context: JobContext) -> Any:
            installer = await self._installer(context)
            context.set_step("Planning")
            planned = await installer.plan(install=[ModSpec(str(forge_id))])
            return await self._run_plan(context, installer, planned, title)

        return self._submit(title, work)

    # -- from archives the player gave
    def install_archives(self, paths: Sequence[Path]) -> Job:
        title = f"Install {_names_of_files(paths)}"

        async def work(context: JobContext) -> Any:
            installer = await self._installer(context)
            context.set_step("Reading the archives")
            proposal = await installer.propose_archives(list(paths))
            answer = await self._ask(context, PlanDialog.for_proposal(
                proposal, title, offer_missing=bool(proposal.missing), parent=self.window), installer, proposal)
            if answer.add_missing:
                proposal = await self._add_missing(context, installer, proposal, title)
            return await self._commit(context, installer, proposal, answer.policy)

        return self._submit(title, work)

    # -- removing, disabling, enabling, undoing
    def uninstall(self, rows: Sequence[ModRow]) -> Job:
        return self._one_by_one("uninstall", "Uninstall", rows)

    def disable(self, rows: Sequence[ModRow]) -> Job:
        return self._one_by_one("disable", "Disable", rows)

    def enable(self, rows: Sequence[ModRow]) -> Job:
        return self._one_by_one("enable", "Enable", rows)

    def undo(self) -> Job:
        async def work(context: JobContext) -> TransactionRecord:
            installer = await self._installer(context)
            history = await asyncio.to_thread(installer.history)
            last = next((r for r in history if r.state == "committed" and r.kind != "undo"), None)
            if last is None:
                raise NothingToInstall("There is nothing to undo: Kappa has not changed this install yet.")
            await self._confirm(context, "Undo", f"Undo #{last.id}: {last.summary}?",
                                "Every file it placed is removed and every file it replaced comes back.")
            context.set_step("Undoing")
            record = await installer.undo()
            return self._done(record)

        return self._submit("Undo the last change", work)

    # -- the shared steps
    def _submit(self, title: str, work: Callable[[JobContext], Awaitable[Any]]) -> Job:
        """Queue `work`; a "no" from the player or nothing to do ends the job quietly, not as a failure."""

        async def quietly(context: JobContext) -> Any:
            try:
                return await work(context)
            except NothingChanged:
                context.set_step("Nothing was changed")
            except NothingToInstall as nothing:
                context.set_step(str(nothing))
                self.notice.emit(str(nothing))
            return None

        return self.activity.submit(title, quietly)

    async def _installer(self, context: JobContext) -> Installer:
        """An installer whose progress goes to the job (opening the install reads files: off the loop)."""
        return await asyncio.to_thread(self.workspace.installer, self.root(), on_download=context.download_progress,
                                       on_extract=context.extract_progress, cancelled=context.cancelled)

    async def _run_plan(self, context: JobContext, installer: Installer, planned: PlannedChange,
                        title: str) -> TransactionRecord | None:
        outcome = planned.outcome
        if outcome.plan is None:
            self._show(PlanDialog.for_unsatisfiable(outcome, title, parent=self.window))
            raise KappaError(f"No plan satisfies every constraint: {outcome.explanation.text}")
        if not outcome.plan.changes():
            self.notice.emit("Nothing to do: every mod is already as the plan wants it.")
            return None
        dialog = PlanDialog.for_plan(planned, title, parent=self.window)
        if await self._wait(context, dialog) is None:
            raise NothingChanged
        context.set_step("Downloading")
        proposal = await installer.stage_plan(planned)
        policy = ConflictPolicy.FAIL
        if proposal.conflicts:  # files two mods write show up only once the archives are open
            answer = await self._ask(context, PlanDialog.for_proposal(proposal, title, offer_missing=False,
                                                                      parent=self.window), installer, proposal)
            policy = answer.policy
        return await self._commit(context, installer, proposal, policy)

    async def _add_missing(self, context: JobContext, installer: Installer, proposal: Proposal,
                           title: str) -> Proposal:
        context.set_step("Downloading the missing dependencies")
        try:
            extended = await installer.add_missing_from_forge(proposal)
        except NothingToInstall:
            return proposal
        except BaseException:
            installer.discard(proposal)
            raise
        if isinstance(extended, PlanOutcome):
            installer.discard(proposal)
            self._show(PlanDialog.for_unsatisfiable(extended, title, parent=self.window))
            raise KappaError(f"The missing dependencies cannot be installed: {extended.explanation.text}")
        return extended

    async def _ask(self, context: JobContext, dialog: PlanDialog, installer: Installer,
                   proposal: Proposal) -> PlanAnswer:
        """The player's answer to a staged proposal; no answer throws the staged files away."""
        try:
            answer = await self._wait(context, dialog)
        except BaseException:
            installer.discard(proposal)
            raise
        if answer is None:
            installer.discard(proposal)
            raise NothingChanged
        return answer

    async def _wait(self, context: JobContext, dialog: PlanDialog) -> PlanAnswer | None:
        self._show(dialog)
        try:
            return await context.wait_for(dialog.answer(), "Waiting for you to confirm")
        finally:
            dialog.close()
            self._forget(dialog)

    async def _commit(self, context: JobContext, installer: Installer, proposal: Proposal,
                      policy: ConflictPolicy) -> TransactionRecord:
        context.set_step("Installing")
        record = await installer.commit(proposal, policy)
        return self._done(record)

    def _one_by_one(self, action: str, verb: str, rows: Sequence[ModRow]) -> Job:
        title = f"{verb} {_names(rows)}"

        async def work(context: JobContext) -> list[TransactionRecord]:
            installer = await self._installer(context)
            if action != "enable":
                breaks = await asyncio.to_thread(self._breaks, installer, rows)
                await self._confirm(context, verb, f"{verb} {_names(rows)}?", breaks)
            records = []
            for row in rows:
                context.set_step(f"{verb.removesuffix('e')}ing {row.name}")
                records.append(self._done(await getattr(installer, action)(row.key)))
            return records

        return self._submit(title, work)

    @staticmethod
    def _breaks(installer: Installer, rows: Sequence[ModRow]) -> str:
        """Who stops working without `rows` (reads the install: call it on a worker thread)."""
        scan = installer.scan()
        broken = sorted({name for row in rows for name in installer.dependants(row.key, scan)
                         if not any(name.startswith(f"{leaving.name} ") for leaving in rows)})
        if broken:
            return f"{', '.join(broken)} need{'s' * (len(broken) == 1)} it and will stop working."
        return "It can be undone afterwards."

    async def _confirm(self, context: JobContext, title: str, question: str, details: str) -> None:
        """Ask; anything but yes ends the job quietly (NothingChanged)."""
        agreed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        box = confirm(self.window, title, question, lambda: agreed.done() or agreed.set_result(True),
                      yes_text=title, details=details)
        box.finished.connect(lambda _code: agreed.done() or agreed.set_result(False))
        self.dialogs.append(box)
        try:
            answer = await context.wait_for(agreed, "Waiting for you to confirm")
        except asyncio.CancelledError:  # the job was cancelled while asking (an answered box deletes itself)
            box.close()
            raise
        finally:
            self._forget(box)
        if not answer:
            raise NothingChanged

    def _done(self, record: TransactionRecord) -> TransactionRecord:
        self.notice.emit(f"Done: {record.summary}. Undo reverts it.")
        self.changed.emit()
        return record

    def _show(self, dialog: QDialog) -> None:
        self.dialogs.append(dialog)
        if isinstance(dialog, PlanDialog) and dialog.go_button is None:  # an explanation: nothing to wait for
            dialog.finished.connect(lambda _code: self._forget(dialog))
        dialog.open()

    def _forget(self, dialog: QDialog) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)


def _names(rows: Sequence[ModRow]) -> str:
    names = [row.name for row in rows]
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} mods"


def _names_of_files(paths: Sequence[Path]) -> str:
    return ", ".join(p.name for p in paths) if len(paths) <= 2 else f"{len(paths)} archives"
