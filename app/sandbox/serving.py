"""Running a sandbox HTTP server on a background thread, and stopping it: shared by every emulator."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler
from socketserver import BaseServer
from types import TracebackType
from typing import Any, ClassVar, Self

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


class SandboxServer:
    """The lifecycle every sandbox server shares: serve on 127.0.0.1 from a background thread, `start()` and
    `stop()` (a restart comes back on the same port), and use as a context manager.

    Subclasses build their server in `_make_server` and may wake held handlers in `_before_stop` or clean up in
    `_after_stop`.
    """

    def __init__(self, port: int, *, name: str) -> None:
        self.name = name
        self._port = port
        self._server: BaseServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    def _make_server(self, address: tuple[str, int]) -> BaseServer:
        raise NotImplementedError

    def _before_stop(self) -> None:
        pass

    def _after_stop(self, server: BaseServer, keep: socket.socket | None) -> None:
        pass

    def start(self) -> Self:
        with self._lifecycle:
            if self._server is not None:
                raise RuntimeError(f"this {type(self).__name__} is already running")
            server = self._make_server(("127.0.0.1", self._port))
            self._port = server.server_address[1]  # type: ignore[attr-defined]
            self._server = server
            self._thread = serve_in_background(server, self.name)
        return self

    def stop(self) -> None:
        self._go_down(keep=None)

    def _go_down(self, keep: socket.socket | None) -> None:
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            self._before_stop()
            shut_down(server, thread)
            self._after_stop(server, keep)

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


class TlsEmulator(SandboxServer):
    """What the game-server emulators add: HTTPS with their own certificate, which can be swapped while serving, and
    a server going down hangs up kept-alive connections too.

    The handler's requests reach the emulator as `self.server.emulator`.
    """

    _server: TlsHttpServer | None

    def __init__(self, port: int, certificate: SelfSignedCertificate, *, handler: type[BaseHTTPRequestHandler],
                 name: str) -> None:
        super().__init__(port, name=name)
        self.certificate = certificate
        self.handler = handler

    def _make_server(self, address: tuple[str, int]) -> TlsHttpServer:
        server = TlsHttpServer(address, self.handler, self.certificate)
        server.emulator = self
        return server

    def go_down(self, keep: socket.socket | None = None) -> None:
        """Stop listening and hang up every open connection but `keep` (one still carrying an answer), so that a
        client's pooled keep-alive connection cannot reach a server that is gone."""
        self._go_down(keep)

    def _after_stop(self, server: BaseServer, keep: socket.socket | None) -> None:
        assert isinstance(server, TlsHttpServer)
        server.hang_up(keep)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def replace_certificate(self, certificate: SelfSignedCertificate) -> None:
        """Serve another certificate from now on (a reinstalled server, or an impostor)."""
        self.certificate = certificate
        if self._server is not None:
            self._server.replace_certificate(certificate)


class EmulatorHandler(BaseHTTPRequestHandler):
    """What every sandbox server's request handler shares: keep-alive, Nagle off (head and body go out in two
    writes, and a delayed ACK would hold the second ~40 ms), no line per request on stderr, and each HTTP method
    named in `methods` routed to the subclass's `_handle(method)`; any other method gets http.server's 501."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    sys_version = ""
    methods: ClassVar[tuple[str, ...]] = ("GET",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for method in cls.methods:
            setattr(cls, f"do_{method}", lambda self, method=method: self._handle(method))

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self, method: str) -> None:
        raise NotImplementedError
