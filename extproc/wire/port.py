"""One server per port: claimed before anything is loaded, held until exit.

grpc binds with ``SO_REUSEPORT`` on Linux, and the kernel lets any process of
the same user bind a port whose sockets all set it: a second ``extproc
serve`` would quietly take a share of Envoy's connections (with another
policy, or none). So only the workers of a multi-worker server set it (a
lone server does not, and the kernel keeps its port exclusive), and every
server first claims its port:

* a lock named by the port number, an abstract Unix socket (scoped to the
  network namespace, as ports are; a lock file where Linux's abstract
  namespace does not exist), held by one extproc server only: a second one
  fails at once, naming the holder's pid;
* a reservation: the address bound, not listening, without ``SO_REUSEPORT``.
  It fails if anything already listens on the port and turns port 0 into a
  real one; with ``SO_REUSEADDR`` on both sides, the server's own listening
  sockets still bind beside it, and it never receives a connection.

What the kernel cannot stop: another program of the same user that sets
``SO_REUSEPORT`` can still join a multi-worker server's port. Run the server
as a user of its own (the container image does).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import sys
import tempfile
from dataclasses import dataclass
from typing import IO


class PortTaken(OSError):
    """The port is served already, by another extproc server or another program."""


@dataclass
class Claim:
    listen: str  # HOST:PORT with the real port (port 0 resolved)
    port: int
    _lock: socket.socket | IO[bytes]
    _reservation: socket.socket

    def close(self) -> None:
        self._reservation.close()
        self._lock.close()


def _split(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host, int(port)


def _reserve(listen: str) -> socket.socket:
    host, port = _split(listen)
    family, kind, proto, _, address = socket.getaddrinfo(
        host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        why = exc.strerror or type(exc).__name__
        raise PortTaken(f"cannot listen on {listen}: port {port} is taken ({why})") from None
    return sock


def _holder(name: str) -> str:
    """`` (pid N)`` of the process holding the lock ``name``, or nothing."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        probe.connect(name)
        credentials = probe.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        pid, _uid, _gid = struct.unpack("3i", credentials)
        return f" (pid {pid})" if pid > 0 else ""
    return ""


def _lock(port: int) -> socket.socket | IO[bytes]:
    if sys.platform.startswith("linux"):
        name = f"\0extproc-dlp:port:{port}"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(name)
            sock.listen(8)  # never accepted: lets a second server ask who holds it
        except OSError:
            sock.close()
            raise PortTaken(
                f"port {port} is already served by another extproc server{_holder(name)}"
            ) from None
        return sock
    import fcntl

    path = os.path.join(tempfile.gettempdir(), f"extproc-dlp-port-{port}.lock")
    handle = open(path, "ab")  # noqa: SIM115 (held until the server exits)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise PortTaken(f"port {port} is already served by another extproc server") from None
    return handle


def claim(listen: str) -> Claim:
    """Take the port of ``listen`` for this server; raises ``PortTaken``."""
    host, port = _split(listen)
    if port:
        lock = _lock(port)
        try:
            reservation = _reserve(listen)
        except OSError:
            lock.close()
            raise
    else:
        reservation = _reserve(listen)
        port = reservation.getsockname()[1]
        try:
            lock = _lock(port)
        except OSError:
            reservation.close()
            raise
    return Claim(f"{host}:{port}", port, lock, reservation)
