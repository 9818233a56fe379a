"""Server settings: defined once, read from flags and ``EXTPROC_*`` variables.

Each option is one ``Option`` entry below; the flag ``--reload-interval`` and
the variable ``EXTPROC_RELOAD_INTERVAL`` both come from it. A flag wins over
the environment, which wins over the default. Settings are frozen for the
life of the process; the policy is the part that reloads.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any


def _listen(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return value


def _positive_int(value: str) -> int:
    n = int(value)
    if n < 1:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return n


def _non_negative_int(value: str) -> int:
    n = int(value)
    if n < 0:
        raise ValueError(f"expected an integer >= 0, got {value!r}")
    return n


def _non_negative_float(value: str) -> float:
    x = float(value)
    if x < 0:
        raise ValueError(f"expected a number >= 0, got {value!r}")
    return x


def _file(value: str) -> str:
    if not os.path.isfile(value):
        raise ValueError(f"no such file: {value!r}")
    return value


def default_workers() -> int:
    """The CPUs this process may run on (a cpuset or taskset can give fewer)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _positive_float(value: str) -> float:
    x = float(value)
    if not x > 0:
        raise ValueError(f"expected a number > 0, got {value!r}")
    return x


def _on_off(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("on", "true", "1", "yes"):
        return True
    if lowered in ("off", "false", "0", "no"):
        return False
    raise ValueError(f"expected on or off, got {value!r}")


def _patterns(value: str) -> tuple[str, ...]:
    names = tuple(p.strip() for p in value.split(",") if p.strip())
    if not names:
        raise ValueError("expected a comma-separated list of names or globs")
    return names


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, got {value!r}")
        return value

    return parse


@dataclass(frozen=True, slots=True)
class Settings:
    policy: str | None = None
    passthrough: bool = False
    listen: str = "127.0.0.1:50051"
    workers: int = default_workers()
    grace_period: float = 10.0
    reload_interval: float = 2.0
    max_message_bytes: int = 16 * 1024 * 1024
    max_streams: int = 1000
    log_level: str = "info"
    log_format: str = "json"
    metadata_namespace: str = "envoy.filters.http.ext_proc"
    prometheus_listen: str | None = None
    traces: bool = False
    max_worker_rss: int = 0
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    allowed_clients: tuple[str, ...] = ()
    # Secrets: kept out of repr, so a logged Settings never shows them.
    hash_key: str | None = field(default=None, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    redis_timeout: float = 0.05
    callout_threads: int = 16
    recognizers: str | None = None
    recognizer_budget: float = 0.05
    event_loop: str = "auto"


@dataclass(frozen=True, slots=True)
class Option:
    name: str  # field of Settings
    parse: Callable[[str], Any]
    help: str
    switch: bool = False  # a flag without a value (``--passthrough``); the variable takes on/off

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "EXTPROC_" + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option("policy", str, "policy file or directory of policies"),
    Option(
        "passthrough",
        _on_off,
        "run without a policy: inspect nothing, pass everything (the no-op processor "
        "of the benchmarks); labelled passthrough in logs, metrics and Envoy's metadata",
        switch=True,
    ),
    Option("listen", _listen, "gRPC listen address HOST:PORT"),
    Option("workers", _positive_int, "server processes sharing the port (SO_REUSEPORT)"),
    Option("grace_period", _non_negative_float, "seconds open streams get on SIGTERM"),
    Option("reload_interval", _non_negative_float, "seconds between policy file checks (0: off)"),
    Option("max_message_bytes", _positive_int, "largest gRPC message accepted (bodies)"),
    Option("max_streams", _positive_int, "concurrent ext_proc streams per worker"),
    Option("log_level", _choice("debug", "info", "warning", "error"), "log level"),
    Option("log_format", _choice("json", "text"), "log line format"),
    Option("metadata_namespace", str, "dynamic metadata namespace for decisions"),
    Option("prometheus_listen", _listen, "Prometheus scrape endpoint HOST:PORT (none: off)"),
    Option("traces", _on_off, "one span per ext_proc stream, sent over OTLP (on/off)"),
    Option(
        "max_worker_rss",
        _non_negative_int,
        "MiB: a worker above it is drained and replaced, one at a time (0: never)",
    ),
    Option("tls_cert", _file, "PEM certificate chain: serve gRPC over TLS (reloaded on change)"),
    Option("tls_key", _file, "PEM private key of --tls-cert"),
    Option("tls_client_ca", _file, "PEM CA bundle: require client certificates it signed (mTLS)"),
    Option(
        "allowed_clients",
        _patterns,
        "comma-separated SAN URIs or DNS names (globs: spiffe://cluster.local/ns/*/sa/envoy): "
        "only client certificates naming one of them may call (needs --tls-client-ca)",
    ),
    Option(
        "hash_key",
        str,
        "key for the keyed hashes of clients and values (the same in every replica; "
        "prefer the environment variable; none: random per process)",
    ),
    Option("redis_url", str, "redis://... : per-client budgets shared in Redis (none: in memory)"),
    Option("redis_timeout", _positive_float, "seconds a budget check may wait for Redis"),
    Option(
        "recognizers",
        str,
        "comma-separated module:factory entries: model-based recognisers run beside the "
        "regex scan (docs/recognizers.md)",
    ),
    Option(
        "recognizer_budget",
        _positive_float,
        "seconds a recogniser may take per text; a later answer is dropped",
    ),
    Option(
        "callout_threads",
        _positive_int,
        "threads that handle messages which may ask a judge, off the event loop",
    ),
    Option(
        "event_loop",
        _choice("auto", "uvloop", "asyncio"),
        "asyncio event loop: uvloop (less CPU per message), asyncio, or auto (uvloop "
        "where it is installed)",
    ),
)

assert {o.name for o in OPTIONS} == {f.name for f in fields(Settings)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Settings()
    for option in OPTIONS:
        default = getattr(defaults, option.name)
        text = f"{option.help} [env {option.env}; default {default if default != () else None}]"
        if option.switch:
            parser.add_argument(
                option.flag, dest=option.name, action="store_const", const="on", help=text
            )
        else:
            parser.add_argument(
                option.flag, dest=option.name, default=None, metavar=option.name.upper(), help=text
            )


class SettingsError(ValueError):
    pass


def resolve(flags: Mapping[str, str | None], environ: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` from parsed flags (strings or None) and the environment."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw, source = flags.get(option.name), option.flag
        if raw is None:
            raw, source = env.get(option.env), option.env
        if raw is None:
            continue
        try:
            values[option.name] = option.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{source}: {exc}") from None
    settings = Settings(**values)
    if settings.policy is None and not settings.passthrough:
        raise SettingsError(
            "no policy: give --policy FILE_OR_DIR (policies/default.yaml is a start), or "
            "--passthrough for the no-op processor that inspects nothing"
        )
    if settings.policy is not None and settings.passthrough:
        raise SettingsError("--policy and --passthrough exclude each other")
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise SettingsError("--tls-cert and --tls-key go together")
    if settings.tls_client_ca is not None and settings.tls_cert is None:
        raise SettingsError("--tls-client-ca needs --tls-cert and --tls-key")
    if settings.allowed_clients and settings.tls_client_ca is None:
        # Without client certificates no caller can prove a name.
        raise SettingsError("--allowed-clients needs --tls-client-ca")
    if settings.redis_url is not None and not settings.hash_key:
        # Each replica would hash clients and values under its own random key:
        # nobody's budget would ever be shared.
        raise SettingsError(
            "EXTPROC_REDIS_URL needs EXTPROC_HASH_KEY, the same secret in every replica"
        )
    return settings
