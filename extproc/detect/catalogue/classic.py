"""The built-in detectors, as data.

Confidence comes from evidence (see ``DetectorSpec``): a checksum or an exact
published token format rates high; a context word within 48 characters before
the value raises it; ambiguous values (phones, IPs) are rated low without one.

==========================  ============  ========  =======  =====  ==============
detector                    validator     format    context  exact  invalid+ctx
==========================  ============  ========  =======  =====  ==============
pii/email                   -             0.90      0.95     -      -
pii/credit_card             luhn          0.95      1.00     -      -
pii/us_ssn                  us_ssn        0.70      0.95     -      0.60
pii/phone_number            phone         0.50      0.85     -      0.60
pii/ip_address              personal_ip   0.50      0.85     -      -
pii/iban                    iban          0.95      1.00     -      -
secret/aws_access_key       aws_key_id    0.75      0.90     0.95   -
secret/aws_secret_key       aws_secret    0.90      0.90     -      -
secret/aws_session_token    aws_session_token  0.90  0.95  0.95  -
secret/github_token         high_entropy  0.80      0.90     0.97   -
secret/jwt                  jwt           0.90      0.95     -      -
secret/private_key          -             0.99      -        -      -
secret/openai_api_key       high_entropy  0.80      0.90     0.97   -
secret/anthropic_api_key    high_entropy  0.85      0.95     0.97   -
secret/slack_token          high_entropy  0.80      0.90     0.95   -
secret/stripe_key           high_entropy  0.85      0.95     0.97   -
secret/google_api_key       -             0.85      0.95     0.95   -
==========================  ============  ========  =======  =====  ==============

"format": the value matches and passes its validator, no context word near.
"exact": the value has the provider's exact published format.
"invalid+ctx": the validator fails (an SSN in the ITIN range 9xx) but a
context word is near. Context is a word in the value's field name (JSON key,
assignment, CSV column, Kubernetes ``name:``) or in its sentence, before or
after it (``extproc.detect.context``). Some shapes count only with context
(``needs_context``: a bare nine-digit SSN, a bare phone digit run, an AWS
secret key, which has no prefix of its own and also counts next to an AWS key
id). Shapes that fail validation but are typed as examples every day are
reported at 0.30, which only an L4 rule acts on: SSN shapes outside the SSA
ranges, NANP shapes outside the numbering rules (555-01xx), and IP addresses
that identify no one (loopback, link-local and metadata, documentation
ranges, netmasks) at 0.20. Negative context words right before a value or in
its field name drop it: "version 1.2.3.0" is no IP address, "EAN
4334751161885" no card, a decimal ``trace_id`` no card.

Digit groups may be separated by any short run of spaces (Unicode spaces are
normalised to a space), ``.``, ``/``, ``+`` or a dash (Unicode dashes are
normalised to ``-``), mixed within one value; card numbers and IBANs also by
a line break, and digits may be spaced one by one. Checksums and ranges
still decide.
A value found in a decoded layer (percent, HTML entities, ``\\u``, base64)
earns the same figures as in plain text.

Token examples are spelled as concatenations so that secret scanners reading
this source do not mistake the (random, never issued) values for real ones.
"""

from __future__ import annotations

from extproc.detect.gate import context_gate
from extproc.detect.spec import DetectorSpec

# Random bodies, never issued by anyone.
_GH_CLASSIC = "ghp_" + "RVDoi5IS8Dsa3NNk1dyqTmuhdh2DkdrCzMur"
_GH_LOOSE = "gho_" + "qiNalaWK97MsAV7n2qW1fjeh21TC9ffCy7tW089F"
_GH_FINE = (
    "github_pat_"
    + "IQnxnu7gEhdIQPjd98Mhzk_"
    + "WIYK897zhtfMuDJbde5V7agTaFyzAhw7sXNLA492ec3WkQ2FA9ojZPWZscK"
)
_OPENAI_LEGACY = "sk-" + "RFIcQUuqs2Zb12X8EygA" + "T3BlbkFJ" + "4cdSqLWtHtHZDeQkUJNc"
_OPENAI_PROJECT = (
    "sk-proj-"
    + "hZRU52MYP0oz0lcegRfjjnjHhGFjzxcRQETu7ewBHvQbZAWYakO3epsfh7Pcrtx2aIxNUOOqPX"
    + "T3BlbkFJ"
    + "bttPLtE617W7hrMqRrUX54IyRRElpzeS66le3xSSmrKkkqcLcIqF7pggv1tDxWp3c6cr8Hh51h"
)
_OPENAI_LOOSE = "sk-" + "n3NufGVZVgsGfKDda6HNf3xBhpvGo1Qh"
_ANTHROPIC = (
    "sk-ant-api03-"
    + "pr_zld8ehrUNNgC5It8CmWORxXDdlZcqsDU6MpPcb0JXLLD6orEGIf"
    + "iK0dbpor3HhDwPJWUkyovilxXVCK8kOURPkXRAh"
    + "AA"
)
_ANTHROPIC_LOOSE = "sk-ant-" + "sid01-k88l2OqhuPGgYzGfPoKlQcys5nlbKjHNi5TGJGTF"
_SLACK_BOT = "xoxb-" + "732874993886-9787335384408-ppBWJKUl2f9KHUcCX8bmy1d1"
_SLACK_LOOSE = "xoxp-" + "By7rts9DTV6lZhkyokwGq7IeNetFYj"
_STRIPE_LIVE = "sk_live_" + "FG2rglftBAGkAyDMhmIcFm1s"
_STRIPE_LONG = (
    "rk_test_"
    + "gWyEzFofRrYjR9JJXDU6APh10MxQXIZtm5Wv72vc4Kw6OPbufffaZN3c"
    + "GnGUDE9b4ppDUz4ERHGrhIYl7hs5ZAFMmwB3NaaThtM"
)
_STRIPE_LOOSE = "sk_test_" + "swyLMBW4vUJT9ehms0OWLxZDiCUE2NL9lwVKf895"
_AWS_SECRET = "uV3F3YluFJax1cknvbcGwgjvx4QpvB+" + "leU8dUj2o"
_GOOGLE = "AIza" + "kinpOHuiYvqa7IQPbclAQVKqLmHqaWZ_ntQ"
_GOOGLE_LOOSE = "AIza" + "zzZoOxJp80ADNrAHrve3k8hgXxB0Ot2f"
_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    + ".eyJzdWIiOiJ1c2VyLTQ4MjEiLCJuYW1lIjoiQWRhIExvdmVsYWNlIiwiaWF0IjoxNzE4MDAwMDAwfQ"
    + ".6IsXTg-jd8ABPHpEjWyWlGJLrTNSdnGzQ43cnMy6AgA"
)
_JWT_NO_ALG = (
    "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4MTIzNDU2NyJ9.fU0X9rNlELvMmesh3BC-ZrL-5BB9FQWicXbLgEqaXi4"
)
_PEM_BODY = (
    "5smhkQ5lryta4JzKvqm2CFy+xu/aH448MVPLEMilwgrBRxrNeoIMNOoFM8H8kahFBnRuWRJnxX+kW+48Q83gy/5s\n"
    "zTtSmJEbkSEV9VHLX9ZryDbC1k/Wpx5im4yHzHClSABOoVJkyByTdZtxA+A4DVth+ZoxAvlyuyI6QgfE3XcaHb7q\n"
    "IZlCa0iAU87ccjHmteYtT9ndkayQyIHOSEHjizetz0OKMUjyWT+Qh3gtSIH7FVFLMjtZBfeksZq6sX5rf9KJWWMo\n"
)
_BEGIN, _END, _KEY = "-----BEGIN ", "-----END ", "PRIVATE KEY-----"

# A pattern that opens with a lookbehind also opens with ``(?=[class])``: it lets
# Python's re skip ahead by character class instead of trying the lookbehind at
# every position (about twice as fast on digit-heavy text). Better still, a
# literal first: ``_starts`` puts the prefix before its boundary check (ten times
# faster where the keyword is common, as "sk-" is in "task-based").

# Boundaries shared by the token patterns: not glued to more token characters.
_TOKEN_L = r"(?<![A-Za-z0-9_-])"
_TOKEN_R = r"(?![A-Za-z0-9_-])"


# One separator between digit groups, after normalisation (Unicode spaces are
# " ", Unicode dashes "-"): a short run of spaces, or one of ". / + -" with at
# most a space on each side; ``_SEP_WRAP`` also a line break and the next
# line's indentation (long numbers hard-wrapped or pasted over two lines).
_SEP = r"(?:[ \t]{1,3}|[ \t]?[-./+][ \t]?)"
_SEP_WRAP = r"(?:[ \t]{1,3}|[ \t]?[-./+][ \t]?|[ \t]{0,2}\r?\n[ \t]{0,8})"
_IBAN_SEP = r"(?:[ \t]{1,2}|[ \t]?-[ \t]?|[ \t]{0,2}\r?\n[ \t]{0,8})"
# Phones: no "+" between groups (it starts an international number).
_PSEP = r"(?:[ \t]{1,2}|[ \t]?[-./][ \t]?)"
# ... and numbers without a trunk 0 not with dots (IPv4 addresses, versions).
_GSEP = r"(?:[ \t]{1,2}|[ \t]?-[ \t]?)"


# A letter or digit of a script that separates words with spaces: CJK text
# glued to a value ("卡号4111...谢谢") is no part of it.
_W = r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"

# E-mail local parts: ASCII and the letters of Latin, Greek and Cyrillic
# script, not CJK (which, glued before an address, is not part of it).
_LOCAL_START = r"A-Za-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_LOCAL = _LOCAL_START + r"._%+\-"


def _starts(prefix: str) -> str:
    """``prefix`` as a token start: the literal first, then a look back past it."""
    return rf"{prefix}(?<![A-Za-z0-9_-]{prefix})"


EMAIL = DetectorSpec(
    id="pii/email",
    pattern=(
        # The local part: ASCII and the letters of alphabetic scripts, not CJK
        # ("请联系jane@..." starts at "j"); not after "/" (Kerberos service
        # principals, paths).
        # Not the user of a URL ("https://deploy@host/...").
        rf"(?=[{_LOCAL}])(?<![{_LOCAL}/])(?<!://)[{_LOCAL_START}][{_LOCAL}]{{0,63}}@"
        # Not an image density suffix ("logo@2x.avif", "icon@1.5x.png").
        r"(?![0-9]{1,2}(?:\.[0-9]{1,2})?x\.)"
        # Labels of letters in any script (IDN), digits and inner hyphens.
        r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}"
        r"(?!(?:png|jpe?g|gif|svg|webp|avif|heic|heif|bmp|tiff?|ico|jxl|apng"
        r"|local|localdomain|internal|lan|corp|home|intranet|intra|private|test|invalid"
        r"|localhost|arpa)(?![A-Za-z]))"
        # The top-level domain: ASCII letters (CJK text may follow glued on),
        # an IDN label in punycode, or letters of another script.
        r"(?:[A-Za-z]{2,24}(?![A-Za-z0-9_-]|\.[A-Za-z0-9]|:[\w~/])"
        r"|xn--[A-Za-z0-9-]{2,59}(?![\w-])"
        r"|(?=[^\W\d_]{0,23}[^\W\d_A-Za-z])[^\W\d_]{2,24}(?![\w-]))"
    ),
    keywords=("@",),
    gate=r"[0-9A-Za-z._%+\x{80}-\x{10FFFF}-]@[0-9A-Za-z\x{80}-\x{10FFFF}]",
    confidence=0.9,
    context=("email", "e-mail", "mail", "contact", "reach"),
    # Commands and Kerberos: "ssh deploy@web1", "kinit alice@EXAMPLE.COM".
    negative_context=(
        "ssh",
        "scp",
        "sftp",
        "rsync",
        "mosh",
        "ssh-copy-id",
        "kinit",
        "klist",
        "kvno",
        "kadmin",
        "principal",
        "keytab",
    ),
    context_confidence=0.95,
    max_len=254,
    examples=(
        "Contact me at jane.doe@example.com please",
        "email: j.smith+billing@mail.example.co.uk.",
        "<ops-team@corp-example.io>",
        "请联系jane.doe@example.com谢谢",
        "écrivez à josé.garcía@correo.es",
        "jane\uff20example\uff0ecom",  # full-width from an input method
    ),
    negatives=(
        "the retina asset is icon@2x.png",
        "npm install lodash@4.17.21",
        "thanks @jane for the review",
        "ssh admin@localhost",
        "see @@ -12,7 +12,9 @@ in the diff",
        "git clone git@github.com:org/repo.git",
        "logo@2x.avif and hero@3x.webp",
        "ssh deploy@web01.prod.internal",
        "ssh -i ~/.ssh/id_ed25519 ubuntu@ci-runner.example.com",
        "kinit alice@EXAMPLE.COM",
        "HTTP/web01.example.com@EXAMPLE.COM",
    ),
    builtin=True,
)

CREDIT_CARD = DetectorSpec(
    id="pii/credit_card",
    pattern=(
        # Magnetic stripe track 1 ("%B<PAN>^NAME^..."): glued to its markers.
        r"(?<=%B)[0-9]{12,19}(?=\^)|"
        # Not inside a list of numbers ("... 3208 3848 4488 5128 5768 ...").
        rf"(?=[0-9])(?<!{_W}|[+./-])(?<![0-9][ \t])(?:"
        # 4-4-4-4 (13..16) and 4-6-5 (Amex), 4-6-4 (Diners), any separators,
        # mixed. A separator may be missing (a zero-width space in its place,
        # once dropped, leaves none).
        rf"[0-9]{{4}}(?:{_SEP_WRAP}?[0-9]{{4}}){{2}}{_SEP_WRAP}?[0-9]{{1,4}}"
        rf"|[0-9]{{4}}{_SEP_WRAP}?[0-9]{{6}}{_SEP_WRAP}?[0-9]{{4,5}}"
        # Digits spaced one by one.
        r"|[0-9](?:[ .-][0-9]){11,18}(?![ .-][0-9])"
        # A run broken by a line anywhere.
        r"|[0-9]{2,17}[ \t]{0,2}\r?\n[ \t]{0,8}[0-9]{2,17}"
        r"|[0-9]{12,19}"
        r")(?![0-9]|[-./+][0-9])"
    ),
    validator="luhn",
    confidence=0.95,
    context=("card", "credit", "debit", "visa", "mastercard", "amex", "cc", "pan", "payment"),
    context_confidence=1.0,
    # Barcodes: an EAN-13 from 40-44 (Germany) is a 13-digit "Visa" one time in ten.
    # Decimal trace and span ids (OpenTelemetry, Datadog) under their field names.
    negative_context=(
        "ean",
        "gtin",
        "upc",
        "isbn",
        "barcode",
        "sku",
        "trace",
        "span",
        "trace_id",
        "traceid",
        "span_id",
        "spanid",
        "parent_id",
        "parentid",
    ),
    max_len=48,
    # Twelve digits at least, in one of the pattern's layouts.
    prefilter=(
        r"[0-9]{4}[ \t./+\r\n-]{0,12}[0-9]{4}[ \t./+\r\n-]{0,12}[0-9]{4}"
        r"|[0-9]{4}[ \t./+\r\n-]{0,12}[0-9]{6}[ \t./+\r\n-]{0,12}[0-9]{4}"
        r"|[0-9](?:[ .-][0-9]){11}|"
        + "|".join(
            f"[0-9]{{{k}}}[ \\t]{{0,2}}\\r?\\n[ \\t]{{0,8}}[0-9]{{{12 - k}}}" for k in range(2, 11)
        )
    ),
    examples=(
        "card 4111 1111 1111 1111 exp 12/29",
        "paid with 5555-5555-5555-4444 yesterday",
        "amex 3782 822463 10005 on file",
        "4012888888881881",
        "jcb:3530111333300000.",
        "diners 3056 930902 5904",
        "diners 3852 0000 0232 37",
        "pasted as 4111\u200b1111 1111 1111",
        "mc 2223000048400011 (2-series)",
        "card 4111.1111.1111.1111",
        "card 4111 1111\n1111 1111 thanks",
        "cc: 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
        "card 4111\u20131111\u20141111\u22121111",
    ),
    negatives=(
        "Order number 1234567812345678 has shipped",
        "ISBN 978-0-306-40615-7",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "timestamp 1700000000123 ms",
        "card 4111 1111 1111 1112",
        "ref 0000 0000 0000 0000",
        "4111-1111-1111-1111-2222",
        "EAN 4334751161885",
        '{"traceId": "4111111111111111", "name": "GET /"}',
        "dd.trace_id=4012888888881881 dd.span_id=12",
    ),
    builtin=True,
)

_SSN_CONTEXT = (
    "ssn",
    "ss#",
    "ssn#",
    "social security",
    "social",
    "itin",
    "tax id",
    "taxpayer",
    "tin",
    "tax identification",
)
# A bare run of digits as the SSN and phone patterns take one (not glued to
# a letter, a digit or "+./-" before it): a JSON timestamp ("created":
# 1700000000) holds nine digits in a row, but no nine-digit run.
_BARE = r"(?:^|[^0-9A-Za-z_+./-])[0-9]{{{}}}"
_NINE = _BARE.format(9) + r"(?:[^0-9A-Za-z_]|$)"

US_SSN = DetectorSpec(
    id="pii/us_ssn",
    pattern=(
        rf"(?=[0-9])(?<!{_W}|[+./-])(?:"
        rf"[0-9]{{3}}{_SEP}[0-9]{{2}}{_SEP}[0-9]{{4}}"
        r"|[0-9](?:[ .-][0-9]){8}(?![ .-][0-9])"  # spaced one by one
        r"|[0-9]{9}"  # bare: only with context
        rf")(?!{_W}|[-./+][0-9])"
    ),
    validator="us_ssn",
    confidence=0.7,
    context=_SSN_CONTEXT,
    context_confidence=0.95,
    invalid_confidence=0.6,
    needs_context=r"[0-9]{9}",
    weak_validator="ssn_shape",
    weak_confidence=0.3,
    max_len=24,
    prefilter=(
        r"[0-9]{3}[ \t./+-]{1,3}[0-9]{2}[ \t./+-]{1,3}[0-9]{4}|[0-9](?:[ .-][0-9]){8}|[0-9]{9}"
    ),
    # A bare run counts only with a context word near (before it, or after it
    # in its sentence) or a field name, which holds one of these words.
    gate=(
        r"[0-9]{3}[ \t./+-]{1,3}[0-9]{2}[ \t./+-]{1,3}[0-9]{4}|[0-9](?:[ .-][0-9]){8}"
        rf"|(?:{context_gate(_SSN_CONTEXT)})[\s\S]*{_NINE}"
        rf"|{_NINE}[\s\S]*?(?:{context_gate(_SSN_CONTEXT, names=False)})"
    ),
    examples=(
        "SSN: 123-45-6789",
        "her number is 212-09-7694 I think",
        "ITIN 912-70-1234 for the filing",
        "social security no. 666-12-3456",
        "tax id 123 45 6789",
        '{"name": "Ann", "ssn": "536228417"}',
        "536228417 is my SSN",
        "ssn 536.22.8417",
        "SSN 5 3 6 2 2 8 4 1 7",
    ),
    negatives=(
        "reference 987-65-4321 in the ledger",
        "ticket 000-12-3456",
        "batch 123-00-4567 and 123-45-0000",
        "on 2024-01-15 we shipped",
        "part no. 123-45-67890",
        "room 123-45-6789-1",
        "order 536228417 shipped",
        "My SSN is on file. Order 536228417 shipped.",
    ),
    builtin=True,
)

_PHONE_CONTEXT = (
    "phone",
    "tel",
    "tel.",
    "telephone",
    "call",
    "mobile",
    "cell",
    "fax",
    "sms",
    "whatsapp",
    "ph",
    "mob",
    "contact",
    "text me",
    "reach me",
    "ring me",
    "my number",
    "number is",
    "msisdn",
    "handy",
    "telefon",
    "telefono",
    "téléphone",
    "portable",
    "landline",
    "dial",
    "office",
    "büro",
    "tlf",
    "móvil",
    "cellulare",
    "rufnummer",
    "numéro",
    "número",
    "numero",
)

PHONE_NUMBER = DetectorSpec(
    id="pii/phone_number",
    pattern=(
        # Not the seconds of a time ("04:41:03.006560").
        rf"(?=[0-9+(])(?<!{_W}|[+./-])(?<![0-9]:)"
        # Not a signed coordinate or score ("+48.858370", "+2.5").
        r"(?![+-][0-9]{1,3}\.[0-9]{2,}(?![0-9]*[ /-][0-9]))"
        r"(?:"
        # International: + or 00, country code, an optional (0) trunk prefix,
        # groups in any grouping (the validator counts the digits).
        r"(?:\+|00)[1-9][0-9]{0,13}(?:[ ]?\(0\))?"
        r"(?:[ .\-/]{0,2}\([0-9]{1,5}\)|[ .\-/]{0,2}[0-9]{1,12}){0,6}+"
        # NANP.
        r"|(?:1[ .-]?)?(?:\([0-9]{3}\)[ .-]?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}"
        # National with a trunk 0: (030) 1234567, 0151 23456789, 06 12 34 56 78.
        rf"|(?:\(0[0-9]{{1,5}}\)|0[0-9]{{1,5}})(?:{_PSEP}?[0-9]{{2,8}}){{1,5}}"
        # National without one: 612 34 56 78, 912 345 678, 333 123 4567.
        rf"|[1-9][0-9]{{1,3}}(?:{_GSEP}[0-9]{{2,4}}){{3,4}}"
        rf"|[1-9][0-9]{{1,3}}{_GSEP}[0-9]{{3}}{_GSEP}[0-9]{{3,4}}"
        # A bare run: only with context.
        r"|[0-9]{7,15}"
        r")(?:[ ]?(?:x|ext\.?)[ ]?[0-9]{1,5})?"
        rf"(?!{_W}|-|[./][0-9])"
    ),
    validator="phone",
    context_validator="phone_with_context",
    weak_validator="phone_example",
    weak_confidence=0.3,
    needs_context=r"[0-9]{7,15}",
    confidence=0.5,
    context=_PHONE_CONTEXT,
    context_confidence=0.85,
    invalid_confidence=0.6,
    negative_context=(
        "clause",
        "section",
        "sec.",
        "§",
        "isbn",
        "issn",
        "doi",
        "pmid",
        "version",
        "build",
        "patent",
        "docket",
        "serial",
        "zip",
        "postal",
        "postcode",
        "ma",
        "ca",
        "ny",
        "tx",
    ),
    max_len=40,
    prefilter=(
        r"[0-9]{3}[ \t./)-]{0,3}[0-9]{3}|\+[0-9]|00[1-9]|\(0[0-9]{1,5}\)"
        r"|0[0-9]{1,5}[ \t./-]{1,3}[0-9]{2}"
        r"|[0-9]{2,4}[ \t./-]{1,3}[0-9]{2,4}[ \t./-]{1,3}[0-9]{2,4}[ \t./-]{1,3}[0-9]{2}"
        r"|[0-9]{7}"
    ),
    # A bare digit run counts only with a context word near: before it (in
    # its sentence or field name), or after it in its sentence.
    gate=(
        r"\+[0-9]|00[1-9]|\(0[0-9]{1,5}\)|[0-9]{3}[ \t./)-]{1,3}[0-9]{3}"
        r"|(?:^|[^\w+./-])0[0-9]+[ \t./-]{1,3}[0-9]{2}"
        r"|[0-9]{2,4}[ \t./-]{1,3}[0-9]{2,4}[ \t./-]{1,3}[0-9]{2,4}[ \t./-]{1,3}[0-9]{2}"
        # A bare run with an extension needs no context word.
        r"|[0-9]{7}[ ]?(?:x|ext)[ ]?[0-9]"
        rf"|(?:{context_gate(_PHONE_CONTEXT)})[\s\S]*{_BARE.format(7)}"
        rf"|{_BARE.format(7)}[\s\S]*?(?:{context_gate(_PHONE_CONTEXT, names=False)})"
    ),
    examples=(
        "call me at (415) 555-2671 tomorrow",
        "Phone: +1 212-736-5000",
        "office +44 20 7946 0958",
        "Tel. +33 1 42 68 53 00",
        "mobile 4155552671",
        "reach us on +4915112345678.",
        "+44(0)121 4960260 (switchboard)",
        "Tel +31260-181590",
        "ring 415-555-2671 x204 today",
        "Mobil: 0151 23456789",
        "ring me on 020 7946 0958",
        "4155552671 is my cell",
        "appelez le 06 12 34 56 78",
        "whatsapp +49\u00a0151\u200912345678",
    ),
    negatives=(
        "[build 4821] finished 2024-03-01 12:34:56, exit 0, took 1712345678 ms",
        "java.lang.Thread.run(Thread.java:829) tid=2125550143",
        "Step 12/30 : RUN make -j4 && echo 123.456.7890",
        "+1 for this idea, +5 10 15",
        "fictional 212-555-0147",
        "version 10.0.19045.2364",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "ISBN 978-0-306-40615-7, printed 2019-04-12",
        "I will call you. The build took 1712345678 ms",
        "location +48.858370,+2.294481",
        "score +12.5 and -3.25",
    ),
    builtin=True,
)

IP_ADDRESS = DetectorSpec(
    id="pii/ip_address",
    pattern=(
        r"(?=[0-9A-Fa-f:])(?<![\w.:])(?:"
        # Not a package version ("(6.9.7.1-2)", "1.2.3.4+dfsg", "1.2.3.4~rc1").
        r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?!\w|\.[0-9]|-[0-9]{1,3}(?![0-9.])|[~+][0-9A-Za-z])"
        r"|(?:[0-9A-Fa-f]{0,4}:){2,7}+(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{1,4})?"
        r"(?![\w:]|\.[0-9A-Za-z])"
        r")"
    ),
    validator="personal_ip",
    # Loopback, link-local, documentation ranges, netmasks: only at L4.
    weak_validator="ip_address",
    weak_confidence=0.2,
    confidence=0.5,
    context=("ip", "ips", "ipv4", "ipv6", "host", "server", "address", "addr", "gateway", "dns"),
    context_confidence=0.85,
    negative_context=(
        "version",
        "ver",
        "release",
        "build",
        "firmware",
        "assemblyversion",
        "assemblyfileversion",
        "fileversion",
        "productversion",
        "standards-version",
        "section",
        "sec.",
        "chapter",
        "clause",
        "rfc",
        "§",
        "oid",
        "step",
        "figure",
        "table",
        "v",
        "rev",
        "revision",
        "==",
        ">=",
        "<=",
        "~=",
        "!=",
    ),
    # Changelogs: "Changes in 1.2.0.2", "Bump Standards-Version to 4.6.0.1".
    negative_window=(
        "version",
        "versions",
        "release",
        "released",
        "changes in",
        "changelog",
        "bump",
        "bumped",
        "upgrade",
        "upgraded",
        "downgrade",
        "requires",
        "required",
        "depends",
        "policy",
        "revert",
        "reverted",
        "compliance",
    ),
    max_len=45,
    prefilter=r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|:[0-9A-Fa-f]{0,4}:",
    examples=(
        "server ip 192.168.1.20 is down",
        "ping 2a05:d018:85a3::8a2e:370:7334 now",
        "Reached 52.94.236.248.",
        "[2a05:d018:76c:b685::1]:443",
        "node 2600:1f18:24c8:3e00::7a%eth0",
        "mapped ::ffff:52.94.236.248 address",
    ),
    negatives=(
        "Microsoft Windows version 10.0.19045.2364",
        "octal 010.001.002.003",
        "at 12:30:45 today",
        "MAC 00:1A:2B:3C:4D:5E",
        "std::vector<int> v;",
        "semver 1.2.3.4.5",
        "loopback ::1",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "AssemblyVersion 1.0.0.0",
        '{"version": "2.4.1.0"}',
        "__version__ = '4.0.1.2'",
        "<FileVersion>10.0.1.5</FileVersion>",
        "Standards-Version: 4.6.2.0",
        "imagemagick (6.9.7.4-2) unstable; urgency=low",
        "xs[1::2] and A::f and 0xdead::beef",
        "see section 3.2.1.4 of the spec",
        "Changes in 1.2.0.2 (13 July 2003)",
        "* Bump Standards-Version to 4.6.0.1, no changes needed",
    ),
    builtin=True,
)

IBAN = DetectorSpec(
    id="pii/iban",
    pattern=(
        # Any case, compact or in groups of any size separated by a space, a
        # dash or a line break; after the first, a group holds a digit in its
        # first four characters, so words after an IBAN are not taken in.
        r"(?=[A-Za-z])(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}"
        rf"(?:{_IBAN_SEP}?[A-Za-z0-9]{{1,34}})"
        rf"(?:{_IBAN_SEP}?(?=[A-Za-z]{{0,3}}[0-9])[A-Za-z0-9]{{1,34}}){{0,9}}"
        r"(?![A-Za-z0-9])"
    ),
    validator="iban",
    confidence=0.95,
    context=("iban", "account", "bank", "transfer", "sepa", "bic"),
    context_confidence=1.0,
    max_len=60,
    prefilter=r"[A-Za-z]{2}[0-9]{2}(?:[ \t\r\n-]{0,11}[A-Za-z0-9]){11}",
    # The start of one, for the gate: counting eleven characters there would
    # make the gate's automaton too large to stay cached on long texts.
    gate=r"(?:^|[^A-Za-z0-9])[A-Za-z]{2}[0-9]{2}[ \t\r\n-]{0,11}[A-Za-z0-9]",
    examples=(
        "IBAN DE89 3704 0044 0532 0130 00 please",
        "pay GB82WEST12345698765432 today",
        "NL91 ABNA 0417 1643 00",
        "iban: de89 3704 0044 0532 0130 00, thanks",
        "IBAN DE89-3704-0044-0532-0130-00",
        "to DE89 370 400 440 532 013 000 by Friday",
        "IBAN FR14 2004 1010 0505\n0001 3M02 606",
    ),
    negatives=(
        "IBAN DE89 3704 0044 0532 0130 01",
        "part AB12CDEF3456789012 ordered",
        "GB82WEST123456987654 is too short",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "sha AB12 CDEF 3456 7890 1234",
    ),
    builtin=True,
)

AWS_ACCESS_KEY = DetectorSpec(
    id="secret/aws_access_key",  # the key id; the secret key is AWS_SECRET_KEY
    pattern=r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16,24}(?![A-Za-z0-9])",
    keywords=("akia", "asia", "abia", "acca"),
    gate=r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}",
    validator="aws_key_id",
    confidence=0.75,
    context=("aws", "access key", "access_key", "key id", "key_id"),
    context_confidence=0.9,
    exact=r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
    exact_confidence=0.95,
    max_len=28,
    examples=(
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "temporary ASIA" + "ES6HN5VWM5GAA7RH issued",
        "key ABIA" + "SRY4N9E6YEQ8XO4SAZ",
        "no digit ASIA" + "CSAJUDPBKQPYOUJG",
    ),
    negatives=(
        "AKIAXXXXXXXXXXXXXXXX",
        "ASIAN markets rallied",
        "id AKIA1234",
        "ASIAPACIFICREGIONALOFFICE",
        "AKIAEXAMPLEEXAMPLEX",
        "AKIA" + "ABABABABABABABAB",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    ),
    builtin=True,
)

# A secret access key is 40 base64 characters with no prefix of its own: only
# the name it is given makes it one (in config files, env vars, JSON, CLI output).
AWS_SECRET_KEY = DetectorSpec(
    id="secret/aws_secret_key",
    pattern=r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
    validator="aws_secret",
    confidence=0.9,
    # Any name that says secret (``secret_key``, ``SecretAccessKey``,
    # ``AWS_SECRET``, a CSV column "Secret access key"), or an AWS key id
    # within 256 characters (``aws iam`` text output, a pasted pair).
    context=("secret", "secret key", "secretkey", "secretaccesskey", "aws secret"),
    context_confidence=0.9,
    needs_context=r"[\s\S]*",
    companion=r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])",
    max_len=40,
    prefilter=r"[A-Za-z0-9/+]{40}",
    # The word, or a key id: counting 40 characters as well would multiply
    # the states of the gate's automaton with every other counter in it.
    gate=r"(?i:secret)|(?:AKIA|ASIA)[A-Z2-7]{16}",
    examples=(
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",  # AWS docs
        'export AWS_SECRET_ACCESS_KEY="' + "Wk7nowZ7I4qyjmpYt3cY" + 'PtxLKvMEZm0TrIQAd7xI"',
        '{"AccessKeyId": "ASIA...", "SecretAccessKey": "' + _AWS_SECRET + '"}',
        'secret_key = "' + _AWS_SECRET + '"',
        "AWS_SECRET=" + _AWS_SECRET,
        "- name: AWS_SECRET\n  value: " + _AWS_SECRET,
        "User name,Access key ID,Secret access key\nbob,AKIA...," + _AWS_SECRET,
        "ACCESSKEY\tAKIA" + "Q3EGRIC4M5LDTXNV\t2024-05-01T10:00:00Z\t" + _AWS_SECRET + "\tActive",
    ),
    negatives=(
        "aws_secret_access_key = <your secret key here>",
        "aws_secret_access_key=XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "the sauce " + _AWS_SECRET,
        "secret: 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    ),
    builtin=True,
)

# An STS session token: long base64 that starts with the encoding of its own
# header; others only under a name that says session or security token.
_STS_PREFIX = r"(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdz|FQoGZXIvYXdz|AgoJb3JpZ2luX2Vj)"
_SESSION_TOKEN = "IQoJb3JpZ2luX2Vj" + (
    "EHAaCXVzLWVhc3QtMSJHMEUCIQDk9n2wVx7TqLq3pZ0YkA5bRc8mJ1uHf6sNvX4yWtE2GwIgK3mPz"
    "Q8rT5vY1nB7xC2dF9gH4jL6kM0wS3aE5uI8oR0qogIIv///////////ARAAGgw2NzE0NjM1MjA4Nj"
)

AWS_SESSION_TOKEN = DetectorSpec(
    id="secret/aws_session_token",
    pattern=r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{100,4096}={0,2}(?![A-Za-z0-9/+=])",
    keywords=(
        "session_token",
        "sessiontoken",
        "session token",
        "session-token",
        "security_token",
        "securitytoken",
        "security-token",
        "iqojb3jpz2lux2vj",
        "fwogzxivyxdz",
        "fqogzxivyxdz",
        "agojb3jpz2lux2vj",
    ),
    validator="aws_session_token",
    confidence=0.9,
    context=("session token", "security token", "sessiontoken", "securitytoken"),
    context_confidence=0.95,
    needs_context=rf"(?!{_STS_PREFIX})[\s\S]*",
    exact=rf"{_STS_PREFIX}[A-Za-z0-9/+]{{84,4080}}={{0,2}}",
    exact_confidence=0.95,
    max_len=4200,
    examples=(
        f"aws_session_token = {_SESSION_TOKEN}",
        f'"SessionToken": "{_SESSION_TOKEN}"',
        f"token {_SESSION_TOKEN}",
    ),
    negatives=(
        "aws_session_token = <paste the token>",
        "session token " + "A" * 120,
    ),
    builtin=True,
)

GITHUB_TOKEN = DetectorSpec(
    id="secret/github_token",
    pattern=(
        _TOKEN_L + r"(?:gh[pousr]_[A-Za-z0-9]{30,251}|github_pat_[A-Za-z0-9_]{40,240})" + _TOKEN_R
    ),
    keywords=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    validator="high_entropy",
    confidence=0.8,
    context=("github", "token", "gh_token", "pat"),
    context_confidence=0.9,
    exact=r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
    exact_confidence=0.97,
    max_len=256,
    examples=(
        f"export GH_TOKEN={_GH_CLASSIC}",
        f"oauth {_GH_LOOSE} expired",
        f"{_GH_FINE}",
    ),
    negatives=(
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "prefix ghp_ only",
        "ghp_short1234",
    ),
    builtin=True,
)

JWT = DetectorSpec(
    id="secret/jwt",
    pattern=(
        r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{0,1000}"
        r"(?![A-Za-z0-9_-])"
    ),
    keywords=("eyj",),
    gate=r"eyJ[A-Za-z0-9_-]{10}",
    validator="jwt",
    confidence=0.9,
    context=("bearer", "authorization", "token", "jwt"),
    context_confidence=0.95,
    max_len=9010,
    examples=(
        f"Authorization: Bearer {_JWT}",
        f"token={_JWT}&next=1",
    ),
    negatives=(
        f"no alg {_JWT_NO_ALG}",
        "blob eyJub3QiOiJhIGp3dCJ9 alone",
        "eyJhbGciOiJIUzI1NiJ9.not-base64!.sig",
    ),
    builtin=True,
)

PRIVATE_KEY = DetectorSpec(
    id="secret/private_key",
    pattern=(
        r"-----BEGIN[A-Z0-9 ]{0,30} PRIVATE KEY(?: BLOCK)?-----"
        # Optional armor headers, then key material. Atomic, so a failed match
        # never retries every split of the body (that would be quadratic).
        r"(?>[A-Za-z0-9+/=\s:,.\\-]{0,200}?[A-Za-z0-9+/]{40})"
        r"(?:[A-Za-z0-9+/=\s:,.\\-]{0,9000}?-----END[A-Z0-9 ]{0,30} PRIVATE KEY(?: BLOCK)?-----"
        r"|[A-Za-z0-9+/=\s\\]{23,9000}[A-Za-z0-9+/=])"
    ),
    keywords=("-----BEGIN",),
    confidence=0.99,
    max_len=9100,
    examples=(
        f"key:\n{_BEGIN}RSA {_KEY}\n{_PEM_BODY}{_END}RSA {_KEY}\nthanks",
        f"{_BEGIN}{_KEY}\n{_PEM_BODY}{_END}{_KEY}",
        f"{_BEGIN}OPENSSH {_KEY}\n{_PEM_BODY}",
        f"{_BEGIN}ENCRYPTED {_KEY}\\n{_PEM_BODY.replace(chr(10), '')}\\n{_END}ENCRYPTED {_KEY}",
    ),
    negatives=(
        f"{_BEGIN}PUBLIC KEY-----\n{_PEM_BODY}{_END}PUBLIC KEY-----",
        f"{_BEGIN}CERTIFICATE-----\n{_PEM_BODY}{_END}CERTIFICATE-----",
        f"files start with {_BEGIN}RSA {_KEY} and end with {_END}RSA {_KEY}",
    ),
    builtin=True,
)

OPENAI_API_KEY = DetectorSpec(
    id="secret/openai_api_key",
    pattern=(
        _starts("sk-")
        + r"(?!ant-)(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9][A-Za-z0-9_-]{19,250}"
        + _TOKEN_R
    ),
    keywords=("sk-",),
    gate=r"sk-[A-Za-z0-9_-]{20}",
    validator="high_entropy",
    confidence=0.8,
    context=("openai", "api key", "api_key", "apikey", "chatgpt"),
    context_confidence=0.9,
    exact=r"sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}",
    exact_confidence=0.97,
    max_len=260,
    examples=(
        f"OPENAI_API_KEY={_OPENAI_LEGACY}",
        f"use {_OPENAI_PROJECT} for the project",
        f"key {_OPENAI_LOOSE}",
    ),
    negatives=(
        "pip install sk-learn",
        "the sk-learn-contrib-imbalanced-learn package",
        "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "OPENAI_API_KEY=sk-your-api-key-here",
        f"anthropic {_ANTHROPIC}",
        "a task-oriented desk-based risk-assessment-framework-2024",
    ),
    builtin=True,
)

ANTHROPIC_API_KEY = DetectorSpec(
    id="secret/anthropic_api_key",
    pattern=_starts("sk-ant-") + r"[a-z]{2,10}[0-9]{0,3}-[A-Za-z0-9_-]{20,250}" + _TOKEN_R,
    keywords=("sk-ant-",),
    validator="high_entropy",
    confidence=0.85,
    context=("anthropic", "claude", "api key", "api_key", "x-api-key"),
    context_confidence=0.95,
    exact=r"sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{93}AA",
    exact_confidence=0.97,
    max_len=270,
    examples=(
        f"ANTHROPIC_API_KEY={_ANTHROPIC}",
        f"session {_ANTHROPIC_LOOSE}",
    ),
    negatives=(
        "sk-ant-api03-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "the sk-ant- prefix",
    ),
    builtin=True,
)

SLACK_TOKEN = DetectorSpec(
    id="secret/slack_token",
    pattern=r"(?<![A-Za-z0-9-])xox[abposr]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])",
    keywords=("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"),
    validator="high_entropy",
    confidence=0.8,
    context=("slack", "token", "bot"),
    context_confidence=0.9,
    exact=(
        r"xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24}"
        r"|xoxp-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32}"
    ),
    exact_confidence=0.95,
    max_len=256,
    examples=(
        f"SLACK_BOT_TOKEN={_SLACK_BOT}",
        f"legacy {_SLACK_LOOSE}",
    ),
    negatives=(
        "xoxo-hugs-and-kisses-from-grandma",
        "xoxb-",
        "xoxb-XXXXXXXXXXXX-XXXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    builtin=True,
)

STRIPE_KEY = DetectorSpec(
    id="secret/stripe_key",
    pattern=r"(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}(?![A-Za-z0-9_])",
    keywords=("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
    validator="high_entropy",
    confidence=0.85,
    context=("stripe", "secret", "api key", "api_key"),
    context_confidence=0.95,
    exact=r"[sr]k_(?:live|test)_(?:[A-Za-z0-9]{24}|[A-Za-z0-9]{99})",
    exact_confidence=0.97,
    max_len=256,
    examples=(
        f"STRIPE_SECRET_KEY={_STRIPE_LIVE}",
        f"restricted {_STRIPE_LONG}",
        f"test mode {_STRIPE_LOOSE}",
    ),
    negatives=(
        "publishable pk_live_" + "FG2rglftBAGkAyDMhmIcFm1s",
        "sk_live_placeholder",
        "sk_test_XXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    builtin=True,
)

GOOGLE_API_KEY = DetectorSpec(
    id="secret/google_api_key",
    pattern=r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{30,40}(?![A-Za-z0-9_-])",
    keywords=("aiza",),
    gate=r"AIza[0-9A-Za-z_-]{30}",
    confidence=0.85,
    context=("google", "gcp", "firebase", "maps", "api key", "api_key", "key="),
    context_confidence=0.95,
    exact=r"AIza[0-9A-Za-z_-]{35}",
    exact_confidence=0.95,
    max_len=44,
    examples=(
        f"maps?key={_GOOGLE}&q=x",
        f"firebase {_GOOGLE_LOOSE}",
    ),
    negatives=(
        "AIza alone",
        "AIzaShort123",
    ),
    builtin=True,
)

CLASSIC: tuple[DetectorSpec, ...] = (
    EMAIL,
    CREDIT_CARD,
    US_SSN,
    PHONE_NUMBER,
    IP_ADDRESS,
    IBAN,
    AWS_ACCESS_KEY,
    AWS_SECRET_KEY,
    AWS_SESSION_TOKEN,
    GITHUB_TOKEN,
    JWT,
    PRIVATE_KEY,
    OPENAI_API_KEY,
    ANTHROPIC_API_KEY,
    SLACK_TOKEN,
    STRIPE_KEY,
    GOOGLE_API_KEY,
)
