"""`kappa servers | fika | dedicated` against the Fika and dedicated-server emulators, over TLS on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.core.cert_pins import format_fingerprint
from app.sandbox.certificates import make_self_signed
from app.sandbox.dedicated import DedicatedServerEmulator
from app.sandbox.demo_servers import write_local_fika_config
from app.sandbox.fika import FikaEmulator
from app.sandbox.sample_install import create_sample_install

FIKA_KEY = "test-fika-key-0123456789"
TOKEN = "test-dedicated-token"


@pytest.fixture
def fika() -> Iterator[FikaEmulator]:
    with FikaEmulator(api_key=FIKA_KEY, seed=7) as emulator:
        yield emulator


@pytest.fixture
def dedicated() -> Iterator[DedicatedServerEmulator]:
    with DedicatedServerEmulator(token=TOKEN, seed=7) as emulator:
        yield emulator


class Kappa:
    def __init__(self, capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
        self.capsys = capsys
        self.data_dir = data_dir

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = main([*args, "--data-dir", str(self.data_dir)])
        captured = self.capsys.readouterr()
        assert "Traceback" not in captured.err
        return code, captured.out, captured.err

    def json(self, *args: str, expect: int = 0) -> Any:
        code, out, err = self(*args, "--json")
        assert code == expect, err
        return json.loads(out)

    def status(self, name: str, expect: int = 0) -> dict[str, Any]:
        (entry,) = self.json("servers", "status", name, expect=expect)["servers"]
        return entry


@pytest.fixture
def kappa(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Kappa:
    return Kappa(capsys, tmp_path / "data")


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def trusted_fika(kappa: Kappa, fika: FikaEmulator, name: str = "Group") -> None:
    assert kappa("servers", "add", name, "--kind", "fika", "--url", fika.base_url, "--key", FIKA_KEY)[0] == 0
    assert kappa("servers", "trust", name, "--fingerprint", fika.certificate.sha256)[0] == 0


def test_a_local_fika_server_is_added_in_one_step_and_shows_raids_players_and_headless(
        kappa: Kappa, fika: FikaEmulator, tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    write_local_fika_config(root / "SPT", port_of(fika.base_url), FIKA_KEY, fika.certificate)
    code, out, _ = kappa("servers", "add", "Home", "--from-spt", str(root))
    assert code == 0 and format_fingerprint(fika.certificate.sha256) in out

    status = kappa.status("Home")  # no trust step: the certificate came from the install itself
    assert status["reachable"] is True and status["error"] is None
    assert status["kind"] == "fika" and status["url"] == fika.base_url
    assert {"raids", "players", "headless"} <= status.keys()
    assert all(player["location_name"] for player in status["players"])
    assert "apiKey" not in (tmp_path / "data" / "settings.json").read_text()
    assert FIKA_KEY not in (tmp_path / "data" / "settings.json").read_text()


def test_first_contact_asks_for_trust_and_a_wrong_fingerprint_pins_nothing(
        kappa: Kappa, fika: FikaEmulator) -> None:
    kappa("servers", "add", "Group", "--kind", "fika", "--url", fika.base_url, "--key", FIKA_KEY)
    status = kappa.status("Group", expect=1)
    assert status["reachable"] is False and "players" not in status
    assert "not been told to trust it" in status["error"]
    assert format_fingerprint(fika.certificate.sha256) in status["error"]

    code, _, err = kappa("servers", "trust", "Group", "--fingerprint", "AA:" * 31 + "AA")
    assert code == 1 and "nothing was pinned" in err
    assert kappa.status("Group", expect=1)["reachable"] is False

    code, out, _ = kappa("servers", "trust", "Group", "--fingerprint", format_fingerprint(fika.certificate.sha256))
    assert code == 0 and "Pinned" in out
    assert kappa.status("Group")["reachable"] is True


def test_a_changed_certificate_is_refused_with_a_warning_until_trusted_again(
        kappa: Kappa, fika: FikaEmulator) -> None:
    trusted_fika(kappa, fika)
    assert kappa.status("Group")["reachable"] is True
    impostor = make_self_signed()
    fika.replace_certificate(impostor)

    status = kappa.status("Group", expect=1)
    assert status["reachable"] is False and "raids" not in status
    assert "different certificate" in status["error"]
    assert format_fingerprint(impostor.sha256) in status["error"]
    code, _, err = kappa("fika", "profiles")
    assert code == 1 and "different certificate" in err  # actions are refused too, and nothing is sent

    kappa("servers", "trust", "Group", "--fingerprint", impostor.sha256)
    assert kappa.status("Group")["reachable"] is True


def test_wrong_key_and_missing_key_are_explained(kappa: Kappa, fika: FikaEmulator) -> None:
    trusted_fika(kappa, fika)
    kappa("servers", "add", "Nokey", "--kind", "fika", "--url", fika.base_url)
    kappa("servers", "trust", "Nokey")
    kappa("servers", "add", "Wrong", "--kind", "fika", "--url", fika.base_url, "--key", "nope")
    kappa("servers", "trust", "Wrong")
    assert "API key" in kappa.status("Nokey", expect=1)["error"]
    wrong = kappa.status("Wrong", expect=1)
    assert wrong["reachable"] is True and "wrong" in wrong["error"].lower()


def test_a_server_that_goes_down_is_unreachable_then_back(kappa: Kappa, fika: FikaEmulator) -> None:
    trusted_fika(kappa, fika)
    fika.stop()
    status = kappa.status("Group", expect=1)
    assert status["reachable"] is False and "connection refused" in status["error"]
    fika.start()
    assert kappa.status("Group")["reachable"] is True


def test_fika_admin_actions_act_on_players_by_nickname(kappa: Kappa, fika: FikaEmulator) -> None:
    trusted_fika(kappa, fika)
    profiles = kappa.json("fika", "profiles")["profiles"]
    target = profiles[0]
    nickname, profile_id = target["nickname"], target["profile_id"]

    code, _, err = kappa("fika", "message", nickname, "hello")  # no terminal and no --yes: nothing is done
    assert code == 1 and "--yes" in err and fika.messages == []

    assert kappa("fika", "message", nickname, "gg", "--yes")[0] == 0
    assert [(m["profileId"], m["message"]) for m in fika.messages] == [(profile_id, "gg")]

    items = kappa.json("fika", "items", "salewa")["items"]
    assert items and all("salewa" in item["name"].lower() for item in items)
    assert kappa("fika", "send-item", nickname, items[0]["tpl"], "--amount", "3", "--fir", "--yes")[0] == 0
    sent = fika.sent_items[-1]
    assert sent["itemTpl"] == items[0]["tpl"] and sent["amount"] == 3 and sent["fir"] is True

    assert kappa("fika", "send-item-all", items[0]["tpl"], "--yes")[0] == 0
    headless = set(fika.headless_ids)
    assert headless and set(fika.sent_items[-1]["profileIds"]) == {
        p["profile_id"] for p in profiles if p["profile_id"] not in headless}  # players only

    assert kappa("fika", "flea-ban", profile_id, "--days", "3", "--yes")[0] == 0
    assert fika.flea_bans[profile_id] == 3
    assert kappa("fika", "flea-unban", nickname, "--yes")[0] == 0
    assert profile_id not in fika.flea_bans

    raw = kappa.json("fika", "profile", nickname)
    assert raw  # the profile as the server keeps it

    code, _, err = kappa("fika", "message", "Nobody-Like-This", "x", "--yes")
    assert code == 1 and "no profile" in err


def test_logging_out_a_player_and_restarting_a_headless_client(kappa: Kappa, fika: FikaEmulator) -> None:
    trusted_fika(kappa, fika)
    online = kappa.status("Group")["players"]
    assert online, "the emulator starts with players online"
    assert kappa("fika", "logout", online[0]["profile_id"], "--yes")[0] == 0
    assert online[0]["profile_id"] in fika.logouts
    assert online[0]["profile_id"] not in {p["profile_id"] for p in kappa.status("Group")["players"]}

    headless = kappa.status("Group")["headless"]
    assert headless, "the emulator has a headless client"
    assert kappa("fika", "restart-headless", headless[0]["nickname"], "--yes")[0] == 0
    assert headless[0]["profile_id"] in fika.restarts


def test_a_dedicated_server_shows_health_and_state_and_runs_admin_actions(
        kappa: Kappa, dedicated: DedicatedServerEmulator) -> None:
    kappa("servers", "add", "Factory", "--kind", "dedicated", "--url", dedicated.base_url, "--key", TOKEN)
    kappa("servers", "trust", "Factory")
    status = kappa.status("Factory")
    assert status["health"]["health"] in ("healthy", "slow")
    assert status["state"]["player_limit"] >= status["state"]["players"] >= 0

    code, out, _ = kappa("dedicated", "command", "help", "--yes")
    assert code == 0 and out.strip()
    assert kappa("dedicated", "save", "Before the boss", "--yes")[0] == 0
    assert "Before the boss" in dedicated.saves
    assert kappa("dedicated", "options")[0] == 0

    assert kappa("dedicated", "shutdown", "--yes")[0] == 0
    assert dedicated.shutdowns == 1
    assert kappa.status("Factory", expect=1)["reachable"] is False


def test_a_dedicated_server_without_token_still_shows_its_health(
        kappa: Kappa, dedicated: DedicatedServerEmulator) -> None:
    kappa("servers", "add", "Factory", "--kind", "dedicated", "--url", dedicated.base_url)
    kappa("servers", "trust", "Factory")
    status = kappa.status("Factory", expect=1)
    assert status["reachable"] is True and status["health"]["health"] in ("healthy", "slow")
    assert status["state"] is None and "token" in status["error"].lower()


def test_servers_are_listed_and_removed(kappa: Kappa, fika: FikaEmulator) -> None:
    trusted_fika(kappa, fika)
    (entry,) = kappa.json("servers", "list")["servers"]
    assert entry["name"] == "Group" and entry["has_key"] is True
    assert entry["pinned_sha256"] == fika.certificate.sha256
    assert kappa("servers", "remove", "group")[0] == 0
    assert kappa.json("servers", "list")["servers"] == []
    code, _, err = kappa("servers", "status", "Group")
    assert code == 1 and "no server named" in err


def test_without_a_keyring_a_key_is_refused_and_nothing_is_added(
        kappa: Kappa, fika: FikaEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyringBackend

    monkeypatch.setattr(keyring.core, "_keyring_backend", NoKeyringBackend())
    code, _, err = kappa("servers", "add", "Group", "--kind", "fika", "--url", fika.base_url, "--key", FIKA_KEY)
    assert code == 1 and "keyring" in err and "--from-spt" in err
    assert kappa.json("servers", "list")["servers"] == []
