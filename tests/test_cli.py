"""The command line: ``extproc scan`` (reports, --redact, --jsonl, exit
statuses), ``--version``, and one-line errors for files it cannot read."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from extproc import __version__, cli
from tests.values import CARD, EMAIL
from tests.values import GITHUB_TOKEN as TOKEN

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = str(ROOT / "policies" / "default.yaml")

PSEUDONYMIZE = """\
version: 1
name: pseudo
rules:
  - detectors: ["pii/email"]
    request: pseudonymize
    response: redact
  - detectors: ["secret/*"]
    request: block
    response: redact
"""


def scan(
    capsys: pytest.CaptureFixture[str],
    *args: str,
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = cli.main(["scan", *args])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- reports and exit statuses ---------------------------------------------------


def test_report_lists_findings_without_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = f"mail {EMAIL} about card {CARD}"
    code, out, err = scan(capsys, "--policy", DEFAULT, write(tmp_path, "t.txt", text))
    assert (code, err) == (0, "")
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == ["pii/email", "pii/credit_card"]
    assert [text[int(r[1]) : int(r[2])] for r in rows] == [EMAIL, CARD]
    assert EMAIL not in out and CARD not in out


def test_a_blocked_text_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = scan(capsys, "--policy", DEFAULT, write(tmp_path, "t.txt", f"use {TOKEN}"))
    assert code == 1
    assert out.startswith("secret/github_token\t4\t44\tblock\t")


def test_redact_prints_the_rewritten_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "t.txt", f"mail {EMAIL}\nnow")
    code, out, err = scan(capsys, "--policy", DEFAULT, "--redact", path)
    assert (code, out, err) == (0, "mail [REDACTED:pii/email]\nnow", "")


def test_redact_of_a_blocked_text_prints_nothing_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = f"mail {EMAIL}, use {TOKEN}"
    code, out, err = scan(capsys, "--policy", DEFAULT, "--redact", write(tmp_path, "t.txt", text))
    assert code == 1
    assert out == ""
    assert err == "extproc scan: blocked: the policy blocks this text (secret/github_token)\n"


def test_redact_previews_the_placeholders_the_server_sends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write(tmp_path, "p.yaml", PSEUDONYMIZE)
    other = "sam.lee@" + "contoso.org"
    text = f"{EMAIL} wrote to {other}, then {EMAIL} again"
    code, out, _ = scan(capsys, "--policy", policy, "--redact", write(tmp_path, "t.txt", text))
    assert code == 0
    assert out == "<EMAIL_1> wrote to <EMAIL_2>, then <EMAIL_1> again"


def test_placeholders_skip_numbers_the_text_already_uses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write(tmp_path, "p.yaml", PSEUDONYMIZE)
    text = f"see <EMAIL_1> and {EMAIL}"
    code, out, _ = scan(capsys, "--policy", policy, "--redact", write(tmp_path, "t.txt", text))
    assert (code, out) == (0, "see <EMAIL_1> and <EMAIL_2>")


def test_response_direction_uses_the_response_actions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write(tmp_path, "p.yaml", PSEUDONYMIZE)
    path = write(tmp_path, "t.txt", f"{EMAIL} {TOKEN}")
    code, out, _ = scan(capsys, "--policy", policy, "--direction", "response", "--redact", path)
    assert code == 0
    assert out == "[REDACTED:pii/email] [REDACTED:secret/github_token]"


def test_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = scan(
        capsys, "--policy", DEFAULT, "--redact", stdin=f"to {EMAIL}", monkeypatch=monkeypatch
    )
    assert (code, out) == (0, "to [REDACTED:pii/email]")


def test_invalid_utf8_is_kept_as_it_is(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "t.bin"
    path.write_bytes(b"\xff\xfe " + EMAIL.encode() + b" \xc3")
    code = cli.main(["scan", "--policy", DEFAULT, "--redact", str(path)])
    assert code == 0
    assert capsysbinary.readouterr().out == b"\xff\xfe [REDACTED:pii/email] \xc3"


# -- --jsonl ------------------------------------------------------------------------


def jsonl(*records: dict[str, object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def test_jsonl_exits_1_when_any_record_would_be_blocked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = write(tmp_path, "a.jsonl", jsonl({"id": 1, "text": "hi"}, {"id": 2, "text": EMAIL}))
    code, out, _ = scan(capsys, "--policy", DEFAULT, "--jsonl", clean)
    assert code == 0
    assert [json.loads(line)["blocked"] for line in out.splitlines()] == [False, False]
    mixed = write(tmp_path, "b.jsonl", jsonl({"id": 1, "text": "hi"}, {"id": 2, "text": TOKEN}))
    code, out, _ = scan(capsys, "--policy", DEFAULT, "--jsonl", mixed)
    assert code == 1
    assert [json.loads(line)["blocked"] for line in out.splitlines()] == [False, True]


def test_jsonl_redact_gives_null_for_a_blocked_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = jsonl({"id": "a", "text": f"to {EMAIL}"}, {"id": "b", "text": f"{EMAIL} {TOKEN}"})
    code, out, _ = scan(
        capsys, "--policy", DEFAULT, "--redact", "--jsonl", write(tmp_path, "c.jsonl", records)
    )
    first, second = (json.loads(line) for line in out.splitlines())
    assert code == 1
    assert first == {
        "id": "a",
        "blocked": False,
        "findings": [first["findings"][0]],
        "redacted": "to [REDACTED:pii/email]",
    }
    assert second["redacted"] is None and second["blocked"] is True
    assert TOKEN not in out and EMAIL not in out


def test_jsonl_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = scan(
        capsys,
        "--policy",
        DEFAULT,
        "--jsonl",
        "-",
        stdin=jsonl({"text": "hi"}, {"text": TOKEN}),
        monkeypatch=monkeypatch,
    )
    assert code == 1 and len(out.splitlines()) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"id": 1, "text": "ok"}\nnot json\n',
            "line 2: expected a JSON object with a string 'text'",
        ),
        ('{"id": 1}\n', "line 1: expected a JSON object"),
        ('{"text": 5}\n', "line 1: expected a JSON object"),
        ("[1, 2]\n", "line 1: expected a JSON object"),
    ],
)
def test_jsonl_bad_records_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = write(tmp_path, "bad.jsonl", content)
    code, _, err = scan(capsys, "--policy", DEFAULT, "--jsonl", path)
    assert code == 2
    assert err.count("\n") == 1 and message in err and path in err


def test_jsonl_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bin.jsonl"
    path.write_bytes(b'{"text": "\xff"}\n')
    code, _, err = scan(capsys, "--policy", DEFAULT, "--jsonl", str(path))
    assert (code, err) == (2, f"extproc scan: {path}: not UTF-8 text\n")


# -- files that cannot be read --------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "--policy", DEFAULT, "{tmp}/missing.txt"], "{tmp}/missing.txt: cannot read"),
        (["scan", "--policy", DEFAULT, "{tmp}"], "{tmp}: cannot read: Is a directory"),
        (["scan", "--policy", DEFAULT, "--jsonl", "{tmp}/missing.jsonl"], "cannot read"),
        (["scan", "--policy", "{tmp}/missing.yaml", "x"], "{tmp}/missing.yaml: cannot read"),
        (["scan", "--policy", DEFAULT, "--policy-name", "nope", "x"], "no policy named 'nope'"),
        (["policy", "check", "{tmp}/missing.yaml"], "{tmp}/missing.yaml: no such file"),
        (["serve", "--policy", DEFAULT, "--tls-cert", "{tmp}/c.pem", "--tls-key", "k"], "no such"),
    ],
)
def test_a_file_it_cannot_read_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = cli.main([a.replace("{tmp}", str(tmp_path)) for a in args])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1, err
    assert message.replace("{tmp}", str(tmp_path)) in err


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_missing_policy_when_serving_is_one_line_from_a_real_process(
    tmp_path: Path, workers: str
) -> None:
    argv = [sys.executable, "-m", "extproc.cli", "serve", "--listen", "127.0.0.1:0"]
    argv += ["--workers", workers, "--policy", str(tmp_path / "missing.yaml")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr == f"{tmp_path / 'missing.yaml'}: cannot read: No such file or directory\n"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"extproc {__version__}\n"
    assert __version__[0].isdigit()
