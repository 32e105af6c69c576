"""The status column's chips: a rounded, coloured label per row, readable in the light and the dark theme."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.services.mod_library import ModStatus
from app.ui.mods_model import STATUS_ROLE
from app.ui.theme import current_scheme, status_colors

PADDING_X, PADDING_Y = 8, 3


class StatusChipDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        value = index.data(STATUS_ROLE)  # Qt hands a str enum back as a plain str
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if value not in ModStatus._value2member_map_:
            super().paint(painter, option, index)
            return
        status = ModStatus(value)
        # the row's selection background first, so that a selected row still reads as one
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        background, foreground = status_colors(current_scheme())[status]
        metrics = option.fontMetrics
        width = min(metrics.horizontalAdvance(text) + 2 * PADDING_X + 2, option.rect.width() - 4)
        height = metrics.height() + 2 * PADDING_Y
        chip = QRectF(option.rect.x() + 2, option.rect.center().y() - height / 2 + 1, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(chip, height / 2, height / 2)
        painter.setPen(foreground)
        elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(width - 2 * PADDING_X))
        painter.drawText(chip, int(Qt.AlignmentFlag.AlignCenter), elided)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        metrics = option.fontMetrics
        return QSize(metrics.horizontalAdvance(text) + 2 * PADDING_X + 8, metrics.height() + 2 * PADDING_Y + 4)
