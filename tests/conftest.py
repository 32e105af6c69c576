"""Shared fixtures. Every test works in a temp dir; nothing writes to the real data dir."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from keyring.backend import KeyringBackend

from app.core.data_dir import DataDir
from app.core.logs import reset_logging
from app.sandbox.sample_install import create_sample_install

# Tests write only to temp dirs: no example database, and Hypothesis's own cache in a temp dir.
settings.register_profile("kappa", database=None)
settings.load_profile("kappa")
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="kappa-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_HYPOTHESIS_HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point HOME and the XDG folders at a temp dir, so that no default path can reach the real user's."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))


class MemoryKeyring(KeyringBackend):
    """Tests never touch the real OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError(username)
        del self.store[(service, username)]


@pytest.fixture(autouse=True)
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture(autouse=True)
def _no_kappa_logging_left() -> Iterator[None]:
    """Kappa's log handler is process-wide: no test may leave one (or its redaction secrets) to the next."""
    reset_logging()
    yield
    reset_logging()


@pytest.fixture
def data_dir(tmp_path: Path) -> DataDir:
    return DataDir.at(tmp_path / "kappa-data")


@pytest.fixture(params=["3.x", "4.0", "4.1"])
def sample_install(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    layout: str = request.param
    return layout, create_sample_install(tmp_path / f"SPT-{layout}", layout)
