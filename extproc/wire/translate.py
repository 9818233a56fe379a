"""Protobuf <-> plain values for the servicer: header maps, the answer's
header and body mutations, mode overrides, immediate responses, dynamic
metadata and Envoy's request attributes. No decision is made here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2

from extproc.verdicts import Immediate, Reply
from extproc.wire.pb import base_pb2
from extproc.wire.pb import external_processor_pb2 as pb

_OVERWRITE = base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD


def headers_of(header_map: base_pb2.HeaderMap) -> dict[str, str]:
    """Envoy sends values in ``raw_value``; ``value`` is empty (kept as fallback)."""
    out: dict[str, str] = {}
    for h in header_map.headers:
        raw = h.raw_value
        value = raw.decode("utf-8", "surrogateescape") if raw else h.value
        key = h.key
        if key in out and key[0] != ":":
            out[key] = f"{out[key]},{value}"
        else:
            out[key] = value
    return out


def fill_mutation(
    mutation: pb.HeaderMutation, reply_set: Iterable[tuple[str, str]], remove: list[str]
) -> None:
    if remove:
        mutation.remove_headers.extend(remove)
    for key, value in reply_set:
        option = mutation.set_headers.add()
        # A mutation that sets only `value` yields an empty header: use raw_value.
        option.header.key = key
        option.header.raw_value = value.encode("utf-8", "surrogateescape")
        option.append_action = _OVERWRITE


def immediate_response(answer: Immediate) -> pb.ProcessingResponse:
    """The ImmediateResponse message (dynamic metadata is added by the caller)."""
    resp = pb.ProcessingResponse()
    imm = resp.immediate_response
    imm.body = answer.body
    imm.details = answer.details
    imm.status.code = answer.status  # type: ignore[assignment]
    if answer.headers:
        fill_mutation(imm.headers, answer.headers, [])
    return resp


def fill_common(common: pb.CommonResponse, reply: Reply) -> None:
    """Fill the answer in place: a body is copied into the message once, not
    again into each enclosing message."""
    common.SetInParent()  # an answer that changes nothing still names its phase
    if reply.set_headers or reply.remove_headers:
        fill_mutation(common.header_mutation, reply.set_headers, reply.remove_headers)
    if reply.streamed:
        streamed = common.body_mutation.streamed_response
        streamed.body = reply.body or b""
        streamed.end_of_stream = reply.end_of_stream
    elif reply.body is not None:
        common.body_mutation.body = reply.body


_SCALARS = (str, bool, int, float, type(None))
_STRUCT_CACHE_SIZE = 512


class MetadataCache:
    """Dynamic metadata as a Struct, built once per distinct value.

    Decisions repeat (``{"policy": "default", "request": "pass", ...}``), and
    ``Struct.update`` is pure-Python protobuf code: a few microseconds per
    message saved. Only flat dicts of scalars are cached, in a bounded dict.
    """

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace
        self._cache: dict[tuple[tuple[str, type, object], ...], struct_pb2.Struct] = {}

    def struct(self, data: Mapping[str, object]) -> struct_pb2.Struct:
        if not all(isinstance(v, _SCALARS) for v in data.values()):
            return _struct({self._namespace: data})
        # The type is part of the key: True == 1, but a bool is not a number.
        key = tuple((k, v.__class__, v) for k, v in data.items())
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= _STRUCT_CACHE_SIZE:
                self._cache.clear()
            found = self._cache[key] = _struct({self._namespace: data})
        return found


def _struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(data)
    return s


def fill_mode_override(resp: pb.ProcessingResponse, reply: Reply) -> None:
    if reply.request_body_mode is None and reply.response_body_mode is None:
        return
    mode = resp.mode_override
    if reply.request_body_mode is not None:
        mode.request_body_mode = int(reply.request_body_mode)  # type: ignore[assignment]
    if reply.response_body_mode is not None:
        mode.response_body_mode = int(reply.response_body_mode)  # type: ignore[assignment]


def attributes_of(request: pb.ProcessingRequest) -> dict[str, object]:
    """Envoy's ``request_attributes`` (sent with the first message), as plain
    values by attribute name (``source.address``, ``source.principal``...)."""
    out: dict[str, object] = {}
    for struct in request.attributes.values():
        out.update(json_format.MessageToDict(struct))
    return out


class Attributes(Mapping[str, object]):
    """``attributes_of``, converted on first read: most exchanges never read them."""

    __slots__ = ("_request", "_values")

    def __init__(self, request: pb.ProcessingRequest) -> None:
        self._request: pb.ProcessingRequest | None = request
        self._values: dict[str, object] = {}

    def _all(self) -> dict[str, object]:
        if self._request is not None:
            self._values, self._request = attributes_of(self._request), None
        return self._values

    def __getitem__(self, key: str) -> object:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
