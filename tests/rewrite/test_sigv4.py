"""What an AWS SigV4 signature covers, read from the request as botocore signs it."""

from __future__ import annotations

from botocore.auth import S3SigV4Auth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from extproc.rewrite.sigv4 import content_sha256, hash_to_update, signature_of

CREDENTIALS = Credentials("AKIDEXAMPLE", "secret")


def headers_of(request: AWSRequest) -> dict[str, str]:
    out = {k.lower(): v for k, v in request.headers.items()}
    out[":path"] = (
        request.url.split("://", 1)[1].partition("/")[1]
        + request.url.split("://", 1)[1].partition("/")[2]
    )
    return out


def signed(
    auth: type[SigV4Auth], url: str = "https://h/model/m/converse", **kw: object
) -> dict[str, str]:
    request = AWSRequest(
        method="POST", url=url, data=b'{"a": 1}', headers={"content-type": "application/json"}
    )
    auth(CREDENTIALS, "bedrock", "us-east-1", **kw).add_auth(request)  # type: ignore[arg-type]
    return headers_of(request)


def test_a_bedrock_request_signs_its_body_and_headers() -> None:
    signature = signature_of(signed(SigV4Auth))
    assert signature is not None
    assert signature.body  # the payload hash is in every SigV4 canonical request
    assert {"host", "x-amz-date", "content-type"} <= signature.headers
    assert signature.covers([":path"]) and signature.covers(["x-amz-date"])
    assert not signature.covers(["x-user-note"])


def test_s3_unsigned_payload_leaves_the_body_out() -> None:
    request = AWSRequest(method="PUT", url="https://h/b/k", data=b"x", headers={})
    request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    S3SigV4Auth(CREDENTIALS, "s3", "us-east-1").add_auth(request)
    signature = signature_of(headers_of(request))
    assert signature is not None and not signature.body


def test_a_presigned_url_is_signed_in_its_query() -> None:
    headers = signed(SigV4QueryAuth, expires=60)  # type: ignore[arg-type]
    assert "authorization" not in headers
    signature = signature_of(headers)
    assert signature is not None and signature.covers([":path"])


def test_unsigned_requests() -> None:
    assert signature_of({":path": "/v1/chat", "authorization": "Bearer sk-x"}) is None
    assert hash_to_update({"x-amz-content-sha256": "a" * 64})
    assert not hash_to_update({"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    assert content_sha256(b"")[1].startswith("e3b0c442")
