"""Running a sandbox HTTP server on a background thread, and stopping it: shared by every emulator."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler
from socketserver import BaseServer
from types import TracebackType
from typing import Self

from app.sandbox.certificates import SelfSignedCertificate, TlsHttpServer


def serve_in_background(server: BaseServer, name: str) -> threading.Thread:
    """Serve on a daemon thread that polls for shutdown every 10 ms, so that stopping is quick."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              name=f"{name}:{server.server_address[1]}", daemon=True)  # type: ignore[attr-defined]
    thread.start()
    return thread


def shut_down(server: BaseServer, thread: threading.Thread | None) -> None:
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)


class TlsEmulator:
    """What the game-server emulators share: HTTPS on 127.0.0.1 with their own certificate, `stop()` then `start()`
    on the same port (a server that goes down and comes back), and a certificate that can be swapped while serving.

    The handler's requests reach the emulator as `self.server.emulator`.
    """

    def __init__(self, port: int, certificate: SelfSignedCertificate, *, handler: type[BaseHTTPRequestHandler],
                 name: str) -> None:
        self.certificate = certificate
        self.handler = handler
        self.name = name
        self._port = port
        self._server: TlsHttpServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    def start(self) -> Self:
        with self._lifecycle:
            if self._server is not None:
                raise RuntimeError(f"this {type(self).__name__} is already running")
            server = TlsHttpServer(("127.0.0.1", self._port), self.handler, self.certificate)
            server.emulator = self
            self._port = server.server_address[1]  # a restart comes back on the same port
            self._server = server
            self._thread = serve_in_background(server, self.name)
        return self

    def stop(self) -> None:
        self.go_down()

    def go_down(self, keep: socket.socket | None = None) -> None:
        """Stop listening and hang up every open connection but `keep` (one still carrying an answer), so that a
        client's pooled keep-alive connection cannot reach a server that is gone."""
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            shut_down(server, thread)
            server.hang_up(keep)

    def __enter__(self) -> Self:
        return self.start() if self._server is None else self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError(f"the {type(self).__name__} has no port yet; call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def replace_certificate(self, certificate: SelfSignedCertificate) -> None:
        """Serve another certificate from now on (a reinstalled server, or an impostor)."""
        self.certificate = certificate
        if self._server is not None:
            self._server.replace_certificate(certificate)
