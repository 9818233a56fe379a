"""Service tokens recognised by the prefix and layout their providers publish.

Every entry is a prefix (the keyword of the pre-pass and most of the gate)
and a body in the provider's alphabet; ``exact`` is the documented layout,
``high_entropy`` refuses placeholders such as ``glpat-XXXXXXXX...``. A few
providers issue keys without a prefix (Datadog, Twilio's auth token,
Cloudflare's API token): those count only after their name.

==========================  ============  ========  =======  =====  ==============
detector                    validator     format    context  exact  invalid+ctx
==========================  ============  ========  =======  =====  ==============
secret/gitlab_token         random_token  0.80      0.90     0.97   -
secret/huggingface_token    high_entropy  0.80      0.90     0.97   -
secret/npm_token            high_entropy  0.85      0.95     0.97   -
secret/pypi_token           high_entropy  0.95      -        0.97   -
secret/sendgrid_key         high_entropy  0.85      0.95     0.97   -
secret/twilio_api_key       high_entropy  0.80      0.90     -      -
secret/twilio_auth_token    hex_key       0.85      0.95     -      -
secret/telegram_bot_token   random_token  0.85      0.95     0.97   -
secret/discord_bot_token    discord_token 0.90      0.95     -      -
secret/discord_webhook      -             0.95      -        -      -
secret/slack_webhook        -             0.90      -        0.97   -
secret/slack_app_token      high_entropy  0.85      0.95     0.97   -
secret/google_oauth_secret  random_token  0.85      0.95     0.97   -
secret/google_oauth_token   high_entropy  0.85      0.95     -      -
secret/stripe_webhook_secret  high_entropy  0.85      0.95     0.97   -
secret/shopify_token        high_entropy  0.85      0.95     0.97   -
secret/mailgun_key          hex_key       0.80      0.95     -      -
secret/mailchimp_key        hex_key       0.85      0.95     -      -
secret/atlassian_token      high_entropy  0.85      0.95     -      -
secret/datadog_key          hex_key       0.90      -        -      -
secret/newrelic_key         high_entropy  0.85      0.95     0.97   -
secret/heroku_key           -             0.90      -        0.95   -
secret/digitalocean_token   hex_key       0.90      -        0.97   -
secret/doppler_token        high_entropy  0.90      -        -      -
secret/vault_token          random_token  0.85      0.95     -      -
secret/postman_key          hex_key       0.90      -        0.97   -
secret/linear_key           high_entropy  0.85      0.95     0.97   -
secret/notion_token         high_entropy  0.80      0.95     0.97   -
secret/databricks_token     hex_key       0.85      0.95     0.97   -
secret/sentry_dsn           hex_key       0.95      0.95     -      -
secret/sentry_token         high_entropy  0.90      -        -      -
secret/cloudflare_token     random_token             0.85      -        0.95   -
secret/docker_hub_token     random_token  0.85      0.95     0.97   -
secret/grafana_token        high_entropy  0.85      0.95     -      -
secret/terraform_token      high_entropy  0.90      -        -      -
secret/pulumi_token         hex_key       0.90      -        -      -
secret/supabase_token       hex_key       0.90      -        -      -
secret/age_secret_key       -             0.99      -        -      -
secret/square_token         random_token  0.85      0.95     -      -
secret/dynatrace_token      high_entropy  0.90      -        -      -
==========================  ============  ========  =======  =====  ==============

Sample token bodies are drawn from a seeded generator at import: random,
never issued, and never written out in this source.
"""

from __future__ import annotations

import random
import string

from extproc.detect.catalogue.credentials import ASSIGNMENT_GATE
from extproc.detect.spec import DetectorSpec

_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"
_UPNUM = string.ascii_uppercase + string.digits
_URL = _ALNUM + "-_"


def _r(alphabet: str, n: int, salt: int) -> str:
    """A sample body: ``n`` characters of ``alphabet``, the same at every import."""
    rng = random.Random(salt)
    return "".join(rng.choice(alphabet) for _ in range(n))


_L = r"(?<![A-Za-z0-9_-])"
_R = r"(?![A-Za-z0-9_-])"


def _tok(body: str) -> str:
    """A token pattern: not glued to more token characters on either side."""
    return _L + body + _R


GITLAB = DetectorSpec(
    id="secret/gitlab_token",
    pattern=_tok(
        r"(?:gl(?:pat|dt|ptt|rt|cbt|oas|soat|ffct|imt|agent|ft|wt|cl)-[A-Za-z0-9_-]{20,64}"
        r"(?:\.[0-9a-z]{2}\.[0-9a-z]{9,10})?|GR1348941[A-Za-z0-9_-]{20})"
    ),
    keywords=(
        "glpat-",
        "gldt-",
        "glptt-",
        "glrt-",
        "glcbt-",
        "gloas-",
        "glsoat-",
        "glffct-",
        "glimt-",
        "glagent-",
        "glft-",
        "glwt-",
        "glcl-",
        "gr1348941",
    ),
    validator="random_token",
    confidence=0.8,
    context=("gitlab", "token", "ci_job_token", "private-token"),
    context_confidence=0.9,
    exact=r"gl(?:pat|dt|ptt|rt)-[A-Za-z0-9_-]{20}",
    exact_confidence=0.97,
    examples=(
        "GITLAB_TOKEN=glpat-" + _r(_URL, 20, 1),
        "runner glrt-" + _r(_URL, 20, 2) + " registered",
        "PRIVATE-TOKEN: glpat-" + _r(_URL, 40, 3) + ".01.0w" + _r(_HEX, 8, 4),
    ),
    negatives=("glpat-XXXXXXXXXXXXXXXXXXXX", "the glpat- prefix", "glpat-short"),
    builtin=True,
)

HUGGINGFACE = DetectorSpec(
    id="secret/huggingface_token",
    pattern=_tok(r"(?:hf_|api_org_)[A-Za-z0-9]{30,40}"),
    keywords=("hf_", "api_org_"),
    gate=r"(?:hf_|api_org_)[A-Za-z0-9]{8}",
    validator="high_entropy",
    confidence=0.8,
    context=("hugging", "huggingface", "hf_token", "token"),
    context_confidence=0.9,
    exact=r"(?:hf_|api_org_)[A-Za-z]{34}",
    exact_confidence=0.97,
    examples=(
        "HF_TOKEN=hf_" + _r(string.ascii_letters, 34, 5),
        "login with hf_" + _r(string.ascii_letters, 34, 6),
    ),
    negatives=("hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "hf_hub_download(repo_id)"),
    builtin=True,
)

NPM = DetectorSpec(
    id="secret/npm_token",
    pattern=_tok(r"npm_[A-Za-z0-9]{36}"),
    keywords=("npm_",),
    gate=r"npm_[A-Za-z0-9]{8}",
    validator="high_entropy",
    confidence=0.85,
    context=("npm", "npmrc", "_authtoken", "registry"),
    context_confidence=0.95,
    exact=r"npm_[A-Za-z0-9]{36}",
    exact_confidence=0.97,
    examples=(
        "//registry.npmjs.org/:_authToken=npm_" + _r(_ALNUM, 36, 7),
        "NPM_TOKEN: npm_" + _r(_ALNUM, 36, 8),
    ),
    negatives=("npm_" + "x" * 36, "npm_config_cache=/tmp/npm_cache_dir_for_the_build"),
    builtin=True,
)

PYPI = DetectorSpec(
    id="secret/pypi_token",
    pattern=_tok(r"pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,300}"),
    keywords=("pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"),
    validator="high_entropy",
    confidence=0.95,
    exact=r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,300}",
    exact_confidence=0.97,
    max_len=330,
    examples=(
        "TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmc" + _r(_URL, 140, 9),
        "password = pypi-AgENdGVzdC5weXBpLm9yZw" + _r(_URL, 120, 10),
    ),
    negatives=("pypi-AgEIcHlwaS5vcmc", "pypi-token-here"),
    builtin=True,
)

SENDGRID = DetectorSpec(
    id="secret/sendgrid_key",
    pattern=_tok(r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,50}"),
    keywords=("sg.",),
    gate=r"SG\.[A-Za-z0-9_-]{8}",
    validator="high_entropy",
    confidence=0.85,
    context=("sendgrid", "api key", "api_key"),
    context_confidence=0.95,
    exact=r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
    exact_confidence=0.97,
    max_len=90,
    examples=(
        "SENDGRID_API_KEY=SG." + _r(_URL, 22, 11) + "." + _r(_URL, 43, 12),
        "key SG." + _r(_URL, 22, 13) + "." + _r(_URL, 43, 14),
    ),
    negatives=("SG.XXXXXXXXXXXXXXXXXXXXXX.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "msg.txt"),
    builtin=True,
)

TWILIO_API_KEY = DetectorSpec(
    id="secret/twilio_api_key",
    pattern=r"(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])",
    keywords=("sk",),
    gate=r"SK[0-9a-f]{8}",
    validator="high_entropy",
    confidence=0.8,
    context=("twilio", "api key", "api_key", "sid"),
    context_confidence=0.9,
    max_len=34,
    examples=("TWILIO_API_KEY=SK" + _r(_HEX, 32, 15), "sid SK" + _r(_HEX, 32, 16)),
    negatives=("SK" + "0" * 32, "SK" + _r(_HEX, 30, 17)),
    builtin=True,
)

TWILIO_AUTH_TOKEN = DetectorSpec(
    id="secret/twilio_auth_token",
    pattern=(
        r"(?:(?i:twilio[_-]?auth[_-]?token|auth[_-]?token)[\"']?[ \t]{0,3}(?:[:=]|=>)[ \t]{0,3}"
        r"[\"']?|(?<![A-Za-z0-9])AC[0-9a-f]{32}:)(?P<value>[0-9a-f]{32})(?![A-Za-z0-9])"
    ),
    keywords=("auth_token", "authtoken", "auth-token", "twilio"),
    gate=r"(?i:auth[_-]?token)[\"']?[ \t]{0,3}(?:[:=]|=>)|AC[0-9a-f]{8}",
    validator="hex_key",
    confidence=0.85,
    context=("twilio",),
    context_confidence=0.95,
    max_len=80,
    examples=(
        "TWILIO_AUTH_TOKEN=" + _r(_HEX, 32, 18),
        "curl -u AC" + _r(_HEX, 32, 19) + ":" + _r(_HEX, 32, 20) + " https://api.twilio.com",
    ),
    negatives=("TWILIO_AUTH_TOKEN=" + "0" * 32, "auth_token: your_auth_token"),
    builtin=True,
)

TELEGRAM = DetectorSpec(
    id="secret/telegram_bot_token",
    pattern=r"(?:(?<=bot)|(?<![A-Za-z0-9:]))[0-9]{8,10}:AA[A-Za-z0-9_-]{30,40}(?![A-Za-z0-9_-])",
    keywords=(":aa",),
    gate=r"[0-9]{8}:AA",
    validator="random_token",
    confidence=0.85,
    context=("telegram", "bot", "token", "botfather"),
    context_confidence=0.95,
    exact=r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}",
    exact_confidence=0.97,
    max_len=55,
    examples=(
        "TELEGRAM_BOT_TOKEN=7" + _r(string.digits, 9, 21) + ":AA" + _r(_URL, 33, 22),
        'bot_token: "5' + _r(string.digits, 9, 23) + ":AA" + _r(_URL, 33, 24) + '"',
    ),
    negatives=("123456789:AAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "at 12:34:56 AA"),
    builtin=True,
)

DISCORD_BOT = DetectorSpec(
    id="secret/discord_bot_token",
    pattern=_tok(r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}"),
    validator="discord_token",
    confidence=0.9,
    context=("discord", "bot", "token"),
    context_confidence=0.95,
    max_len=80,
    prefilter=r"[MNO][A-Za-z0-9_-]+\.[A-Za-z0-9_-]{6}\.",
    examples=(
        "DISCORD_TOKEN=MTEx"
        + "NjQ3ODkwMTIzNDU2Nzg5MA"
        + "."
        + _r(_URL, 6, 25)
        + "."
        + _r(_URL, 38, 26),
        "bot.run('ODc2"
        + "NTQzMjEwOTg3NjU0MzIx"
        + "."
        + _r(_URL, 6, 27)
        + "."
        + _r(_URL, 27, 28)
        + "')",
    ),
    negatives=(
        "Nabcdefghijklmnopqrstuvwx.abcdef.abcdefghijklmnopqrstuvwxyz0",
        "MTEx" + "NjQ3ODkwMTIzNDU2Nzg5MA" + ".short",
    ),
    builtin=True,
)

DISCORD_WEBHOOK = DetectorSpec(
    id="secret/discord_webhook",
    pattern=(
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/"
        r"[A-Za-z0-9_-]{60,68}(?![A-Za-z0-9_-])"
    ),
    keywords=("/api/webhooks/",),
    confidence=0.95,
    max_len=160,
    examples=(
        "webhook: https://discord.com/api/webhooks/1"
        + _r(string.digits, 18, 29)
        + "/"
        + _r(_URL, 68, 30),
    ),
    negatives=("https://discord.com/api/webhooks/123/short", "https://discord.com/developers/docs"),
    builtin=True,
)

SLACK_WEBHOOK = DetectorSpec(
    id="secret/slack_webhook",
    pattern=(
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/"
        r"[A-Za-z0-9_-]{8,14}/[A-Za-z0-9_/-]{8,100}(?![A-Za-z0-9_/-])"
    ),
    keywords=("hooks.slack.com/",),
    confidence=0.9,
    exact=r"https://hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}",
    exact_confidence=0.97,
    max_len=160,
    examples=(
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T"
        + _r(_UPNUM, 10, 31)
        + "/B"
        + _r(_UPNUM, 10, 32)
        + "/"
        + _r(_ALNUM, 24, 33),
        "post to https://hooks.slack.com/triggers/T"
        + _r(_UPNUM, 9, 34)
        + "/"
        + _r(string.digits, 13, 35)
        + "/"
        + _r(_HEX, 32, 36),
    ),
    negatives=("https://hooks.slack.com/services/", "see https://api.slack.com/messaging/webhooks"),
    builtin=True,
)

SLACK_APP = DetectorSpec(
    id="secret/slack_app_token",
    pattern=_tok(
        r"(?:xapp-[0-9]-[A-Z0-9]{8,14}-[0-9]{8,16}-[a-z0-9]{32,80}"
        r"|xoxe(?:\.xox[bp])?-[0-9]-[A-Za-z0-9]{100,220})"
    ),
    keywords=("xapp-", "xoxe-", "xoxe."),
    validator="high_entropy",
    confidence=0.85,
    context=("slack", "app token", "socket", "refresh"),
    context_confidence=0.95,
    exact=r"xapp-1-A[A-Z0-9]{8,12}-[0-9]{10,14}-[a-f0-9]{64}",
    exact_confidence=0.97,
    max_len=240,
    examples=(
        "SLACK_APP_TOKEN=xapp-1-A"
        + _r(_UPNUM, 10, 37)
        + "-"
        + _r(string.digits, 13, 38)
        + "-"
        + _r(_HEX, 64, 39),
        "refresh xoxe-1-" + _r(_ALNUM, 146, 40),
        "config xoxe.xoxp-1-" + _r(_ALNUM, 150, 41),
    ),
    negatives=("xapp-1-XXXXXXXXXX-XXXXXXXXXXXXX-" + "x" * 64, "xapp-"),
    builtin=True,
)

GOOGLE_OAUTH_SECRET = DetectorSpec(
    id="secret/google_oauth_secret",
    pattern=_tok(r"GOCSPX-[A-Za-z0-9_-]{20,40}"),
    keywords=("gocspx-",),
    validator="random_token",
    confidence=0.85,
    context=("client_secret", "client secret", "google", "oauth"),
    context_confidence=0.95,
    exact=r"GOCSPX-[A-Za-z0-9_-]{28}",
    exact_confidence=0.97,
    max_len=48,
    examples=(
        '"client_secret": "GOCSPX-' + _r(_URL, 28, 42) + '"',
        "use GOCSPX-" + _r(_URL, 28, 43),
    ),
    negatives=("GOCSPX-XXXXXXXXXXXXXXXXXXXXXXXXXXXX", "GOCSPX-short"),
    builtin=True,
)

GOOGLE_OAUTH_TOKEN = DetectorSpec(
    id="secret/google_oauth_token",
    pattern=r"(?<![A-Za-z0-9_.-])(?:ya29\.[A-Za-z0-9_-]{30,2000}|1//0[A-Za-z0-9_-]{40,400})(?![A-Za-z0-9_-])",
    keywords=("ya29.", "1//0"),
    gate=r"ya29\.[A-Za-z0-9_-]{8}|1//0[A-Za-z0-9_-]{8}",
    validator="high_entropy",
    confidence=0.85,
    context=("google", "oauth", "access_token", "refresh_token", "bearer", "token"),
    context_confidence=0.95,
    max_len=2010,
    examples=(
        "Authorization: Bearer ya29." + _r(_URL, 150, 44),
        '"refresh_token": "1//0' + _r(_URL, 99, 45) + '"',
    ),
    negatives=("ya29.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "ya29.short"),
    builtin=True,
)

STRIPE_WEBHOOK = DetectorSpec(
    id="secret/stripe_webhook_secret",
    pattern=_tok(r"whsec_[A-Za-z0-9+/=]{24,100}"),
    keywords=("whsec_",),
    validator="high_entropy",
    confidence=0.85,
    context=("stripe", "webhook", "signing", "endpoint secret"),
    context_confidence=0.95,
    exact=r"whsec_[A-Za-z0-9]{32}",
    exact_confidence=0.97,
    max_len=110,
    examples=(
        "STRIPE_WEBHOOK_SECRET=whsec_" + _r(_ALNUM, 32, 46),
        "endpoint whsec_" + _r(_ALNUM + "+/", 44, 47),
    ),
    negatives=("whsec_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "whsec_..."),
    builtin=True,
)

SHOPIFY = DetectorSpec(
    id="secret/shopify_token",
    pattern=_tok(r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    keywords=("shpat_", "shpca_", "shppa_", "shpss_"),
    validator="high_entropy",
    confidence=0.85,
    context=("shopify", "access token", "x-shopify-access-token"),
    context_confidence=0.95,
    exact=r"shp(?:at|ca|pa|ss)_[a-f0-9]{32}",
    exact_confidence=0.97,
    max_len=38,
    examples=(
        "X-Shopify-Access-Token: shpat_" + _r(_HEX, 32, 48),
        "secret shpss_" + _r(_HEX, 32, 49),
    ),
    negatives=("shpat_" + "0" * 32, "shpat_" + _r(_HEX, 20, 50)),
    builtin=True,
)

MAILGUN = DetectorSpec(
    id="secret/mailgun_key",
    pattern=r"(?<![A-Za-z0-9_-])key-[0-9a-f]{32}(?![A-Za-z0-9_-])",
    keywords=("key-",),
    gate=r"key-[0-9a-f]{8}",
    validator="hex_key",
    confidence=0.8,
    context=("mailgun", "api key", "api_key", "api:"),
    context_confidence=0.95,
    max_len=36,
    examples=(
        "MAILGUN_API_KEY=key-" + _r(_HEX, 32, 51),
        "curl --user 'api:key-" + _r(_HEX, 32, 52) + "'",
    ),
    negatives=("key-" + "0" * 32, "key-value store", "key-" + _r(_HEX, 31, 53)),
    builtin=True,
)

MAILCHIMP = DetectorSpec(
    id="secret/mailchimp_key",
    pattern=r"(?<![A-Za-z0-9_-])[0-9a-f]{32}-us[0-9]{1,2}(?![A-Za-z0-9_-])",
    keywords=("-us",),
    gate=r"[0-9a-f]{8}-us[0-9]",
    validator="hex_key",
    confidence=0.85,
    context=("mailchimp", "api key", "api_key", "mandrill"),
    context_confidence=0.95,
    max_len=37,
    examples=(
        "MAILCHIMP_API_KEY=" + _r(_HEX, 32, 54) + "-us21",
        "key " + _r(_HEX, 32, 55) + "-us6 for the list",
    ),
    negatives=("locale en-us", "0" * 32 + "-us1"),
    builtin=True,
)

ATLASSIAN = DetectorSpec(
    id="secret/atlassian_token",
    pattern=_tok(r"(?:ATATT3|ATCTT3|ATOAT3)[A-Za-z0-9_=-]{150,300}"),
    keywords=("atatt3", "atctt3", "atoat3"),
    validator="high_entropy",
    confidence=0.85,
    context=("atlassian", "jira", "confluence", "api token", "bitbucket"),
    context_confidence=0.95,
    max_len=310,
    examples=(
        "JIRA_API_TOKEN=ATATT3xFfGF0" + _r(_URL, 170, 56) + "=" + _r(_HEX.upper(), 8, 57),
        "token ATCTT3xFfGN0" + _r(_URL, 160, 58),
    ),
    negatives=("ATATT3" + "X" * 180, "ATATT3 tokens"),
    builtin=True,
)

DATADOG = DetectorSpec(
    id="secret/datadog_key",
    pattern=(
        r"(?i:(?:dd|datadog)[_-]?(?:api|app|application|client)[_-]?(?:key|token))[\"']?"
        r"[ \t]{0,3}(?:[:=]|=>)[ \t]{0,3}[\"']?(?P<value>[0-9a-f]{40}|[0-9a-f]{32})(?![0-9a-z])"
    ),
    keywords=(
        "dd_api_key",
        "dd_app_key",
        "dd-api-key",
        "dd-application-key",
        "datadog_api_key",
        "datadog_app_key",
        "dd_application_key",
        "datadog",
        "ddapikey",
        "ddappkey",
    ),
    gate=ASSIGNMENT_GATE,
    validator="hex_key",
    confidence=0.9,
    max_len=80,
    examples=(
        "DD_API_KEY=" + _r(_HEX, 32, 59),
        "DD-APPLICATION-KEY: " + _r(_HEX, 40, 60),
        "datadog_api_key: '" + _r(_HEX, 32, 61) + "'",
    ),
    negatives=("DD_API_KEY=<your-api-key>", "DD_API_KEY=" + "0" * 32, "DD_SITE=datadoghq.eu"),
    builtin=True,
)

NEWRELIC = DetectorSpec(
    id="secret/newrelic_key",
    pattern=_tok(r"(?:NR(?:AK|AA|II|IQ|JS|RA)-[A-Za-z0-9]{27,42}|[a-f0-9]{36}NRAL)"),
    keywords=("nrak-", "nraa-", "nrii-", "nriq-", "nrjs-", "nrra-", "nral"),
    gate=r"NR(?:AK|AA|II|IQ|JS|RA)-[A-Za-z0-9]{8}|[a-f0-9]{8}NRAL",
    validator="high_entropy",
    confidence=0.85,
    context=("new relic", "newrelic", "api key", "license"),
    context_confidence=0.95,
    exact=r"NRAK-[A-Z0-9]{27}|[a-f0-9]{36}NRAL",
    exact_confidence=0.97,
    max_len=50,
    examples=(
        "NEW_RELIC_API_KEY=NRAK-" + _r(_UPNUM, 27, 62),
        "license_key: " + _r(_HEX, 36, 63) + "NRAL",
    ),
    negatives=("NRAK-XXXXXXXXXXXXXXXXXXXXXXXXXXX", "NRAK- prefix"),
    builtin=True,
)

HEROKU = DetectorSpec(
    id="secret/heroku_key",
    pattern=(
        r"(?:(?i:heroku[_-]?(?:api[_-]?)?(?:key|token))[\"']?[ \t]{0,3}(?:[:=]|=>)[ \t]{0,3}"
        r"[\"']?|(?<![A-Za-z0-9_-])(?=HRKU-))"
        r"(?P<value>HRKU-[A-Za-z0-9_-]{60}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
        r"(?![A-Za-z0-9_-])"
    ),
    keywords=("hrku-", "heroku"),
    gate=r"HRKU-[A-Za-z0-9_-]{8}|(?i:heroku[_-]?(?:api[_-]?)?(?:key|token))",
    confidence=0.9,
    exact=r"HRKU-[A-Za-z0-9_-]{60}",
    exact_confidence=0.95,
    max_len=90,
    examples=(
        "HEROKU_API_KEY=" + "3f1c2b4a-5d6e-4f70-8a9b-" + _r(_HEX, 12, 64),
        "token HRKU-AA" + _r(_URL, 58, 65),
    ),
    negatives=("request id 3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b", "HRKU-short"),
    builtin=True,
)

DIGITALOCEAN = DetectorSpec(
    id="secret/digitalocean_token",
    pattern=_tok(r"do[opr]_v1_[a-f0-9]{64}"),
    keywords=("dop_v1_", "doo_v1_", "dor_v1_"),
    validator="hex_key",
    confidence=0.9,
    exact=r"do[opr]_v1_[a-f0-9]{64}",
    exact_confidence=0.97,
    max_len=71,
    examples=("DIGITALOCEAN_TOKEN=dop_v1_" + _r(_HEX, 64, 66), "oauth doo_v1_" + _r(_HEX, 64, 67)),
    negatives=("dop_v1_" + "0" * 64, "dop_v1_" + _r(_HEX, 40, 68)),
    builtin=True,
)

DOPPLER = DetectorSpec(
    id="secret/doppler_token",
    pattern=_tok(r"dp\.(?:st|ct|pt|sa|scim|audit)\.(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44}"),
    keywords=("dp.st.", "dp.ct.", "dp.pt.", "dp.sa.", "dp.scim.", "dp.audit."),
    validator="high_entropy",
    confidence=0.9,
    max_len=90,
    examples=(
        "DOPPLER_TOKEN=dp.st.prd." + _r(_ALNUM, 43, 69),
        "personal dp.pt." + _r(_ALNUM, 43, 70),
    ),
    negatives=("dp.st.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "dp.st.dev"),
    builtin=True,
)

VAULT = DetectorSpec(
    id="secret/vault_token",
    pattern=_tok(r"hv[sbr]\.[A-Za-z0-9_-]{24,250}"),
    keywords=("hvs.", "hvb.", "hvr."),
    validator="random_token",
    confidence=0.85,
    context=("vault", "vault_token", "x-vault-token", "token"),
    context_confidence=0.95,
    max_len=260,
    examples=(
        "VAULT_TOKEN=hvs." + _r(_URL, 24, 71),
        "X-Vault-Token: hvs.CAESI" + _r(_URL, 90, 72),
    ),
    negatives=("hvs.XXXXXXXXXXXXXXXXXXXXXXXX", "hvs.example"),
    builtin=True,
)

POSTMAN = DetectorSpec(
    id="secret/postman_key",
    pattern=_tok(r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),
    keywords=("pmak-",),
    validator="hex_key",
    confidence=0.9,
    exact=r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",
    exact_confidence=0.97,
    max_len=64,
    examples=("X-Api-Key: PMAK-" + _r(_HEX, 24, 73) + "-" + _r(_HEX, 34, 74),),
    negatives=("PMAK-" + "0" * 24 + "-" + "0" * 34, "PMAK-short"),
    builtin=True,
)

LINEAR = DetectorSpec(
    id="secret/linear_key",
    pattern=_tok(r"lin_(?:api|oauth)_[A-Za-z0-9]{40,64}"),
    keywords=("lin_api_", "lin_oauth_"),
    validator="high_entropy",
    confidence=0.85,
    context=("linear", "api key", "api_key"),
    context_confidence=0.95,
    exact=r"lin_api_[A-Za-z0-9]{40}",
    exact_confidence=0.97,
    max_len=75,
    examples=("LINEAR_API_KEY=lin_api_" + _r(_ALNUM, 40, 75), "use lin_api_" + _r(_ALNUM, 40, 76)),
    negatives=("lin_api_" + "x" * 40, "lin_api_key"),
    builtin=True,
)

NOTION = DetectorSpec(
    id="secret/notion_token",
    pattern=_tok(r"(?:secret_[A-Za-z0-9]{43}|ntn_[0-9]{11}[A-Za-z0-9]{35})"),
    keywords=("secret_", "ntn_"),
    gate=r"secret_[A-Za-z0-9]{8}|ntn_[0-9]{8}",
    validator="high_entropy",
    confidence=0.8,
    context=("notion", "integration", "token"),
    context_confidence=0.95,
    exact=r"ntn_[0-9]{11}[A-Za-z0-9]{35}",
    exact_confidence=0.97,
    max_len=50,
    examples=(
        "NOTION_TOKEN=ntn_" + _r(string.digits, 11, 77) + _r(_ALNUM, 35, 78),
        "notion secret_" + _r(_ALNUM, 43, 79),
    ),
    negatives=("secret_key_base", "secret_" + "x" * 43),
    builtin=True,
)

DATABRICKS = DetectorSpec(
    id="secret/databricks_token",
    pattern=_tok(r"dapi[a-f0-9]{32}(?:-[0-9])?"),
    keywords=("dapi",),
    gate=r"dapi[a-f0-9]{8}",
    validator="hex_key",
    confidence=0.85,
    context=("databricks", "token", "pat"),
    context_confidence=0.95,
    exact=r"dapi[a-f0-9]{32}(?:-[0-9])?",
    exact_confidence=0.97,
    max_len=38,
    examples=("DATABRICKS_TOKEN=dapi" + _r(_HEX, 32, 80), "token dapi" + _r(_HEX, 32, 81) + "-2"),
    negatives=("dapi" + "0" * 32, "dapi" + _r(_HEX, 20, 82)),
    builtin=True,
)

SENTRY_DSN = DetectorSpec(
    id="secret/sentry_dsn",
    pattern=(
        r"https?://(?P<value>[0-9a-f]{32})(?::[0-9a-f]{32})?@[A-Za-z0-9.-]{3,100}"
        r"(?::[0-9]{2,5})?/[0-9]{1,12}(?![0-9A-Za-z])"
    ),
    keywords=("sentry", "dsn", "ingest"),
    validator="hex_key",
    # Above an e-mail's figures: "<key>@o1.ingest.sentry.io" also reads as an address.
    confidence=0.95,
    context=("sentry", "dsn"),
    context_confidence=0.95,
    max_len=200,
    examples=(
        "SENTRY_DSN=https://" + _r(_HEX, 32, 83) + "@o123456.ingest.sentry.io/4504",
        "dsn: https://" + _r(_HEX, 32, 84) + "@sentry.internal.example.com/7",
    ),
    negatives=("SENTRY_DSN=https://" + "0" * 32 + "@o1.ingest.sentry.io/1", "sentry.io/settings"),
    builtin=True,
)

SENTRY_TOKEN = DetectorSpec(
    id="secret/sentry_token",
    pattern=_tok(r"sntry[su]_[A-Za-z0-9+/=_]{40,400}"),
    keywords=("sntrys_", "sntryu_"),
    validator="high_entropy",
    confidence=0.9,
    max_len=410,
    examples=(
        "SENTRY_AUTH_TOKEN=sntrys_eyJ" + _r(_ALNUM, 120, 85),
        "token sntryu_" + _r(_HEX, 64, 86),
    ),
    negatives=("sntrys_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "sntrys_"),
    builtin=True,
)

CLOUDFLARE = DetectorSpec(
    id="secret/cloudflare_token",
    pattern=(
        r"(?:(?i:(?:cloudflare|cf)[_-]?(?:api[_-]?)?(?:token|key)|x-auth-key)[\"']?[ \t]{0,3}"
        r"(?:[:=]|=>)[ \t]{0,3}[\"']?|(?<![A-Za-z0-9_.-])(?=v1\.0-))"
        r"(?P<value>v1\.0-[a-f0-9]{24}-[a-f0-9]{146}|[A-Za-z0-9_-]{40}|[a-f0-9]{37})"
        r"(?![A-Za-z0-9_-])"
    ),
    keywords=("cloudflare", "cf_api", "cf-api", "cf_token", "cf_key", "x-auth-key", "v1.0-"),
    gate=(r"v1\.0-[a-f0-9]{8}|(?i:(?:cloudflare|cf)[_-]?(?:api[_-]?)?(?:token|key)|x-auth-key)"),
    confidence=0.85,
    validator="random_token",
    exact=r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}",
    exact_confidence=0.95,
    max_len=200,
    examples=(
        "CLOUDFLARE_API_TOKEN=" + _r(_URL, 40, 87),
        "X-Auth-Key: " + _r(_HEX, 37, 88),
        "origin ca v1.0-" + _r(_HEX, 24, 89) + "-" + _r(_HEX, 146, 90),
    ),
    negatives=("CLOUDFLARE_API_TOKEN=your-cloudflare-api-token-goes-here-xxxx", "cf_api_url=x"),
    builtin=True,
)

DOCKER_HUB = DetectorSpec(
    id="secret/docker_hub_token",
    pattern=_tok(r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,40}"),
    keywords=("dckr_pat_", "dckr_oat_"),
    validator="random_token",
    confidence=0.85,
    context=("docker", "registry", "password", "token"),
    context_confidence=0.95,
    exact=r"dckr_pat_[A-Za-z0-9_-]{27}",
    exact_confidence=0.97,
    max_len=50,
    examples=(
        "docker login -u me -p dckr_pat_" + _r(_URL, 27, 91),
        "DOCKERHUB_TOKEN=dckr_pat_" + _r(_URL, 27, 92),
    ),
    negatives=("dckr_pat_XXXXXXXXXXXXXXXXXXXXXXXXXXX", "dckr_pat_"),
    builtin=True,
)

GRAFANA = DetectorSpec(
    id="secret/grafana_token",
    pattern=_tok(r"(?:glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})"),
    keywords=("glc_", "glsa_"),
    validator="high_entropy",
    confidence=0.85,
    context=("grafana", "token", "api key"),
    context_confidence=0.95,
    max_len=410,
    examples=(
        "GRAFANA_TOKEN=glsa_" + _r(_ALNUM, 32, 93) + "_" + _r(_HEX, 8, 94),
        "cloud glc_eyJ" + _r(_ALNUM, 120, 95) + "==",
    ),
    negatives=("glsa_" + "x" * 32 + "_00000000", "glc_"),
    builtin=True,
)

TERRAFORM = DetectorSpec(
    id="secret/terraform_token",
    pattern=_tok(r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,70}"),
    keywords=(".atlasv1.",),
    validator="high_entropy",
    confidence=0.9,
    max_len=100,
    examples=(
        "TFE_TOKEN=" + _r(_ALNUM, 14, 96) + ".atlasv1." + _r(_URL, 67, 97),
        'token = "' + _r(_ALNUM, 14, 98) + ".atlasv1." + _r(_URL, 67, 99) + '"',
    ),
    negatives=("XXXXXXXXXXXXXX.atlasv1." + "X" * 67, "the .atlasv1. format"),
    builtin=True,
)

PULUMI = DetectorSpec(
    id="secret/pulumi_token",
    pattern=_tok(r"pul-[a-f0-9]{40}"),
    keywords=("pul-",),
    gate=r"pul-[a-f0-9]{8}",
    validator="hex_key",
    confidence=0.9,
    max_len=44,
    examples=("PULUMI_ACCESS_TOKEN=pul-" + _r(_HEX, 40, 100),),
    negatives=("pul-" + "0" * 40, "pul-request"),
    builtin=True,
)

SUPABASE = DetectorSpec(
    id="secret/supabase_token",
    pattern=_tok(r"sbp_(?:v0_)?[a-f0-9]{40}"),
    keywords=("sbp_",),
    validator="hex_key",
    confidence=0.9,
    max_len=47,
    examples=("SUPABASE_ACCESS_TOKEN=sbp_" + _r(_HEX, 40, 101),),
    negatives=("sbp_" + "0" * 40, "sbp_short"),
    builtin=True,
)

AGE_SECRET_KEY = DetectorSpec(
    id="secret/age_secret_key",
    pattern=r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}(?![A-Z0-9])",
    keywords=("age-secret-key-1",),
    confidence=0.99,
    max_len=74,
    examples=("# key: AGE-SECRET-KEY-1" + _r("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58, 102),),
    negatives=("AGE-SECRET-KEY-1...", "AGE-SECRET-KEY-1 followed by 58 characters"),
    builtin=True,
)

SQUARE = DetectorSpec(
    id="secret/square_token",
    pattern=_tok(r"(?:EAAA[A-Za-z0-9_-]{60}|sq0(?:atp|csp|idp)-[A-Za-z0-9_-]{22,43})"),
    keywords=("eaaa", "sq0atp-", "sq0csp-", "sq0idp-"),
    gate=r"EAAA[A-Za-z0-9_-]{8}|sq0(?:atp|csp|idp)-[A-Za-z0-9_-]{8}",
    validator="random_token",
    confidence=0.85,
    context=("square", "access token", "squareup"),
    context_confidence=0.95,
    max_len=64,
    examples=(
        "SQUARE_ACCESS_TOKEN=EAAA" + _r(_URL, 60, 103),
        "secret sq0csp-" + _r(_URL, 43, 104),
    ),
    negatives=("EAAA" + "X" * 60, "sq0atp-XXXXXXXXXXXXXXXXXXXXXX"),
    builtin=True,
)

DYNATRACE = DetectorSpec(
    id="secret/dynatrace_token",
    pattern=_tok(r"dt0[a-z][0-9]{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}"),
    keywords=("dt0c01.", "dt0s01.", "dt0s16.", "dt0a01."),
    gate=r"dt0[a-z][0-9]{2}\.[A-Z0-9]{8}",
    validator="high_entropy",
    confidence=0.9,
    max_len=96,
    examples=("DT_API_TOKEN=dt0c01." + _r(_UPNUM, 24, 105) + "." + _r(_UPNUM, 64, 106),),
    negatives=("dt0c01." + "X" * 24 + "." + "X" * 64, "dt0c01.ABC"),
    builtin=True,
)

PROVIDERS: tuple[DetectorSpec, ...] = (
    GITLAB,
    HUGGINGFACE,
    NPM,
    PYPI,
    SENDGRID,
    TWILIO_API_KEY,
    TWILIO_AUTH_TOKEN,
    TELEGRAM,
    DISCORD_BOT,
    DISCORD_WEBHOOK,
    SLACK_WEBHOOK,
    SLACK_APP,
    GOOGLE_OAUTH_SECRET,
    GOOGLE_OAUTH_TOKEN,
    STRIPE_WEBHOOK,
    SHOPIFY,
    MAILGUN,
    MAILCHIMP,
    ATLASSIAN,
    DATADOG,
    NEWRELIC,
    HEROKU,
    DIGITALOCEAN,
    DOPPLER,
    VAULT,
    POSTMAN,
    LINEAR,
    NOTION,
    DATABRICKS,
    SENTRY_DSN,
    SENTRY_TOKEN,
    CLOUDFLARE,
    DOCKER_HUB,
    GRAFANA,
    TERRAFORM,
    PULUMI,
    SUPABASE,
    AGE_SECRET_KEY,
    SQUARE,
    DYNATRACE,
)
