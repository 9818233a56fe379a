"""Decoding layers: values hidden in an encoding are found, and their findings
cover every original character that encodes them."""

from __future__ import annotations

import base64

import pytest

from extproc.detect import decode
from extproc.detect.catalogue import BUILTIN
from extproc.detect.decode import Budget, Layer, layers, maybe_encoded
from extproc.detect.escapes import b64_text
from extproc.detect.scanner import build_scanner

SCANNER = build_scanner(BUILTIN)
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key id
EMAIL = "jane.doe@" + "contoso.org"


def b64(text: str, *, urlsafe: bool = False) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(text.encode()).decode()


def _wrapped(run: str, width: int) -> str:
    return "\n".join(run[i : i + width] for i in range(0, len(run), width))


def found(text: str) -> list[tuple[str, str]]:
    return [(f.detector, text[f.start : f.end]) for f in SCANNER.scan(text)]


@pytest.mark.parametrize(
    ("before", "value", "after", "detector"),
    [
        # percent-encoding: the value's escapes go with it, the rest stays
        ("mailto:", "jane.doe%40contoso.org", "?subject=hi", "pii/email"),
        ("q=card%20", "4111%201111%201111%201111", "&x=1", "pii/credit_card"),
        ("to=", "%2B44%2020%207946%200958", "", "pii/phone_number"),
        ("name=%C3%A9l%C3%A8ve&mail=", "jane.doe%40contoso.org", "", "pii/email"),
        ("double ", "jane%2540contoso.org", " twice", "pii/email"),
        ("mailto:", "jane.doe@contoso.org", "%20%3Cteam%3E", "pii/email"),  # only once decoded
        # HTML entities: decimal, hexadecimal, named
        ("mail ", "jane&#64;contoso.org", "", "pii/email"),
        ("mail ", "jane&#x40;contoso&#x2E;org", ".", "pii/email"),
        ("mail ", "jane&commat;contoso&period;org", "", "pii/email"),
        ("card ", "4111&nbsp;1111&nbsp;1111&nbsp;1111", "", "pii/credit_card"),
        ("ssn ", "&#49;&#50;&#51;-45-6789", "", "pii/us_ssn"),
        # JSON \u escapes in a pasted fragment
        ('{"email": "', "jane\\u0040contoso.org", '"}', "pii/email"),
        (
            '{"key": "',
            "\\u0041\\u004B\\u0049\\u0041IOSFODNN7EXAMPLE",
            '"}',
            "secret/aws_access_key",
        ),
        # base64: the whole run, padding included
        ('{"cfg": "', b64(f"aws_access_key_id={AWS_KEY}"), '"}', "secret/aws_access_key"),
        ("secret: ", b64(AWS_KEY), " ok", "secret/aws_access_key"),
        ("token ", b64(f"mail me at {EMAIL}!", urlsafe=True), "", "pii/email"),
        ("ssn: ", b64("912-34-5678"), "", "pii/us_ssn"),  # context before the run counts
        # two layers: base64 of a percent-encoded value
        ("blob ", b64("to=jane.doe%40contoso.org"), "", "pii/email"),
        # split and spelled byte by byte: wrapped lines, literals, QP, \x, hex
        (
            "cfg:\n",
            _wrapped(b64(f"AWS_ACCESS_KEY_ID={AWS_KEY}\nREGION=us-east-1\n" * 3), 20),
            "\n",
            "secret/aws_access_key",
        ),
        ('k = "', 'AKIA" + "IOSFODNN7EXAMPLE', '";', "secret/aws_access_key"),
        ("k = ('", "AKIAIOSF'\n     'ODNN7EXAMPLE", "')", "secret/aws_access_key"),
        ("To: ", "jane.doe=40contoso=2E=\norg", "", "pii/email"),
        ('b"', "\\x41\\x4b\\x49\\x41IOSFODNN7EXAMPLE", '"', "secret/aws_access_key"),
        ("hex ", AWS_KEY.encode().hex(), " end", "secret/aws_access_key"),
    ],
)
def test_encoded_values_are_found_with_their_whole_encoded_span(
    before: str, value: str, after: str, detector: str
) -> None:
    text = before + value + after
    assert found(text) == [(detector, value)]


@pytest.mark.parametrize(
    "text",
    [
        "we are 100%25 sure, R&amp;D &lt;team&gt; said caf\\u00e9",
        "path /usr/local/lib/python3.12/site-packages/extproc/detect/decode.py",
        "sha256 " + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "random " + base64.b64encode(bytes(range(130, 190))).decode(),
        "plain words " + b64("the quarterly report is attached, nothing secret here"),
        "escaped build id 912%2D45%2D6789",  # an SSN shape out of context: weak, L4 only
        "triple encoded jane%252540contoso.org",  # beyond MAX_DEPTH
        "&#xD800; &#0; &#99999999; &bogus; \\ud800 %ZZ",
    ],
)
def test_no_findings_in_encoded_clean_text(text: str) -> None:
    assert [f for f in SCANNER.scan(text) if f.confidence >= 0.5] == []


def test_decoded_findings_keep_the_confidence_of_the_plain_value() -> None:
    for plain, encoded in [
        (f"SSN 123-45-6789 and {EMAIL}", "SSN 123%2D45%2D6789 and jane.doe%40contoso.org"),
        (
            f"card 4111 1111 1111 1111, key {AWS_KEY}",
            f"card 4111&#32;1111&#32;1111&#32;1111, key {b64(AWS_KEY)}",
        ),
    ]:
        assert [f.confidence for f in SCANNER.scan(encoded)] == [
            f.confidence for f in SCANNER.scan(plain)
        ]


def test_a_plain_finding_wins_over_a_decoded_view_of_it() -> None:
    # The payload of this token decodes to JSON holding an email address.
    payload = b64('{"email":"' + EMAIL + '","sub":"42"}', urlsafe=True).rstrip("=")
    token = "eyJhbGciOiJIUzI1NiJ9." + payload + ".6IsXTg-jd8ABPHpEjWyWlGJLrTNSdnGzQ43cnMy6AgA"
    assert found(f"Bearer {token}") == [("secret/jwt", token)]
    # Without a valid header the token is not a JWT; the email inside still counts.
    broken = "eyJub3QiOiJhIGp3dCJ9." + payload + ".sig"
    assert found(broken) == [("pii/email", payload)]


def test_zero_width_characters_inside_an_encoded_run_are_dropped_first() -> None:
    text = "k=jane\u200b%40contoso.org"
    assert found(text) == [("pii/email", "jane\u200b%40contoso.org")]


def test_clean_text_never_builds_a_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object) -> None:
        raise AssertionError("decoded clean text")

    monkeypatch.setattr("extproc.detect.scanner.layers", fail)
    text = "Please summarise the meeting notes (version 3.11.4, PR #4821, 50% done) & send."
    assert not maybe_encoded(text)
    assert SCANNER.scan(text) == []


def test_layer_maps_pieces_whole_and_plain_text_one_to_one() -> None:
    parent = "ab%40cd&#64;e"
    [layer] = [la for la in layers(parent, 50, 0, Budget()) if la.encoding == "percent"]
    assert layer.text == "ab@cd&#64;e"
    assert layer.original_span(0, 2) == (0, 2)
    assert layer.original_span(2, 3) == (2, 5)
    assert layer.original_span(1, 4) == (1, 6)
    assert layer.original_span(3, 5) == (5, 7)
    assert layer.touches_encoded(2, 3) and layer.touches_encoded(0, 3)
    assert layer.touches_encoded(0, 2) and layer.touches_encoded(3, 5)  # bordering
    assert not layer.touches_encoded(0, 1) and not layer.touches_encoded(4, 11)


def test_layer_offsets_are_relative_to_the_window() -> None:
    layer = Layer("x", "ab@", origin=10, starts=(2,), ends=(3,), sources=(2,), source_ends=(5,))
    assert layer.original_span(0, 3) == (10, 15)


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (b64("hello, this is text"), "hello, this is text"),
        (b64("hello, this is text").rstrip("="), "hello, this is text"),
        (b64("ünïcödé text!", urlsafe=True), "ünïcödé text!"),
        (base64.b64encode(bytes(range(0, 48))).decode(), None),  # binary
        ("ThisIsJustAVeryLongIdentifierName", None),
        ("abc+def_ghi/jkl-mnop", None),  # mixed alphabets
    ],
)
def test_base64_decodes_only_to_printable_text(run: str, expected: str | None) -> None:
    assert b64_text(run) == expected


def test_base64_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    hidden = b64(f"key {AWS_KEY}")
    assert found(f"x {hidden}") != []
    # Runs longer than MAX_RUN (images, files) are not decoded.
    monkeypatch.setattr(decode, "MAX_RUN", len(hidden) - 1)
    assert found(f"x {hidden}") == []
    monkeypatch.undo()
    # At most MAX_RUNS runs per scan; later ones are left alone.
    monkeypatch.setattr(decode, "MAX_RUNS", 3)
    decoys = " ".join(b64(f"nothing to see here, decoy {i}") for i in range(3))
    assert found(f"{decoys} {hidden}") == []
    assert found(f"{hidden} {decoys}") != []


def test_the_decoded_budget_is_shared_by_all_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "mail jane.doe%40contoso.org"
    assert found(text) == [("pii/email", "jane.doe%40contoso.org")]
    monkeypatch.setattr(decode, "BUDGET", 10)
    assert found(text) == []
