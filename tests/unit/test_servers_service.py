"""The server list, its secrets, the status line and the events between two polls (no network here)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.core.data_dir import DataDir
from app.core.settings import SettingsStore
from app.net.fika import Headless, Player, Raid
from app.services.servers import (
    FikaStatus,
    MemorySecrets,
    ServerConfigError,
    ServerSnapshot,
    ServersService,
    ServerWatcher,
    events_between,
    secret_name,
)


@pytest.fixture
def service(tmp_path: Path) -> ServersService:
    return ServersService(DataDir.at(tmp_path / "data"), secrets=MemorySecrets())


def player(profile_id: str, nickname: str) -> Player:
    return Player(profile_id=profile_id, nickname=nickname, level=10, location=3, location_name="Customs")


def raid(match_id: str, status: str = "IN_GAME", host: str = "Nikita") -> Raid:
    return Raid(match_id=match_id, host=host, status=status, side="PMC", time="current", location="Customs",
                players=(match_id,), headless=False, raid_code="", started_at=time.time(), game_version="1.0")


def headless(profile_id: str, ready: bool) -> Headless:
    return Headless(profile_id=profile_id, nickname=f"headless_{profile_id}", ready=ready, players=0)


def status(players=(), raids=(), clients=()) -> FikaStatus:
    return FikaStatus(raids=list(raids), players=list(players), headless=list(clients), heartbeat_s=0.01)


def test_servers_are_added_listed_renamed_and_removed_with_their_secret(service: ServersService) -> None:
    service.add("Group server", "fika", "192.168.1.20:6969", secret="k3y", notify=True)
    service.add("Factory", "dedicated", "https://factory.example:7777")
    assert [(e.name, e.kind, e.url, e.notify) for e in service.list()] == [
        ("Group server", "fika", "https://192.168.1.20:6969", True),
        ("Factory", "dedicated", "https://factory.example:7777", False)]
    assert service.secrets.get(secret_name("Group server")) == "k3y"
    assert "k3y" not in service.settings.file.read_text()  # never in the settings file

    service.update("group SERVER", new_name="Friends", url="https://192.168.1.21:6969")
    assert service.get("friends").url == "https://192.168.1.21:6969"
    assert service.secrets.get(secret_name("Friends")) == "k3y"  # the key moved with the name
    assert service.secrets.get(secret_name("Group server")) is None

    service.remove("Friends")
    assert [e.name for e in service.list()] == ["Factory"]
    assert service.secrets.get(secret_name("Friends")) is None


@pytest.mark.parametrize(("name", "kind", "url", "message"), [
    ("", "fika", "https://h:1", "not a usable server name"),
    ("x", "fika", "http://h:6969", "HTTPS only"),
    ("x", "fika", "https://h:port", "not a number"),
    ("x", "minecraft", "https://h:1", "kind"),
])
def test_bad_server_settings_are_refused_in_words_and_nothing_is_saved(
        service: ServersService, name: str, kind: str, url: str, message: str) -> None:
    with pytest.raises(ServerConfigError, match=message):
        service.add(name, kind, url)
    assert service.list() == []


def test_names_are_unique_ignoring_case_and_unknown_names_list_the_known_ones(service: ServersService) -> None:
    service.add("Home", "fika", "https://127.0.0.1:6969")
    with pytest.raises(ServerConfigError, match="exists already"):
        service.add("HOME", "dedicated", "https://127.0.0.1:7777")
    with pytest.raises(ServerConfigError, match="servers: Home"):
        service.get("Work")


def test_settings_written_by_kappa_keep_the_servers(service: ServersService, tmp_path: Path) -> None:
    service.add("Home", "fika", "https://127.0.0.1:6969")
    settings = SettingsStore(DataDir.at(tmp_path / "data")).load()
    assert [entry.name for entry in settings.servers] == ["Home"]


def test_status_line_says_how_fresh_the_data_is_or_since_when_it_is_down(service: ServersService) -> None:
    entry = service.add("Home", "fika", "https://127.0.0.1:6969")
    now = time.time()
    up = ServerSnapshot(entry=entry, reachable=True, updated_at=now - 3)
    assert up.status_line(now) == "updated 3 s ago"
    down_since = time.mktime((2026, 11, 23, 20, 14, 0, 0, 0, -1))
    down = ServerSnapshot(entry=entry, reachable=False, reason="connection refused", down_since=down_since)
    assert down.status_line(down_since + 600) == "unreachable since 20:14 (connection refused)"
    refused = ServerSnapshot(entry=entry, reachable=True, updated_at=now, error="the API key is wrong")
    assert refused.status_line(now).endswith("but refused what was asked")


def test_events_name_who_came_and_went_raids_and_a_ready_headless_client() -> None:
    before = status(players=[player("a", "Nikita"), player("b", "Prapor")],
                    raids=[raid("r1", host="Nikita"), raid("r2", host="Prapor")], clients=[headless("h", False)])
    after = status(players=[player("a", "Nikita"), player("c", "Jaeger")],
                   raids=[raid("r1", "COMPLETE", host="Nikita"), raid("r3", "LOADING", host="Jaeger")],
                   clients=[headless("h", True)])
    events = {(event.kind, event.text) for event in events_between("Home", before, after)}
    assert events == {
        ("player_online", "Jaeger came online"),
        ("player_offline", "Prapor went offline"),
        ("raid_started", "Jaeger started a raid on Customs"),
        ("raid_ended", "Nikita's raid on Customs ended"),
        ("raid_ended", "Prapor's raid on Customs ended"),
        ("headless_ready", "the headless client headless_h is ready"),
    }
    assert events_between("Home", None, after) == []  # the first poll is not news
    assert events_between("Home", after, after) == []


def test_the_watcher_backs_off_while_a_server_is_down(service: ServersService) -> None:
    service.add("Home", "fika", "https://127.0.0.1:6969")
    watcher = ServerWatcher(service, "Home", on_snapshot=lambda snapshot: None, interval=5, max_interval=60)
    assert [watcher.next_delay(failures) for failures in range(6)] == [5, 10, 20, 40, 60, 60]
