"""The game servers of `kappa sandbox` and `kappa --demo`: a Fika server and a dedicated server, both emulated.

For the demo, the sample SPT install is also made to describe its Fika server the way a real one does (fika.jsonc
with the API key, SPT's http.json with the address, the server's certificate in `user/certs/`), so that "Add local
Fika server" works on it exactly as on a real install.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives.serialization import NoEncryption, load_pem_private_key, pkcs12

from app.core.fileio import atomic_write_text
from app.sandbox.certificates import SelfSignedCertificate
from app.sandbox.dedicated import DedicatedServerEmulator
from app.sandbox.fika import FikaEmulator

DEMO_FIKA_KEY = "kappaDemoFikaKey0123456789abcdefghijklmnop"
DEMO_DEDICATED_TOKEN = "kappa-demo-dedicated-token"


class DemoServers:
    def __init__(self, *, fika_raids_shape: str = "array") -> None:
        self.fika = FikaEmulator(api_key=DEMO_FIKA_KEY, raids_shape=fika_raids_shape)
        self.dedicated = DedicatedServerEmulator(token=DEMO_DEDICATED_TOKEN)

    def __enter__(self) -> DemoServers:
        self.fika.start()
        try:
            self.dedicated.start()
        except BaseException:
            self.fika.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        self.dedicated.stop()
        self.fika.stop()

    def describe(self) -> dict[str, str]:
        return {"fika": self.fika.base_url, "fika_api_key": self.fika.api_key,
                "fika_sha256": self.fika.certificate.sha256,
                "dedicated": self.dedicated.base_url, "dedicated_token": self.dedicated.token or "",
                "dedicated_sha256": self.dedicated.certificate.sha256}


def write_local_fika_config(server_dir: Path, port: int, api_key: str, certificate: SelfSignedCertificate) -> None:
    """Make an SPT 4.x server folder say what a real one with Fika installed says about its server."""
    fika_config = server_dir / "user" / "mods" / "fika-server" / "assets" / "configs" / "fika.jsonc"
    atomic_write_text(fika_config, _FIKA_JSONC.replace("@KEY@", api_key).replace("@PORT@", str(port)))
    http_config = {"ip": "127.0.0.1", "port": port, "backendIp": "127.0.0.1", "backendPort": port,
                   "webSocketPingDelayMs": 90000, "logRequests": True, "serverImagePathOverride": {}}
    atomic_write_text(server_dir / "SPT_Data" / "configs" / "http.json", json.dumps(http_config, indent=2) + "\n")
    pfx = server_dir / "user" / "certs" / "certificate.pfx"
    pfx.parent.mkdir(parents=True, exist_ok=True)
    pfx.write_bytes(_unprotected_pfx(certificate))


def _unprotected_pfx(certificate: SelfSignedCertificate) -> bytes:
    """PKCS#12 without a password, as SPT's `X509Certificate2.Export(X509ContentType.Pfx)` writes it."""
    key = load_pem_private_key(certificate.key_pem, password=None)
    cert = x509.load_pem_x509_certificate(certificate.cert_pem)
    return pkcs12.serialize_key_and_certificates(b"localhost", key, cert, None,  # type: ignore[arg-type]
                                                 NoEncryption())


_FIKA_JSONC = """{
    // Fika server settings (written by Kappa's demo; a real install's file has many more)
    "client": {
        "useBtr": true,
        "friendlyFire": true,
    },
    "server": {
        "apiKey": "@KEY@", // generated on first start
        "SPT": {
            "http": {
                "ip": "0.0.0.0",
                "port": @PORT@,
                "backendIp": "127.0.0.1",
                "backendPort": @PORT@,
            },
        },
    },
    "headless": {
        "profiles": { "amount": 1 },
    },
}
"""
