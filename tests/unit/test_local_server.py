"""What a local SPT install says about its own server: http.json, fika.jsonc and the certificate (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.local_server import NoLocalServer, read_local_server
from app.core.spt_install import SptInstall, open_install
from app.sandbox.sample_install import create_sample_install

# As Fika writes it (wiki: fika-configuration/server.md), shortened; comments and trailing commas are the point.
FIKA_JSONC = """{
    "client": {
        "useBtr": true, // if the BTR should spawn
        "mods": {
            "required": [], // required mods by the client
            "optional": [],
        },
    },
    "server": {
        "SPT": {
            "http": {
                "ip": "%(ip)s", // the interface to listen on
                "port": %(port)s, // the port to host on
                "backendIp": "%(backend_ip)s", // the ip that is sent to clients to be used for requests
                "backendPort": %(backend_port)s // the port that is sent to clients
            },
            "disableSPTChatBots": true // forces chat bots to be off
        },
        /* the key for fika/api; generated when empty */
        "apiKey": "%(api_key)s",
        "sessionTimeout": 5,
    },
    "headless": { "profiles": { "amount": 0, "aliases": {} } },
}
"""
SPT_HTTP_JSON = {"ip": "127.0.0.1", "port": 6969, "backendIp": "127.0.0.1", "backendPort": 6969,
                 "webSocketPingDelayMs": 90000, "logRequests": True, "serverImagePathOverride": {}}
KEY = "q3J0dXdbYzNdE1ZyX0pCaWdrZXlGb3JGaWthQVBJ"


def _install(tmp_path: Path, layout: str) -> SptInstall:
    root = tmp_path / f"SPT-{layout}"
    server_dir = {"3.x": root, "4.0": root / "SPT", "4.1": root / "SPT_Runtime"}[layout]
    (server_dir / "user" / "mods").mkdir(parents=True)
    return SptInstall(root=root, layout=layout, server_dir=server_dir, version=None)


def _http_json_path(install: SptInstall) -> Path:
    if install.layout == "3.x":
        return install.root / "SPT_Data" / "Server" / "configs" / "http.json"
    return install.server_dir / "SPT_Data" / "configs" / "http.json"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _write_http_json(install: SptInstall, **changes: object) -> Path:
    return _write(_http_json_path(install), json.dumps({**SPT_HTTP_JSON, **changes}, indent=4))


def _write_fika(install: SptInstall, folder: str = "fika-server", *, ip: str = "0.0.0.0", port: object = 6969,
                backend_ip: str = "0.0.0.0", backend_port: object = 6969, api_key: str = KEY) -> Path:
    text = FIKA_JSONC % {"ip": ip, "port": port, "backend_ip": backend_ip, "backend_port": backend_port,
                         "api_key": api_key}
    return _write(install.mods_dir / folder / "assets" / "configs" / "fika.jsonc", text)


def _write_certificate(install: SptInstall, name: str) -> Path:
    return _write(install.server_dir / "user" / "certs" / name, "stand-in")


LAYOUTS = ["3.x", "4.0", "4.1"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_fika_server_with_everything_in_place(tmp_path: Path, layout: str) -> None:
    install = _install(tmp_path, layout)
    _write_http_json(install, ip="127.0.0.1", port=7000)  # Fika's values win over these
    _write_fika(install, ip="0.0.0.0", port=6970)
    certificate = _write_certificate(install, "localhost.crt" if layout == "3.x" else "certificate.pfx")
    server = read_local_server(install)
    assert server.url == "https://127.0.0.1:6970"
    assert server.api_key == KEY
    assert server.certificate_file == certificate
    assert server.fika_installed
    assert any("fika.jsonc" in note for note in server.notes)
    assert any("every network interface (0.0.0.0)" in note for note in server.notes)
    assert (layout == "3.x") == any("no admin API" in note for note in server.notes)
    assert KEY not in repr(server)  # the key never ends up in a log line by accident


@pytest.mark.parametrize("layout", LAYOUTS)
def test_without_fika_the_address_is_spt_http_json(tmp_path: Path, layout: str) -> None:
    install = _install(tmp_path, layout)
    _write_http_json(install, ip="192.168.1.20", port=6971, backendIp="192.168.1.20", backendPort=6971)
    server = read_local_server(install)
    assert server.url == "https://192.168.1.20:6971"
    assert server.api_key is None and not server.fika_installed
    assert server.certificate_file is None
    assert any("Fika is not installed" in note for note in server.notes)
    assert any("certificate" in note for note in server.notes)
    assert any("http.json" in note for note in server.notes)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_config_files_at_all_means_spt_defaults(tmp_path: Path, layout: str) -> None:
    install = _install(tmp_path, layout)
    server = read_local_server(install)
    assert server.url == "https://127.0.0.1:6969"
    assert not server.fika_installed and server.api_key is None
    assert any("default address 127.0.0.1:6969" in note for note in server.notes)


def test_fika_installed_before_its_first_start_has_no_config_yet(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.0")
    _write(install.mods_dir / "fika-server" / "FikaServer.dll", "stand-in")
    _write_http_json(install)
    server = read_local_server(install)
    assert server.fika_installed and server.api_key is None
    assert server.url == "https://127.0.0.1:6969"
    assert any("does not exist yet" in note for note in server.notes)


def test_an_empty_api_key_is_no_key(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.1")
    _write_fika(install, api_key="  ")
    server = read_local_server(install)
    assert server.api_key is None
    assert any("no API key yet" in note for note in server.notes)


@pytest.mark.parametrize(("ip", "backend_ip", "expected"), [
    ("0.0.0.0", "0.0.0.0", "127.0.0.1"),
    ("::", "::", "127.0.0.1"),
    ("", "", "127.0.0.1"),
    ("0.0.0.0", "192.168.1.20", "127.0.0.1"),  # every interface includes loopback
    ("192.168.1.20", "203.0.113.7", "192.168.1.20"),  # the interface it listens on, not the public address
    ("::1", "0.0.0.0", "[::1]"),
])
def test_the_address_kappa_uses_on_this_computer(tmp_path: Path, ip: str, backend_ip: str, expected: str) -> None:
    install = _install(tmp_path, "4.0")
    _write_fika(install, ip=ip, backend_ip=backend_ip)
    assert read_local_server(install).url == f"https://{expected}:6969"


def test_a_public_backend_address_is_mentioned(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.0")
    _write_fika(install, ip="0.0.0.0", port=6969, backend_ip="203.0.113.7", backend_port=16969)
    server = read_local_server(install)
    assert server.url == "https://127.0.0.1:6969"
    assert any("203.0.113.7:16969" in note for note in server.notes)


def test_without_a_listening_address_the_backend_address_is_used(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.0")
    _write(install.mods_dir / "fika-server" / "assets" / "configs" / "fika.jsonc",
           '{"server": {"SPT": {"http": {"backendIp": "192.168.1.20", "backendPort": 6969}}}}')
    assert read_local_server(install).url == "https://192.168.1.20:6969"


def test_fika_overrides_spt_per_key(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.0")
    _write_http_json(install, ip="127.0.0.1", port=7001)
    _write(install.mods_dir / "fika-server" / "assets" / "configs" / "fika.jsonc",
           '{ server: { SPT: { http: { port: 7002, }, }, apiKey: "k" } } // JSON5 keys too')
    assert read_local_server(install).url == "https://127.0.0.1:7002"


def test_ports_as_strings_are_accepted(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.0")
    _write_fika(install, port='"6975"')
    assert read_local_server(install).url == "https://127.0.0.1:6975"


def test_a_renamed_fika_folder_with_odd_capitals_is_found(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.0")
    _write(install.mods_dir / "AAA-other" / "assets" / "configs" / "config.jsonc", "{}")
    config = _write(install.mods_dir / "Fika-Server-2.1" / "Assets" / "Configs" / "fika.jsonc",
                    '{"server": {"apiKey": "renamed"}}')
    server = read_local_server(install)
    assert server.api_key == "renamed" and server.fika_installed
    assert config.is_file()


def test_a_disabled_fika_is_not_installed(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.0")
    _write(install.disabled_mods_dir / "fika-server" / "assets" / "configs" / "fika.jsonc", '{"server": {}}')
    assert not read_local_server(install).fika_installed


@pytest.mark.parametrize(("present", "expected"), [
    (("certificate.pfx", "server.crt", "localhost.crt"), "certificate.pfx"),
    (("server.crt", "localhost.crt"), "server.crt"),
    (("localhost.crt",), "localhost.crt"),
])
def test_certificate_files_in_order_of_preference(tmp_path: Path, present: tuple[str, ...], expected: str) -> None:
    install = _install(tmp_path, "4.1")
    for name in present:
        _write_certificate(install, name)
    certificate = read_local_server(install).certificate_file
    assert certificate is not None and certificate.name == expected
    assert certificate.parent == install.server_dir / "user" / "certs"


def test_a_bom_in_http_json_is_fine(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.0")
    path = _http_json_path(install)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({**SPT_HTTP_JSON, "port": 6980}).encode())
    assert read_local_server(install).url == "https://127.0.0.1:6980"


def test_3x_reads_the_old_aki_data_folder(tmp_path: Path) -> None:
    install = _install(tmp_path, "3.x")
    _write(install.root / "Aki_Data" / "Server" / "configs" / "http.json", json.dumps({"ip": "10.0.0.2", "port": 6990}))
    assert read_local_server(install).url == "https://10.0.0.2:6990"


def test_bad_jsonc_names_the_file_and_the_line(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.0")
    fika = _write(install.mods_dir / "fika-server" / "assets" / "configs" / "fika.jsonc",
                  '{\n  "server": {\n    "apiKey": "abc",\n    "port": ,\n  }\n}\n')
    with pytest.raises(NoLocalServer) as error:
        read_local_server(install)
    message = str(error.value)
    assert str(fika) in message and "line 4" in message and "not valid JSON" in message


def test_bad_http_json_names_the_file_and_the_line(tmp_path: Path) -> None:
    install = _install(tmp_path, "3.x")
    http_json = _write(_http_json_path(install), '{\n "ip": "127.0.0.1"\n "port": 6969\n}')
    with pytest.raises(NoLocalServer) as error:
        read_local_server(install)
    assert str(http_json) in str(error.value) and "line 3" in str(error.value)


@pytest.mark.parametrize(("text", "words"), [
    ("", "is empty"),
    ("[1, 2]", "JSON object"),
    ('{"ip": 127, "port": 6969}', "not an address"),
    ('{"port": "sixty"}', "not a port number"),
    ('{"port": 70000}', "not a port number"),
    ('{"port": true}', "not a port number"),
])
def test_unusable_values_are_explained(tmp_path: Path, text: str, words: str) -> None:
    install = _install(tmp_path, "4.1")
    http_json = _write(_http_json_path(install), text)
    with pytest.raises(NoLocalServer, match=words) as error:
        read_local_server(install)
    assert str(http_json) in str(error.value)


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    install = _install(tmp_path, "4.0")
    path = _http_json_path(install)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"ip": "\xff\xfe"}')
    with pytest.raises(NoLocalServer, match="not UTF-8"):
        read_local_server(install)


def test_the_sample_install_has_fika_without_a_config(tmp_path: Path) -> None:
    install = open_install(create_sample_install(tmp_path / "SPT", "4.0"))
    server = read_local_server(install)
    assert server.fika_installed and server.api_key is None
    assert server.url == "https://127.0.0.1:6969" and server.certificate_file is None
