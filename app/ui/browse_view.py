"""The "Browse the Forge" view: search as you type, filters, results loaded page by page as the list scrolls,
thumbnails loaded in the background, a mod page with description and versions, and Install.

Everything that waits on the network runs as an asyncio task on the qasync loop; each has an owner here and is
cancelled when it is superseded (a newer search cancels the older search, its page loads and its thumbnails) or when
the view closes (`aclose`). Installing is not done here: Install (the button, Enter in the list or a double click)
emits `install_requested(forge_id, name)`, and the window's controller shows the plan first.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import logging
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QDesktopServices,
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QPainter,
    QPalette,
    QPixmap,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KappaError
from app.core.words import age_in_words, size_in_words
from app.services.forge_browser import (
    SORT_LABELS,
    BrowsePage,
    BrowseQuery,
    FikaCompatibility,
    ForgeBrowser,
    Mod,
    ModCategory,
    ModPage,
    ModVersion,
    ThumbnailSource,
)
from app.ui.dialogs import sentence

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex

DEBOUNCE_MS = 300
THUMBNAIL_SIZE = 56  # logical pixels; drawn at the screen's device pixel ratio
PADDING = 8
LOAD_MORE_ROWS = 3  # start loading the next page when fewer than this many rows are left below the viewport
RETRY_MORE_AFTER = 5.0  # seconds before scrolling retries a page that failed to load
MAX_PIXMAPS = 600  # decoded thumbnails kept in memory (the disk cache keeps more)
ANY_SPT = "Any SPT version"
ALL_CATEGORIES = "All categories"

MOD_ROLE = Qt.ItemDataRole.UserRole + 1
INSTALLED_ROLE = Qt.ItemDataRole.UserRole + 2


# -- the results model and how a row is drawn


class BrowseResultsModel(QAbstractListModel):
    """The mods found so far (pages are appended), which of them are installed, and their thumbnails."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._mods: list[Mod] = []
        self._ids: set[int] = set()
        self._installed_guids: set[str] = set()
        self._installed_ids: set[int] = set()
        self._pixmaps: dict[str, QPixmap] = {}

    def replace(self, mods: Iterable[Mod]) -> None:
        self.beginResetModel()
        self._mods, self._ids = [], set()
        self._mods = self._new_mods(mods)
        self.endResetModel()

    def append(self, mods: Iterable[Mod]) -> None:
        # The Forge pages by offset: a mod that moved up between two page loads would otherwise show twice.
        new = self._new_mods(mods)
        if new:
            self.beginInsertRows(QModelIndex(), len(self._mods), len(self._mods) + len(new) - 1)
            self._mods.extend(new)
            self.endInsertRows()

    def _new_mods(self, mods: Iterable[Mod]) -> list[Mod]:
        new = []
        for mod in mods:
            if mod.id not in self._ids:
                self._ids.add(mod.id)
                new.append(mod)
        return new

    def clear(self) -> None:
        self.replace([])

    @property
    def mods(self) -> Sequence[Mod]:
        return tuple(self._mods)

    def mod_at(self, row: int) -> Mod:
        return self._mods[row]

    def row_of(self, mod_id: int) -> int | None:
        return next((row for row, mod in enumerate(self._mods) if mod.id == mod_id), None)

    def set_installed(self, guids: Iterable[str], forge_ids: Iterable[int]) -> None:
        self._installed_guids = {guid.lower() for guid in guids}
        self._installed_ids = set(forge_ids)
        if self._mods:
            self.dataChanged.emit(self.index(0), self.index(len(self._mods) - 1), [INSTALLED_ROLE])

    def is_installed(self, mod: Mod) -> bool:
        return mod.id in self._installed_ids or (mod.guid or "").lower() in self._installed_guids

    def has_thumbnail(self, url: str) -> bool:
        return url in self._pixmaps

    def set_thumbnail(self, url: str, pixmap: QPixmap) -> None:
        if len(self._pixmaps) >= MAX_PIXMAPS:
            shown = {mod.thumbnail for mod in self._mods}
            self._pixmaps = {key: value for key, value in self._pixmaps.items() if key in shown}
        self._pixmaps[url] = pixmap
        for row, mod in enumerate(self._mods):
            if mod.thumbnail == url:
                index = self.index(row)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self._mods)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._mods):
            return None
        mod = self._mods[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return mod.name or mod.slug or f"Mod {mod.id}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return _accessible_text(mod, self.is_installed(mod))
        if role == Qt.ItemDataRole.ToolTipRole:
            return mod.teaser or None
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmaps.get(mod.thumbnail or "")
        if role == MOD_ROLE:
            return mod
        if role == INSTALLED_ROLE:
            return self.is_installed(mod)
        return None


def _accessible_text(mod: Mod, installed: bool) -> str:
    parts = [mod.name or mod.slug or f"Mod {mod.id}"]
    if installed:
        parts.append("installed")
    if mod.teaser:
        parts.append(mod.teaser)
    return ", ".join(parts)


class ModRowDelegate(QStyledItemDelegate):
    """A result row: thumbnail (or a lettered placeholder), name and author, teaser, category and downloads, and an
    "Installed" badge."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(320, THUMBNAIL_SIZE + 2 * PADDING)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        mod = index.data(MOD_ROLE)
        if not isinstance(mod, Mod):
            return
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        painter.save()
        try:
            self._paint_row(painter, option, index, mod)
        finally:
            painter.restore()

    def _paint_row(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index, mod: Mod) -> None:
        rect: QRect = option.rect.adjusted(PADDING, PADDING, -PADDING, -PADDING)
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        thumb = QRect(rect.left(), rect.top() + (rect.height() - THUMBNAIL_SIZE) // 2, THUMBNAIL_SIZE, THUMBNAIL_SIZE)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            painter.drawPixmap(thumb, pixmap)
        else:
            _paint_placeholder(painter, thumb, mod, palette)
        text = rect.adjusted(THUMBNAIL_SIZE + PADDING, 0, 0, 0)
        base_font: QFont = option.font
        text_color = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        dim_color = text_color if selected else palette.color(QPalette.ColorRole.PlaceholderText)
        line = QFontMetrics(base_font).height()
        installed = bool(index.data(INSTALLED_ROLE))
        badge_width = self._paint_badge(painter, text, base_font, palette, selected) if installed else 0
        bold = QFont(base_font)
        bold.setBold(True)
        name = mod.name or mod.slug or f"Mod {mod.id}"
        author = f"  by {mod.owner.name}" if mod.owner and mod.owner.name else ""
        first = QRect(text.left(), text.top(), text.width() - badge_width, line)
        painter.setFont(bold)
        painter.setPen(text_color)
        name_width = min(QFontMetrics(bold).horizontalAdvance(name), first.width())
        painter.drawText(first, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(bold).elidedText(name, Qt.TextElideMode.ElideRight, first.width()))
        painter.setFont(base_font)
        painter.setPen(dim_color)
        rest = first.adjusted(name_width, 0, 0, 0)
        painter.drawText(rest, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(base_font).elidedText(author, Qt.TextElideMode.ElideRight, rest.width()))
        painter.setPen(text_color)
        self._paint_line(painter, QRect(text.left(), text.top() + line + 2, text.width(), line), base_font,
                         mod.teaser or "")
        painter.setPen(dim_color)
        self._paint_line(painter, QRect(text.left(), text.top() + 2 * line + 4, text.width(), line), base_font,
                         _facts(mod))

    @staticmethod
    def _paint_line(painter: QPainter, rect: QRect, font: QFont, words: str) -> None:
        elided = QFontMetrics(font).elidedText(words, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided)

    @staticmethod
    def _paint_badge(painter: QPainter, text: QRect, font: QFont, palette: QPalette, selected: bool) -> int:
        badge_font = QFont(font)
        badge_font.setBold(True)
        metrics = QFontMetrics(badge_font)
        width = metrics.horizontalAdvance("Installed") + 12
        badge = QRect(text.right() - width, text.top(), width, metrics.height() + 2)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        # On a selected row the colours swap, or the badge would vanish into the selection.
        fill, ink = QPalette.ColorRole.Highlight, QPalette.ColorRole.HighlightedText
        if selected:
            fill, ink = ink, fill
        painter.setBrush(palette.color(fill))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setFont(badge_font)
        painter.setPen(palette.color(ink))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "Installed")
        return width + PADDING


def _paint_placeholder(painter: QPainter, rect: QRect, mod: Mod, palette: QPalette) -> None:
    """Until (or instead of) the thumbnail: a tile with the mod's initial."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(palette.color(QPalette.ColorRole.Mid))
    painter.drawRoundedRect(rect, 6, 6)
    font = QFont(painter.font())
    font.setPixelSize(THUMBNAIL_SIZE // 2)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(palette.color(QPalette.ColorRole.Base))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, (mod.name or mod.slug or "?")[:1].upper())


def _facts(mod: Mod) -> str:
    """The third line of a row: category, downloads, Fika."""
    facts = []
    if mod.category is not None:
        facts.append(mod.category.label)
    if mod.downloads is not None:
        facts.append(f"{mod.downloads:,} downloads")
    if mod.fika_compatibility:
        facts.append("Fika compatible")
    return " · ".join(facts)


class ResultsList(QListView):
    """The results; Enter on a row asks to install it (the plan is shown before anything happens)."""

    install_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.install_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class ModPageBrowser(QTextBrowser):
    """The mod page. It loads no resources (a description's images would otherwise be read from local paths), and
    links open in the web browser only when they are web links."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(_open_web_link)

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        return None


def _open_web_link(url: QUrl) -> None:
    if url.scheme() in ("http", "https"):
        QDesktopServices.openUrl(url)


# -- the view


class BrowseView(QWidget):
    """Search the Forge and pick a mod to install. Call `set_installed` after each scan of the install."""

    install_requested = Signal(int, str)  # Forge mod id, mod name

    def __init__(self, browser: ForgeBrowser, thumbnails: ThumbnailSource, parent: QWidget | None = None, *,
                 debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self.browser = browser
        self.thumbnails = thumbnails
        self._filters_task: asyncio.Task[None] | None = None
        self._search_task: asyncio.Task[None] | None = None
        self._more_task: asyncio.Task[None] | None = None
        self._page_task: asyncio.Task[None] | None = None
        self._thumbnail_tasks: dict[str, asyncio.Task[None]] = {}
        self._generation = 0  # bumped by every search: answers for an older one are dropped
        self._searching = False
        self._fetching_more = False
        self._more_failed_at: float | None = None
        self._last: BrowsePage | None = None  # the last page loaded for the results shown
        self._latest_query: BrowseQuery | None = None  # what the latest search asked
        self._page: ModPage | None = None  # the mod page shown, once loaded
        self._started = False
        self._filters_loaded = False
        self._installed_spt: str | None = None
        self._spt_chosen = False  # the player picked an SPT version: the installed one no longer overrides it
        self._build(debounce_ms)

    # -- layout

    def _build(self, debounce_ms: int) -> None:
        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText("Search the Forge…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setToolTip("Search mods by name and description; results update as you type")
        self.search_edit.setAccessibleName("Search the Forge")
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(debounce_ms)
        self.debounce.timeout.connect(self._search_if_changed)
        self.search_edit.textChanged.connect(lambda _text: self.debounce.start())
        self.search_edit.returnPressed.connect(self.search_now)

        self.spt_combo = self._combo("SPT version", "Only mods with a version for this SPT version (your installed "
                                                    "one by default)")
        self.spt_combo.addItem(ANY_SPT, None)
        self.spt_combo.activated.connect(self._spt_picked)
        self.fika_check = QCheckBox("Fika compatible only", self)
        self.fika_check.setToolTip("Only mods marked as working with Fika co-op")
        self.fika_check.toggled.connect(self._filters_changed)
        self.category_combo = self._combo("Category", "Only mods of this category")
        self.category_combo.addItem(ALL_CATEGORIES, None)
        self.sort_combo = self._combo("Sort", "Order of the results")
        for key, label in SORT_LABELS.items():
            self.sort_combo.addItem(label, key)
        for combo in (self.spt_combo, self.category_combo, self.sort_combo):
            combo.currentIndexChanged.connect(self._filters_changed)

        self.results = ResultsList(self)
        self.model = BrowseResultsModel(self)
        self.results.setModel(self.model)
        self.results.setItemDelegate(ModRowDelegate(self.results))
        self.results.setUniformItemSizes(True)
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setAccessibleName("Search results")
        self.results.selectionModel().currentChanged.connect(lambda _now, _before: self._selection_changed())
        self.results.doubleClicked.connect(lambda _index: self.request_install())
        self.results.install_pressed.connect(self.request_install)
        bar = self.results.verticalScrollBar()
        bar.valueChanged.connect(lambda _value: self._maybe_load_more())
        bar.rangeChanged.connect(lambda _low, _high: self._maybe_load_more())

        self.page_view = ModPageBrowser(self)
        self.page_view.setAccessibleName("Mod page")
        self.install_button = QPushButton("Install…", self)
        self.install_button.setToolTip("Install the selected mod (you see what will change first) — Enter in the list")
        self.install_button.setEnabled(False)
        self.install_button.clicked.connect(self.request_install)
        self.status_label = QLabel("", self)
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._show_hint("Select a mod to see its description and versions.")
        self._lay_out()

    def _combo(self, name: str, tip: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setToolTip(tip)
        combo.setAccessibleName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return combo

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 1)
        for label, widget in (("SPT:", self.spt_combo), ("Category:", self.category_combo),
                              ("Sort:", self.sort_combo)):
            caption = QLabel(label, self)
            caption.setBuddy(widget)
            filters.addWidget(caption)
            filters.addWidget(widget)
            if widget is self.spt_combo:
                filters.addWidget(self.fika_check)
        page = QWidget(self)
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.page_view, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.install_button)
        page_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.results)
        splitter.addWidget(page)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)
        order = (self.search_edit, self.spt_combo, self.fika_check, self.category_combo, self.sort_combo,
                 self.results, self.install_button, self.page_view)
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    # -- public API

    def start(self) -> None:
        """Load the filter lists and show the first results (once; showing the view does it too)."""
        if self._started:
            return
        self._started = True
        self._filters_task = asyncio.ensure_future(self._load_filters())
        self._filters_task.add_done_callback(_log_if_failed)
        self.search_now()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._started:
            QTimer.singleShot(0, self.start)  # once the event loop runs: tasks need it

    def set_installed(self, guids: set[str], forge_ids: set[int], spt_version: str | None) -> None:
        """What is installed: those mods get marked, and the SPT filter defaults to the installed version."""
        self.model.set_installed(guids, forge_ids)
        if self._page is not None:
            self._render_page(self._page.mod, self._page)
        if not spt_version or spt_version == self._installed_spt:
            return
        self._installed_spt = spt_version
        blocked = self.spt_combo.blockSignals(True)  # one search below at most, not one per combo change
        try:
            self._mark_installed_spt()
            changed = not self._spt_chosen and self._select_spt(spt_version)
        finally:
            self.spt_combo.blockSignals(blocked)
        if changed and self._latest_query is not None:
            self.search_now()

    def current_query(self) -> BrowseQuery:
        return BrowseQuery(text=self.search_edit.text().strip(), spt_version=self.spt_combo.currentData(),
                           fika_only=self.fika_check.isChecked(), category_id=self.category_combo.currentData(),
                           sort=self.sort_combo.currentData() or "relevance")

    def search_now(self) -> None:
        """Search with what is typed and chosen now (cancelling the search and page loads under way)."""
        self.debounce.stop()
        self._cancel_search_work()
        self._generation += 1
        query = self.current_query()
        self._latest_query = query
        self._searching = True
        self.status_label.setText("Searching…")
        self._search_task = asyncio.ensure_future(self._run_search(query, self._generation))

    def request_install(self) -> None:
        mod = self.selected_mod()
        if mod is not None:
            self.install_requested.emit(mod.id, mod.name or mod.slug or f"Mod {mod.id}")

    def selected_mod(self) -> Mod | None:
        index = self.results.currentIndex()
        return self.model.mod_at(index.row()) if index.isValid() else None

    async def aclose(self) -> None:
        """Stop every task the view started (the thumbnail cache and the Forge client belong to the caller)."""
        self.debounce.stop()
        pending = [task for task in (self._filters_task, self._search_task, self._more_task, self._page_task)
                   if task is not None]
        pending += list(self._thumbnail_tasks.values())
        self._thumbnail_tasks.clear()
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # -- searching

    def _search_if_changed(self) -> None:
        if self.current_query() != self._latest_query or self._last is None:
            self.search_now()

    def _filters_changed(self) -> None:
        if self._latest_query is not None:  # before the first search, the first search will use them
            self.search_now()

    def _cancel_search_work(self) -> None:
        for task in (self._search_task, self._more_task):
            if task is not None and not task.done():
                task.cancel()
        for task in self._thumbnail_tasks.values():
            task.cancel()
        self._thumbnail_tasks.clear()
        self._searching = self._fetching_more = False
        self._more_failed_at = None

    async def _run_search(self, query: BrowseQuery, generation: int) -> None:
        try:
            page = await self.browser.search(query, 1)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown in words; the old results would answer a different question
            if generation == self._generation:
                self._searching = False
                self._last = None
                self.model.clear()
                self._selection_changed()
                self.status_label.setText(_error_words(exc, "The search failed") +
                                          " Press Enter in the search box to try again.")
            return
        if generation != self._generation:
            return
        self._searching = False
        self._last = page
        self.model.replace(page.items)
        self.results.scrollToTop()
        self._selection_changed()  # a model reset clears the selection without a signal
        self._show_status()
        self._load_thumbnails(page.items)
        self._maybe_load_more(rows_added=True)
        self._reload_filters_if_missing()

    def _reload_filters_if_missing(self) -> None:
        """The Forge answers again: fetch the filter lists it could not give at start."""
        if self._started and not self._filters_loaded and self._filters_task is not None \
                and self._filters_task.done():
            self._filters_task = asyncio.ensure_future(self._load_filters())
            self._filters_task.add_done_callback(_log_if_failed)

    def _maybe_load_more(self, *, rows_added: bool = False) -> None:
        """Fetch the next page when the list is scrolled near its end (or does not fill the view yet)."""
        last = self._last
        if last is None or not last.has_more or self._searching or self._fetching_more:
            return
        if self._more_failed_at is not None and time.monotonic() - self._more_failed_at < RETRY_MORE_AFTER:
            return
        if rows_added:
            # Rows added a moment ago are laid out lazily; until then the scroll range says "nothing to scroll".
            self.results.doItemsLayout()
        bar = self.results.verticalScrollBar()
        row_height = THUMBNAIL_SIZE + 2 * PADDING
        if bar.maximum() - bar.value() > LOAD_MORE_ROWS * row_height:
            return
        self._fetching_more = True
        self._show_status()
        self._more_task = asyncio.ensure_future(self._run_more(last.query, last.page + 1, self._generation))

    async def _run_more(self, query: BrowseQuery, number: int, generation: int) -> None:
        try:
            page = await self.browser.search(query, number)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if generation == self._generation:
                self._fetching_more = False
                self._more_failed_at = time.monotonic()
                self.status_label.setText(_error_words(exc, "More results could not be loaded") +
                                          " Scroll down to try again.")
            return
        if generation != self._generation:
            return
        self._fetching_more = False
        self._more_failed_at = None
        self._last = page
        self.model.append(page.items)
        self._show_status()
        self._load_thumbnails(page.items)
        self._maybe_load_more(rows_added=True)

    def _show_status(self) -> None:
        page = self._last
        if page is None:
            return
        if page.total == 0:
            words = f"No mods match “{page.query.text}”." if page.query.text else "No mods match these filters."
        else:
            words = "1 mod" if page.total == 1 else f"{page.total:,} mods"
        if page.offline:
            words += f" — the Forge could not be reached; these results were saved {age_in_words(page.age)} ago."
        if self._fetching_more:
            words += " · loading more…"
        self.status_label.setText(words)

    # -- filter lists

    async def _load_filters(self) -> None:
        spt_versions, categories = await asyncio.gather(self.browser.spt_versions(), self.browser.categories(),
                                                        return_exceptions=True)
        before = self.current_query()
        if isinstance(spt_versions, list):
            self._fill_spt_versions(spt_versions)
        else:
            log.info("SPT versions for the Browse filter not loaded: %s", spt_versions)
        if isinstance(categories, list):
            self._fill_categories(categories)
        else:
            log.info("categories for the Browse filter not loaded: %s", categories)
        self._filters_loaded = isinstance(spt_versions, list) and isinstance(categories, list)
        if self.current_query() != before:
            self.search_now()

    def _fill_spt_versions(self, versions: Sequence[str]) -> None:
        chosen = self.spt_combo.currentData()
        self.spt_combo.blockSignals(True)
        try:
            self.spt_combo.clear()
            self.spt_combo.addItem(ANY_SPT, None)
            for version in versions:
                self.spt_combo.addItem(version, version)
            self._mark_installed_spt()
            self._select_spt(chosen)
        finally:
            self.spt_combo.blockSignals(False)

    def _fill_categories(self, categories: Sequence[ModCategory]) -> None:
        chosen = self.category_combo.currentData()
        self.category_combo.blockSignals(True)
        try:
            self.category_combo.clear()
            self.category_combo.addItem(ALL_CATEGORIES, None)
            for category in categories:
                self.category_combo.addItem(category.label, category.id)
                if category.description:
                    self.category_combo.setItemData(self.category_combo.count() - 1, category.description,
                                                    Qt.ItemDataRole.ToolTipRole)
            found = self.category_combo.findData(chosen)
            self.category_combo.setCurrentIndex(max(found, 0))
        finally:
            self.category_combo.blockSignals(False)

    def _mark_installed_spt(self) -> None:
        """Name the installed version "(installed)" in the list, adding it if the Forge did not list it."""
        for index in range(1, self.spt_combo.count()):
            version = self.spt_combo.itemData(index)
            label = f"{version} (installed)" if version == self._installed_spt else version
            self.spt_combo.setItemText(index, label)
        if self._installed_spt and self.spt_combo.findData(self._installed_spt) < 0:
            self.spt_combo.insertItem(1, f"{self._installed_spt} (installed)", self._installed_spt)

    def _select_spt(self, version: str | None) -> bool:
        """Select `version` without searching; True if the selection changed."""
        index = max(self.spt_combo.findData(version), 0)
        if index == self.spt_combo.currentIndex():
            return False
        blocked = self.spt_combo.blockSignals(True)
        self.spt_combo.setCurrentIndex(index)
        self.spt_combo.blockSignals(blocked)
        return True

    def _spt_picked(self, _index: int) -> None:
        self._spt_chosen = True

    # -- thumbnails

    def _load_thumbnails(self, mods: Iterable[Mod]) -> None:
        for mod in mods:
            url = mod.thumbnail
            if not url or self.model.has_thumbnail(url) or url in self._thumbnail_tasks:
                continue
            task = asyncio.ensure_future(self._load_thumbnail(url))
            self._thumbnail_tasks[url] = task
            task.add_done_callback(lambda done, url=url: self._thumbnail_done(url, done))

    def _thumbnail_done(self, url: str, task: asyncio.Task[None]) -> None:
        if self._thumbnail_tasks.get(url) is task:
            del self._thumbnail_tasks[url]
        _log_if_failed(task)

    async def _load_thumbnail(self, url: str) -> None:
        data = await self.thumbnails.get(url)
        if data is None:
            return  # the placeholder stays; the cache has said why in the log
        ratio = self.results.devicePixelRatioF()
        image = await asyncio.to_thread(decode_thumbnail, data, round(THUMBNAIL_SIZE * ratio))
        if image is None:
            log.info("thumbnail %s is not a picture Qt can read", url)
            return
        pixmap = QPixmap.fromImage(image)  # pixmaps belong to the GUI thread: made here, not in the worker
        pixmap.setDevicePixelRatio(ratio)
        self.model.set_thumbnail(url, pixmap)

    # -- the mod page

    def _selection_changed(self) -> None:
        mod = self.selected_mod()
        self.install_button.setEnabled(mod is not None)
        if self._page_task is not None and not self._page_task.done():
            self._page_task.cancel()
        self._page = None
        if mod is None:
            self._show_hint("Select a mod to see its description and versions.")
            return
        self._render_page(mod, None, note="Loading the mod page…")
        self._page_task = asyncio.ensure_future(self._load_page(mod))

    async def _load_page(self, mod: Mod) -> None:
        try:
            page = await self.browser.mod_page(mod.id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self.selected_mod() is mod:
                self._render_page(mod, None, note=_error_words(exc, "The mod page could not be loaded"))
            return
        if self.selected_mod() is mod:
            self._page = page
            self._render_page(page.mod, page)

    def _render_page(self, mod: Mod, page: ModPage | None, note: str = "") -> None:
        installed = self.model.is_installed(mod)
        self.install_button.setText("Install again…" if installed else "Install…")
        self.page_view.setHtml(mod_page_html(mod, page, installed=installed, note=note))

    def _show_hint(self, words: str) -> None:
        self.page_view.setHtml(f"<p style='color: gray'>{html.escape(words)}</p>")


# -- helpers (no widgets)


def _log_if_failed(task: asyncio.Task[Any]) -> None:
    """A background task that failed unexpectedly is logged rather than lost (asyncio would only warn at exit)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("Browse view task failed", exc_info=task.exception())


def _error_words(exc: BaseException, what: str) -> str:
    """An error as one sentence for the status line or the page; an unexpected one is logged with its traceback."""
    if isinstance(exc, KappaError):
        return sentence(str(exc))
    log.error("%s", what, exc_info=exc)
    return f"{what} because of an unexpected error ({type(exc).__name__}: {exc})."


def decode_thumbnail(data: bytes, size: int) -> QImage | None:
    """Decode and scale a thumbnail to a `size` pixel square (cropping the longer side). Runs on a worker thread:
    QImage, unlike QPixmap, may be used off the GUI thread."""
    image = QImage.fromData(data)
    if image.isNull() or size <= 0:
        return None
    scaled = image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                          Qt.TransformationMode.SmoothTransformation)
    return scaled.copy((scaled.width() - size) // 2, (scaled.height() - size) // 2, size, size)


_TAG = re.compile(r"<\s*(p|br|div|h[1-6]|ul|ol|li|a|strong|em|b|i|code|pre|blockquote|table)\b", re.IGNORECASE)
_UNSAFE_BLOCKS = re.compile(r"<\s*(script|style|iframe|object)\b.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.IGNORECASE | re.DOTALL)


def description_html(text: str) -> str:
    """A description as HTML: the Forge's HTML as it is (minus scripts and styles, which the page never runs
    anyway); anything else is read as Markdown (which plain text also is), as mod authors write it."""
    if _TAG.search(text):
        return _UNSAFE_BLOCKS.sub("", text)
    document = QTextDocument()
    document.setMarkdown(text, QTextDocument.MarkdownFeature.MarkdownDialectGitHub)
    body = _BODY.search(document.toHtml())
    return body.group(1) if body else f"<p>{html.escape(text)}</p>"


def mod_page_html(mod: Mod, page: ModPage | None, *, installed: bool, note: str = "") -> str:
    """The mod page: header, facts, link, description and the versions table."""
    parts = [f"<h2>{html.escape(mod.name or mod.slug or f'Mod {mod.id}')}</h2>"]
    authors = [user.name for user in [mod.owner, *mod.additional_authors] if user is not None and user.name]
    if authors:
        parts.append(f"<p>by {html.escape(', '.join(authors))}</p>")
    facts = _page_facts(page.mod if page else mod, installed)
    if facts:
        parts.append(f"<p>{' · '.join(facts)}</p>")
    if mod.detail_url and mod.detail_url.startswith(("https://", "http://")):
        parts.append(f"<p><a href=\"{html.escape(mod.detail_url, quote=True)}\">Open on the Forge</a></p>")
    if note:
        parts.append(f"<p><i>{html.escape(note)}</i></p>")
    if page is None:
        if mod.teaser:
            parts.append(f"<p>{html.escape(mod.teaser)}</p>")
        return "".join(parts)
    if page.offline:
        parts.append("<p><i>The Forge could not be reached: this page was saved earlier.</i></p>")
    description = page.mod.description or page.mod.teaser or ""
    parts.append(description_html(description) if description else "<p><i>No description.</i></p>")
    parts.append(_versions_html(page))
    return "".join(parts)


def _page_facts(mod: Mod, installed: bool) -> list[str]:
    facts = []
    if installed:
        facts.append("<b>✓ Installed</b>")
    if mod.category is not None:
        facts.append(html.escape(mod.category.label))
    if mod.downloads is not None:
        facts.append(f"{mod.downloads:,} downloads")
    if mod.fika_compatibility:
        facts.append("Fika compatible")
    if mod.license is not None and (mod.license.short_name or mod.license.name):
        facts.append(html.escape(mod.license.short_name or mod.license.name or ""))
    if mod.contains_ads:
        facts.append("contains ads")
    if mod.contains_ai_content:
        facts.append("contains AI-generated content")
    return facts


def _versions_html(page: ModPage) -> str:
    if not page.versions:
        return "<h3>Versions</h3><p><i>No published versions.</i></p>"
    rows = "".join(_version_row(version) for version in page.versions)
    more = ""
    if page.versions_total > len(page.versions):
        more = f"<p><i>{page.versions_total - len(page.versions)} older versions are on the Forge.</i></p>"
    needs = ""
    latest = page.latest
    if latest is not None and latest.dependencies:
        names = [f"{html.escape(dep.mod_name or dep.mod_guid or '?')} {html.escape(dep.version_constraint or '')}"
                 + (" (optional)" if dep.is_optional else "") for dep in latest.dependencies]
        needs = f"<p>{html.escape(latest.version)} needs: {', '.join(names)}</p>"
    return ("<h3>Versions</h3>" + needs +
            "<table cellspacing='0' cellpadding='3' border='0' width='100%'>"
            "<tr><th align='left'>Version</th><th align='left'>SPT</th><th align='left'>Published</th>"
            "<th align='left'>Fika</th><th align='right'>Size</th></tr>" + rows + "</table>" + more)


def _version_row(version: ModVersion) -> str:
    published = version.published_at.date().isoformat() if version.published_at else ""
    spt = version.spt_version_constraint or "(no SPT version)"
    fika = {FikaCompatibility.COMPATIBLE: "yes", FikaCompatibility.INCOMPATIBLE: "no"}.get(
        version.fika_compatibility or FikaCompatibility.UNKNOWN, "")
    cells = [html.escape(version.version), html.escape(spt), published, fika]
    return ("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) +
            f"<td align='right'>{html.escape(size_in_words(version.content_length))}</td></tr>")
