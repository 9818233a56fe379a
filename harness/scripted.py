"""A scripted upstream for tests: it replays given answers, byte for byte.

Each answer is a status, headers and a sequence of pieces written one by one
(flushed, ``TCP_NODELAY``, so each reaches Envoy as its own TCP segment),
with a delay before each piece where asked, framed chunked or by
``content-length``. Pieces may come from a generator (a 1 GiB answer made on
the fly, never held). Requests are recorded. Standard library only.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client (Envoy) that resets a connection is part of the tests


@dataclass
class Answer:
    """What to send. ``pieces`` is written piece by piece; ``delays`` (seconds,
    before each piece, repeated from the last) spaces them out; ``length``
    sets ``content-length`` (None: computed when ``chunked`` is False)."""

    pieces: Iterable[bytes] = ()
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delays: tuple[float, ...] = (0.0,)
    chunked: bool = True
    length: int | None = None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedUpstream:
    """``answer`` maps each request to an ``Answer``; use as a context manager."""

    answer: Callable[[Request], Answer] = field(default=lambda _r: Answer())
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Request] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # when each piece was written
    _server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 120

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request(self.command, self.path, headers, body)
                upstream.received.append(request)
                upstream._send(self, upstream.answer(request))

            do_GET = do_POST

        server = _Server((self.host, self.port), Handler)
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()

    def _send(self, handler: BaseHTTPRequestHandler, answer: Answer) -> None:
        sock = handler.connection
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pieces = answer.pieces
        if not answer.chunked and answer.length is None:
            pieces = list(pieces)
            answer.length = sum(map(len, pieces))
        handler.send_response(answer.status)
        for name, value in answer.headers:
            handler.send_header(name, value)
        if answer.chunked:
            handler.send_header("transfer-encoding", "chunked")
        else:
            handler.send_header("content-length", str(answer.length))
        handler.end_headers()
        handler.wfile.flush()
        try:
            for i, piece in enumerate(pieces):
                delay = answer.delays[min(i, len(answer.delays) - 1)]
                if delay:
                    time.sleep(delay)
                if answer.chunked and piece:
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                elif piece:
                    handler.wfile.write(piece)
                handler.wfile.flush()
                self.sent_at.append(time.monotonic())
            if answer.chunked:
                handler.wfile.write(b"0\r\n\r\n")
                handler.wfile.flush()
        except OSError:  # Envoy reset the stream (a cut answer): stop writing
            handler.close_connection = True

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ScriptedUpstream:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        with contextlib.suppress(OSError):
            self.stop()
