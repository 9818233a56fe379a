"""Our proto subset speaks Envoy's ext_proc wire format.

The reference is the official schema as shipped by `envoy-data-plane` (betterproto2 classes
generated from Envoy's own protos). Three kinds of check:

- structure: every field of our subset has the official name, number, type, cardinality,
  oneof and referenced type, found by walking our descriptors (a test per field, named by it);
- values: fully populated official messages parse with our code with every value intact, and
  messages built with our code parse with the official classes back to the same message;
- unknown fields: what our subset leaves out survives our parse/serialise round trip.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any, TypeAlias

import betterproto2
import pytest
from google.protobuf import unknown_fields
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message as PbMessage

from extproc.wire.pb import base_pb2, http_status_pb2, processing_mode_pb2
from extproc.wire.pb import external_processor_pb2 as pb

with warnings.catch_warnings():
    # envoy-data-plane's generated validators use an API pydantic deprecates.
    warnings.simplefilter("ignore", DeprecationWarning)
    from envoy_data_plane.envoy.config.core import v3 as core
    from envoy_data_plane.envoy.extensions.filters.http.ext_proc import v3 as mode
    from envoy_data_plane.envoy.service.ext_proc import v3 as ep
    from envoy_data_plane.envoy.type import v3 as types
    from envoy_data_plane.google import protobuf as wkt
    from envoy_data_plane.message_pool import default_message_pool

# The samples set fields Envoy deprecates (still on the wire) on purpose.
DEPRECATED = ("HeaderValueOption.append", "HttpHeaders.attributes")
pytestmark = [pytest.mark.filterwarnings(f"ignore:{name} is deprecated") for name in DEPRECATED]

Official: TypeAlias = betterproto2.Message
# Descriptors: the stubs tell the pure-Python and the upb classes apart, the runtime does not.
Field: TypeAlias = Any
OUR_MODULES: tuple[ModuleType, ...] = (pb, base_pb2, http_status_pb2, processing_mode_pb2)

# --- our schema


def _messages(desc: Descriptor) -> Iterator[Descriptor]:
    yield desc
    for nested in desc.nested_types:
        if not nested.GetOptions().map_entry:
            yield from _messages(nested)


OUR_MESSAGES: tuple[Descriptor, ...] = tuple(
    d
    for m in OUR_MODULES
    for top in m.DESCRIPTOR.message_types_by_name.values()
    for d in _messages(top)
)
OUR_ENUMS: tuple[EnumDescriptor, ...] = tuple(
    [e for m in OUR_MODULES for e in m.DESCRIPTOR.enum_types_by_name.values()]
    + [e for d in OUR_MESSAGES for e in d.enum_types]
)
OUR_FIELDS: tuple[FieldDescriptor, ...] = tuple(f for d in OUR_MESSAGES for f in d.fields)


def _is_map(field: Field) -> bool:
    return field.message_type is not None and bool(field.message_type.GetOptions().map_entry)


def _map_value(field: Field) -> Field:
    """The `value` field of a map field's entry message."""
    return field.message_type.fields_by_name["value"]


def _official_class(desc: Descriptor | EnumDescriptor) -> Any:
    """The envoy-data-plane class for a proto type: module per package, nested names joined."""
    package = desc.file.package
    module = importlib.import_module(f"envoy_data_plane.{package}")
    return getattr(module, desc.full_name[len(package) + 1 :].replace(".", ""))


def _official_name(cls: type) -> str:
    """The proto full name of an envoy-data-plane message class."""
    return default_message_pool.type_to_url[cls].removeprefix("type.googleapis.com/")


def _official_meta(cls: Any) -> dict[str, betterproto2.FieldMetadata]:
    return {f.name: betterproto2.FieldMetadata.get(f) for f in dataclasses.fields(cls)}


# descriptor type -> betterproto2 type name: TYPE_BOOL -> "bool", TYPE_UINT32 -> "uint32", ...
_TYPE_NAMES = {
    getattr(FieldDescriptor, name): name.removeprefix("TYPE_").lower()
    for name in dir(FieldDescriptor)
    if name.startswith("TYPE_")
}


# --- structure


@pytest.mark.parametrize("field", OUR_FIELDS, ids=lambda f: f.full_name)
def test_field_matches_official_schema(field: Field) -> None:
    owner = field.containing_type.full_name
    official = _official_class(field.containing_type)
    meta = _official_meta(official).get(field.name)
    assert meta is not None, f"{owner} has no field {field.name!r} in Envoy's schema"
    where = f"{owner}.{field.name}"
    assert field.number == meta.number, (
        f"{where}: field number {field.number}, Envoy's is {meta.number}"
    )

    classes = official._betterproto.cls_by_field
    if _is_map(field):
        assert meta.proto_type == "map" and meta.map_meta is not None, f"{where}: Envoy's is no map"
        key, value = field.message_type.fields_by_name["key"], _map_value(field)
        assert _TYPE_NAMES[key.type] == meta.map_meta[0].proto_type, f"{where}: map key type"
        assert _TYPE_NAMES[value.type] == meta.map_meta[1].proto_type, f"{where}: map value type"
        if value.message_type is not None:
            official_value = _official_name(classes[f"{field.name}.value"])
            assert value.message_type.full_name == official_value, f"{where}: map value type"
        return

    assert meta.proto_type != "map", f"{where}: Envoy's is a map"
    assert field.is_repeated == bool(meta.repeated), f"{where}: repeated differs"
    assert _TYPE_NAMES[field.type] == meta.proto_type, (
        f"{where}: type {_TYPE_NAMES[field.type]}, Envoy's is {meta.proto_type}"
    )
    oneof = field.containing_oneof.name if field.containing_oneof else None
    assert oneof == meta.group, f"{where}: oneof {oneof}, Envoy's is {meta.group}"
    if field.enum_type is not None:
        expected = _official_class(field.enum_type)
        assert classes[field.name] is expected, f"{where}: enum {field.enum_type.full_name}"
    if field.message_type is not None:
        # Wrapped well-known types (BoolValue, Duration) are unwrapped to Python values.
        target = meta.unwrap() if meta.unwrap else classes[field.name]
        assert field.message_type.full_name == _official_name(target), f"{where}: message type"


@pytest.mark.parametrize("enum", OUR_ENUMS, ids=lambda e: e.full_name)
def test_enum_values_match_official_schema(enum: EnumDescriptor) -> None:
    official = _official_class(enum)
    theirs = {member.name: member.value for member in official}
    for value in enum.values:
        assert value.name in theirs, f"{enum.full_name}.{value.name} is not in Envoy's enum"
        assert value.number == theirs[value.name], f"{enum.full_name}.{value.name} number"


def test_every_message_has_an_official_counterpart() -> None:
    for desc in OUR_MESSAGES:
        cls = _official_class(desc)
        assert _official_name(cls) == desc.full_name


def test_service_matches_official_stub() -> None:
    service = pb.DESCRIPTOR.services_by_name["ExternalProcessor"]
    [method] = service.methods
    assert method.client_streaming and method.server_streaming
    path = f"/{service.full_name}/{method.name}"
    mapping = ep.ExternalProcessorBase().__mapping__()
    assert list(mapping) == [path]
    handler = mapping[path]
    assert handler.cardinality.name == "STREAM_STREAM"
    assert _official_name(handler.request_type) == method.input_type.full_name
    assert _official_name(handler.reply_type) == method.output_type.full_name


# --- values


def _unwrapped(value: Any, meta: betterproto2.FieldMetadata | None) -> Any:
    """betterproto2 keeps BoolValue/Duration as bool/timedelta: turn them back into messages."""
    if meta is not None and meta.unwrap is not None:
        wrapper: Any = meta.unwrap()
        return wrapper.from_wrapped(value)
    return value


def assert_same(ours: PbMessage, theirs: Official, path: str) -> None:
    """Every field of our message equals the official message's field of the same name."""
    metas = _official_meta(type(theirs))
    for field in ours.DESCRIPTOR.fields:
        where = f"{path}.{field.name}"
        meta = metas[field.name]
        value = getattr(theirs, field.name)
        mine = getattr(ours, field.name)
        if _is_map(field):
            value_field = _map_value(field)
            assert meta.map_meta is not None
            assert set(mine) == set(value), f"{where}: keys"
            for key in value:
                item = _unwrapped(value[key], meta.map_meta[1])
                _assert_value(value_field, mine[key], item, f"{where}[{key!r}]")
        elif field.is_repeated:
            assert len(mine) == len(value), f"{where}: length"
            for index, (a, b) in enumerate(zip(mine, value, strict=True)):
                _assert_value(field, a, _unwrapped(b, meta), f"{where}[{index}]")
        elif field.message_type is not None or field.containing_oneof is not None:
            present = ours.HasField(field.name)
            assert present == (value is not None), f"{where}: presence ours={present}"
            if present:
                _assert_value(field, mine, _unwrapped(value, meta), where)
        else:
            _assert_value(field, mine, value, where)


def _assert_value(field: Field, mine: Any, theirs: Any, where: str) -> None:
    if field.message_type is not None:
        assert_same(mine, theirs, where)
    elif field.enum_type is not None:
        assert isinstance(theirs, betterproto2.Enum), where
        assert mine == theirs.value, f"{where}: ours {mine}, Envoy's {theirs!r}"
    else:
        assert type(mine) is type(theirs) and mine == theirs, f"{where}: {mine!r} != {theirs!r}"


def fill(ours: PbMessage, theirs: Official) -> PbMessage:
    """Build our message field by field (by name) from an official one."""
    metas = _official_meta(type(theirs))
    for field in ours.DESCRIPTOR.fields:
        meta = metas[field.name]
        value = getattr(theirs, field.name)
        target = getattr(ours, field.name)
        if _is_map(field):
            assert meta.map_meta is not None
            for key, item in value.items():
                if _map_value(field).message_type is not None:
                    fill(target[key], _unwrapped(item, meta.map_meta[1]))
                else:
                    target[key] = _plain(item)
        elif field.is_repeated:
            for item in value:
                if field.message_type is not None:
                    fill(target.add(), _unwrapped(item, meta))
                else:
                    target.append(_plain(item))
        elif value is None:
            continue
        elif field.message_type is not None:
            target.SetInParent()
            fill(target, _unwrapped(value, meta))
        else:
            setattr(ours, field.name, _plain(value))
    return ours


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, betterproto2.Enum) else value


def _struct(**values: Any) -> wkt.Struct:
    struct: wkt.Struct = wkt.Struct.from_dict(values)
    return struct


def _header_map(prefix: str) -> core.HeaderMap:
    return core.HeaderMap(
        headers=[
            core.HeaderValue(key=":path", value="/v1/chat/completions", raw_value=b"/v1/chat"),
            core.HeaderValue(key=f"x-{prefix}", value=f"{prefix}-value", raw_value=b"\x00\xff raw"),
        ]
    )


def _mutation() -> ep.HeaderMutation:
    actions = list(core.HeaderValueOptionHeaderAppendAction)
    return ep.HeaderMutation(
        set_headers=[
            core.HeaderValueOption(
                header=core.HeaderValue(key=f"x-dlp-{i}", value=f"v{i}", raw_value=b"r%d" % i),
                append=bool(i % 2),  # False must stay distinct from unset
                append_action=action,
                keep_empty_value=i == 0,
            )
            for i, action in enumerate(actions)
        ],
        remove_headers=["content-length", "x-secret"],
    )


def _common(
    body: ep.BodyMutation,
    status: ep.CommonResponseResponseStatus = ep.CommonResponseResponseStatus.CONTINUE_AND_REPLACE,
) -> ep.CommonResponse:
    return ep.CommonResponse(
        status=status,
        header_mutation=_mutation(),
        body_mutation=body,
        trailers=_header_map("trailer"),
        clear_route_cache=True,
    )


_BODY_SEND = list(mode.ProcessingModeBodySendMode)
_HEADER_SEND = list(mode.ProcessingModeHeaderSendMode)


def _nth(values: list[Any], index: int) -> Any:
    return values[index % len(values)]


def _processing_mode(index: int) -> mode.ProcessingMode:
    return mode.ProcessingMode(
        request_header_mode=_nth(_HEADER_SEND, index),
        response_header_mode=_nth(_HEADER_SEND, index + 1),
        request_body_mode=_nth(_BODY_SEND, index),
        response_body_mode=_nth(_BODY_SEND, index + 1),
        request_trailer_mode=_nth(_HEADER_SEND, index + 2),
        response_trailer_mode=_nth(_HEADER_SEND, index),
    )


def _request(phase: dict[str, Any] | None = None, index: int = 0) -> ep.ProcessingRequest:
    return ep.ProcessingRequest(
        **(phase or {}),
        metadata_context=core.Metadata(
            filter_metadata={"envoy.filters.http.ext_proc": _struct(route="chat", n=2.5)}
        ),
        attributes={
            "envoy.filters.http.ext_proc": _struct(
                **{"request.path": "/v1/chat", "ok": True, "none": None, "list": [1, "x"]}
            )
        },
        observability_mode=True,
        protocol_config=ep.ProtocolConfiguration(
            request_body_mode=_nth(_BODY_SEND, index),
            response_body_mode=_nth(_BODY_SEND, index + 1),
            send_body_without_waiting_for_header_response=True,
        ),
    )


def _response(phase: dict[str, Any] | None = None, index: int = 0) -> ep.ProcessingResponse:
    return ep.ProcessingResponse(
        **(phase or {}),
        dynamic_metadata=_struct(dlp={"findings": 2.0, "detectors": ["email", "iban"]}),
        mode_override=_processing_mode(index),
        override_message_timeout=datetime.timedelta(seconds=2, microseconds=500_000),
    )


def _immediate(code: types.StatusCode) -> ep.ImmediateResponse:
    return ep.ImmediateResponse(
        status=types.HttpStatus(code=code),
        headers=_mutation(),
        body=b'{"error": "blocked by DLP"}',
        grpc_status=ep.GrpcStatus(status=7),
        details="dlp_blocked",
    )


def _samples() -> Iterator[tuple[str, Official]]:
    headers = ep.HttpHeaders(headers=_header_map("req"), end_of_stream=True)
    body = ep.HttpBody(body=b'{"messages": []}\xff\x00', end_of_stream=True)
    trailers = ep.HttpTrailers(trailers=_header_map("trl"))
    request_phases: list[tuple[str, Official]] = [
        ("request_headers", headers),
        ("response_headers", headers),
        ("request_body", body),
        ("response_body", body),
        ("request_trailers", trailers),
        ("response_trailers", trailers),
    ]
    for phase, message in request_phases:
        yield f"ProcessingRequest.{phase}", _request({phase: message})
    for index in range(len(_BODY_SEND)):
        yield f"ProcessingRequest.protocol_config[{index}]", _request({"request_body": body}, index)

    streamed = ep.StreamedBodyResponse(body=b"data: {}\n\n", end_of_stream=True)
    response_phases: list[tuple[str, Official]] = [
        ("request_headers", ep.HeadersResponse(response=_common(ep.BodyMutation(body=b"new")))),
        (
            "response_headers",
            ep.HeadersResponse(response=_common(ep.BodyMutation(clear_body=True))),
        ),
        (
            "request_body",
            ep.BodyResponse(response=_common(ep.BodyMutation(streamed_response=streamed))),
        ),
        (
            "response_body",
            ep.BodyResponse(
                response=_common(
                    ep.BodyMutation(body=b""), ep.CommonResponseResponseStatus.CONTINUE
                )
            ),
        ),
        ("request_trailers", ep.TrailersResponse(header_mutation=_mutation())),
        ("response_trailers", ep.TrailersResponse(header_mutation=_mutation())),
        ("immediate_response", _immediate(types.StatusCode.Forbidden)),
    ]
    for phase, message in response_phases:
        yield f"ProcessingResponse.{phase}", _response({phase: message})
    for index in range(len(_BODY_SEND)):
        yield f"ProcessingResponse.mode_override[{index}]", _response(index=index)
    # Every official status code, including those our enum does not name (proto3 enums are open).
    for code in types.StatusCode:
        yield (
            f"ImmediateResponse.status[{code.name}]",
            _response({"immediate_response": _immediate(code)}),
        )


with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    SAMPLES = list(_samples())
_OURS_FOR: dict[type, type[PbMessage]] = {
    ep.ProcessingRequest: pb.ProcessingRequest,
    ep.ProcessingResponse: pb.ProcessingResponse,
}


@pytest.mark.parametrize(("name", "theirs"), SAMPLES, ids=[name for name, _ in SAMPLES])
def test_official_bytes_parse_with_our_code(name: str, theirs: Official) -> None:
    ours = _OURS_FOR[type(theirs)].FromString(bytes(theirs))
    assert_same(ours, theirs, type(theirs).__name__)
    assert not _unknown_anywhere(ours), "a field of our subset went to unknown fields"


@pytest.mark.parametrize(("name", "theirs"), SAMPLES, ids=[name for name, _ in SAMPLES])
def test_our_bytes_parse_with_official_code(name: str, theirs: Official) -> None:
    ours = fill(_OURS_FOR[type(theirs)](), theirs)
    back = type(theirs).parse(ours.SerializeToString())
    assert back == theirs
    assert back._unknown_fields == b""
    assert_same(ours, back, type(theirs).__name__)


def _walk(message: PbMessage) -> Iterator[PbMessage]:
    """A message and every message below it that is set."""
    yield message
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if _is_map(field):
            items = value.values() if _map_value(field).message_type else ()
        else:
            items = value if field.is_repeated else (value,)
        for item in items:
            yield from _walk(item)


def _unknown_anywhere(message: PbMessage) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for m in _walk(message):
        unknown: Any = unknown_fields.UnknownFieldSet(m)
        found += [(m.DESCRIPTOR.full_name, u.field_number) for u in unknown]
    return found


def test_samples_populate_every_field_and_enum_value() -> None:
    """Guards the two tests above: each field of our subset is set, each enum value seen."""
    fields: set[str] = set()
    enum_values: set[tuple[str, int]] = set()
    for _, theirs in SAMPLES:
        for message in _walk(_OURS_FOR[type(theirs)].FromString(bytes(theirs))):
            fields.update(f.full_name for f, _ in message.ListFields())
            for field in message.DESCRIPTOR.fields:
                if field.enum_type is not None and not field.is_repeated:
                    enum_values.add((field.enum_type.full_name, getattr(message, field.name)))
    assert {f.full_name for f in OUR_FIELDS} - fields == set()
    everything = {(e.full_name, v.number) for e in OUR_ENUMS for v in e.values}
    assert everything - enum_values == set()


# --- unknown fields


def _left_out() -> set[str]:
    """Official fields of our messages that our subset does not declare."""
    return {
        f"{desc.full_name}.{name}"
        for desc in OUR_MESSAGES
        for name in _official_meta(_official_class(desc))
        if name not in desc.fields_by_name
    }


LEFT_OUT = {
    "envoy.service.ext_proc.v3.HttpHeaders.attributes",
    "envoy.service.ext_proc.v3.HttpBody.end_of_stream_without_message",
    "envoy.service.ext_proc.v3.HttpBody.grpc_message_compressed",
    "envoy.service.ext_proc.v3.StreamedBodyResponse.end_of_stream_without_message",
    "envoy.service.ext_proc.v3.StreamedBodyResponse.grpc_message_compressed",
    "envoy.service.ext_proc.v3.ProcessingResponse.streamed_immediate_response",
    "envoy.service.ext_proc.v3.ProcessingResponse.request_drain",
    "envoy.config.core.v3.Metadata.typed_filter_metadata",
}


def test_left_out_fields_are_the_expected_ones() -> None:
    # A new official field, or one of these added to our subset, should be a conscious choice.
    assert _left_out() == LEFT_OUT


def _with_left_out_fields() -> list[tuple[str, Official]]:
    headers = ep.HttpHeaders(
        headers=_header_map("req"), attributes={"k": _struct(a="b")}, end_of_stream=True
    )
    body = ep.HttpBody(
        body=b"tail",
        end_of_stream=True,
        end_of_stream_without_message=True,
        grpc_message_compressed=True,
    )
    typed = wkt.Any(type_url="type.googleapis.com/google.protobuf.Empty", value=b"")
    streamed = ep.StreamedBodyResponse(
        body=b"x",
        end_of_stream=True,
        end_of_stream_without_message=True,
        grpc_message_compressed=True,
    )
    return [
        ("HttpHeaders.attributes", _request({"request_headers": headers})),
        ("HttpBody", _request({"response_body": body})),
        (
            "Metadata.typed_filter_metadata",
            ep.ProcessingRequest(
                request_body=body,
                metadata_context=core.Metadata(
                    filter_metadata={"f": _struct(a=1)}, typed_filter_metadata={"t": typed}
                ),
            ),
        ),
        (
            "StreamedBodyResponse",
            _response(
                {
                    "request_body": ep.BodyResponse(
                        response=_common(ep.BodyMutation(streamed_response=streamed))
                    ),
                    "request_drain": True,
                }
            ),
        ),
        (
            "ProcessingResponse.streamed_immediate_response",
            ep.ProcessingResponse(
                streamed_immediate_response=ep.StreamedImmediateResponse(body_response=streamed),
            ),
        ),
    ]


with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    UNKNOWN_SAMPLES = _with_left_out_fields()


@pytest.mark.parametrize(("name", "theirs"), UNKNOWN_SAMPLES, ids=[n for n, _ in UNKNOWN_SAMPLES])
def test_left_out_fields_survive_our_round_trip(name: str, theirs: Official) -> None:
    ours = _OURS_FOR[type(theirs)].FromString(bytes(theirs))
    assert _unknown_anywhere(ours), "expected unknown fields"
    again = _OURS_FOR[type(theirs)].FromString(ours.SerializeToString())
    assert again == ours
    assert type(theirs).parse(ours.SerializeToString()) == theirs


def test_unknown_samples_cover_every_left_out_field() -> None:
    seen: set[str] = set()
    for _, theirs in UNKNOWN_SAMPLES:
        for owner, number in _unknown_anywhere(_OURS_FOR[type(theirs)].FromString(bytes(theirs))):
            desc = next(d for d in OUR_MESSAGES if d.full_name == owner)
            by_number = {m.number: n for n, m in _official_meta(_official_class(desc)).items()}
            seen.add(f"{owner}.{by_number[number]}")
    assert seen == LEFT_OUT


# --- hand-written spot checks


def test_spot_check_request_body_phase() -> None:
    """Readable anchors for the generic comparisons above."""
    theirs = ep.ProcessingRequest(
        request_body=ep.HttpBody(body=b"card 4111 1111 1111 1111", end_of_stream=True),
        observability_mode=True,
    )
    ours = pb.ProcessingRequest.FromString(bytes(theirs))
    assert ours.WhichOneof("request") == "request_body"
    assert ours.request_body.body == b"card 4111 1111 1111 1111"
    assert ours.request_body.end_of_stream is True
    assert ours.observability_mode is True


def test_spot_check_immediate_response() -> None:
    ours = pb.ProcessingResponse(
        immediate_response=pb.ImmediateResponse(
            status=http_status_pb2.HttpStatus(code=http_status_pb2.Forbidden),
            body=b"blocked",
            details="dlp",
        )
    )
    ours.immediate_response.headers.set_headers.add(
        header=base_pb2.HeaderValue(key="x-dlp", raw_value=b"blocked"),
        append_action=base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD,
    )
    theirs = ep.ProcessingResponse.parse(ours.SerializeToString())
    kind, immediate = betterproto2.which_one_of(theirs, "response")
    assert kind == "immediate_response" and isinstance(immediate, ep.ImmediateResponse)
    assert immediate.status is not None and immediate.status.code == types.StatusCode.Forbidden
    assert immediate.body == b"blocked" and immediate.details == "dlp"
    assert immediate.headers is not None
    [option] = immediate.headers.set_headers
    assert option.header == core.HeaderValue(key="x-dlp", raw_value=b"blocked")
    assert option.append is None
    assert (
        option.append_action == core.HeaderValueOptionHeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD
    )


def test_wrong_field_number_is_caught() -> None:
    """The structural check fails, naming message and field, when a number is off."""
    field = pb.HttpBody.DESCRIPTOR.fields_by_name["end_of_stream"]
    fake = _FakeField(field, number=3)
    with pytest.raises(
        AssertionError, match=r"HttpBody\.end_of_stream: field number 3, Envoy's is 2"
    ):
        test_field_matches_official_schema(fake)


class _FakeField:
    """A field descriptor with one attribute overridden (descriptors are immutable)."""

    def __init__(self, real: Field, **override: Any) -> None:
        self._real = real
        self._override = override

    def __getattr__(self, name: str) -> Any:
        return self._override[name] if name in self._override else getattr(self._real, name)
