"""`FileHost`: a small file host on 127.0.0.1, and the streamed file answer it shares with `LocalForge`.

The host plays the places a mod's download link can point to, over a real socket:

- ``/files/<name>``: files from one folder, streamed from disk in chunks (HEAD, single byte ranges, ``If-Range``,
  ``ETag`` and ``Last-Modified``), like GitHub's release storage or a self-hosted server;
- ``/landing/<anything>``: an HTML page asking for a click or a captcha, like MediaFire or MEGA;
- a GitHub imitation: the REST API's ``/repos/{owner}/{repo}/releases/tags/{tag}`` and ``/releases/latest``, and the
  web pages ``/{owner}/{repo}``, ``/{owner}/{repo}/releases`` and ``/{owner}/{repo}/releases/tag/{tag}`` (HTML).

Tests steer it at run time: cut the next downloads after N bytes, hold every file answer until released (to see
how many streams a client opens at once), slow the stream down, script the next answers of a path, and read back
every request it saw. `file_answer` and `send_file` are also how `LocalForge` serves ``/files/``, so that a 500 MB
archive is never read into memory.
"""

from __future__ import annotations

import email.utils
import json
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from app.sandbox.serving import EmulatorHandler, SandboxServer

SEND_CHUNK = 1 << 20  # bytes per write when a body is sent in a loop (throttled, or no sendfile)
THROTTLE_CHUNK = 64 << 10  # bytes per pause when the host is slowed down
FILE_TYPES = {".zip": "application/zip", ".7z": "application/x-7z-compressed", ".rar": "application/vnd.rar",
              ".dll": "application/x-msdownload"}
_HTML = "text/html; charset=UTF-8"
_RANGE = re.compile(r"\s*bytes=(\d*)-(\d*)\s*")
_API_RELEASE = re.compile(r"^/repos/([^/]+)/([^/]+)/releases/(?:tags/(.+)|(latest))$")
_WEB_RELEASE = re.compile(r"^/([^/]+)/([^/]+)(?:/releases(?:/tag/(.+)|/latest)?)?/?$")


# -- the streamed file answer (shared with LocalForge) ---------------------------------------------------------


@dataclass(frozen=True)
class FileBody:
    """The bytes `start` .. `start + length - 1` of the file at `path`, sent straight from disk."""

    path: Path
    start: int
    length: int


@dataclass(frozen=True)
class FileAnswer:
    status: int  # 200, 206 or 416
    headers: list[tuple[str, str]]
    body: FileBody | None


def file_validators(path: Path) -> tuple[str, str]:
    """(ETag, Last-Modified) from the file's size and modification time, as nginx does: no need to read it."""
    stat = path.stat()
    return f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"', email.utils.formatdate(stat.st_mtime, usegmt=True)


def file_answer(path: Path, content_type: str, request_headers: Message | dict[str, str],
                file_name: str | None = None) -> FileAnswer:
    """The answer to a GET or HEAD of `path`: whole, one byte range (RFC 9110 14), or 416.

    Several ranges or a malformed ``Range`` get the whole file; so does an ``If-Range`` that names another
    version of the file (its validator differs), which is how a client learns that its partial copy is stale.
    """
    size = path.stat().st_size
    etag, last_modified = file_validators(path)
    headers = [("Content-Type", content_type), ("Accept-Ranges", "bytes"),
               ("Content-Disposition", f'attachment; filename="{file_name or path.name}"'),
               ("Last-Modified", last_modified), ("ETag", etag)]
    wanted = _requested_range(request_headers.get("Range"), size)
    if_range = request_headers.get("If-Range")
    if wanted is not None and if_range is not None and if_range.strip() not in (etag, last_modified):
        wanted = None
    if wanted is None:
        return FileAnswer(200, [*headers, ("Content-Length", str(size))], FileBody(path, 0, size))
    if wanted == "unsatisfiable":
        return FileAnswer(416, [*headers, ("Content-Range", f"bytes */{size}"), ("Content-Length", "0")], None)
    start, end = wanted
    return FileAnswer(206, [*headers, ("Content-Range", f"bytes {start}-{end}/{size}"),
                            ("Content-Length", str(end - start + 1))], FileBody(path, start, end - start + 1))


def _requested_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(first, last) byte of a single range, "unsatisfiable", or None for "send everything"."""
    match = _RANGE.fullmatch(header or "")
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return "unsatisfiable"
    return start, end


def send_file(connection: socket.socket, body: FileBody, *, cut_after: int | None = None,
              throttle: float = 0.0) -> None:
    """Send `body` from disk without holding more than a chunk in memory.

    `cut_after`: stop after that many bytes and shut the connection down (a broken download). `throttle`: pause
    that many seconds after every `THROTTLE_CHUNK` bytes (a slow host). Otherwise the kernel copies the file
    (`socket.sendfile`), so the sandbox is never the bottleneck of a download benchmark.
    """
    count = body.length if cut_after is None else min(cut_after, body.length)
    with body.path.open("rb") as source:
        if throttle > 0:
            _send_slowly(connection, source, body.start, count, throttle)
        elif count > 0:
            connection.sendfile(source, body.start, count)
    if cut_after is not None:
        connection.shutdown(socket.SHUT_RDWR)


def _send_slowly(connection: socket.socket, source: Any, start: int, count: int, throttle: float) -> None:
    source.seek(start)
    while count > 0:
        chunk = source.read(min(THROTTLE_CHUNK, count))
        if not chunk:
            return  # the file shrank under us: the client sees a short body
        connection.sendall(chunk)
        count -= len(chunk)
        time.sleep(throttle)


# -- the host --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostRequest:
    method: str
    path: str  # decoded, without the query
    headers: dict[str, str]
    status: int


@dataclass
class ScriptedAnswer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Release:
    owner: str
    repo: str
    tag: str
    assets: tuple[str, ...]  # file names in the host's folder


@dataclass
class _Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    file: FileBody | None = None
    cut_after: int | None = None


class FileHost(SandboxServer):
    """Files, landing pages and a GitHub imitation on 127.0.0.1. Usable as a context manager."""

    def __init__(self, directory: Path, *, port: int = 0) -> None:
        self.directory = Path(directory)
        self.throttle = 0.0  # seconds of pause per 64 KiB of file body; 0 sends at full speed
        super().__init__(port, name="file-host")
        self._lock = threading.Lock()
        self._requests: list[HostRequest] = []
        self._cuts: deque[int] = deque()
        self._scripts: dict[str, deque[ScriptedAnswer]] = {}
        self._releases: list[Release] = []
        self._open = threading.Event()
        self._open.set()
        self._in_flight = 0
        self.peak_in_flight = 0

    # -- lifecycle

    def _make_server(self, address: tuple[str, int]) -> _HostServer:
        server = _HostServer(address, _HostHandler)
        server.host = self
        return server

    def _before_stop(self) -> None:
        self._open.set()  # a held answer must not keep a handler thread alive

    @property
    def root_url(self) -> str:
        if not self.running:
            raise RuntimeError("the FileHost is not running; call start() first")
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL of the GitHub REST API imitation (what `api.github.com` is to the real one)."""
        return self.root_url

    def url(self, name: str) -> str:
        return f"{self.root_url}/files/{quote(name)}"

    # -- run-time controls

    def add_release(self, owner: str, repo: str, tag: str, assets: Sequence[str]) -> Release:
        """Publish a release; the last one added is `releases/latest` for its repository."""
        release = Release(owner, repo, tag, tuple(assets))
        with self._lock:
            self._releases.append(release)
        return release

    def interrupt_next_download(self, count: int = 1, after_bytes: int = 1024) -> None:
        """Make the next `count` file answers with a body drop the connection after `after_bytes` bytes."""
        with self._lock:
            self._cuts.extend([after_bytes] * count)

    def script(self, path: str, *answers: ScriptedAnswer) -> None:
        """Answer the next requests of `path` (e.g. "/files/a.zip") with `answers`, in order, then as usual.

        An answer with a ``Connection: close`` header is sent without a length (its end is the connection's).
        """
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(answers)

    def hold_files(self) -> None:
        """File answers wait (after their request is recorded) until `release_files()`."""
        self._open.clear()

    def release_files(self) -> None:
        self._open.set()

    @property
    def requests(self) -> list[HostRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def in_flight(self) -> int:
        """File answers being held or sent right now."""
        with self._lock:
            return self._in_flight

    # -- answering (handler threads)

    def _answer(self, method: str, path: str, headers: Message) -> _Answer:
        with self._lock:
            scripted = self._scripts.get(path)
            answer = scripted.popleft() if scripted else None
        if answer is not None:
            return _Answer(answer.status, list(answer.headers.items()), answer.body)
        if path.startswith("/files/"):
            return self._file(path[len("/files/"):], method, headers)
        if path.startswith("/landing/"):
            return _html(200, "Download", "<p>Your download will start after you complete the captcha.</p>")
        api = _API_RELEASE.match(path)
        if api is not None:
            return self._api_release(api.group(1), api.group(2), api.group(3))
        web = _WEB_RELEASE.match(path)
        if web is not None and self._find_release(web.group(1), web.group(2), web.group(3)) is not None:
            return _html(200, f"Releases · {web.group(1)}/{web.group(2)}", "<h1>Release</h1><p>Assets below.</p>")
        return _html(404, "Not Found", "<h1>404 | Not Found</h1>")

    def _file(self, name: str, method: str, headers: Message) -> _Answer:
        path = self.directory / name
        if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
            return _html(404, "Not Found", "<h1>404 | Not Found</h1>")
        answer = file_answer(path, FILE_TYPES.get(path.suffix.lower(), "application/octet-stream"), headers)
        result = _Answer(answer.status, answer.headers, file=answer.body if method == "GET" else None)
        if result.file is not None:
            with self._lock:
                result.cut_after = self._cuts.popleft() if self._cuts else None
        return result

    def _find_release(self, owner: str, repo: str, tag: str | None) -> Release | None:
        with self._lock:
            candidates = [r for r in self._releases if r.owner.lower() == owner.lower()
                          and r.repo.lower() == repo.lower()]
        if tag is None:
            return candidates[-1] if candidates else None
        return next((r for r in candidates if r.tag == tag), None)

    def _api_release(self, owner: str, repo: str, tag: str | None) -> _Answer:
        release = self._find_release(owner, repo, tag)
        if release is None:
            document: dict[str, Any] = {"message": "Not Found", "status": "404",
                                        "documentation_url": "https://docs.github.com/rest/releases/releases"}
            return _Answer(404, [("Content-Type", "application/json; charset=utf-8")], json.dumps(document).encode())
        return _Answer(200, [("Content-Type", "application/json; charset=utf-8")],
                       json.dumps(self._release_document(release)).encode())

    def _release_document(self, release: Release) -> dict[str, Any]:
        base = f"{self.root_url}/repos/{release.owner}/{release.repo}/releases"
        assets = []
        for number, name in enumerate(release.assets, start=1):
            path = self.directory / name
            assets.append({"url": f"{base}/assets/{number}", "id": number, "name": name, "state": "uploaded",
                           "content_type": FILE_TYPES.get(path.suffix.lower(), "application/octet-stream"),
                           "size": path.stat().st_size if path.is_file() else 0,
                           "browser_download_url": self.url(name)})
        return {"url": f"{base}/1", "id": 1, "tag_name": release.tag, "name": release.tag, "draft": False,
                "prerelease": False,
                "html_url": f"{self.root_url}/{release.owner}/{release.repo}/releases/tag/{quote(release.tag)}",
                "zipball_url": f"{self.root_url}/{release.owner}/{release.repo}/zipball/{quote(release.tag)}",
                "assets": assets}

    def _record(self, request: HostRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _enter_file(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)

    def _leave_file(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _html(status: int, title: str, content: str) -> _Answer:
    page = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{content}</body></html>"
    return _Answer(status, [("Content-Type", _HTML), ("Cache-Control", "no-cache, private")], page.encode())


class _HostServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    host: FileHost

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that cancels or refuses a download closes its connection mid-answer: normal here, not worth
        # a traceback on stderr. Anything else still gets one.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _HostHandler(EmulatorHandler):
    methods = ("GET", "HEAD")
    server_version = "kappa-file-host"
    server: _HostServer

    def _handle(self, method: str) -> None:
        host = self.server.host
        path = unquote(urlsplit(self.path).path)
        try:
            answer = host._answer(method, path, self.headers)
        except Exception:  # a bug here must still answer, or the client would wait for its timeout
            answer = _html(500, "Server Error", "<h1>500 | Server Error</h1>")
        host._record(HostRequest(method, path, dict(self.headers.items()), answer.status))
        if answer.file is None:
            # A scripted "Connection: close" answer has no length: its body ends when the connection does.
            until_close = any(n.lower() == "connection" and v.lower() == "close" for n, v in answer.headers)
            self._send_head(answer, None if until_close else len(answer.body))
            if method == "GET":
                self.wfile.write(answer.body)
            self.close_connection = self.close_connection or until_close
            return
        host._enter_file()
        try:
            host._open.wait()
            self._send_head(answer, None)
            send_file(self.connection, answer.file, cut_after=answer.cut_after, throttle=host.throttle)
            if answer.cut_after is not None:
                self.close_connection = True
        except OSError:
            self.close_connection = True  # the client went away (a cancelled download)
        finally:
            host._leave_file()

    def _send_head(self, answer: _Answer, length: int | None) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        if length is not None and not any(name.lower() == "content-length" for name, _ in answer.headers):
            self.send_header("Content-Length", str(length))
        self.end_headers()
