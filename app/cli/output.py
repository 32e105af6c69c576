"""What every command shares: exit codes and plain-text tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from app.core.errors import KappaError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNSATISFIABLE = 0, 1, 2, 3


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns separated by two spaces, no trailing blanks."""
    all_rows = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in all_rows]


def print_json(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


def confirm(question: str, assume_yes: bool) -> bool:
    """Ask a yes/no question on the terminal; --yes answers it. Without a terminal there is nobody to ask."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise KappaError(f"{question.rstrip('?')}? Nobody can answer here: add --yes to go ahead")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def warn(message: str) -> None:
    print(f"kappa: {message}", file=sys.stderr)
