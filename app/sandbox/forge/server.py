"""`LocalForge`: the Forge API v0 and its download routes over a real socket on 127.0.0.1.

One `ThreadingHTTPServer` in a background thread serves four things, like the real site does:
``/api/v0/...`` (the JSON API, behind the edge rate limiter), ``/mod/download/{id}/{slug}/{version}`` (the web
route that redirects to the file host, 5 per minute per mod), ``/files/<archive>`` (the "file host", with
HEAD and byte ranges) and ``/images/mods/<id>.png`` (mod thumbnails, 403 without the site as Referer).
Tests steer it at run time: switch `shape`, change the rate limit, inject failures, and read back every request it
saw.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from pathlib import Path
from socketserver import BaseServer
from typing import Any
from urllib.parse import unquote, urlsplit

from app.sandbox.file_host import FileBody, file_answer, send_file
from app.sandbox.forge.api import UNAUTHENTICATED, ApiRequest, ApiResult, ForgeApi
from app.sandbox.forge.archives import CONTENT_TYPES, build_archives
from app.sandbox.forge.catalogue import Catalogue, default_catalogue
from app.sandbox.forge.images import THUMBNAIL_PATH, mod_thumbnail_png, referer_allowed
from app.sandbox.forge.query import ApiError, parse_php_query
from app.sandbox.forge.ratelimit import DEFAULT_EDGE_LIMITS, DownloadLimiter, EdgeLimiter, RateLimitRule
from app.sandbox.forge.resources import Render
from app.sandbox.forge.rules import View
from app.sandbox.serving import EmulatorHandler, SandboxServer

SHAPES = ("new", "old")
RATE_LIMITED_BODY = (b'{"success":false,"code":"RATE_LIMITED","message":"Too many requests. Retry after the number '
                     b'of seconds in the Retry-After header."}')
_PRIVATE = "no-cache, private"
_DOWNLOAD = re.compile(r"^/mod/download/(\d+)/([^/]+)/([^/]+)$")


@dataclass(frozen=True)
class RequestRecord:
    time: float  # time.monotonic() when the request arrived
    method: str
    path: str
    query: str  # raw query string
    status: int


@dataclass
class _Failure:
    status: int
    body: bytes | None
    delay: float


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    cut_after: int | None = None  # close the connection after this many body bytes (a broken download)
    file: FileBody | None = None  # a body streamed from disk instead of `body` (archives can be 500 MB)


class LocalForge(SandboxServer):
    """A faithful local Forge. Usable as a context manager; `start()` returns self."""

    def __init__(self, catalogue: Catalogue | None = None, *, port: int = 0, shape: str = "new",
                 rate_limit: RateLimitRule | list[tuple[int, float, float]] | None = DEFAULT_EDGE_LIMITS,
                 require_token: bool = False, archive_dir: Path | None = None) -> None:
        self.catalogue = catalogue if catalogue is not None else default_catalogue()
        self.shape = shape
        self.require_token = require_token
        super().__init__(port, name="local-forge")
        self._archive_dir = Path(archive_dir) if archive_dir is not None else None
        self._temp_dir: Path | None = None
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._limiter = EdgeLimiter(_rule(rate_limit))
        self._downloads = DownloadLimiter()
        self._failures: deque[_Failure] = deque()
        self._cuts: deque[int] = deque()
        self._download_pause = 0.0
        self._stopping = threading.Event()
        self.api = ForgeApi(self.catalogue, self._render)

    # -- lifecycle -----------------------------------------------------------------------------------------

    def _make_server(self, address: tuple[str, int]) -> _Server:
        if self._archive_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="kappa-forge-"))
        build_archives(self.catalogue, self.archive_dir)
        self._stopping.clear()
        server = _Server(address, _Handler)
        server.forge = self
        return server

    def _before_stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in an injected delay

    def _after_stop(self, server: BaseServer, keep: socket.socket | None) -> None:
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    @property
    def port(self) -> int:
        if not self.running:
            raise RuntimeError("the LocalForge is not running; call start() first")
        return super().port

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/api/v0"

    @property
    def archive_dir(self) -> Path:
        directory = self._archive_dir or self._temp_dir
        if directory is None:
            raise RuntimeError("archives are built by start()")
        return directory

    # -- run-time controls ---------------------------------------------------------------------------------

    @property
    def shape(self) -> str:
        return self._shape

    @shape.setter
    def shape(self, value: str) -> None:
        if value not in SHAPES:
            raise ValueError(f"shape must be 'new' or 'old', not {value!r}")
        self._shape = value

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request so far, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._requests)

    def reset_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def set_rate_limit(self, rule: RateLimitRule | list[tuple[int, float, float]] | None) -> None:
        """Replace the edge limits (and forget past hits); None turns limiting off."""
        self._limiter = EdgeLimiter(_rule(rule))

    def fail_next(self, count: int, status: int = 500, *, body: bytes | None = None, delay: float = 0.0) -> None:
        """Make the next `count` API requests answer `status` (or the raw `body`), after `delay` seconds."""
        with self._lock:
            self._failures.extend(_Failure(status, body, delay) for _ in range(count))

    def interrupt_next_download(self, count: int = 1, after_bytes: int = 1024) -> None:
        """Make the next `count` GETs of an archive drop the connection after `after_bytes` body bytes."""
        with self._lock:
            self._cuts.extend([after_bytes] * count)

    def slow_downloads(self, pause: float) -> None:
        """Make every archive's body start `pause` seconds after its headers (a slow host; 0 turns it off)."""
        self._download_pause = pause

    # -- request handling (called from handler threads) ----------------------------------------------------

    def _render(self) -> Render:
        return Render(self.catalogue, self.root_url, self.shape)

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def _respond(self, method: str, target: str, headers: Message, body: bytes, client: str) -> _Response:
        split = urlsplit(target)
        path = unquote(split.path)
        if path == "/api/v0" or path.startswith("/api/v0/"):
            return self._api(ApiRequest(method, path[len("/api/v0"):] or "/", split.query, headers, body, client))
        download = _DOWNLOAD.match(path)
        if download and method in ("GET", "HEAD"):
            return self._download(int(download.group(1)), download.group(3), client)
        if path.startswith("/files/") and method in ("GET", "HEAD"):
            return self._file(path[len("/files/"):], method, headers)
        thumbnail = THUMBNAIL_PATH.match(path)
        if thumbnail and method in ("GET", "HEAD"):
            return self._thumbnail(int(thumbnail.group(1)), headers.get("Referer"))
        if path.startswith("/landing/") and method in ("GET", "HEAD"):
            return _html(200, "Download", "<p>Your download will start after you complete the captcha.</p>")
        return _html(404, "Not Found", "<h1>404 | Not Found</h1>")

    def _api(self, request: ApiRequest) -> _Response:
        match, route = self._route(request)
        if route is None or route.handler.__name__ != "ping":
            retry_after = self._limiter.check()
            if retry_after is not None:
                return _Response(429, RATE_LIMITED_BODY, [("Content-Type", "application/json"),
                                                          ("Retry-After", str(retry_after)),
                                                          ("Cache-Control", _PRIVATE)])
        failure = self._next_failure()
        if failure is not None:
            return _failure_response(failure)
        if route is None or match is None:
            status = 405 if match is not None else 404
            error = ApiError(status, "NOT_FOUND", "Resource not found.") if status == 404 else ApiError(
                405, "UNEXPECTED_ERROR", f"The {request.method} method is not supported for this route.")
            return _json(error.status, error.body(), None)
        try:
            return self._call(request, route, match)
        except ApiError as error:
            return _json(error.status, error.body(), None, retry_after=60 if error.status == 429 else None)
        except Exception:  # the real handler hides exceptions behind a generic 500
            return _json(500, {"success": False, "code": "SERVER_ERROR", "message": "An unexpected error occurred."},
                         None)

    def _route(self, request: ApiRequest) -> tuple[re.Match[str] | None, Any]:
        method = "GET" if request.method == "HEAD" else request.method
        path_matched = None
        for route in self.api.routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            if route.method == method:
                return match, route
            path_matched = match
        return path_matched, None

    def _call(self, request: ApiRequest, route: Any, match: re.Match[str]) -> _Response:
        request.params, request.pairs = parse_php_query(request.query)
        request.auth = self.api.auth.token_for(request.headers.get("Authorization"))
        if request.auth is None and (route.needs_user or (self.require_token and not route.open_without_token)):
            raise UNAUTHENTICATED
        result: ApiResult = route.handler(request, match)
        cache = None if route.needs_user or route.method != "GET" else result.cache
        return _json(result.status, result.document, cache)

    def _next_failure(self) -> _Failure | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None

    def _download(self, mod_id: int, version_text: str, client: str) -> _Response:
        view = View(self.catalogue)
        mod = self.catalogue.mod_by_id.get(mod_id)
        version = None
        if mod is not None and view.mod_public(mod):
            version = next((v for v in mod.versions if v.version == version_text and view.version_public(v)), None)
        if mod is None or version is None:
            return _html(404, "Not Found", "<h1>404 | Not Found</h1>")
        if not self._downloads.allow(client, mod_id):
            return _html(429, "Too Many Requests", "<h1>429 | Too Many Requests</h1>")
        with self._lock:
            version.downloads += 1
        target = self._render().external_link(mod, version)
        response = _html(307, "Redirecting", f'<p>Redirecting to <a href="{target}">{target}</a>.</p>')
        response.headers.append(("Location", target))
        return response

    def _thumbnail(self, mod_id: int, referer: str | None) -> _Response:
        """A mod's thumbnail, refused (403, as the real image host's hotlink protection does) to any request whose
        Referer is not a page of this Forge's site."""
        if not referer_allowed(referer, self.root_url):
            return _html(403, "Forbidden", "<h1>403 | Forbidden</h1><p>Hotlinking is not allowed.</p>")
        if mod_id not in self.catalogue.mod_by_id:
            return _html(404, "Not Found", "<h1>404 | Not Found</h1>")
        return _Response(200, mod_thumbnail_png(mod_id), [("Content-Type", "image/png"),
                                                          ("Cache-Control", "public, max-age=86400")])

    def _file(self, name: str, method: str, headers: Message) -> _Response:
        path = self.archive_dir / name
        if "/" in name or path.suffix not in CONTENT_TYPES or not path.is_file():
            return _html(404, "Not Found", "<h1>404 | Not Found</h1>")
        answer = file_answer(path, CONTENT_TYPES[path.suffix], headers, name)
        response = _Response(answer.status, headers=answer.headers, file=answer.body if method == "GET" else None)
        if response.file is not None:
            with self._lock:
                response.cut_after = self._cuts.popleft() if self._cuts else None
        return response


def _rule(rule: RateLimitRule | list[tuple[int, float, float]] | None) -> RateLimitRule | None:
    return rule if rule is None or isinstance(rule, RateLimitRule) else RateLimitRule(rule)


def encode_json(document: Any) -> bytes:
    """PHP's json_encode defaults, as Laravel uses them: compact, ASCII-only, and '/' escaped as '\\/'."""
    return json.dumps(document, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


def _json(status: int, document: Any, cache: int | None, retry_after: int | None = None) -> _Response:
    headers = [("Content-Type", "application/json"),
               ("Cache-Control", _PRIVATE if cache is None or status >= 400 else f"public, max-age={cache}")]
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    return _Response(status, encode_json(document), headers)


def _html(status: int, title: str, content: str) -> _Response:
    page = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{content}</body></html>"
    return _Response(status, page.encode(), [("Content-Type", "text/html; charset=UTF-8"),
                                             ("Cache-Control", _PRIVATE)])


def _failure_response(failure: _Failure) -> _Response:
    if failure.body is not None:
        return _Response(failure.status, failure.body, [("Content-Type", "application/json")], failure.delay)
    message = "An unexpected error occurred." if failure.status == 500 else HTTPStatus(failure.status).phrase
    response = _json(failure.status, {"success": False, "code": "SERVER_ERROR", "message": message}, None)
    response.delay = failure.delay
    return response


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    forge: LocalForge

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stops reading (a cancelled download, a thumbnail refused as too big) resets its connection:
        # normal here, not worth a traceback on stderr. Anything else still gets one.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(EmulatorHandler):
    methods = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
    server_version = "cloudflare"
    server: _Server

    def _handle(self, method: str) -> None:
        arrived = time.monotonic()
        forge = self.server.forge
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            response = forge._respond(method, self.path, self.headers, body, self.client_address[0])
        except Exception:  # a bug here must still answer, or the client would hang until its timeout
            response = _json(500, {"success": False, "code": "SERVER_ERROR",
                                   "message": "An unexpected error occurred."}, None)
        forge._record(RequestRecord(arrived, method, urlsplit(self.path).path, urlsplit(self.path).query,
                                    response.status))
        if response.delay > 0 and forge._stopping.wait(response.delay):
            self.close_connection = True
            return
        try:
            self._send(method, response)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout fired during a delay)

    def _send(self, method: str, response: _Response) -> None:
        self.send_response(response.status)
        names = {name.lower() for name, _ in response.headers}
        for name, value in response.headers:
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if method == "HEAD":
            return
        if response.file is not None:
            pause = self.server.forge._download_pause
            self.wfile.flush()  # the headers go out at once: the client sees a download that has begun
            if pause > 0 and self.server.forge._stopping.wait(pause):
                self.close_connection = True
                return
            send_file(self.connection, response.file, cut_after=response.cut_after)
            if response.cut_after is not None:
                self.close_connection = True
            return
        if response.cut_after is not None:
            self.wfile.write(response.body[:response.cut_after])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(response.body)
