"""The transaction history of an install, newest first, with the undo of the last change one click away."""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from app.core.install import TransactionRecord
from app.core.words import size_in_words

STATE_WORDS = {"committed": "done", "rolled_back": "rolled back", "undone": "undone", "pending": "unfinished"}


class HistoryDialog(QDialog):
    undo_requested = Signal()

    def __init__(self, parent: QDialog | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("History")
        self.resize(760, 380)
        layout = QVBoxLayout(self)
        self.headline = QLabel("Every change Kappa made to this install. Undo reverts the newest one, byte for byte.")
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setHeaderLabels(["#", "When", "What", "State", "Files", "Backup"])
        self.table.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox()
        self.undo_button = buttons.addButton("Undo the last change", QDialogButtonBox.ButtonRole.ActionRole)
        self.undo_button.setToolTip("Revert the newest change that is not itself an undo (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo_requested)
        buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.close)
        layout.addWidget(buttons)

    def show_records(self, records: Sequence[TransactionRecord]) -> None:
        self.table.clear()
        for record in records:
            files = f"+{record.files_placed} / -{record.files_removed}"
            backup = "pruned" if record.backup_pruned else size_in_words(record.backup_bytes) or "-"
            item = QTreeWidgetItem([str(record.id), _when(record.started_at), f"{record.kind}: {record.summary}",
                                    STATE_WORDS.get(record.state, record.state), files, backup])
            item.setToolTip(2, "\n".join([record.summary, *record.notes]))
            self.table.addTopLevelItem(item)
        undoable = any(r.state == "committed" and r.kind != "undo" for r in records)
        self.undo_button.setEnabled(undoable)
        if not records:
            self.headline.setText("No changes yet: Kappa has not changed this install.")


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
