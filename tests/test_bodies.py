"""Whole bodies by type, through the inspector: JSON keys and reading text,
forms, multipart, charsets, signed requests."""

from __future__ import annotations

import json

import httpx
import pytest

from extproc.dlp import DlpInspector
from extproc.policy.compile import compile_policy
from extproc.policy.load import load_policy, parse_policy
from extproc.policy.model import Direction
from extproc.verdicts import BodyMode, Verdict
from harness.stack import ROOT
from tests.values import AWS_KEY, EMAIL

DEFAULT = compile_policy(load_policy(str(ROOT / "policies" / "default.yaml")))
REQUEST = Direction.REQUEST
SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64
)


def send(body: bytes, content_type: str = "application/json", **fields: str) -> Verdict:
    inspector = DlpInspector(lambda _h, _p, _n: DEFAULT)
    request = {":path": "/v1/chat", ":method": "POST", "content-type": content_type, **fields}
    head = inspector.headers(REQUEST, request, False, BodyMode.BUFFERED)
    assert head.block is None
    return inspector.body(REQUEST, body, True)


def test_a_secret_split_inside_its_keyword_is_found_in_a_body_without_escapes() -> None:
    # Neither piece opens the gate on its own (the fast path's first check).
    body = json.dumps(
        {
            "messages": [
                {"role": "user", "content": f"key {AWS_KEY[:7]}"},
                {"role": "user", "content": f"{AWS_KEY[7:]} ok"},
            ]
        }
    ).encode()
    assert b"\\" not in body and AWS_KEY.encode() not in body
    assert DEFAULT.scanner.clear(body.decode())
    verdict = send(body)
    assert verdict.block is not None and verdict.block.status == 403


def test_a_message_ending_in_a_value_does_not_swallow_the_next_one() -> None:
    # Joined, "...contoso.org" + "Noted." reads as a longer address; read
    # alone, each message shows where the address ends.
    body = json.dumps(
        {
            "messages": [
                {"role": "user", "content": f"mail {EMAIL}"},
                {"role": "assistant", "content": "Noted."},
                {"role": "user", "content": f"part of the address: {EMAIL[:6]}"},
                {"role": "user", "content": f"{EMAIL[6:]} ok"},
            ]
        }
    ).encode()
    verdict = send(body)
    assert verdict.data is not None
    sent = [m["content"] for m in json.loads(verdict.data)["messages"]]
    assert sent[:2] == ["mail [REDACTED:pii/email]", "Noted."]
    # Split inside the name: the tail is an address on its own and goes; the
    # head left behind no longer tells the value.
    assert sent[3] == "[REDACTED:pii/email] ok"
    assert EMAIL not in "".join(sent)


def test_a_clean_body_with_many_pieces_passes_unchanged() -> None:
    body = json.dumps({"messages": [{"role": "user", "content": f"part {i}"} for i in range(9)]})
    assert send(body.encode()).data is None


def test_an_unreadable_charset_follows_on_undecodable() -> None:
    verdict = send(b"hello", "text/plain; charset=x-unknown")
    assert verdict.block is not None and b"unreadable_content" in verdict.block.body
    passing = compile_policy(
        parse_policy(
            """
version: 1
name: p
rules: [{detectors: ["pii/email"], request: redact}]
limits: {on_undecodable: pass}
""",
            "p.yaml",
        )
    )
    inspector = DlpInspector(lambda _h, _p, _n: passing)
    inspector.headers(
        REQUEST, {"content-type": "text/plain; charset=x-unknown"}, False, BodyMode.BUFFERED
    )
    assert inspector.body(REQUEST, b"hello", True).block is None
    assert inspector.tally.seen[REQUEST].undecodable


def test_a_multipart_body_not_as_announced_is_scanned_as_text() -> None:
    verdict = send(f"mail {EMAIL}".encode(), "multipart/form-data; boundary=zzz")
    assert verdict.data == b"mail [REDACTED:pii/email]"


def test_multipart_field_and_file_names_are_scanned() -> None:
    request = httpx.Request(
        "POST", "http://x/", files={"doc": (f"{EMAIL} notes.txt", b"hello", "text/plain")}
    )
    verdict = send(request.read(), request.headers["content-type"])
    assert verdict.data is not None
    assert b'filename="[REDACTED:pii/email] notes.txt"' in verdict.data
    assert EMAIL.encode() not in verdict.data


@pytest.mark.parametrize("body_hash", ["", "UNSIGNED-PAYLOAD"])
def test_a_signed_body_is_refused_unless_its_payload_is_unsigned(body_hash: str) -> None:
    extra = {"x-amz-content-sha256": body_hash} if body_hash else {}
    body = json.dumps({"messages": [{"content": EMAIL}]}).encode()
    verdict = send(body, authorization=SIGNED, **extra)
    if body_hash:
        assert verdict.block is None and verdict.data is not None
    else:
        assert verdict.block is not None
        assert b"signed_request_not_rewritable" in verdict.block.body


def test_a_body_hash_for_a_signer_further_on_is_updated() -> None:
    import hashlib

    body = json.dumps({"messages": [{"content": EMAIL}]}).encode()
    verdict = send(body, **{"x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
    assert verdict.data is not None
    assert dict(verdict.set_headers)["x-amz-content-sha256"] == (
        hashlib.sha256(verdict.data).hexdigest()
    )
