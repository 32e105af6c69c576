"""The installed-mods table: one row per mod (its server and client halves together), and the filter over it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QPalette

from app.core.words import size_in_words
from app.net.forge_models import FikaCompatibility
from app.services.mod_library import ModRow, ModStatus

_Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2

# Most urgent first: sorting by status puts what needs the player on top.
STATUS_ORDER = {status: rank for rank, status in enumerate(ModStatus)}

_ANSWERED = frozenset({Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, ROW_ROLE, STATUS_ROLE, SORT_ROLE,
                       Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole})

FIKA_WORDS = {FikaCompatibility.COMPATIBLE: "Yes", FikaCompatibility.INCOMPATIBLE: "No",
              FikaCompatibility.UNKNOWN: "Unknown"}


class InstalledModsModel(QAbstractTableModel):
    COLUMNS = ("Name", "Version", "Parts", "Status", "Fika", "Size")
    NAME, VERSION, PARTS, STATUS, FIKA, SIZE = range(6)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ModRow] = []

    def set_rows(self, rows: Sequence[ModRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> ModRow:
        return self._rows[row]

    def rows(self) -> list[ModRow]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Qt asks a dozen roles per cell on every repaint; unanswered ones leave first (a reset must stay cheap)
        if role not in _ANSWERED or not index.isValid():
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.status_detail if column == self.STATUS else _tooltip(row)
        if role == ROW_ROLE:
            return row
        if role == STATUS_ROLE:
            return row.status
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and not row.enabled and column != self.STATUS:
            return QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return None

    def _display(self, row: ModRow, column: int) -> str | None:
        if column == self.NAME:
            return row.name
        if column == self.VERSION:
            return row.version
        if column == self.PARTS:
            return row.parts.capitalize()
        if column == self.STATUS:
            return row.status_text
        if column == self.FIKA:
            return FIKA_WORDS.get(row.fika, "") if row.fika else ""
        if column == self.SIZE:
            return size_in_words(row.size)
        return None

    def _sort_key(self, row: ModRow, column: int) -> Any:
        if column == self.STATUS:
            return STATUS_ORDER[row.status]
        if column == self.SIZE:
            return row.size or 0
        text = self._display(row, column) or ""
        return text.lower()


class ModsFilter(QSortFilterProxyModel):
    """Text over name, GUID and status, plus a choice of which statuses to show."""

    SHOWS: ClassVar[dict[str, frozenset[ModStatus] | None]] = {
        "All mods": None,
        "Updates": frozenset({ModStatus.UPDATE}),
        "Needs attention": frozenset({ModStatus.MISSING_DEPENDENCY, ModStatus.INCOMPATIBLE, ModStatus.BLOCKED}),
        "Disabled": frozenset({ModStatus.DISABLED}),
        "Not on the Forge": frozenset({ModStatus.NOT_ON_FORGE}),
    }

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._statuses: frozenset[ModStatus] | None = None
        self.setSortRole(SORT_ROLE)

    def set_text(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "_text", text.strip().lower()))

    def set_show(self, name: str) -> None:
        self._refilter(lambda: setattr(self, "_statuses", self.SHOWS[name]))

    def _refilter(self, change: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateRowsFilter() is deprecated there
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, InstalledModsModel)
        row = model.row_at(source_row)
        if self._statuses is not None and row.status not in self._statuses:
            return False
        if not self._text:
            return True
        authors = (m.author or "" for m in row.members)
        haystack = " ".join([row.name, row.version, row.status_text, *row.guids, *authors])
        return self._text in haystack.lower()


def _tooltip(row: ModRow) -> str:
    lines = [f"{row.name} {row.version}", f"GUID: {', '.join(row.guids)}"]
    authors = sorted({m.author for m in row.members if m.author})
    if authors:
        lines.append(f"Author: {', '.join(authors)}")
    constraints = sorted({m.spt_constraint for m in row.members if m.spt_constraint})
    if constraints:
        lines.append(f"For SPT: {', '.join(constraints)}")
    if row.dependencies:
        lines.append("Needs: " + ", ".join(f"{d.name or d.guid} {d.constraint}".strip() for d in row.dependencies))
    lines.append(row.status_detail)
    return "\n".join(lines)
