"""Kappa's light and dark themes, following the operating system on request, and the colours of status chips.

Every theme uses the Fusion style: it draws the same on every platform and takes a palette fully, where native
styles (macOS, Windows 11) ignore parts of a dark palette or follow the OS whatever the player chose. "system"
resolves to light or dark from `QStyleHints.colorScheme()` and follows live changes; a platform that cannot tell
(Unknown, e.g. offscreen or older Linux desktops) gets light.

High DPI needs nothing here: Qt 6 scales by the screen's factor on its own. Icons must stay vector or standard
(QStyle.StandardPixmap, SVG) so they are sharp at 150 % and 200 %.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QStyleFactory, QWidget

Scheme = Literal["light", "dark"]
THEMES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))
_STATE_NAME = "kappa-theme-state"

_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup

# A dark palette whose every pair passes WCAG AA (4.5:1) for text: text on base/window/button, white on the
# highlight, links on base. Disabled text stays readable (about 3:1) while clearly greyed.
_DARK: dict[_Role, str] = {
    _Role.Window: "#2b2b2e",
    _Role.WindowText: "#e8e8ea",
    _Role.Base: "#1e1e20",
    _Role.AlternateBase: "#26262a",
    _Role.ToolTipBase: "#3a3a3f",
    _Role.ToolTipText: "#f2f2f2",
    _Role.PlaceholderText: "#9a9aa0",
    _Role.Text: "#e8e8ea",
    _Role.Button: "#36363b",
    _Role.ButtonText: "#e8e8ea",
    _Role.BrightText: "#ff8a80",
    _Role.Light: "#4a4a50",
    _Role.Midlight: "#404045",
    _Role.Mid: "#303034",
    _Role.Dark: "#1a1a1c",
    _Role.Shadow: "#000000",
    _Role.Highlight: "#2d6bb3",
    _Role.HighlightedText: "#ffffff",
    _Role.Link: "#7ab8ff",
    _Role.LinkVisited: "#c3a1ff",
}
_DARK_DISABLED: dict[_Role, str] = {
    _Role.WindowText: "#85858b",
    _Role.Text: "#85858b",
    _Role.ButtonText: "#85858b",
    _Role.Highlight: "#46464c",
    _Role.HighlightedText: "#b0b0b5",
    _Role.PlaceholderText: "#6e6e74",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    if hasattr(_Role, "Accent"):  # Qt 6.6+: some widgets draw their accents from it
        palette.setColor(_Role.Accent, QColor(_DARK[_Role.Highlight]))
    for role, colour in _DARK_DISABLED.items():
        palette.setColor(_Group.Disabled, role, QColor(colour))
    return palette


def light_palette() -> QPalette:
    style = QStyleFactory.create("Fusion")
    palette = style.standardPalette()
    palette.setColor(_Role.Link, QColor("#0b57c2"))  # Fusion's default blue is a little faint on white
    return palette


class _ThemeState(QObject):
    """Which theme the player chose; a child of the application, so there is one per app and it lives as long."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName(_STATE_NAME)
        self.theme = "system"
        app.styleHints().colorSchemeChanged.connect(self._system_changed)

    def _system_changed(self, scheme: Qt.ColorScheme) -> None:
        app = QApplication.instance()
        if self.theme == "system" and isinstance(app, QApplication):
            _apply_scheme(app, _scheme_of(scheme))


def apply_theme(app: QApplication, theme: str) -> None:
    """Apply "light", "dark" or "system" (anything else counts as "system") to the whole application."""
    state = app.findChild(_ThemeState, _STATE_NAME) or _ThemeState(app)
    state.theme = theme if theme in ("light", "dark") else "system"
    _tell_qt(app, state.theme)
    scheme: Scheme = state.theme if state.theme != "system" else system_scheme(app)  # type: ignore[assignment]
    _apply_scheme(app, scheme)


def system_scheme(app: QApplication) -> Scheme:
    return _scheme_of(app.styleHints().colorScheme())


def current_scheme(app: QApplication | None = None) -> Scheme:
    """Whether the application (default: the running one) looks light or dark now, read from its palette so it is
    true whoever set it."""
    running = app if app is not None else QApplication.instance()
    if not isinstance(running, QApplication):
        return "light"
    return "dark" if running.palette().color(_Role.Window).lightness() < 128 else "light"


def _apply_scheme(app: QApplication, scheme: Scheme) -> None:
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(dark_palette() if scheme == "dark" else light_palette())


def _tell_qt(app: QApplication, theme: str) -> None:
    """Qt 6.8+ can be told the scheme (window title bars follow it); "system" hands the choice back to the OS."""
    hints: Any = app.styleHints()
    if not hasattr(hints, "setColorScheme"):
        return
    if theme != "system":
        hints.setColorScheme(Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light)
    elif hasattr(hints, "unsetColorScheme"):
        hints.unsetColorScheme()
    else:
        hints.setColorScheme(Qt.ColorScheme.Unknown)


def _scheme_of(scheme: Qt.ColorScheme) -> Scheme:
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


# -- colours with a meaning

# Status chip colours, as (background, text) per scheme: each pair is at least 4.5:1, and the dark scheme uses deep
# backgrounds with light text so a chip does not glare from a dark table.
_STATUS: dict[str, dict[Scheme, tuple[str, str]]] = {
    "update": {"light": ("#d7e8ff", "#0a3d7a"), "dark": ("#1d3f6b", "#d4e6ff")},
    "blocked": {"light": ("#ffd9d6", "#8a1005"), "dark": ("#6b1f1a", "#ffd6d1")},
    "incompatible": {"light": ("#ffe4c7", "#7a3a00"), "dark": ("#6b3a12", "#ffe2c4")},
    "missing": {"light": ("#fff1b8", "#6b4e00"), "dark": ("#5c4a0f", "#fff0b8")},
    "not_on_forge": {"light": ("#ece6f5", "#4a3470"), "dark": ("#3d3352", "#e6dcf7")},
    "disabled": {"light": ("#e6e6e6", "#4a4a4a"), "dark": ("#3a3a3e", "#c8c8cc")},
    "up_to_date": {"light": ("#d9f2dd", "#1b5e20"), "dark": ("#1f4d2a", "#d2f2d8")},
    "unchecked": {"light": ("#eef0f2", "#4b5560"), "dark": ("#33373c", "#c9d0d8")},
}
_STATUS["missing_dependency"] = _STATUS["missing"]  # ModStatus.MISSING_DEPENDENCY's value
_ERROR_TEXT: dict[Scheme, str] = {"light": "#b00020", "dark": "#ff8a80"}


@functools.cache
def status_colors(scheme: Scheme) -> dict[str, tuple[QColor, QColor]]:
    """(background, text) for every mod status (keys are ModStatus values), readable in `scheme`. Cached: the
    table's delegate asks on every paint of every chip."""
    return {status: (QColor(pair[scheme][0]), QColor(pair[scheme][1])) for status, pair in _STATUS.items()}


def error_color(scheme: Scheme) -> QColor:
    return QColor(_ERROR_TEXT[scheme])


class ErrorLabel(QLabel):
    """A wrapped line of error words in a red readable on the current theme (it recolours when the theme changes);
    hidden while it has nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._recolour()
        self.hide()

    def show_error(self, text: str) -> None:
        self.setText(text)
        self._recolour()  # a hidden label is not told about palette changes
        self.setVisible(bool(text))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # A widget with a style sheet may not get PaletteChange when the application's palette changes, so the
        # application-wide event counts too.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._recolour()

    def _recolour(self) -> None:
        colour = error_color(current_scheme()).name()
        if self.styleSheet() != f"color: {colour};":
            self.setStyleSheet(f"color: {colour};")
