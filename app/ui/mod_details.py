"""The installed mod's details pane: what the table row cannot hold.

Sections, top to bottom: the header (name, version, parts, status sentence); the description and the newest versions
from the Forge (loaded in the background; a load for a row that is no longer shown is cancelled and its answer
ignored); the dependency tree as the install meets it; the files the mod owns; links (Forge page, source code); and
the Forge match with a way to correct it. Correcting saves through `app.services.forge_mappings` in a worker
thread and emits `mapping_changed`, so that the main window runs the check again and shows the new row.

Colours come from the palette (and icons from the style), so the pane reads the same in light and dark themes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.words import size_in_words
from app.net.forge import ForgeClient
from app.net.forge_models import FikaCompatibility, Mod, ModVersion, SourceCodeLink
from app.services.forge_mappings import clear_mapping, set_mapping
from app.services.mod_info import DepNode, ModInfo, dependency_tree, find_forge_mod, fits_spt, load_mod_info
from app.services.mod_library import Library, ModRow, ModStatus
from app.ui.dialogs import TaskKeeper, ask_number, confirm, sentence

log = logging.getLogger(__name__)

PLACEHOLDER = "Select a mod to see its details"
LOADING = "Loading from the Forge…"
MAX_FORGE_ID = 2_147_483_647  # the largest whole number Qt's number box takes
VISIBLE_ROWS = 8  # lists taller than this scroll inside the pane
MAX_FILES_LISTED = 500  # a list of thousands of paths helps nobody and costs time to build

Pixmap = QStyle.StandardPixmap
STATUS_ICONS = {
    ModStatus.DISABLED: Pixmap.SP_MediaPause,
    ModStatus.MISSING_DEPENDENCY: Pixmap.SP_MessageBoxCritical,
    ModStatus.INCOMPATIBLE: Pixmap.SP_MessageBoxCritical,
    ModStatus.BLOCKED: Pixmap.SP_MessageBoxWarning,
    ModStatus.UPDATE: Pixmap.SP_ArrowUp,
    ModStatus.NOT_ON_FORGE: Pixmap.SP_MessageBoxQuestion,
    ModStatus.UP_TO_DATE: Pixmap.SP_DialogApplyButton,
    ModStatus.UNCHECKED: Pixmap.SP_MessageBoxInformation,
}
DEPENDENCY_ICONS = {
    "installed": Pixmap.SP_DialogApplyButton,
    "missing": Pixmap.SP_MessageBoxCritical,
    "conflicting": Pixmap.SP_MessageBoxWarning,
    "disabled": Pixmap.SP_MediaPause,
}
FIKA_WORDS = {
    FikaCompatibility.COMPATIBLE: "Compatible",
    FikaCompatibility.INCOMPATIBLE: "Not compatible",
    FikaCompatibility.UNKNOWN: "Unknown",
}

Opener = Callable[[QUrl], Any]
ForgeProvider = Callable[[], ForgeClient | None]


class Notice(QWidget):
    """A line of words with an icon from the style (a problem, a note), hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        self.hide()

    def say(self, text: str | None, pixmap: QStyle.StandardPixmap = Pixmap.SP_MessageBoxWarning) -> None:
        self.text.setText(text or "")
        self.icon.setPixmap(self.style().standardIcon(pixmap).pixmap(16, 16))
        self.setVisible(bool(text))


class Hint(QLabel):
    """Quieter words (hints, counts) in the palette's own secondary colour, right in light and dark themes; hidden
    while empty, so an empty hint leaves no gap."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setVisible(bool(text))


class ModDetailsPane(QWidget):
    """Details of one installed mod. `show_row(row, library)` fills it; `show_row(None, None)` shows a hint."""

    mapping_changed = Signal()  # a Forge mapping was saved or forgotten: run the check again

    def __init__(self, forge_provider: ForgeProvider, data_dir: DataDir, parent: QWidget | None = None, *,
                 opener: Opener | None = None) -> None:
        super().__init__(parent)
        self.forge_provider = forge_provider
        self.data_dir = data_dir
        self.opener: Opener = opener or QDesktopServices.openUrl
        self.tasks = TaskKeeper()
        self.question: QWidget | None = None  # the dialog open right now (kept alive; tests answer it)
        self._row: ModRow | None = None
        self._library: Library | None = None
        self._load: asyncio.Task[None] | None = None
        self._loading: tuple[str, int] | None = None  # (row key, Forge id) being loaded
        self._info: ModInfo | None = None
        self._info_for: tuple[str, int] | None = None
        self._build()
        self.show_row(None, None)

    # -- building

    def _build(self) -> None:
        self.placeholder = Hint(PLACEHOLDER)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        content = QWidget()
        self.sections = QVBoxLayout(content)
        self._build_header()
        self._build_forge_sections()
        self._build_dependencies()
        self._build_files()
        self._build_links()
        self._build_mapping()
        self.sections.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def _build_header(self) -> None:
        self.name_label = QLabel()
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setWordWrap(True)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.version_label = Hint()
        self.status = Notice()
        self.status.setToolTip("What Kappa found for this mod, most urgent first")
        for widget in (self.name_label, self.version_label, self.status):
            self.sections.addWidget(widget)

    def _build_forge_sections(self) -> None:
        self.sections.addWidget(_heading("Description"))
        self.forge_problem = Notice()
        self.forge_note = Notice()
        self.description_label = QLabel()
        self.description_label.setWordWrap(True)
        self.description_label.setTextFormat(Qt.TextFormat.MarkdownText)  # what the Forge's authors write
        self.description_label.setOpenExternalLinks(False)  # links go through the injectable opener
        self.description_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.description_label.linkActivated.connect(self.open_link)
        for widget in (self.forge_problem, self.forge_note, self.description_label):
            self.sections.addWidget(widget)
        self.sections.addWidget(_heading("Versions on the Forge"))
        self.versions_table = QTableWidget(0, 4)
        self.versions_table.setHorizontalHeaderLabels(["Version", "For SPT", "Published", "Fika"])
        self.versions_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.versions_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.versions_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.versions_table.verticalHeader().hide()
        self.versions_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.versions_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.versions_table.horizontalHeader().setStretchLastSection(True)
        self.versions_table.setAccessibleName("Versions on the Forge")
        self.versions_table.setToolTip("The newest versions on the Forge; the installed one is in bold")
        self.versions_note = Hint()
        self.sections.addWidget(self.versions_table)
        self.sections.addWidget(self.versions_note)

    def _build_dependencies(self) -> None:
        self.sections.addWidget(_heading("Dependencies"))
        self.dependency_tree = QTreeWidget()
        self.dependency_tree.setHeaderLabels(["Mod", "Wants", "Installed", "State"])
        self.dependency_tree.setAccessibleName("Dependencies")
        self.dependency_tree.setToolTip("The mods this one needs, and the mods those need in turn")
        self.dependency_tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.dependency_note = Hint()
        self.sections.addWidget(self.dependency_tree)
        self.sections.addWidget(self.dependency_note)

    def _build_files(self) -> None:
        self.sections.addWidget(_heading("Files"))
        self.files_label = QLabel()
        self.files_list = QListWidget()
        self.files_list.setAccessibleName("Files owned by this mod")
        self.files_list.setToolTip("Paths relative to the SPT folder")
        self.sections.addWidget(self.files_label)
        self.sections.addWidget(self.files_list)

    def _build_links(self) -> None:
        self.sections.addWidget(_heading("Links"))
        self.links_box = QVBoxLayout()
        self.links_note = Hint()
        self.link_buttons: list[QPushButton] = []
        self.sections.addLayout(self.links_box)
        self.sections.addWidget(self.links_note)

    def _build_mapping(self) -> None:
        self.sections.addWidget(_heading("Forge match"))
        self.mapping_label = QLabel()
        self.mapping_label.setWordWrap(True)
        self.mapping_error = Notice()
        self.suggestion_button = QPushButton()
        self.suggestion_button.setToolTip("Remember the mod Kappa found by name as this mod's Forge page")
        self.suggestion_button.clicked.connect(self.use_suggestion)
        self.correct_button = QPushButton("Correct…")
        self.correct_button.setToolTip("Tell Kappa which Forge mod this is, by its Forge id (the number in the "
                                       "address of its Forge page)")
        self.correct_button.clicked.connect(self.correct_mapping)
        self.forget_button = QPushButton("Forget mapping")
        self.forget_button.setToolTip("Let Kappa find this mod on the Forge by GUID and name again")
        self.forget_button.clicked.connect(self.forget_mapping)
        buttons = QHBoxLayout()
        for button in (self.suggestion_button, self.correct_button, self.forget_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.sections.addWidget(self.mapping_label)
        self.sections.addLayout(buttons)
        self.sections.addWidget(self.mapping_error)

    # -- showing a row

    def show_row(self, row: ModRow | None, library: Library | None) -> None:
        """Show `row` (None: the hint to select one). Sections that need the Forge fill in when it answers."""
        self._row, self._library = row, library
        if row is None:
            self._cancel_load()
            self.stack.setCurrentWidget(self.placeholder)
            return
        self.stack.setCurrentWidget(self.scroll)
        self._fill_header(row)
        self._fill_dependencies(row, library)
        self._fill_files(row)
        self._fill_mapping(row)
        self._start_info(row)

    @property
    def row(self) -> ModRow | None:
        return self._row

    def loading(self) -> bool:
        return self._load is not None and not self._load.done()

    def _fill_header(self, row: ModRow) -> None:
        self.name_label.setText(row.name)
        parts = f" · {row.parts}" if row.parts else ""
        self.version_label.setText(f"Version {row.version}{parts}")
        self.version_label.setToolTip("GUID: " + ", ".join(row.guids))
        self.status.say(row.status_detail, STATUS_ICONS.get(row.status, Pixmap.SP_MessageBoxInformation))

    def _fill_dependencies(self, row: ModRow, library: Library | None) -> None:
        self.dependency_tree.clear()
        nodes = dependency_tree(row, library) if library is not None else []
        for node in nodes:
            self.dependency_tree.addTopLevelItem(self._dependency_item(node))
        self.dependency_tree.expandAll()
        _fit_height(self.dependency_tree, sum(_count(node) for node in nodes),
                    self.dependency_tree.header().sizeHint().height())
        self.dependency_tree.setVisible(bool(nodes))
        self.dependency_note.setText("" if nodes else "It needs no other mod.")

    def _dependency_item(self, node: DepNode) -> QTreeWidgetItem:
        wanted = node.constraint if node.constraint not in ("", "*") else "any version"
        state = node.describe()
        if node.cycle:
            state += "; it needs a mod above it in turn (a loop)"
        elif node.cut:
            state += "; its own dependencies are not shown (too deep)"
        item = QTreeWidgetItem([node.name, wanted, node.installed or "—", state])
        icon = Pixmap.SP_BrowserReload if node.cycle else DEPENDENCY_ICONS[node.state]
        item.setIcon(3, self.style().standardIcon(icon))
        item.setData(0, Qt.ItemDataRole.UserRole, node.guid)
        tip = f"{node.guid}, needed by {node.needed_by}"
        for column in range(4):
            item.setToolTip(column, tip)
        for child in node.children:
            item.addChild(self._dependency_item(child))
        return item

    def _fill_files(self, row: ModRow) -> None:
        self.files_list.clear()
        count = len(row.files)
        if not count:
            self.files_label.setText("Its files are in Kappa's disabled store, not in the game." if not row.enabled
                                     else "No file of it was found in the game folder.")
            self.files_list.hide()
            return
        size = f", {size_in_words(row.size) or 'under 1 KiB'}" if row.size is not None else ""
        self.files_label.setText(f"{count} file{'s' if count != 1 else ''}{size}")
        self.files_list.addItems(list(row.files[:MAX_FILES_LISTED]))
        if count > MAX_FILES_LISTED:
            self.files_list.addItem(f"… and {count - MAX_FILES_LISTED} more")
        _fit_height(self.files_list, self.files_list.count())
        self.files_list.show()

    # -- the Forge's part

    def _start_info(self, row: ModRow) -> None:
        forge_id = row.forge_id
        if forge_id is None:
            self._cancel_load()
            self._show_unmatched(row)
            return
        wanted = (row.key, forge_id)
        if self._info is not None and self._info_for == wanted:
            self._fill_info(row, self._info)  # the same mod again (a refreshed library): no new request
            return
        if self.loading() and self._loading == wanted:
            return
        self._cancel_load()
        forge = self.forge_provider()
        if forge is None:
            self._fill_info(row, ModInfo(mod=row.forge_mod, problem="The Forge is not available right now, so "
                                         "the description and versions cannot be shown."))
            return
        self._clear_forge_sections()
        self.description_label.setText(LOADING)
        self._fill_links(row.forge_mod.detail_url if row.forge_mod else None,
                         row.forge_mod.source_code_links if row.forge_mod else None)
        self._loading = wanted
        self._load = self.tasks.spawn(self._load_info(forge, row, wanted), "mod details")

    async def _load_info(self, forge: ForgeClient, row: ModRow, wanted: tuple[str, int]) -> None:
        try:
            info = await load_mod_info(forge, row)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the pane must never raise into Qt
            log.exception("loading the details of %s failed", row.key)
            info = ModInfo(mod=row.forge_mod, problem=f"Loading from the Forge failed unexpectedly ({exc}).")
        current = self._row
        if current is None or (current.key, current.forge_id) != wanted:
            return  # the player moved on; this answer is for a row no longer shown
        if info.problem is None:
            self._info, self._info_for = info, wanted
        self._fill_info(current, info)

    def _cancel_load(self) -> None:
        if self._load is not None and not self._load.done():
            self._load.cancel()
        self._load, self._loading = None, None

    def _clear_forge_sections(self) -> None:
        self.forge_problem.say(None)
        self.forge_note.say(None)
        self.versions_table.setRowCount(0)
        self.versions_table.hide()
        self.versions_note.setText("")

    def _show_unmatched(self, row: ModRow) -> None:
        self._clear_forge_sections()
        self.description_label.setText("Kappa does not know this mod's Forge page, so it has no description or "
                                       "versions to show. If the mod is on the Forge, say which one under "
                                       "Forge match below.")
        self.description_label.show()
        self.versions_note.setText("None known.")
        self._fill_links(None, None)

    def _fill_info(self, row: ModRow, info: ModInfo) -> None:
        self._clear_forge_sections()
        self.forge_problem.say(info.problem)
        self.forge_note.say(info.note, Pixmap.SP_MessageBoxInformation)
        mod = info.mod
        if mod is not None and (mod.description or mod.teaser):
            self.description_label.setText(mod.description or mod.teaser or "")
        elif info.problem:
            self.description_label.setText("")
        else:
            self.description_label.setText("The Forge has no description of this mod.")
        self.description_label.setVisible(bool(self.description_label.text()))
        self._fill_versions(row, info)
        self._fill_links(info.forge_url, info.source_links)
        self._fill_mapping(row)  # the Forge mod's name may be known now

    def _fill_versions(self, row: ModRow, info: ModInfo) -> None:
        versions = info.versions
        self.versions_table.setRowCount(len(versions))
        spt = self._library.scan.install.version if self._library is not None else None
        installed = {row.version, row.checked.forge_version if row.checked else None}
        for index, version in enumerate(versions):
            self._fill_version_row(index, version, spt, version.version in installed)
        self.versions_table.setVisible(bool(versions))
        _fit_height(self.versions_table, len(versions), self.versions_table.horizontalHeader().sizeHint().height())
        if info.total_versions > len(versions):
            self.versions_note.setText(f"The {len(versions)} newest of {info.total_versions} versions; the others "
                                       "are on the Forge page.")
        elif not versions and info.mod is not None and info.problem is None:
            self.versions_note.setText("The Forge shows no version of this mod.")

    def _fill_version_row(self, index: int, version: ModVersion, spt: str | None, is_installed: bool) -> None:
        published = version.published_at.date().isoformat() if version.published_at else ""
        fika = FIKA_WORDS.get(version.fika_compatibility or FikaCompatibility.UNKNOWN, "Unknown")
        cells = [QTableWidgetItem(text) for text in (version.version, version.spt_version_constraint
                                                     or "(legacy: names no SPT)", published, fika)]
        fits = fits_spt(version, spt)
        if fits:
            cells[1].setIcon(self.style().standardIcon(Pixmap.SP_DialogApplyButton))
        tip = _version_tip(version, spt, fits, is_installed)
        for column, cell in enumerate(cells):
            cell.setToolTip(tip)
            if is_installed:
                font = cell.font()
                font.setBold(True)
                cell.setFont(font)
            self.versions_table.setItem(index, column, cell)

    # -- links

    def _fill_links(self, forge_url: str | None, sources: Iterable[SourceCodeLink] | None) -> None:
        for button in self.link_buttons:
            self.links_box.removeWidget(button)
            button.hide()  # deleteLater waits for the event loop; a removed button must not linger meanwhile
            button.deleteLater()
        self.link_buttons = []
        if forge_url:
            self._add_link("Open the Forge page", forge_url)
        for link in sources or ():
            self._add_link(f"Source code: {link.label or _host(link.url)}", link.url)
        self.links_note.setText("" if self.link_buttons else "No links are known for this mod.")

    def _add_link(self, text: str, url: str) -> None:
        button = QPushButton(text)
        button.setToolTip(url)
        button.setProperty("url", url)
        button.clicked.connect(lambda: self.open_link(url))
        self.links_box.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        self.link_buttons.append(button)

    def open_link(self, url: str) -> None:
        """Open a web link in the browser; anything else (file:, javascript:) a Forge page may carry is refused."""
        target = QUrl(url)
        if target.scheme().lower() not in ("http", "https") or not target.host():
            self.forge_problem.say(f"Kappa opens only web links; {url!r} is not one.")
            return
        self.opener(target)

    # -- the Forge match

    def _fill_mapping(self, row: ModRow) -> None:
        checked = row.checked
        self.mapping_error.say(None)
        suggestion = checked.suggestion if checked is not None and checked.forge_id is None else None
        self._mapping_buttons(row)
        if checked is None:
            self.mapping_label.setText("Not checked against the Forge yet." if self._report_missing()
                                       else "Not found on the Forge: no mod there has its GUID or a similar name.")
        elif checked.forge_id is None:
            text = "Not found on the Forge: no mod there has its GUID."
            if suggestion is not None:
                candidate = suggestion.candidate
                text += (f" Perhaps it is “{candidate.name}” (Forge id {candidate.forge_id}, "
                         f"{_percent(suggestion.confidence)} alike by name).")
            self.mapping_label.setText(text)
        else:
            self.mapping_label.setText(f"{_matched_words(checked.matched_by, checked.confidence)}: "
                                       f"{self._forge_name(row)} (Forge id {checked.forge_id}).")
        if suggestion is not None:
            self.suggestion_button.setText(f"Use “{suggestion.candidate.name}”…")

    def _mapping_buttons(self, row: ModRow) -> None:
        checked = row.checked
        by_mapping = checked is not None and checked.matched_by == "mapping"
        self.forget_button.setVisible(by_mapping)
        self.suggestion_button.setVisible(checked is not None and checked.forge_id is None
                                          and checked.suggestion is not None)
        self.correct_button.setEnabled(True)

    def _report_missing(self) -> bool:
        return self._library is None or self._library.report is None

    def _forge_name(self, row: ModRow) -> str:
        mod: Mod | None = self._info.mod if self._info is not None and self._info_for == (row.key, row.forge_id) \
            else row.forge_mod
        return f"“{mod.name}”" if mod is not None and mod.name else "a Forge mod"

    def correct_mapping(self) -> None:
        """Ask for the Forge id of the shown mod (non-modal), then check and save it."""
        row = self._row
        if row is None:
            return
        checked = row.checked
        start = row.forge_id or (checked.suggestion.candidate.forge_id if checked and checked.suggestion else 1)
        self.question = ask_number(self, "Correct the Forge match",
                                   f"Forge mod id of {row.name}\n(the number in the address of its Forge page):",
                                   lambda forge_id: self._spawn_save(row, forge_id), value=start, minimum=1,
                                   maximum=MAX_FORGE_ID)

    def use_suggestion(self) -> None:
        """Confirm the mod Kappa found by name, then save it."""
        row = self._row
        if row is None or row.checked is None or row.checked.suggestion is None:
            return
        match = row.checked.suggestion
        self.question = confirm(
            self, "Use the suggested Forge mod",
            f"Is {row.name} the Forge mod “{match.candidate.name}” (Forge id {match.candidate.forge_id})?",
            lambda: self._spawn_save(row, match.candidate.forge_id), yes_text="Yes, use it",
            details=f"Kappa found it by name only ({_percent(match.confidence)} alike). It will remember this "
                    "for every GUID of the mod and check it again.")

    def forget_mapping(self) -> None:
        row = self._row
        if row is not None:
            self.tasks.spawn(self._forget(row), "forget mapping")

    def _spawn_save(self, row: ModRow, forge_id: int) -> None:
        self.tasks.spawn(self._save(row, forge_id), "save mapping")

    async def _save(self, row: ModRow, forge_id: int) -> None:
        self._mapping_busy(True)
        try:
            note = await self._verify(forge_id)
            await asyncio.to_thread(set_mapping, self.data_dir, row.guids, forge_id)
        except KappaError as exc:
            self._mapping_failed(row, f"{sentence(str(exc))} The Forge match was not changed.")
            return
        except OSError as exc:
            self._mapping_failed(row, f"The mapping could not be saved: {exc.strerror or exc}.")
            return
        finally:
            self._mapping_busy(False)
        if self._is_shown(row):
            self.mapping_label.setText(f"Saved: {row.name} is Forge mod {forge_id} from now on.{note} "
                                       "Checking again…")
            self.forget_button.hide()
            self.suggestion_button.hide()
        self.mapping_changed.emit()

    async def _verify(self, forge_id: int) -> str:
        """Refuse an id the Forge does not know; when the Forge cannot be asked, save it anyway but say so:
        the player may know better than an unreachable server."""
        unchecked = " (The Forge could not be asked whether that id exists.)"
        forge = self.forge_provider()
        if forge is None:
            return unchecked
        try:
            mod = await find_forge_mod(forge, forge_id)
        except KappaError:
            return unchecked
        if mod is None:
            raise KappaError(f"the Forge has no public mod with id {forge_id}")
        return f" (“{mod.name}” on the Forge.)" if mod.name else ""

    async def _forget(self, row: ModRow) -> None:
        self._mapping_busy(True)
        try:
            await asyncio.to_thread(clear_mapping, self.data_dir, row.guids)
        except (KappaError, OSError) as exc:
            self._mapping_failed(row, f"The mapping could not be forgotten: {exc}.")
            return
        finally:
            self._mapping_busy(False)
        if self._is_shown(row):
            self.mapping_label.setText(f"Forgot the mapping of {row.name}. Checking again…")
            self.forget_button.hide()
        self.mapping_changed.emit()

    def _mapping_busy(self, busy: bool) -> None:
        for button in (self.correct_button, self.suggestion_button, self.forget_button):
            button.setEnabled(not busy)

    def _mapping_failed(self, row: ModRow, text: str) -> None:
        if self._is_shown(row):  # the player may have moved to another mod while the Forge was asked
            self.mapping_error.say(text)

    def _is_shown(self, row: ModRow) -> bool:
        return self._row is not None and self._row.key == row.key

    def closeEvent(self, event: Any) -> None:
        self.tasks.cancel_all()
        super().closeEvent(event)


# -- helpers

def _fit_height(view: QAbstractItemView, rows: int, header: int = 0) -> None:
    """Make a list, table or tree as tall as its rows (up to VISIBLE_ROWS; it scrolls beyond), so that short lists
    leave no empty box and the pane's own scroll bar does the scrolling."""
    row = view.rowHeight(0) if isinstance(view, QTableView) and rows else view.sizeHintForRow(0) if rows else 0
    if row <= 0:
        row = view.fontMetrics().height() + 8
    view.setFixedHeight(header + min(max(rows, 1), VISIBLE_ROWS) * row + 2 * view.frameWidth() + 2)


def _count(node: DepNode) -> int:
    return 1 + sum(_count(child) for child in node.children)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setContentsMargins(0, 8, 0, 0)
    return label


def _matched_words(matched_by: str, confidence: float | None) -> str:
    if matched_by == "mapping":
        return "Matched on the Forge by your mapping"
    if matched_by == "name":
        return f"Matched on the Forge by name ({_percent(confidence)})" if confidence is not None \
            else "Matched on the Forge by name"
    return "Matched on the Forge by GUID"


def _percent(value: float | None) -> str:
    return f"{round((value or 0) * 100)} %"


def _host(url: str) -> str:
    return QUrl(url).host() or url


def _version_tip(version: ModVersion, spt: str | None, fits: bool | None, is_installed: bool) -> str:
    lines = []
    if is_installed:
        lines.append("The installed version.")
    if fits:
        lines.append(f"Made for SPT {spt}, the installed one.")
    elif fits is False:
        lines.append(f"Not made for SPT {spt}.")
    if version.content_length:
        lines.append(f"Download: {size_in_words(version.content_length)}.")
    needs = [f"{d.mod_name or d.mod_guid} {d.version_constraint or ''}".strip()
             for d in version.dependencies or [] if not d.is_optional]
    if needs:
        lines.append("Needs " + ", ".join(needs) + ".")
    return "\n".join(lines) or version.version
