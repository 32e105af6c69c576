"""The project's own promises: the README's set-up lines and what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.startswith("    ") and "python3 -m venv" in line]


def test_readme_has_exactly_two_setup_lines() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("kappa --demo")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_line() -> None:
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [line.strip() for line in ci_script.splitlines() if "python3 -m venv" in line]
    assert ci_commands == [_readme_commands()[1]]
    assert re.search(r"^set -euo pipefail$", ci_script, re.MULTILINE), "a failing pytest (exit 5 too) must fail CI"
