"""Fixtures that start sandbox servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.sandbox.forge import LocalForge


@pytest.fixture(scope="session")
def forge_archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One archive directory per test session: the first Forge builds the archives, later ones reuse them."""
    return tmp_path_factory.mktemp("forge-archives")


@pytest.fixture(scope="module")
def shared_forge(forge_archive_dir: Path) -> Iterator[LocalForge]:
    """A local Forge shared by a module's read-only tests (no rate limit); never change its state."""
    with LocalForge(rate_limit=None, archive_dir=forge_archive_dir) as forge:
        yield forge


@pytest.fixture
def local_forge(forge_archive_dir: Path) -> Iterator[LocalForge]:
    """A fresh local Forge (its own state) without the edge rate limit; tests that want one set it."""
    with LocalForge(rate_limit=None, archive_dir=forge_archive_dir) as forge:
        yield forge
