"""The pinned certificates store and fingerprint handling (no network)."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest

from app.core.cert_pins import CertPins, Pin, address_of, format_fingerprint, normalize_fingerprint
from app.core.data_dir import DataDir

DER_A = b"\x30\x82\x01\x0a certificate A"  # the store never parses certificates: any bytes stand in for one
DER_B = b"\x30\x82\x01\x0a certificate B"
SHA_A = hashlib.sha256(DER_A).hexdigest()
SHA_B = hashlib.sha256(DER_B).hexdigest()


def _pins(data_dir: DataDir, now: float = 1_700_000_000.0) -> CertPins:
    return CertPins(data_dir, clock=lambda: now)


def test_pins_round_trip_through_the_file(data_dir: DataDir) -> None:
    pins = _pins(data_dir)
    assert pins.get("127.0.0.1:6969") is None and pins.all() == []
    pin = pins.pin("127.0.0.1:6969", DER_A, source="spt-install")
    assert pin == Pin("127.0.0.1:6969", SHA_A, DER_A, 1_700_000_000.0, "spt-install")
    assert pins.file == data_dir.root / "state" / "cert-pins.json"
    assert pins.file.is_file()

    again = CertPins(data_dir)  # a new instance (another process) reads the same file
    assert again.get("127.0.0.1:6969") == pin
    again.pin("Fika.Example.org:6969", DER_B)
    assert [p.address for p in pins.all()] == ["127.0.0.1:6969", "fika.example.org:6969"]
    assert pins.get("FIKA.example.org:6969").sha256 == SHA_B  # type: ignore[union-attr]
    assert pins.get("fika.example.org:6969").source == "user"  # type: ignore[union-attr]


def test_pinning_again_replaces_and_forget_removes(data_dir: DataDir) -> None:
    pins = _pins(data_dir)
    pins.pin("192.168.1.20:6969", DER_A)
    pins.pin("192.168.1.20:6969", DER_B)
    assert pins.get("192.168.1.20:6969").der == DER_B  # type: ignore[union-attr]
    assert len(pins.all()) == 1
    pins.forget("192.168.1.20:6969")
    pins.forget("192.168.1.20:6969")  # forgetting twice is harmless
    assert pins.get("192.168.1.20:6969") is None


def test_urls_are_accepted_where_an_address_is_expected(data_dir: DataDir) -> None:
    pins = _pins(data_dir)
    pins.pin("https://Fika.Example.org:6969/fika/api", DER_A)
    assert pins.get("fika.example.org:6969") is not None
    assert pins.get("https://fika.example.org:6969") is not None


def test_pin_refuses_nonsense(data_dir: DataDir) -> None:
    pins = _pins(data_dir)
    with pytest.raises(ValueError, match="source"):
        pins.pin("h:1", DER_A, source="guess")
    with pytest.raises(ValueError, match="no certificate"):
        pins.pin("h:1", b"")
    with pytest.raises(ValueError, match="empty"):
        pins.pin("  ", DER_A)


@pytest.mark.parametrize("content", ["{ nope", "[]", '{"pins": 3}', "\x00\x01", ""])
def test_a_damaged_file_means_no_pins_and_a_warning(data_dir: DataDir, caplog: pytest.LogCaptureFixture,
                                                    content: str) -> None:
    pins = _pins(data_dir)
    pins.file.parent.mkdir(parents=True)
    pins.file.write_text(content)
    with caplog.at_level(logging.WARNING, logger="app.core.cert_pins"):
        assert pins.all() == []
        assert pins.get("127.0.0.1:6969") is None
    assert "cert-pins.json" in caplog.text


def test_pinning_over_a_damaged_file_keeps_a_copy_of_it(data_dir: DataDir) -> None:
    pins = _pins(data_dir)
    pins.file.parent.mkdir(parents=True)
    pins.file.write_text("{ half a fi")
    pins.pin("127.0.0.1:6969", DER_A)
    assert pins.get("127.0.0.1:6969") is not None
    assert pins.file.with_name("cert-pins.json.damaged").read_text() == "{ half a fi"


def test_one_damaged_entry_costs_only_that_pin(data_dir: DataDir, caplog: pytest.LogCaptureFixture) -> None:
    pins = _pins(data_dir)
    pins.pin("good:1", DER_A)
    pins.pin("edited:1", DER_A)
    pins.pin("broken:1", DER_A)
    document = json.loads(pins.file.read_text())
    document["pins"]["edited:1"]["sha256"] = SHA_B  # fingerprint no longer matches the certificate
    document["pins"]["broken:1"]["der"] = "not base64!"
    document["pins"]["odd:1"] = "a string"
    pins.file.write_text(json.dumps(document))
    with caplog.at_level(logging.WARNING, logger="app.core.cert_pins"):
        assert [pin.address for pin in pins.all()] == ["good:1"]
    assert "edited:1" in caplog.text and "broken:1" in caplog.text


def test_the_file_is_written_atomically_without_leftovers(data_dir: DataDir) -> None:
    pins = _pins(data_dir)
    for port in range(5):
        pins.pin(f"h:{port}", DER_A)
    assert sorted(path.name for path in pins.file.parent.iterdir()) == ["cert-pins.json"]
    assert json.loads(pins.file.read_text())["version"] == 1


@pytest.mark.parametrize("text", [
    SHA_A,
    SHA_A.upper(),
    format_fingerprint(SHA_A),
    format_fingerprint(SHA_A).lower().replace(":", " "),
    "  " + format_fingerprint(SHA_A).replace(":", "-") + "\n",
    "SHA256 Fingerprint=" + format_fingerprint(SHA_A),  # what `openssl x509 -fingerprint -sha256` prints
    "sha-256: " + SHA_A,
    " ".join(SHA_A[i:i + 4] for i in range(0, 64, 4)),
])
def test_fingerprints_are_normalised(text: str) -> None:
    assert normalize_fingerprint(text) == SHA_A


@pytest.mark.parametrize("text", [
    "", "abc", SHA_A[:-2], SHA_A + "00", SHA_A[:-1] + "g", "sha1:" + SHA_A, "AB:CD", "z" * 64,
    hashlib.sha1(b"x").hexdigest(),
])
def test_bad_fingerprints_are_refused_in_words(text: str) -> None:
    with pytest.raises(ValueError, match="not a SHA-256 fingerprint: that is 64 hexadecimal digits"):
        normalize_fingerprint(text)


def test_a_very_long_bad_fingerprint_is_shortened_in_the_message() -> None:
    with pytest.raises(ValueError) as error:
        normalize_fingerprint("x" * 5000)
    assert len(str(error.value)) < 300


def test_fingerprints_are_formatted_in_upper_case_pairs() -> None:
    formatted = format_fingerprint(SHA_A)
    assert len(formatted) == 95 and formatted.count(":") == 31
    assert formatted == formatted.upper()
    assert formatted.replace(":", "").lower() == SHA_A
    assert format_fingerprint(formatted.lower()) == formatted
    with pytest.raises(ValueError):
        format_fingerprint("AB:CD")


@pytest.mark.parametrize(("url", "address"), [
    ("https://Host:6969/x", "host:6969"),
    ("https://fika.example.org", "fika.example.org:443"),
    ("http://10.0.0.5", "10.0.0.5:80"),
    ("192.168.1.20:6969", "192.168.1.20:6969"),
    ("  https://127.0.0.1:6969/  ", "127.0.0.1:6969"),
    ("https://[::1]:6969/fika", "[::1]:6969"),
    ("https://user@Example.org:7777", "example.org:7777"),
])
def test_address_of(url: str, address: str) -> None:
    assert address_of(url) == address


@pytest.mark.parametrize("url", ["https://host:port", "https://:6969", "https://h:99999", ""])
def test_address_of_refuses_urls_without_a_usable_server(url: str) -> None:
    with pytest.raises(ValueError):
        address_of(url)
