"""TLS for game servers: reading the certificate a server shows, and contexts that trust exactly one certificate.

SPT 4.x, Fika and dedicated game servers sign their own certificates, so normal verification can never pass and the
usual tools simply turn it off. Kappa pins instead (see app/core/cert_pins.py): the first time, it reads the
certificate without sending anything (`fetch_certificate`) and the player confirms it; from then on it connects only
with `pinned_context`, which trusts that one certificate and nothing else. A server that shows another certificate
gets no request at all (no API key, no admin action), and the player is told why (`CertificateChanged`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import socket
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from app.core.cert_pins import Pin, format_fingerprint
from app.core.errors import KappaError
from app.net.http import ServerUnreachable

# OpenSSL's X509_V_FLAG_NO_CHECK_TIME: the game clients accept a confirmed self-signed certificate whatever its
# dates, and SPT's is valid for ten years from the day the server first ran; an expired pin must still connect.
NO_CHECK_TIME = 0x200000
_CLOSE_TIMEOUT = 2.0
# OpenSSL's reasons when the other side answered the handshake with something that is not TLS (plain HTTP).
_NOT_TLS = {"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "RECORD_LAYER_FAILURE",
            "PACKET_LENGTH_TOO_LONG"}


@dataclass(frozen=True)
class PresentedCertificate:
    """A certificate as a server showed it (or as a file holds it), with what a player needs to decide about it."""

    der: bytes = field(repr=False)
    sha256: str  # 64 lower-case hex digits
    subject: str  # RFC 4514, e.g. "CN=localhost"
    issuer: str
    not_before: dt.datetime | None  # UTC
    not_after: dt.datetime | None
    self_signed: bool
    names: tuple[str, ...] = ()  # the subject alternative names: the addresses the certificate was made for

    @property
    def fingerprint(self) -> str:
        """'AB:CD:…' for showing."""
        return format_fingerprint(self.sha256)

    def describe(self, now: dt.datetime | None = None) -> str:
        """A few lines for a prompt: who the certificate says it is, who signed it, its dates and its fingerprint."""
        now = now or dt.datetime.now(dt.UTC)
        lines = [f"Issued to: {self.subject or '(no name)'}"]
        if self.names:
            lines.append(f"Made for: {', '.join(self.names)}")
        if self.self_signed:
            lines.append("Issued by: itself (a self-signed certificate, as SPT and Fika servers make)")
        else:
            lines.append(f"Issued by: {self.issuer or '(no name)'}")
        lines.append(f"Valid: {self._validity(now)}")
        lines.append(f"SHA-256 fingerprint: {self.fingerprint}")
        return "\n".join(lines)

    def _validity(self, now: dt.datetime) -> str:
        if self.not_before is None or self.not_after is None:
            return "unknown (the certificate could not be read)"
        text = f"from {self.not_before:%Y-%m-%d} to {self.not_after:%Y-%m-%d}"
        if now > self.not_after:
            return text + " (expired)"
        if now < self.not_before:
            return text + " (not valid yet: is this computer's clock right?)"
        return text


class CertificateProblem(KappaError):
    """The server's certificate is not the one Kappa trusts for it; nothing was sent to the server."""

    reason = "its certificate is not trusted"  # short, for a status line

    def __init__(self, message: str, address: str, presented: PresentedCertificate,
                 server_name: str | None = None) -> None:
        super().__init__(message)
        self.address = address
        self.presented = presented
        self.server_name = server_name


class CertificateNotTrusted(CertificateProblem):
    """First contact: the server shows a certificate nobody vouches for, and it is not pinned yet."""

    reason = "its certificate is not trusted yet"

    def __init__(self, address: str, presented: PresentedCertificate, *, server_name: str | None = None) -> None:
        super().__init__(
            f"The server at {address} uses a certificate that it made itself (SPT and Fika servers do), so Kappa "
            "cannot check it on its own and has not been told to trust it yet. Nothing was sent to the server. "
            f"Its SHA-256 fingerprint is {presented.fingerprint}. If that is the server you mean (its owner can "
            "compare the fingerprint), trust it " + _how_to_trust(server_name) + ".",
            address, presented, server_name)


class CertificateChanged(CertificateProblem):
    """The server shows another certificate than the pinned one: reinstalled, regenerated, or an impostor."""

    reason = "its certificate changed"

    def __init__(self, address: str, presented: PresentedCertificate, pinned_sha256: str, *,
                 pinned_at: float | None = None, server_name: str | None = None) -> None:
        when = f" on {time.strftime('%Y-%m-%d', time.localtime(pinned_at))}" if pinned_at else ""
        super().__init__(
            f"The server at {address} now shows a different certificate than the one Kappa trusted for it{when}. "
            "This happens when the server was reinstalled or made itself a new certificate, but it is also exactly "
            "what it looks like when someone else is pretending to be that server. Nothing was sent to it. "
            f"Trusted certificate: {format_fingerprint(pinned_sha256)}. "
            f"Certificate it shows now: {presented.fingerprint}. "
            "If you know the server got a new certificate (ask its owner to compare the fingerprint), trust the new "
            "one " + _how_to_trust(server_name) + ".",
            address, presented, server_name)
        self.pinned_sha256 = pinned_sha256
        self.pinned_at = pinned_at


def _how_to_trust(server_name: str | None) -> str:
    if server_name:
        name = f'"{server_name}"' if any(c.isspace() or c in "'()" for c in server_name) else server_name
        return f"from the server's panel or with `kappa servers trust {name}`"
    return "from the server's panel or with `kappa servers trust NAME`"


def check_presented(address: str, presented: PresentedCertificate, pin: Pin | None, *,
                    server_name: str | None = None) -> None:
    """Raise the right CertificateProblem unless `presented` is exactly the pinned certificate."""
    if pin is None:
        raise CertificateNotTrusted(address, presented, server_name=server_name)
    if pin.sha256 != presented.sha256:
        raise CertificateChanged(address, presented, pin.sha256, pinned_at=pin.pinned_at, server_name=server_name)


def describe_certificate(der: bytes) -> PresentedCertificate:
    """What a DER certificate says. Never fails: a certificate Kappa cannot parse still has a fingerprint."""
    sha256 = hashlib.sha256(der).hexdigest()
    try:
        cert = x509.load_der_x509_certificate(der)
        subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    except ValueError:
        return PresentedCertificate(der, sha256, "(unreadable certificate)", "(unreadable certificate)", None, None,
                                    False)
    return PresentedCertificate(der, sha256, subject, issuer, not_before, not_after, _is_self_signed(cert),
                                _alternative_names(cert))


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # InvalidSignature, or a key type cryptography cannot verify with: not provably self-signed
        return False
    return True


def _alternative_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (x509.ExtensionNotFound, ValueError):
        return ()
    names = [*extension.value.get_values_for_type(x509.DNSName),
             *(str(ip) for ip in extension.value.get_values_for_type(x509.IPAddress))]
    return tuple(names)


def pinned_context(der: bytes) -> ssl.SSLContext:
    """A client context that trusts exactly this certificate, as the only trust anchor.

    The host name is not checked: SPT's certificate names 127.0.0.1, localhost and the machine's name, while friends
    connect by a LAN or public address. Its dates are not checked either (NO_CHECK_TIME). Partial chains are allowed
    so that a pinned certificate that some CA signed is trusted by itself, without the CA. Being an anchor, the pin
    also vouches for certificates signed with its key: only whoever holds the server's private key can make those.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # SPT 4.x serves TLS 1.2 and 1.3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=der)
    context.verify_flags |= NO_CHECK_TIME | ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def default_context() -> ssl.SSLContext:
    """Normal verification (the system's authorities and certifi's) with the host name checked, for servers with
    a certificate from a public authority (a dedicated server behind a reverse proxy, say)."""
    context = ssl.create_default_context()
    try:
        import certifi
    except ImportError:  # httpx brings certifi; without it the system's store alone is used
        return context
    context.load_verify_locations(cafile=certifi.where())
    return context


def _reading_context() -> ssl.SSLContext:
    """Verification off: only to read what the server shows. Nothing is ever sent over such a connection."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def fetch_certificate(host: str, port: int, *, timeout: float = 10.0) -> PresentedCertificate:
    """The certificate the server at host:port shows, read from a TLS handshake. No application data is sent:
    a server that turns out to be an impostor learns nothing but that someone connected."""
    host = host.strip("[]")  # "[::1]" as written in URLs
    what = f"the server at {_joined(host, port)}"
    try:
        async with asyncio.timeout(timeout):
            # The name goes out as SNI (a server with several certificates picks by it); ssl leaves IPs out.
            _, writer = await asyncio.open_connection(host, port, ssl=_reading_context(), server_hostname=host)
    except (TimeoutError, OSError) as exc:
        raise _unreachable(exc, what) from None
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    finally:
        await _close(writer)
    if not der:
        raise ServerUnreachable(what, "it did not show a certificate")
    return describe_certificate(der)


async def _close(writer: asyncio.StreamWriter) -> None:
    """Close politely (a TLS close_notify), but never wait long for a server that does not answer it."""
    writer.close()
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT):
            await writer.wait_closed()
    except (TimeoutError, OSError):
        writer.transport.abort()


def _joined(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _unreachable(exc: BaseException, what: str) -> ServerUnreachable:
    """The same short reasons as app.net.http.unreachable(), for errors from a bare socket."""
    if isinstance(exc, TimeoutError):
        return ServerUnreachable(what, "it did not answer in time")
    if isinstance(exc, ssl.SSLError):
        if exc.reason in _NOT_TLS:
            return ServerUnreachable(what, "it does not speak HTTPS on that port (plain HTTP, or another program)")
        if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return ServerUnreachable(what, "the connection was closed before it was secured")
        return ServerUnreachable(what, f"the secure connection failed ({exc.reason or exc})")
    if isinstance(exc, ConnectionRefusedError):
        return ServerUnreachable(what, "connection refused")
    if isinstance(exc, socket.gaierror):
        return ServerUnreachable(what, "the host name is unknown")
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return ServerUnreachable(what, "the connection was closed before it was secured")
    return ServerUnreachable(what, f"the connection failed ({exc.strerror or exc})" if isinstance(exc, OSError)
                             else f"the connection failed ({exc})")


class CertificateFileError(KappaError):
    """A certificate file that Kappa cannot read."""


_PEM_MARK = b"-----BEGIN CERTIFICATE-----"


def certificate_from_file(path: Path) -> bytes:
    """The certificate (DER) in a .pfx/.p12 without password (SPT's user/certs/certificate.pfx), a PEM .crt/.pem,
    or a DER .der/.cer file. The content decides, not the name: .crt files come both ways."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CertificateFileError(f"{path} does not exist") from None
    except OSError as exc:
        raise CertificateFileError(f"{path} cannot be read: {exc.strerror or exc}") from None
    if not data:
        raise CertificateFileError(f"{path} is empty")
    if _PEM_MARK in data:
        return _from_pem(path, data)
    if path.suffix.lower() in (".pfx", ".p12"):
        return _from_pkcs12(path, data)
    with contextlib.suppress(ValueError):
        return x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)
    with contextlib.suppress(CertificateFileError):
        return _from_pkcs12(path, data)  # a PKCS#12 file under another name
    raise CertificateFileError(f"{path} does not hold a certificate Kappa can read (a .pfx without password, "
                               "a PEM .crt or a DER .der file)")


def _from_pem(path: Path, data: bytes) -> bytes:
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateFileError(f"{path} holds a damaged PEM certificate") from None
    return certificates[0].public_bytes(Encoding.DER)  # the server's own comes first; the rest is its chain


def _from_pkcs12(path: Path, data: bytes) -> bytes:
    wrong_password = False
    for password in (None, b""):  # .NET's Export(Pfx) without password: OpenSSL reads it either way
        try:
            _, certificate, extra = pkcs12.load_key_and_certificates(data, password)
        except ValueError as exc:
            wrong_password = wrong_password or "password" in str(exc).lower()
            continue
        if certificate is None and extra:
            certificate = extra[0]
        if certificate is None:
            raise CertificateFileError(f"{path} holds no certificate")
        return certificate.public_bytes(Encoding.DER)
    if wrong_password:
        raise CertificateFileError(f"{path} is protected by a password (SPT's own certificate.pfx is not), or "
                                   "damaged; export the certificate without password, or as a .crt file")
    raise CertificateFileError(f"{path} is not a PKCS#12 (.pfx) file Kappa can read")
