"""The README's start line: `kappa --demo` opens the window on a fresh sample install, without SPT or network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_starts_scans_and_quits_in_smoke_test_mode(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    completed = subprocess.run(
        [sys.executable, "-m", "app", "--demo", "--smoke-test", "--data-dir", str(data)],
        capture_output=True, text=True, timeout=120, env=env, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "kappa smoke test: window open, 12 mods listed" in completed.stdout
    # the demo's Fika server answers at once (its certificate came from the install); the dedicated one waits for
    # the user to trust its certificate
    assert "kappa smoke test: 2 servers, answering: Fika (demo)" in completed.stdout
    # what the app imports only when needed loads (a frozen build's usual gap), and the scan's workers start
    assert "kappa smoke test: lazy imports ok (" in completed.stdout
    assert "kappa smoke test: image formats and scan worker processes ok" in completed.stdout
    assert "Traceback" not in completed.stderr
    assert (data / "demo" / "SPT-4.0" / "SPT" / "SPTarkov.Server.Core.dll").is_file()
    assert (data / "demo" / "state" / "cache" / "scan.json").is_file()  # the demo keeps its own state


def test_without_an_install_the_app_falls_back_to_the_demo(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    completed = subprocess.run(
        [sys.executable, "-m", "app", "--smoke-test", "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "12 mods listed" in completed.stdout


def test_a_wrong_spt_path_is_refused_in_words(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    completed = subprocess.run(
        [sys.executable, "-m", "app", "--smoke-test", "--spt", str(tmp_path), "--data-dir", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=120, env=env, check=False)
    assert completed.returncode == 1
    assert "is not inside an SPT install" in completed.stderr and "Traceback" not in completed.stderr
