"""Self-signed certificates and an HTTPS server for the sandbox emulators.

The SPT 4.x server and dedicated game servers serve HTTPS with certificates they sign themselves; the emulators do
the same, so that Kappa's certificate pinning is exercised exactly as against the real servers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ipaddress
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class SelfSignedCertificate:
    cert_pem: bytes
    key_pem: bytes

    @property
    def der(self) -> bytes:
        return ssl.PEM_cert_to_DER_cert(self.cert_pem.decode("ascii"))

    @property
    def sha256(self) -> str:
        """The fingerprint as Kappa stores it: 64 lower-case hex digits."""
        return hashlib.sha256(self.der).hexdigest()


def make_self_signed(common_name: str = "localhost",
                     hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> SelfSignedCertificate:
    """A fresh key and a certificate signed with it, valid for ten years from yesterday (like SPT's own)."""
    key = ec.generate_private_key(ec.SECP256R1())  # fast to generate, unlike RSA 2048; the TLS side is the same
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .sign(key, hashes.SHA256()))
    return SelfSignedCertificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()),
    )


def server_context(certificate: SelfSignedCertificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="kappa-cert-") as folder:  # load_cert_chain reads files only
        cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert_file.write_bytes(certificate.cert_pem)
        key_file.write_bytes(certificate.key_pem)
        context.load_cert_chain(cert_file, key_file)
    return context


class TlsHttpServer(ThreadingHTTPServer):
    """A threading HTTP server speaking TLS. The handshake runs on each connection's own thread, so a client that
    connects and stalls cannot hold up the others; the certificate can be swapped while serving; open connections
    are kept, so that a server going down can hang up kept-alive ones too."""

    daemon_threads = True
    emulator: Any  # the object answering the requests, for the handler

    def __init__(self, address: tuple[str, int], handler: type, certificate: SelfSignedCertificate) -> None:
        self.certificate = certificate
        self.ssl_context = server_context(certificate)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def hang_up(self, keep: socket.socket | None = None) -> None:
        with self._connections_lock:
            connections = [connection for connection in self._connections if connection is not keep]
        for connection in connections:
            # The plain socket's shutdown: it wakes the handler thread reading it and leaves the TLS object alone.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(connection, socket.SHUT_RDWR)

    def replace_certificate(self, certificate: SelfSignedCertificate) -> None:
        """From now on, connections are served with another certificate (a reinstalled or impostor server)."""
        self.certificate = certificate
        self.ssl_context = server_context(certificate)

    def get_request(self) -> tuple[socket.socket, object]:
        connection, address = self.socket.accept()
        return self.ssl_context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that reject the certificate hang up mid-handshake; that is what the tests provoke
