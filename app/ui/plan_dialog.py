"""The dialog every change to an install goes through: what will happen, and a yes or no.

Three shapes share one dialog: a resolver plan before anything is downloaded (what changes, why, the new
dependencies and the download size), a staged proposal (archives the player dropped: what they hold, what they still
need, the files two mods would both write), and a plan that cannot be made (the explanation in words, and what would
work). It is opened with `open()`; `await dialog.answer()` waits for the player without stopping the event loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.install import ConflictPolicy
from app.core.words import size_in_words
from app.services.installer import PlannedChange, Proposal
from app.services.planner import PlanOutcome

ACTION_WORDS = {"install": "Install", "upgrade": "Update", "downgrade": "Downgrade", "remove": "Remove",
                "update": "Update"}


@dataclass(frozen=True)
class PlanAnswer:
    policy: ConflictPolicy  # how to treat files two mods write (FAIL when there are none)
    add_missing: bool = False  # also install the missing dependencies from the Forge


class PlanDialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(640)
        self.layout_ = QVBoxLayout(self)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.layout_.addWidget(self.headline)
        self.changes = QTreeWidget()
        self.changes.setRootIsDecorated(False)
        self.changes.setAlternatingRowColors(True)
        self.layout_.addWidget(self.changes)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setOpenExternalLinks(False)
        self.layout_.addWidget(self.notes)
        self.add_missing: QCheckBox | None = None
        self.conflict_choice: QComboBox | None = None
        self.go_button: QPushButton | None = None
        self.buttons = QDialogButtonBox()
        self.buttons.rejected.connect(self.reject)
        self.buttons.accepted.connect(self.accept)
        self.layout_.addWidget(self.buttons)
        self._answer: asyncio.Future[PlanAnswer | None] | None = None
        self.finished.connect(self._settle)

    # -- the three shapes
    @classmethod
    def for_plan(cls, planned: PlannedChange, title: str, parent: QWidget | None = None) -> PlanDialog:
        dialog = cls(title, parent)
        plan = planned.outcome.plan
        assert plan is not None
        changes = plan.changes()
        new = [s.name for s in changes if s.action == "install" and not any(r == "requested" for r in s.reasons)]
        size = size_in_words(plan.download_size) or "nothing"
        dialog.headline.setText(f"<b>{len(changes)} change{'s' * (len(changes) != 1)}</b> for SPT "
                                f"{planned.outcome.spt_version} · {size} to download"
                                + (f" · new dependencies: {', '.join(new)}" if new else ""))
        dialog._columns("Action", "Mod", "From", "To", "Size", "Why")
        for step in changes:
            dialog._row(ACTION_WORDS.get(step.action, step.action), step.name, step.from_version or "",
                        step.to_version or "", size_in_words(step.download_size), "; ".join(step.reasons))
        notes = [f"Warning: {w}" for w in plan.warnings]
        notes += [f"Note: the Forge says {d.name} {d.forge}; this plan {d.kappa}."
                  for d in planned.outcome.disagreements]
        dialog._notes(notes)
        dialog._go_button("Update" if planned.kind == "update" else "Install")
        return dialog

    @classmethod
    def for_proposal(cls, proposal: Proposal, title: str, *, offer_missing: bool,
                     parent: QWidget | None = None) -> PlanDialog:
        dialog = cls(title, parent)
        size = sum(f.size for mod in proposal.staged for f in mod.files)
        dialog.headline.setText(f"<b>{proposal.summary}</b> · {size_in_words(size) or 'no files'} to place")
        dialog._columns("Action", "Mod", "Version", "From", "Files")
        for change in proposal.removals:
            dialog._row("Remove", change.name, "", "", "")
        for mod in proposal.staged:
            version = f"{mod.replaces} → {mod.version}" if mod.replaces else mod.version
            dialog._row("Update" if mod.replaces else "Install", mod.name, version, mod.source,
                        f"{len(mod.files)} ({size_in_words(sum(f.size for f in mod.files))})")
        notes = [f"Warning: {w}" for w in proposal.warnings]
        notes += [f"Not copied into the game from {m.source}: {', '.join(m.skipped)}" for m in proposal.staged
                  if m.skipped]
        if proposal.missing:
            notes.append("Missing: " + "; ".join(m.describe() for m in proposal.missing))
        dialog._notes(notes)
        if proposal.missing and offer_missing:
            dialog.add_missing = QCheckBox("Also install the missing dependencies from the Forge")
            dialog.add_missing.setChecked(True)
            dialog.layout_.insertWidget(dialog.layout_.count() - 1, dialog.add_missing)
        if proposal.conflicts:
            dialog._conflicts(proposal)
        dialog._go_button("Update" if proposal.kind == "update" else "Install")
        return dialog

    @classmethod
    def for_unsatisfiable(cls, outcome: PlanOutcome, title: str, parent: QWidget | None = None) -> PlanDialog:
        dialog = cls(title, parent)
        dialog.headline.setText("<b>No plan satisfies every mod's constraints.</b> Nothing was changed.")
        dialog.changes.hide()
        explanation = outcome.explanation
        lines = [explanation.text] + [f"What would work: {s}" for s in explanation.suggestions]
        dialog._notes(lines)
        dialog.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        return dialog

    # -- answering
    async def answer(self) -> PlanAnswer | None:
        """Open the dialog (if it is not open) and wait: the answer, or None when the player cancelled."""
        loop = asyncio.get_running_loop()
        if self._answer is None:
            self._answer = loop.create_future()
        if not self.isVisible():
            self.open()
        return await self._answer

    def _settle(self, result: int) -> None:
        if self._answer is None or self._answer.done():
            return
        if result != QDialog.DialogCode.Accepted:
            self._answer.set_result(None)
            return
        policy = ConflictPolicy.FAIL
        if self.conflict_choice is not None:
            policy = self.conflict_choice.currentData()
        self._answer.set_result(PlanAnswer(policy, bool(self.add_missing and self.add_missing.isChecked())))

    # -- building blocks
    def _columns(self, *names: str) -> None:
        self.changes.setHeaderLabels(list(names))
        self.changes.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.changes.header().setStretchLastSection(True)

    def _row(self, *cells: str) -> None:
        item = QTreeWidgetItem(list(cells))
        for column, text in enumerate(cells):
            item.setToolTip(column, text)
        self.changes.addTopLevelItem(item)

    def _notes(self, lines: list[str]) -> None:
        self.notes.setText("\n".join(lines))
        self.notes.setVisible(bool(lines))

    def _conflicts(self, proposal: Proposal) -> None:
        listing = "\n".join(f"  {c}" for c in proposal.conflicts[:12])
        more = f"\n  … and {len(proposal.conflicts) - 12} more" if len(proposal.conflicts) > 12 else ""
        label = QLabel(f"{len(proposal.conflicts)} file(s) would be written by two mods:\n{listing}{more}")
        label.setWordWrap(True)
        self.conflict_choice = QComboBox()
        self.conflict_choice.addItem("Overwrite them with the new mod's files (the old ones are backed up)",
                                     ConflictPolicy.OVERWRITE)
        self.conflict_choice.addItem("Keep the files already there", ConflictPolicy.KEEP)
        self.conflict_choice.setToolTip("Either way the transaction can be undone.")
        at = self.layout_.count() - 1
        self.layout_.insertWidget(at, label)
        self.layout_.insertWidget(at + 1, self.conflict_choice)

    def _go_button(self, text: str) -> None:
        go = self.buttons.addButton(text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        go.setDefault(True)
        self.go_button = go
