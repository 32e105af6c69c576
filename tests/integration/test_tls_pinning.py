"""Certificate pinning over real TLS sockets on 127.0.0.1: the pinned context, reading a server's certificate without
talking to it, certificate files as SPT writes them, and the messages a player sees."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from app.core.cert_pins import CertPins, format_fingerprint
from app.core.data_dir import DataDir
from app.net.http import ServerUnreachable, create_client, unreachable
from app.net.tls import (
    CertificateChanged,
    CertificateFileError,
    CertificateNotTrusted,
    CertificateProblem,
    _unreachable,  # the words for socket errors, checked without DNS
    certificate_from_file,
    check_presented,
    default_context,
    describe_certificate,
    fetch_certificate,
    pinned_context,
)
from app.sandbox.certificates import SelfSignedCertificate, TlsHttpServer, make_self_signed
from app.sandbox.serving import serve_in_background, shut_down

# A PKCS#12 the way Windows writes one without a password: certificates under RC2-40, the key under 3DES, SHA-1 MAC
# (`openssl pkcs12 -export -legacy -passout pass:`, with a throwaway EC key). cryptography cannot write this format.
LEGACY_PFX = base64.b64decode("""
MIIDogIBAzCCA2gGCSqGSIb3DQEHAaCCA1kEggNVMIIDUTCCAkcGCSqGSIb3DQEHBqCCAjgwggI0AgEAMIICLQYJKoZIhvcNAQcB
MBwGCiqGSIb3DQEMAQYwDgQI3UYEnmOUFs8CAggAgIICAKkjBG4rUSJX8Bb1vtGq3irubJl6h2PkKqMFEeFpdpCDTxTeMqnJJB/e
N0xLgAedV3G0k3grVsDmnOPtIrxWgG9mKockrCkPn43GzAqWaABUnRjYlLKwJmGFadzuT0p8MoVBEDjhhKebS29XCUjc0X3+X+hY
CrcUsWpIIC3Sj0qHdIX9C2NU8hcqV9c84yva8aJiaC5E4uXjK6I8RgPJXGUPku4PFccUvCzhvOCW8u9VO0toQyCt8CY0+lJ0/NMX
0SQB5gA4RxeldaodkVLPGfvZzSzvwz14nv+IoaFBM9mOQ9GxL5EpM3qf5dHtTXpEOCMc3tzSk21HkY1b2Wt91BaQrpVxGiiODYxH
1afnKft0KQvyloX5K9sJqw2VOaUPAIfv/VtM/1TWZQXiGWgJ4pcKByl19lezJOgnNQYZdLPorpfNLJTJ8SK+XjRBzfnzrU5exfyK
46wSbxZ0MgiVGWbs4SsqAz/FiwXnkKZM4V0EJiHJ3KWFNLMkx87jAy2D+z1jSFxDhcIFU7TMQ8V2eTuWBOGf/A0uxqoIScDsduZk
HX2YWN/lXJhxQ6kaujoEcq7G+YVza4FEArmQzyg+bvq/Vx0F9BrxrYKUad9ErdSuRL6IR0a21HqMSekz9sZItBpjrAJjDTZmyWmK
AK/x8dwJxZYyOq72RAb7AEyw5nW9MIIBAgYJKoZIhvcNAQcBoIH0BIHxMIHuMIHrBgsqhkiG9w0BDAoBAqCBtDCBsTAcBgoqhkiG
9w0BDAEDMA4ECBqgYdoOXI6LAgIIAASBkLxPB9jF5W/dlrnGcnAthIPUrbX7Exaa0CD+0Ac5jzgcxgPD8d8+rK0ffEy5p+BlSLn3
nPY/SecpBDwfD25rKjyHJLAylafMiCMdwKi48tfgnWQAmEKYo/ZdrVJysg1rlntaWVUTokbZBY0YqVZZqbfCH96Mu3wvtq5b8wRP
RyPq+MbckooukJV0bOvMJaE7fjElMCMGCSqGSIb3DQEJFTEWBBQp6GwxZ6cftAydZlrsr/iN72+FLTAxMCEwCQYFKw4DAhoFAAQU
korsmrFgPI3HDofDX7DbxUsgJ4wECBSvGzLQGFacAgIIAA==
""")
LEGACY_PFX_SHA256 = "be92ddee31a4536c23734e45e6e3140b4783187a487a602336afd92f5976e240"


class _Handler(BaseHTTPRequestHandler):
    """Answers every GET with 200 and records that a request arrived (which fetch_certificate must never cause)."""

    requests: list[str]
    finished: threading.Event

    def parse_request(self) -> bool:
        type(self).requests.append(self.raw_requestline.decode("latin-1").strip())
        return super().parse_request()

    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def finish(self) -> None:
        with suppress(OSError):  # the client hung up first
            super().finish()
        type(self).finished.set()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _handler() -> type[_Handler]:
    return type("Handler", (_Handler,), {"requests": [], "finished": threading.Event()})


@contextmanager
def _tls_server(certificate: SelfSignedCertificate) -> Iterator[tuple[TlsHttpServer, type[_Handler]]]:
    handler = _handler()
    server = TlsHttpServer(("127.0.0.1", 0), handler, certificate)
    thread = serve_in_background(server, "tls-test")
    try:
        yield server, handler
    finally:
        shut_down(server, thread)


def _url(server: TlsHttpServer) -> str:
    return f"https://127.0.0.1:{server.server_address[1]}"


def _port(server: HTTPServer) -> int:
    return server.server_address[1]


async def _get(url: str, context: ssl.SSLContext) -> httpx.Response:
    async with create_client(verify=context, timeout=httpx.Timeout(5.0)) as client:
        return await client.get(url + "/ping")


def _get_or_unreachable(url: str, context: ssl.SSLContext) -> httpx.Response | ServerUnreachable:
    try:
        return asyncio.run(_get(url, context))
    except httpx.TransportError as exc:
        return unreachable(exc, f"the server at {url}")


def _certificate(common_name: str = "localhost", *, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
                 days: tuple[int, int] = (-1, 3650), issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
                 | None = None, ca: bool = False) -> tuple[SelfSignedCertificate, ec.EllipticCurvePrivateKey]:
    """A certificate with chosen dates, or signed by another one; make_self_signed only makes the usual kind."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(name)
               .issuer_name(issuer[0].subject if issuer else name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + dt.timedelta(days=days[0]))
               .not_valid_after(now + dt.timedelta(days=days[1]))
               .add_extension(x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    pem = SelfSignedCertificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return pem, key


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


# --- the pinned context ---------------------------------------------------------------------------------------


def test_the_pinned_context_accepts_exactly_the_pinned_certificate() -> None:
    served, other = make_self_signed(), make_self_signed()
    with _tls_server(served) as (server, handler):
        response = _get_or_unreachable(_url(server), pinned_context(served.der))
        assert isinstance(response, httpx.Response) and response.status_code == 200
        assert response.json() == {"ok": True}

        refused = _get_or_unreachable(_url(server), pinned_context(other.der))
        assert isinstance(refused, ServerUnreachable)
        assert refused.certificate_rejected and refused.reason == "its certificate was not accepted"
    assert handler.requests == ["GET /ping HTTP/1.1"]  # the refused client sent nothing


def test_a_certificate_swapped_while_serving_is_refused() -> None:
    served, impostor = make_self_signed(), make_self_signed()
    with _tls_server(served) as (server, _):
        context = pinned_context(served.der)
        assert isinstance(_get_or_unreachable(_url(server), context), httpx.Response)
        server.replace_certificate(impostor)
        refused = _get_or_unreachable(_url(server), context)
        assert isinstance(refused, ServerUnreachable) and refused.certificate_rejected


def test_an_expired_pinned_certificate_still_connects() -> None:
    expired, _ = _certificate(days=(-4000, -10))
    with _tls_server(expired) as (server, _):
        assert isinstance(_get_or_unreachable(_url(server), pinned_context(expired.der)), httpx.Response)
        # without the pin's NO_CHECK_TIME the same anchor is refused for its dates: the flag is what makes it work
        strict = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        strict.check_hostname = False
        strict.load_verify_locations(cadata=expired.der)
        refused = _get_or_unreachable(_url(server), strict)
        assert isinstance(refused, ServerUnreachable) and refused.certificate_rejected


def test_the_host_name_in_the_certificate_does_not_matter() -> None:
    # SPT's certificate names 127.0.0.1, localhost and the machine; friends connect by a LAN or public address.
    elsewhere, _ = _certificate("spt-host", hosts=("spt-host.lan", "10.9.8.7"))
    with _tls_server(elsewhere) as (server, _):
        assert isinstance(_get_or_unreachable(_url(server), pinned_context(elsewhere.der)), httpx.Response)


def test_a_pinned_certificate_signed_by_a_ca_is_trusted_without_the_ca() -> None:
    authority, authority_key = _certificate("Some CA", ca=True)
    authority_cert = x509.load_pem_x509_certificate(authority.cert_pem)
    leaf, _ = _certificate("fika.example.org", hosts=("fika.example.org",), issuer=(authority_cert, authority_key))
    with _tls_server(leaf) as (server, _):
        assert isinstance(_get_or_unreachable(_url(server), pinned_context(leaf.der)), httpx.Response)
        # the CA pinned instead of the leaf is not the same thing, but it is a valid anchor for its own leaf
        assert isinstance(_get_or_unreachable(_url(server), pinned_context(authority.der)), httpx.Response)
        refused = _get_or_unreachable(_url(server), pinned_context(make_self_signed().der))
        assert isinstance(refused, ServerUnreachable) and refused.certificate_rejected


def test_normal_verification_refuses_a_self_signed_server() -> None:
    with _tls_server(make_self_signed()) as (server, handler):
        refused = _get_or_unreachable(_url(server), default_context())
    assert isinstance(refused, ServerUnreachable) and refused.certificate_rejected
    assert handler.requests == []
    assert default_context().check_hostname and default_context().verify_mode == ssl.CERT_REQUIRED


def test_pinned_context_settings() -> None:
    context = pinned_context(make_self_signed().der)
    assert context.verify_mode == ssl.CERT_REQUIRED and not context.check_hostname
    assert context.verify_flags & 0x200000
    assert context.cert_store_stats()["x509"] == 1  # the pinned certificate is the only anchor


# --- reading the certificate without talking ------------------------------------------------------------------


def test_fetch_certificate_reads_it_without_sending_a_request() -> None:
    served = make_self_signed("spt-server")
    with _tls_server(served) as (server, handler):
        presented = asyncio.run(fetch_certificate("127.0.0.1", _port(server)))
        assert handler.finished.wait(5), "the server never saw the connection end"
    assert handler.requests == []  # the handshake happened, no HTTP request followed
    assert presented.der == served.der and presented.sha256 == served.sha256
    assert presented.subject == "CN=spt-server" and presented.issuer == "CN=spt-server"
    assert presented.self_signed
    assert presented.names == ("localhost", "127.0.0.1")
    assert presented.not_before is not None and presented.not_after is not None
    assert presented.not_before < dt.datetime.now(dt.UTC) < presented.not_after


def test_fetch_certificate_by_host_name_and_after_a_swap() -> None:
    first, second = make_self_signed(), make_self_signed()
    with _tls_server(first) as (server, handler):
        assert asyncio.run(fetch_certificate("localhost", _port(server))).sha256 == first.sha256
        server.replace_certificate(second)
        assert asyncio.run(fetch_certificate("127.0.0.1", _port(server))).sha256 == second.sha256
    assert handler.requests == []


def test_fetch_certificate_from_a_closed_port_says_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ServerUnreachable) as error:
        asyncio.run(fetch_certificate("127.0.0.1", port))
    assert error.value.reason == "connection refused"
    assert f"127.0.0.1:{port}" in str(error.value)


def test_fetch_certificate_from_a_plain_http_server() -> None:
    server = HTTPServer(("127.0.0.1", 0), _handler())
    thread = serve_in_background(server, "plain-http")
    try:
        with pytest.raises(ServerUnreachable, match="does not speak HTTPS"):
            asyncio.run(fetch_certificate("127.0.0.1", _port(server)))
    finally:
        shut_down(server, thread)


def test_fetch_certificate_from_a_server_that_never_answers() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with pytest.raises(ServerUnreachable) as error:
            asyncio.run(fetch_certificate("127.0.0.1", listener.getsockname()[1], timeout=0.3))
    assert error.value.reason == "it did not answer in time"


def test_fetch_certificate_from_a_server_that_hangs_up() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def hang_up() -> None:
            connection, _ = listener.accept()
            connection.close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        with pytest.raises(ServerUnreachable, match="closed before it was secured"):
            asyncio.run(fetch_certificate("127.0.0.1", listener.getsockname()[1], timeout=5))
        thread.join(5)


def test_socket_errors_in_words() -> None:
    # no DNS lookup in tests (they never touch the network beyond 127.0.0.1): the mapping is checked directly
    assert _unreachable(socket.gaierror(-2, "Name or service not known"), "x").reason == "the host name is unknown"
    assert _unreachable(ConnectionResetError(104, "reset"), "x").reason.startswith("the connection was closed")
    assert _unreachable(OSError(113, "No route to host"), "x").reason == "the connection failed (No route to host)"


# --- trust on first use, end to end ---------------------------------------------------------------------------


def test_first_use_then_pinned_then_changed(data_dir: DataDir) -> None:
    served, regenerated = make_self_signed(), make_self_signed()
    pins = CertPins(data_dir)
    with _tls_server(served) as (server, handler):
        address = f"127.0.0.1:{_port(server)}"
        presented = asyncio.run(fetch_certificate("127.0.0.1", _port(server)))
        with pytest.raises(CertificateNotTrusted) as first:
            check_presented(address, presented, pins.get(address), server_name="Group")
        assert first.value.presented == presented and first.value.address == address
        assert first.value.reason == "its certificate is not trusted yet"

        pin = pins.pin(address, presented.der)  # the player said yes
        check_presented(address, presented, pins.get(address))
        assert isinstance(_get_or_unreachable(_url(server), pinned_context(pin.der)), httpx.Response)

        server.replace_certificate(regenerated)
        assert isinstance(_get_or_unreachable(_url(server), pinned_context(pin.der)), ServerUnreachable)
        now_shown = asyncio.run(fetch_certificate("127.0.0.1", _port(server)))
        with pytest.raises(CertificateChanged) as changed:
            check_presented(address, now_shown, pins.get(address), server_name="Group")
    problem = changed.value
    assert isinstance(problem, CertificateProblem) and problem.reason == "its certificate changed"
    assert problem.pinned_sha256 == served.sha256 and problem.presented.sha256 == regenerated.sha256
    message = str(problem)
    assert format_fingerprint(served.sha256) in message and format_fingerprint(regenerated.sha256) in message
    assert "pretending" in message and "Nothing was sent" in message and "reinstalled" in message
    assert "kappa servers trust Group" in message
    assert address in message
    assert handler.requests == ["GET /ping HTTP/1.1"]  # only the request made while the pin matched


def test_the_changed_message_names_the_pin_date_and_quotes_odd_names() -> None:
    presented = describe_certificate(make_self_signed().der)
    problem = CertificateChanged("10.0.0.5:6969", presented, "ab" * 32, pinned_at=dt.datetime(
        2025, 3, 12, 12, tzinfo=dt.UTC).timestamp(), server_name="Friday group")
    assert "on 2025-03-12" in str(problem)
    assert 'kappa servers trust "Friday group"' in str(problem)
    assert "AB:AB:AB" in str(problem)
    anonymous = CertificateNotTrusted("10.0.0.5:6969", presented)
    assert "kappa servers trust NAME" in str(anonymous) and presented.fingerprint in str(anonymous)


# --- describing certificates ----------------------------------------------------------------------------------


def test_describe_gives_a_player_what_to_compare() -> None:
    served = make_self_signed("localhost")
    text = describe_certificate(served.der).describe()
    assert "Issued to: CN=localhost" in text
    assert "self-signed" in text
    assert "Made for: localhost, 127.0.0.1" in text
    assert f"SHA-256 fingerprint: {format_fingerprint(served.sha256)}" in text
    assert "expired" not in text


def test_describe_an_expired_and_a_ca_signed_certificate() -> None:
    expired, _ = _certificate(days=(-4000, -10))
    assert "(expired)" in describe_certificate(expired.der).describe()
    authority, authority_key = _certificate("Some CA", ca=True)
    leaf, _ = _certificate("fika.example.org", hosts=("fika.example.org",),
                           issuer=(x509.load_pem_x509_certificate(authority.cert_pem), authority_key))
    described = describe_certificate(leaf.der)
    assert not described.self_signed and "Issued by: CN=Some CA" in described.describe()
    future, _ = _certificate(days=(10, 20))
    assert "not valid yet" in describe_certificate(future.der).describe()


def test_describe_something_that_is_not_a_certificate() -> None:
    junk = b"\x30\x03\x02\x01\x00"
    described = describe_certificate(junk)
    assert described.sha256 == hashlib.sha256(junk).hexdigest()
    assert not described.self_signed and described.not_after is None
    assert "unknown" in described.describe() and format_fingerprint(described.sha256) in described.describe()


# --- certificate files ----------------------------------------------------------------------------------------


def _unprotected_pfx(certificate: SelfSignedCertificate, *, with_key: bool = True) -> bytes:
    key = serialization.load_pem_private_key(certificate.key_pem, password=None)
    cert = x509.load_pem_x509_certificate(certificate.cert_pem)
    if not with_key:
        return pkcs12.serialize_key_and_certificates(None, None, None, [cert], serialization.NoEncryption())
    return pkcs12.serialize_key_and_certificates(b"localhost", key, cert, None,  # type: ignore[arg-type]
                                                 serialization.NoEncryption())


def test_certificate_from_a_pfx_without_password(tmp_path: Path) -> None:
    served = make_self_signed()
    (tmp_path / "certificate.pfx").write_bytes(_unprotected_pfx(served))
    (tmp_path / "certs-only.p12").write_bytes(_unprotected_pfx(served, with_key=False))
    assert certificate_from_file(tmp_path / "certificate.pfx") == served.der
    assert certificate_from_file(tmp_path / "certs-only.p12") == served.der


def test_certificate_from_a_windows_style_legacy_pfx(tmp_path: Path) -> None:
    (tmp_path / "certificate.pfx").write_bytes(LEGACY_PFX)
    der = certificate_from_file(tmp_path / "certificate.pfx")
    assert hashlib.sha256(der).hexdigest() == LEGACY_PFX_SHA256
    assert describe_certificate(der).names == ("localhost", "SPT-HOST", "127.0.0.1")


def test_certificate_from_pem_and_der_files(tmp_path: Path) -> None:
    served = make_self_signed()
    (tmp_path / "localhost.crt").write_bytes(served.cert_pem)
    (tmp_path / "server.der").write_bytes(served.der)
    (tmp_path / "server.cer").write_bytes(served.der)  # .cer and .crt come in either encoding
    (tmp_path / "chain.pem").write_bytes(served.key_pem + served.cert_pem + make_self_signed().cert_pem)
    # as SPT's C# server writes server.crt: base64 in 76-character CRLF lines, no newline at the end
    body = base64.encodebytes(served.der).decode().replace("\n", "")
    lines = "\r\n".join(body[i:i + 76] for i in range(0, len(body), 76))
    (tmp_path / "server.crt").write_text(f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----")
    for name in ("localhost.crt", "server.der", "server.cer", "chain.pem", "server.crt"):
        assert certificate_from_file(tmp_path / name) == served.der, name


def test_a_pfx_under_another_name_is_still_read(tmp_path: Path) -> None:
    served = make_self_signed()
    (tmp_path / "certificate.bin").write_bytes(_unprotected_pfx(served))
    assert certificate_from_file(tmp_path / "certificate.bin") == served.der


def test_certificate_files_that_cannot_be_read(tmp_path: Path) -> None:
    served = make_self_signed()
    key = serialization.load_pem_private_key(served.key_pem, password=None)
    protected = pkcs12.serialize_key_and_certificates(
        b"x", key, x509.load_pem_x509_certificate(served.cert_pem), None,  # type: ignore[arg-type]
        serialization.BestAvailableEncryption(b"secret"))
    (tmp_path / "protected.pfx").write_bytes(protected)
    (tmp_path / "junk.pfx").write_bytes(b"not a pfx at all")
    (tmp_path / "junk.crt").write_bytes(b"not a certificate")
    (tmp_path / "empty.crt").write_bytes(b"")
    (tmp_path / "broken.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    cases = {"protected.pfx": "protected by a password", "junk.pfx": "not a PKCS#12",
             "junk.crt": "does not hold a certificate", "empty.crt": "is empty", "broken.pem": "damaged PEM",
             "missing.pfx": "does not exist"}
    for name, words in cases.items():
        with pytest.raises(CertificateFileError, match=words):
            certificate_from_file(tmp_path / name)
