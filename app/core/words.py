"""Numbers as a player reads them: sizes, ages and durations. One wording for the CLI, the panels and the GUI."""

from __future__ import annotations


def size_in_words(length: int | None) -> str:
    """"3.2 MiB", "640 KiB"; "" for nothing or an unknown size."""
    if not length:
        return ""
    return f"{length / 1024 / 1024:.1f} MiB" if length >= 1024 * 1024 else f"{length / 1024:.0f} KiB"


def age_in_words(seconds: float) -> str:
    """How old something is, roughly: "less than a minute", "12 min", "5 h", "3 days"."""
    minutes = seconds / 60
    if minutes < 1:
        return "less than a minute"
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def seconds_in_words(seconds: float) -> str:
    """An age or a duration as a status line says it: "7 s", "2 min", "3 h 05 min"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
