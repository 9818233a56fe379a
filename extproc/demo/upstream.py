"""A small OpenAI-compatible HTTP/1.1 upstream, standard library only.

`python -m extproc.demo.upstream --listen 127.0.0.1:8000` answers chat completions by echoing
the last user message ("You said: ..."), so whoever sits in front of it sees what reached the
model; a prompt that asks for "the customer record" gets a made-up record with personal data
(`CUSTOMER_RECORD`), streamed in small pieces that split its values, to show answers scanned.
End-to-end tests start a `DemoUpstream` in-process, read what it `received`, and set a
`script` to answer with exact bytes, split into chunks with delays between them.

Connections are kept alive (Envoy reuses upstream connections); request bodies, chunked ones
included, are read by `extproc.demo.request_body`.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any

from extproc.demo.model import (
    Received,
    Reply,
    Script,
    default_reply,
    error_reply,
)
from extproc.demo.request_body import BadBody, read_body

MAX_BODY = 16 * 1024 * 1024
# Longer than any test, shorter than forever: Envoy keeps idle upstream connections for an
# hour by default, and closing under it races with a request it is about to send.
IDLE_TIMEOUT = 300.0
_FRAMING = frozenset({"content-length", "transfer-encoding"})


# --- HTTP


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.upstream.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    def _serve(self) -> None:
        upstream = self.server.upstream
        try:
            body = read_body(self.rfile, self.headers, upstream.max_body)
        except BadBody as bad:
            # The rest of the body is unread, so this connection cannot carry another request.
            self.close_connection = True
            self._send(error_reply(bad.status, str(bad)))
            return
        except OSError:  # timeout or reset while reading the body
            self.close_connection = True
            return
        headers = {name.lower(): ", ".join(self.headers.get_all(name, [])) for name in self.headers}
        received = Received(self.command, self.path, headers, body)
        upstream.record(received)
        script = upstream.script
        try:
            reply = script(received) if script is not None else default_reply(received)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            reply = error_reply(500, "The demo upstream's script raised an exception.")
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        chunked = reply.chunked if reply.chunked is not None else len(reply.chunks) > 1
        if self.request_version != "HTTP/1.1":
            chunked = False  # an HTTP/1.0 client cannot decode it
        # 1xx, 204 and 304 answers have no body, and 1xx and 204 no framing headers either.
        bodiless = reply.status < 200 or reply.status in (204, 304)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers:
                if name.lower() not in _FRAMING:
                    self.send_header(name, value)
            if chunked and not bodiless:
                self.send_header("Transfer-Encoding", "chunked")
            elif not bodiless:
                self.send_header("Content-Length", str(sum(map(len, reply.chunks))))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if bodiless or self.command == "HEAD":
                return
            for index, chunk in enumerate(reply.chunks):
                if index and reply.chunk_delay > 0:
                    time.sleep(reply.chunk_delay)
                if not chunked:
                    self.wfile.write(chunk)
                elif chunk:  # an empty chunk would end the body
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except OSError:  # the client went away
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # Envoy opens several connections at once

    def __init__(self, address: tuple[str, int], upstream: DemoUpstream) -> None:
        self.upstream = upstream
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall on DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._open_lock:
            if add:
                self._open.add(connection)
            else:
                self._open.discard(connection)

    def close_connections(self) -> None:
        """Wake handler threads waiting on kept-alive connections, so they end now."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class DemoUpstream:
    """The demo upstream, served from a daemon thread; use as a context manager."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body: int = MAX_BODY,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.max_body = max_body
        self.verbose = verbose
        self.received: list[Received] = []
        self.script: Script | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("DemoUpstream already started")
        server = _Server((self.host, self.port), self)
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"demo-upstream:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> DemoUpstream:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --- command line


def _parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m extproc.demo.upstream",
        description="A demo OpenAI-compatible upstream that echoes what it receives.",
    )
    parser.add_argument("--listen", type=_parse_listen, default=("127.0.0.1", 8000))
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    args = parser.parse_args(argv)
    host, port = args.listen

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    upstream = DemoUpstream(host, port, verbose=not args.quiet)
    try:
        upstream.start()
    except OSError as error:
        print(f"demo upstream: cannot listen on {host}:{port}: {error}", file=sys.stderr)
        return 1
    print(f"demo upstream listening on {upstream.url}", flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        upstream.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
