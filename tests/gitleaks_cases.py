"""One text per rule of ``tests/e2e/data/gitleaks.toml``, shared by the unit and e2e tests.

(rule id, text, the secret the rule must report). Values are invented for an
imaginary company; none is a real credential.
"""

from __future__ import annotations

from pathlib import Path

POLICY = Path(__file__).parent / "e2e" / "data" / "gitleaks.yaml"
TOML = POLICY.with_name("gitleaks.toml")

_B64 = "Qm9vLXBhcnRuZXItc2" + "VjcmV0LXZhbHVlLTEyMzQ1"  # 40 base64 characters
SAMPLES: list[tuple[str, str, str]] = [
    ("internal-api-token", "use ACME-" + "Q7W2E9R4T6Y1U3I8O5P0A2S4" + " for it", "ACME-"),
    ("employee-badge", 'badge_id: "B' + '1234567"', "B1234567"),
    ("billing-key", "BILLING_KEY=" + "f8Kq2LmZ9xR4tV7wB1nC6yH3jD5sG0pE", "f8Kq"),
    ("warehouse-db-password", "whdb://loader:" + "Tr4ck-9Lq2!x" + "@wh.local/db", "Tr4ck"),
    (
        "vendor-webhook",
        "https://hooks.vendor.example/" + "a1B2c3D4e5F6g7H8i9J0" + "k1L2m3N4o5P6q7R8s9T0",
        "https",
    ),
    ("legacy-session", "cookie sess_" + "9f2c4e6a8b0d1f3a5c7e9b2d4f6a8c0e", "sess_"),
    ("ci-deploy-token", "token cidt-" + "Zx9Cv8Bn7Mq6Wl5Ek4Rj3Th2Yg1Uf0", "cidt-"),
    ("license-key", "license LIC-" + "4821-7730-1196-2285", "LIC-"),
    ("partner-secret", 'partner_secret = "' + _B64 + '"', _B64[:8]),
    ("gateway-token", "auth gwt." + "eyJ0eXAiOiJHV1QifQabc" + "." + "s1gn4tur3XYZ", "gwt."),
    (
        "signing-seed",
        "seed: " + "apple river stone cloud maple ember " + "frost lunar quiet amber solar tiger",
        "apple",
    ),
    ("printer-pin", "printer PIN-" + "482913", "PIN-"),
]  # fmt: skip
# Texts the rules' entropy or allowlists must let through.
QUIET: list[str] = [
    "BILLING_KEY=" + "a" * 32,  # entropy 0: under the rule's 3.5
    "cookie sess_" + "deadbeef" * 4,  # the rule's stopword
    "cookie sess_" + "0" * 32,  # the rule's allowlist regex
    "use ACME-" + "EXAMPLE" + "A" * 17,  # the global allowlist
]
