"""Every request surface through the real Envoy, with the default policy: the
URL, header fields (both ways), JSON keys, text split across parts and
messages, form and multipart bodies, UTF-16 JSON and AWS-signed requests.
What the upstream received is read back and parsed as its server would."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import multipart
import pytest

from extproc.demo.model import Reply, openai_json
from harness.stack import ROOT, Stack
from tests.e2e.conftest import CHAT_PATH, StackFor, assert_processor_healthy, chat
from tests.values import CARD, EMAIL, GITHUB_TOKEN, OTHER_EMAIL

REDACTED_EMAIL = "[REDACTED:pii/email]"
GOOGLE_KEY = "AIza" + "SyA1234567890abcdefghijklmnopqrstu"


@pytest.fixture(scope="module")
def stack(stack_for: StackFor) -> Stack:
    return stack_for(policy=ROOT / "policies" / "default.yaml")


@pytest.fixture(autouse=True)
def ok_answers(stack: Stack) -> None:
    """The upstream answers every request with a plain chat completion."""
    body = openai_json("ok")
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"),), chunks=(body,)
    )


def post_raw(
    stack: Stack, path: str, content: bytes, content_type: str, **headers: str
) -> httpx.Response:
    return httpx.post(
        f"{stack.url}{path}",
        content=content,
        headers={"content-type": content_type, **headers},
        timeout=10,
    )


def assert_blocked(r: httpx.Response, code: str = "sensitive_data_detected") -> dict[str, object]:
    assert r.status_code == 403, r.text
    error: dict[str, object] = r.json()["error"]
    assert error["type"] == "data_leakage_prevention"
    assert error["code"] == code
    return error


# -- the URL ---------------------------------------------------------------------


def test_a_value_in_the_path_and_query_reaches_the_upstream_rewritten(stack: Stack) -> None:
    escaped = EMAIL.replace("@", "%40")
    path = f"/v1/users/{escaped}/files?after=file%2Dabc&user={escaped}&key={GOOGLE_KEY}&n=2"
    r = httpx.get(f"{stack.url}{path}", timeout=10)
    assert r.status_code == 200, stack.logs()
    got = stack.upstream.received[-1]
    assert EMAIL not in got.path and escaped not in got.path
    url = urlsplit(got.path)
    assert url.path == "/v1/users/%5BREDACTED:pii%2Femail%5D/files"
    query = parse_qs(url.query)
    assert query["user"] == [REDACTED_EMAIL]
    # Everything else byte for byte: other parameters and their escapes, and
    # the caller's own key (not scanned).
    assert url.query.startswith("after=file%2Dabc&")
    assert url.query.endswith(f"&key={GOOGLE_KEY}&n=2")
    assert got.headers["x-dlp-redacted"] == "pii/email"
    assert r.headers["x-risk-categories"] == "pii/email"


def test_a_secret_in_the_query_is_a_403(stack: Stack) -> None:
    before = len(stack.upstream.received)
    r = httpx.get(f"{stack.url}/v1/models?token={GITHUB_TOKEN}", timeout=10)
    error = assert_blocked(r)
    assert error["detectors"] == ["secret/github_token"]
    assert GITHUB_TOKEN not in r.text
    assert len(stack.upstream.received) == before


# -- header fields -----------------------------------------------------------------


def test_request_headers_are_scanned_but_not_the_callers_credentials(stack: Stack) -> None:
    headers = {
        "x-user-note": f"reply to {EMAIL} please",
        "authorization": f"Bearer {GITHUB_TOKEN}",  # its own credential: not scanned
        "x-api-key": GOOGLE_KEY,
    }
    r = httpx.post(f"{stack.url}{CHAT_PATH}", json=chat("hello"), headers=headers, timeout=10)
    assert r.status_code == 200, stack.logs()
    got = stack.upstream.received[-1]
    assert got.headers["x-user-note"] == f"reply to {REDACTED_EMAIL} please"
    assert got.headers["authorization"] == f"Bearer {GITHUB_TOKEN}"
    assert got.headers["x-api-key"] == GOOGLE_KEY
    assert json.loads(got.body) == chat("hello")  # the body untouched


def test_a_secret_in_a_request_header_is_a_403(stack: Stack) -> None:
    r = httpx.post(
        f"{stack.url}{CHAT_PATH}", json=chat("hi"), headers={"x-debug": GITHUB_TOKEN}, timeout=10
    )
    assert assert_blocked(r)["detectors"] == ["secret/github_token"]


def test_answer_headers_are_scanned_too(stack: Stack) -> None:
    body = openai_json("ok")
    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"), ("x-owner", f"owner {OTHER_EMAIL}")),
        chunks=(body,),
    )
    r = httpx.post(f"{stack.url}{CHAT_PATH}", json=chat("hi"), timeout=10)
    assert r.status_code == 200, stack.logs()
    assert r.headers["x-owner"] == f"owner {REDACTED_EMAIL}"
    assert r.headers["x-risk-categories"] == "pii/email"
    assert r.json()["choices"][0]["message"]["content"] == "ok"


# -- JSON keys and split text --------------------------------------------------------


def test_values_used_as_json_keys_are_rewritten_and_stay_distinct(stack: Stack) -> None:
    body = chat("hello")
    body["metadata"] = {EMAIL: "vip", OTHER_EMAIL: "new"}
    r = httpx.post(f"{stack.url}{CHAT_PATH}", json=body, timeout=10)
    assert r.status_code == 200, stack.logs()
    sent = json.loads(stack.upstream.received[-1].body)
    assert sent["metadata"] == {REDACTED_EMAIL: "vip", f"{REDACTED_EMAIL} (2)": "new"}


def test_a_secret_split_across_content_parts_is_blocked(stack: Stack) -> None:
    half = len(GITHUB_TOKEN) // 2
    parts = [
        {"type": "text", "text": f"my token is {GITHUB_TOKEN[:half]}"},
        {"type": "text", "text": f"{GITHUB_TOKEN[half:]} thanks"},
    ]
    body = {"model": "m", "messages": [{"role": "user", "content": parts}]}
    r = httpx.post(f"{stack.url}{CHAT_PATH}", json=body, timeout=10)
    assert assert_blocked(r)["detectors"] == ["secret/github_token"]


@pytest.mark.parametrize(
    "split",
    [
        # OpenAI chat: consecutive messages.
        lambda a, b: {"messages": [{"role": "user", "content": a}, {"role": "user", "content": b}]},
        # Anthropic: content blocks.
        lambda a, b: {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": a}, {"type": "text", "text": b}],
                }
            ]
        },
        # Gemini: parts.
        lambda a, b: {"contents": [{"role": "user", "parts": [{"text": a}, {"text": b}]}]},
        # Responses API: input items.
        lambda a, b: {
            "input": [
                {"role": "user", "content": [{"type": "input_text", "text": a}]},
                {"role": "user", "content": b},
            ]
        },
    ],
    ids=["chat-messages", "anthropic-blocks", "gemini-parts", "responses-items"],
)
def test_a_value_split_across_text_pieces_is_redacted_in_each(stack: Stack, split: object) -> None:
    cut = EMAIL.index("@")  # neither piece alone holds an address
    body = split(f"write to {EMAIL[:cut]}", f"{EMAIL[cut:]} today")  # type: ignore[operator]
    r = httpx.post(f"{stack.url}{CHAT_PATH}", json=body, timeout=10)
    assert r.status_code == 200, stack.logs()
    sent = stack.upstream.received[-1].body.decode()
    texts = _strings(json.loads(sent))
    joined = "".join(t for t in texts if t.startswith("write") or t.endswith("today"))
    assert joined == f"write to {REDACTED_EMAIL} today"
    assert EMAIL[:cut] not in sent and EMAIL[cut:] not in sent


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


# -- bodies that are not JSON ---------------------------------------------------------


def test_a_form_body_is_decoded_scanned_and_encoded_again(stack: Stack) -> None:
    form = {"model": "m", "prompt": f"mail {EMAIL}, card {CARD}", "n": "1"}
    encoded = httpx.Request("POST", "http://x/", data=form).read()
    assert b"%40" in encoded and b"+" in encoded  # what the scan must see through
    r = post_raw(stack, "/v1/completions", encoded, "application/x-www-form-urlencoded")
    assert r.status_code == 200, stack.logs()
    got = stack.upstream.received[-1]
    assert parse_qs(got.body.decode()) == {
        "model": ["m"],
        "prompt": [f"mail {REDACTED_EMAIL}, card [REDACTED:pii/credit_card]"],
        "n": ["1"],
    }
    assert int(got.headers["content-length"]) == len(got.body)


def test_a_clean_form_body_passes_byte_for_byte(stack: Stack) -> None:
    encoded = b"model=m&prompt=hello+world%21&tags=a%2Cb&empty="
    r = post_raw(stack, "/v1/completions", encoded, "application/x-www-form-urlencoded")
    assert r.status_code == 200, stack.logs()
    assert stack.upstream.received[-1].body == encoded


def _parts(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    boundary = multipart.parse_options_header(content_type)[1]["boundary"]
    out = []
    parser = multipart.MultipartParser(__import__("io").BytesIO(body), boundary)
    for part in parser:
        out.append((part.name, part.filename, part.raw))
    return out


def test_the_openai_client_uploads_a_file_whose_values_are_redacted(stack: Stack) -> None:
    from openai import OpenAI

    stack.upstream.script = lambda _r: Reply(
        headers=(("content-type", "application/json"),),
        chunks=(
            json.dumps(
                {
                    "id": "file-1",
                    "object": "file",
                    "bytes": 1,
                    "created_at": 1,
                    "filename": "batch.jsonl",
                    "purpose": "batch",
                    "status": "processed",
                }
            ).encode(),
        ),
    )
    line = json.dumps({"custom_id": "1", "body": {"messages": [{"content": f"mail {EMAIL}"}]}})
    client = OpenAI(base_url=f"{stack.url}/v1", api_key="sk-test", max_retries=0)
    uploaded = client.files.create(file=("batch.jsonl", line.encode() + b"\n"), purpose="batch")
    assert uploaded.id == "file-1"
    got = stack.upstream.received[-1]
    parts = _parts(got.body, got.headers["content-type"])
    files = [raw for name, _, raw in parts if name == "file"]
    assert len(files) == 1
    sent = json.loads(files[0])  # still one valid JSON line
    assert sent["body"]["messages"][0]["content"] == f"mail {REDACTED_EMAIL}"
    assert ("purpose", None, b"batch") in parts
    assert int(got.headers["content-length"]) == len(got.body)


def test_multipart_media_passes_and_a_pdf_follows_on_undecodable(stack: Stack) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    request = httpx.Request(
        "POST",
        "http://x/",
        data={"prompt": "a cat", "model": "m"},
        files={"image": ("cat.png", png, "image/png")},
    )
    body = request.read()
    r = post_raw(stack, "/v1/images/edits", body, request.headers["content-type"])
    assert r.status_code == 200, stack.logs()
    assert stack.upstream.received[-1].body == body  # clean: byte for byte
    pdf = httpx.Request(
        "POST",
        "http://x/",
        data={"purpose": "assistants"},
        files={
            "file": ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/pdf")
        },
    )
    r = post_raw(stack, "/v1/files", pdf.read(), pdf.headers["content-type"])
    assert_blocked(r, "unreadable_content")  # the default: on_undecodable: block


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32-le"])
def test_utf16_and_utf32_json_is_scanned_and_rewritten_in_its_encoding(
    stack: Stack, encoding: str
) -> None:
    body = json.dumps(chat(f"mail {EMAIL} now"), ensure_ascii=False).encode(encoding)
    r = post_raw(stack, CHAT_PATH, body, "application/json")
    assert r.status_code == 200, stack.logs()
    got = stack.upstream.received[-1].body
    assert got[:2] == body[:2]  # the same byte order mark (or none)
    sent = json.loads(got)  # as a Python upstream reads it
    assert sent["messages"][0]["content"] == f"mail {REDACTED_EMAIL} now"
    assert_processor_healthy(stack)


# -- requests signed over their body (AWS SigV4) -------------------------------------


def _signed(stack: Stack, body: bytes, path: str = "/model/m/converse") -> httpx.Response:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{stack.url}{path}"
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"content-type": "application/json"}
    )
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "bedrock", "us-east-1").add_auth(request)
    return httpx.post(url, content=body, headers=dict(request.headers.items()), timeout=10)


def test_a_clean_signed_request_passes_untouched(stack: Stack) -> None:
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "hello"}]}]}).encode()
    r = _signed(stack, body)
    assert r.status_code == 200, stack.logs()
    got = stack.upstream.received[-1]
    assert got.body == body
    assert got.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "x-dlp-redacted" not in got.headers


def test_a_signed_request_that_needs_a_redaction_is_refused_with_a_reason(stack: Stack) -> None:
    before = len(stack.upstream.received)
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": EMAIL}]}]}).encode()
    error = assert_blocked(_signed(stack, body), "signed_request_not_rewritable")
    assert error["detectors"] == ["pii/email"]
    assert "Signature Version 4" in str(error["message"])
    assert EMAIL not in str(error["message"])
    escaped = EMAIL.replace("@", "%40")
    r = _signed(stack, b"{}", f"/model/m/converse?user={escaped}")
    assert_blocked(r, "signed_request_not_rewritable")  # the query is signed too
    assert len(stack.upstream.received) == before
