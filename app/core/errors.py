"""The one base class for errors that reach the user as a message (exit code 1, a status line, a dialog)."""


class KappaError(Exception):
    """An error whose message is written for a player, not a developer: it is shown as is."""
