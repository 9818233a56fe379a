"""Weak candidates: shapes typed as examples every day are reported under 0.5,
so only a strict policy (``threshold: L4``) acts on them; ``extproc scan
--jsonl`` lists only what the policy acts on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "policies" / "default.yaml"

TEXTS = {
    "ssn-out-of-range": "the form says 912-34-5678",  # ITIN range, no context
    "fiction": "it was 212-555-0147 on TV",
    "loopback": "listen on 127.0.0.2 port 80",
    "real": "mail jane.doe@contoso.org",
}


def scan(policy: Path, tmp_path: Path) -> dict[str, list[tuple[str, float]]]:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in TEXTS.items()))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "extproc.cli",
            "scan",
            "--policy",
            str(policy),
            "--jsonl",
            str(source),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    out = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        out[row["id"]] = [(f["detector"], f["confidence"]) for f in row["findings"]]
    return out


def test_the_default_policy_lists_no_weak_candidate(tmp_path: Path) -> None:
    found = scan(DEFAULT, tmp_path)
    assert found == {
        "ssn-out-of-range": [],
        "fiction": [],
        "loopback": [],
        "real": [("pii/email", 0.95)],  # "mail" before it
    }


@pytest.mark.parametrize("threshold", ["L4", None])
def test_a_strict_policy_acts_on_them_and_no_threshold_means_l3(
    tmp_path: Path, threshold: str | None
) -> None:
    policy = tmp_path / "p.yaml"
    line = f"    threshold: {threshold}\n" if threshold else ""
    policy.write_text(
        "version: 1\nname: strict\nrules:\n  - detectors: ['pii/*']\n"
        f"    request: redact\n    response: redact\n{line}"
    )
    found = scan(policy, tmp_path)
    if threshold is None:  # a rule without threshold acts from L3
        assert found["ssn-out-of-range"] == found["fiction"] == found["loopback"] == []
        return
    assert found["ssn-out-of-range"] == [("pii/us_ssn", 0.3)]
    assert found["fiction"] == [("pii/phone_number", 0.3)]
    assert found["loopback"] == [("pii/ip_address", 0.2)]
