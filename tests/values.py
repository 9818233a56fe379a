"""Test literals shared across test folders. Values that look like secrets
are written as concatenations, so secret scanners do not flag the source."""

from __future__ import annotations

GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" + "k1L2m3N4o5P6q7R8"
CARD = "4111 1111 " + "1111 1111"  # the test Visa number
SSN = "536-22-" + "8214"
EMAIL = "jane.doe@" + "contoso.org"
OTHER_EMAIL = "bob.stone@" + "fabrikam.net"
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's documented example key id
