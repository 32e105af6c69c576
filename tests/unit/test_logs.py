"""The log file: in the data dir, rotated, and never holding a secret, whichever way a secret reaches a log call."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest

from app.cli import main
from app.core import logs
from app.core.data_dir import DataDir
from app.core.logs import REDACTED, configure_logging, log_path, redact, register_secret, reset_logging
from app.core.secrets import FORGE_TOKEN, get_secret, set_secret
from tests.conftest import MemoryKeyring

log = logging.getLogger("app.tests.logs")


def _written(data_dir: DataDir) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return log_path(data_dir).read_text(encoding="utf-8")


def _kappa_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, logs.KappaFileHandler)]


def test_logs_go_to_a_file_in_the_data_dir_with_time_level_and_logger(data_dir: DataDir) -> None:
    path = configure_logging(data_dir)
    log.info("scanned %d mods", 12)
    log.debug("not at the default level")

    assert path == data_dir.root / "logs" / "kappa.log" == log_path(data_dir)
    line = _written(data_dir).strip().splitlines()[-1]
    assert line.endswith("INFO    app.tests.logs: scanned 12 mods")
    assert line[:4].isdigit()  # the time comes first
    assert "not at the default level" not in _written(data_dir)


def test_verbose_logs_debug_detail(data_dir: DataDir) -> None:
    configure_logging(data_dir, verbose=True)
    log.debug("detail %s", "here")
    assert "DEBUG   app.tests.logs: detail here" in _written(data_dir)


def test_configuring_twice_adds_no_second_handler_and_reset_removes_it(data_dir: DataDir, tmp_path: Path) -> None:
    root_level = logging.getLogger().level
    configure_logging(data_dir)
    configure_logging(data_dir, verbose=True)
    assert len(_kappa_handlers()) == 1
    log.info("once")
    assert _written(data_dir).count("once") == 1

    other = DataDir.at(tmp_path / "other")
    configure_logging(other)  # another data dir replaces the file, still one handler
    assert len(_kappa_handlers()) == 1
    assert logs.active_log_path() == log_path(other)

    reset_logging()
    assert _kappa_handlers() == [] and logs.active_log_path() is None
    assert logging.getLogger().level == root_level
    log.warning("after the reset")
    assert "after the reset" not in log_path(other).read_text(encoding="utf-8")


def test_the_file_rotates_and_keeps_five_old_files(data_dir: DataDir, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    configure_logging(data_dir)
    for number in range(400):
        log.info("line %04d %s", number, "x" * 40)

    folder = log_path(data_dir).parent
    names = sorted(path.name for path in folder.iterdir())
    assert names == ["kappa.log", *(f"kappa.log.{n}" for n in range(1, 6))]
    assert all(path.stat().st_size <= 2_000 for path in folder.iterdir())
    assert "line 0399" in _written(data_dir)


def test_a_registered_secret_never_reaches_the_file(data_dir: DataDir) -> None:
    secret = "s3cret|forge+token"
    register_secret(secret)
    configure_logging(data_dir)

    log.info("the value is %s", secret)  # a %-argument
    log.warning(f"inline {secret}")  # already in the message
    log.info("in a dict %r", {"nested": [secret]})
    log.info("url-encoded %s", "https://forge.example/x?q=" + quote(secret, safe=""))
    try:
        raise RuntimeError(f"the server refused {secret}")
    except RuntimeError:
        log.exception("request failed")  # in the traceback

    text = _written(data_dir)
    assert secret not in text and quote(secret, safe="") not in text and "forge+token" not in text
    assert text.count(REDACTED) == 5
    assert "RuntimeError: the server refused [redacted]" in text
    assert "Traceback (most recent call last)" in text  # the traceback is kept, redacted


@pytest.mark.parametrize("line", [
    "Authorization: Bearer abcdef123456|ghijkl",
    "headers={'Authorization': 'Bearer abcdef123456|ghijkl'}",
    "sent bearer abcdef123456|ghijkl to the Forge",
    "GET https://forge.example/api/v0/mods?api_key=abcdef123456|ghijkl&page=2",
    "GET https://forge.example/api/v0/mods?apiKey=abcdef123456|ghijkl",
    "POST /login token=abcdef123456|ghijkl",
    "POST /login password=abcdef123456|ghijkl",
    '{"token": "abcdef123456|ghijkl", "name": "SAIN"}',
    "{'apiKey': 'abcdef123456|ghijkl'}",
    'fika.jsonc: apiKey: "abcdef123456|ghijkl"',
    "X-Api-Key: abcdef123456|ghijkl",
    "Fika-Key: abcdef123456|ghijkl",
    "ForgeSession(token='abcdef123456|ghijkl')",
    "https://admin:abcdef123456|ghijkl@192.168.1.20:6969/fika",
])
def test_credential_shapes_are_redacted_without_being_registered(data_dir: DataDir, line: str) -> None:
    configure_logging(data_dir)
    log.info("%s", line)
    try:
        raise ValueError(line)
    except ValueError:
        log.error("failed", exc_info=True)

    text = _written(data_dir)
    assert "abcdef123456" not in text and "ghijkl" not in text
    assert REDACTED in text


def test_ordinary_words_are_left_alone() -> None:
    for line in ("the Forge token is wrong: set a new one in the settings",
                 "app.net.forge.ForgeTokenError: the Forge refused the token",
                 "installed SAIN 3.2.0 (12 files) into https://sp-mod.com/mod/123",
                 "key=value pairs are fine when the key is not a secret"):
        assert redact(line) == line


def test_short_values_are_not_registered_so_words_stay() -> None:
    register_secret("abc")
    register_secret("")
    register_secret(None)
    assert redact("abc is a word") == "abc is a word"


def test_warnings_are_captured_and_redacted(data_dir: DataDir) -> None:
    register_secret("warned-secret-value")
    configure_logging(data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("deprecated call with warned-secret-value", DeprecationWarning, stacklevel=1)
    text = _written(data_dir)
    assert "py.warnings" in text and "deprecated call with [redacted]" in text
    assert "warned-secret-value" not in text


def test_the_keyring_registers_what_it_reads_and_writes(data_dir: DataDir, memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password("Kappa", FORGE_TOKEN, "read-from-keyring-123")
    configure_logging(data_dir)
    assert get_secret(FORGE_TOKEN) == "read-from-keyring-123"
    set_secret("server:Home", "written-server-key-456")
    log.error("refused read-from-keyring-123 and written-server-key-456")

    text = _written(data_dir)
    assert "read-from-keyring-123" not in text and "written-server-key-456" not in text
    assert "refused [redacted] and [redacted]" in text


def test_every_command_logs_to_the_data_dir_and_leaves_no_handler(data_dir: DataDir, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--spt", str(tmp_path / "missing"), "--data-dir", str(data_dir.root), "--verbose"])

    assert code == 1
    assert "does not exist" in capsys.readouterr().err
    text = log_path(data_dir).read_text(encoding="utf-8")
    assert "kappa 0.1.0 started: app.cli.scan.run" in text and "does not exist" in text
    assert _kappa_handlers() == []  # main() closed its log when it returned


def test_a_data_dir_that_cannot_hold_logs_costs_only_the_log_file(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    blocked = tmp_path / "data"
    blocked.mkdir()
    (blocked / "logs").write_text("a file where the log folder should be", encoding="utf-8")

    code = main(["scan", "--spt", str(tmp_path / "missing"), "--data-dir", str(blocked)])

    err = capsys.readouterr().err
    assert code == 1  # the command ran (and failed for its own reason)
    assert "warning: cannot write the log file" in err and "going on without one" in err
    assert "does not exist" in err
    with pytest.raises(OSError):
        configure_logging(DataDir.at(blocked))
    assert _kappa_handlers() == []
