"""check_files(): what `extproc policy check FILE...` prints and returns."""

from __future__ import annotations

from pathlib import Path

from extproc.policy.check import check_files

GOOD = """\
version: 1
name: {name}
{extra}rules:
  - detectors: ["pii/email", "custom/*"]
    request: redact
custom_detectors:
  - id: custom/order
    pattern: 'ORD-[0-9]{{8}}'
    keywords: ["ORD-"]
"""


def _good(name: str, extra: str = "") -> str:
    return GOOD.format(name=name, extra=extra)


def test_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(_good("p"))
    assert check_files([str(path)]) == (
        0,
        [f"{path}: OK: policy 'p', 1 rule, 2 detectors enabled"],
    )


def test_warnings_are_prefixed(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(_good("p").replace('    keywords: ["ORD-"]\n', ""))
    code, lines = check_files([str(path)])
    assert code == 0
    assert lines == [
        f"warning: {path}:7: custom_detectors[0]: 'custom/order' has no keywords: its pattern "
        "runs over every body",
        f"{path}: OK: policy 'p', 1 rule, 2 detectors enabled",
    ]


def test_errors_fail_and_every_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(_good("bad").replace("request: redact", "request: blok"))
    good = tmp_path / "good.yaml"
    good.write_text(_good("good"))
    missing = tmp_path / "missing.yaml"
    code, lines = check_files([str(bad), str(good), str(missing)])
    assert code == 1
    assert lines == [
        f"{bad}:5: rules[0].request: unknown action 'blok' (expected one of: block, redact, "
        "mask, hash, log, off, pseudonymize)",
        f"{good}: OK: policy 'good', 1 rule, 2 detectors enabled",
        f"{missing}: cannot read: No such file or directory",
    ]


def test_directory_is_also_checked_as_a_set(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(_good("default"))
    (tmp_path / "b.yaml").write_text(_good("openai", 'match:\n  hosts: ["api.openai.com"]\n'))
    code, lines = check_files([str(tmp_path)])
    assert code == 0
    assert lines[-1] == f"{tmp_path}: OK: 2 policies, default 'default'"

    (tmp_path / "c.yaml").write_text(_good("other"))
    (tmp_path / "a.yaml").write_text(_good("first"))
    code, lines = check_files([str(tmp_path)])
    assert code == 1
    assert lines[-1] == (
        f"{tmp_path}: no default policy: name one 'default', or leave 'match' out of exactly "
        "one (policies without match: first, other)"
    )


def test_empty_directory(tmp_path: Path) -> None:
    assert check_files([str(tmp_path)]) == (1, [f"{tmp_path}: no policy files (*.yaml, *.yml)"])
