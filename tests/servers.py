"""Real HTTP servers on 127.0.0.1 for the crawler tests (no mocked requests).

- `SiteServer`: a threaded `http.server` with configurable routes (status, headers, body, delay,
  redirects, Retry-After, failing the first N times, dynamic handlers) and a request log.
- `RawServer`: a raw TCP server for framing and timing faults (never answers, drips bytes,
  streams forever, wrong Content-Length, reset connection, malformed HTTP).

The `site` and `raw_server` fixtures (tests/crawl_fixtures.py) stop their servers after each test.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes | str = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    redirect: str | None = None  # Location header (status defaults to 302 when given)
    fail_times: int = 0  # answer `fail_status` this many times first
    fail_status: int = 503
    fail_headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False  # send the body gzip-encoded


@dataclass
class Hit:
    path: str
    at: float
    headers: dict[str, str]


def html(body: str = "", title: str = "page", head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    )


def links(*hrefs: str) -> str:
    return html("".join(f'<a href="{href}">{href}</a>' for href in hrefs))


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-keep-alive are normal here


class SiteServer:
    """A small web site on 127.0.0.1:<random port>; unknown paths answer 404."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.dynamic: list[Callable[[str], Route | None]] = []
        self.hits: list[Hit] = []
        self._fails: dict[str, int] = {}
        self.active = self.max_active = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _QuietServer((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.host = host
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    # -- configuration -----------------------------------------------------------------------
    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", **options: object) -> SiteServer:
        self.routes[path] = Route(body=body, **options)  # type: ignore[arg-type]
        return self

    def page(self, path: str, *hrefs: str) -> SiteServer:
        """A page linking to `hrefs`."""
        return self.add(path, links(*hrefs))

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.path == path]

    @property
    def paths(self) -> list[str]:
        with self._lock:
            return [hit.path for hit in self.hits]

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving -----------------------------------------------------------------------------
    def _find(self, target: str) -> Route | None:
        route = self.routes.get(target) or self.routes.get(urlsplit(target).path)
        if route is None:
            for handler in self.dynamic:
                route = handler(target)
                if route is not None:
                    break
        return route

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        target = request.path
        with self._lock:
            self.hits.append(Hit(target, time.monotonic(), dict(request.headers.items())))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            self._answer(request, target)
        finally:
            with self._lock:
                self.active -= 1

    def _answer(self, request: BaseHTTPRequestHandler, target: str) -> None:
        route = self._find(target) or Route(body="not found", status=404, content_type="text/plain")
        if route.delay:
            time.sleep(route.delay)
        with self._lock:
            failed = self._fails.get(target, 0)
            failing = failed < route.fail_times
            if failing:
                self._fails[target] = failed + 1
        if failing:
            self._send(request, route.fail_status, b"try later", "text/plain", route.fail_headers)
            return
        body = route.body.encode("utf-8") if isinstance(route.body, str) else route.body
        headers = dict(route.headers)
        status = route.status
        if route.redirect is not None:
            headers["Location"] = route.redirect
            status = route.status if 300 <= route.status < 400 else 302
        if route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self._send(request, status, body, route.content_type, headers)

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str],
    ) -> None:
        try:
            request.send_response(status)
            if content_type is not None:
                request.send_header("Content-Type", content_type)
            if not any(name.lower() == "content-length" for name in headers):
                request.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


# -- raw TCP faults --------------------------------------------------------------------------
Behaviour = Callable[[socket.socket, threading.Event], None]


def _read_request(conn: socket.socket) -> None:
    conn.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
    except OSError:
        return


def silent(conn: socket.socket, stop: threading.Event) -> None:
    """Accept, read the request, never answer."""
    _read_request(conn)
    stop.wait(30)


def drip_body(conn: socket.socket, stop: threading.Event) -> None:
    """Valid headers, then one body byte every 0.1 s for as long as anyone listens."""
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
    while not stop.wait(0.1):
        conn.sendall(b"x")


def drip_headers(conn: socket.socket, stop: threading.Event) -> None:
    """Sends header bytes one at a time, forever: only a total deadline ends this."""
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while not stop.wait(0.1):
        conn.sendall(b"X-Slow: a\r\n")


def endless(conn: socket.socket, stop: threading.Event) -> None:
    """Chunked HTML without end, as fast as the client reads."""
    _read_request(conn)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"<p>" + b"spam " * 1000 + b"</p>"
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    while not stop.is_set():
        conn.sendall(frame)


def short_body(conn: socket.socket, stop: threading.Event) -> None:
    """Announces 1000 bytes, sends 20, closes."""
    _read_request(conn)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n"
        b"Connection: close\r\n\r\n<html><body>short"
    )


def reset(conn: socket.socket, stop: threading.Event) -> None:
    """Reads the request and resets the connection (RST)."""
    _read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def malformed(conn: socket.socket, stop: threading.Event) -> None:
    """Answers something that is not HTTP."""
    _read_request(conn)
    conn.sendall(b"HELLO THIS IS NOT HTTP\r\n\r\n")


class RawServer:
    """A TCP server that runs `behaviour(conn, stop)` for every connection."""

    def __init__(self, behaviour: Callable[[socket.socket, threading.Event], None]) -> None:
        self.behaviour = behaviour
        self.stop_event = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            self._conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.behaviour(conn, self.stop_event)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.stop_event.set()
        self._thread.join(2)
        self.sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()
