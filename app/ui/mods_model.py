"""The installed-mods table model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.core.mods import InstalledMod

_Index = QModelIndex | QPersistentModelIndex


class InstalledModsModel(QAbstractTableModel):
    COLUMNS = ("Name", "Version", "Kind", "Path", "Enabled")
    NAME, VERSION, KIND, PATH, ENABLED = range(5)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._mods: list[InstalledMod] = []

    def set_mods(self, mods: Sequence[InstalledMod]) -> None:
        self.beginResetModel()
        self._mods = list(mods)
        self.endResetModel()

    def mod_at(self, row: int) -> InstalledMod:
        return self._mods[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self._mods)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        mod, column = self._mods[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(mod, column)
        if role == Qt.ItemDataRole.CheckStateRole and column == self.ENABLED:
            return Qt.CheckState.Checked if mod.enabled else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(mod)
        if role == Qt.ItemDataRole.UserRole:
            return mod
        return None

    def _display(self, mod: InstalledMod, column: int) -> str | None:
        if column == self.NAME:
            return mod.name
        if column == self.VERSION:
            return mod.version
        if column == self.KIND:
            return "Server" if mod.kind == "server" else "Client"
        if column == self.PATH:
            return mod.path
        if column == self.ENABLED:
            return "Enabled" if mod.enabled else "Disabled"
        return None

    @staticmethod
    def _tooltip(mod: InstalledMod) -> str:
        lines = [f"{mod.name} {mod.version}", f"GUID: {mod.guid}"]
        if mod.author:
            lines.append(f"Author: {mod.author}")
        if mod.spt_constraint:
            lines.append(f"For SPT: {mod.spt_constraint}")
        if mod.dependencies:
            lines.append("Needs: " + ", ".join(f"{guid} {c}" for guid, c in mod.dependencies.items()))
        if mod.optional_dependencies:
            lines.append("Works with: " + ", ".join(mod.optional_dependencies))
        return "\n".join(lines)
