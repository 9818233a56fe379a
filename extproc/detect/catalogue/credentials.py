"""Credentials by structure: passwords in URLs and connection strings, auth
headers, secrets assigned to a telling name, and key files in other forms.

These carry no provider prefix: where the value sits says what it is. The
value alone is rated (``strength``, ``secret_value``): template variables,
``<password>`` and ``********`` are dropped, ``changeme`` is weak, a random
value strong.

==========================  ===============  ========  =======  =====  ==============
detector                    validator        format    context  exact  invalid+ctx
==========================  ===============  ========  =======  =====  ==============
secret/url_password         secret_value     0.97      -        -      -
secret/connection_password  secret_value     0.85      0.95     -      -
secret/azure_account_key    base64_key       0.95      -        -      -
secret/azure_sas_token      -                0.95      -        -      -
secret/basic_auth           basic_auth       0.95      -        -      -
secret/bearer_token         random_token     0.75      -        -      -
secret/generic_secret       secret_strength  0.80      -        -      -
secret/putty_private_key    -                0.99      -        -      -
secret/jwk_private_key      random_token     0.95      -        -      -
secret/xml_private_key      -                0.99      -        -      -
==========================  ===============  ========  =======  =====  ==============

``secret/generic_secret`` is rated by its scorer: 0.8 for a random-looking
value (below a provider's exact format, so that the provider's detector names
a token it knows), 0.75 for 8+ characters of three kinds, 0.55 for a word
with digits (``Summer2024!``), 0.3 for a common password or a short value,
nothing for a placeholder. The default policy acts from 0.75 on.

Sample values are random or invented, spelled as concatenations.
"""

from __future__ import annotations

from extproc.detect.spec import DetectorSpec

# A necessary condition of every value found after a secret's name (here, and
# in ``providers`` and ``llm``): the name ends in one of these words and an
# assignment follows. One shared pattern keeps the gate's single pass small.
ASSIGNMENT_GATE = (
    r"(?i:key|token|secret|password|passwd|pwd|credentials?|passphrase)[\"']?[ \t]{0,3}"
    r"(?:[:=]|=>)"
)

_PW = "Xk9" + "vQ2mLp7rT4wZ"  # an invented password
_AZ_KEY = (
    "kT3yX8vQ2mLp7rT4wZ9bN6cF1hJ5sD0gA3eR8uI2oP7lK4jH6gF9dS1aZ5xC3vB8nM0qW2eR7tY4uI9oP1aS" + "=="
)
_SAS_SIG = "sig=" + "Jq8n2vKx%2B4LmT9pQr7sW1yZ3bC5dF6gH8jK0lN2mP4%3D"
_BASIC = "QWxhZGRpbjpvcGVuIHNlc2FtZQ" + "=="  # "Aladdin:open sesame", RFC 7617's example
_BASIC_2 = "ZGVwbG95OlhrOXZRMm1McDdyVDR3Wg" + "=="  # deploy:Xk9vQ2mLp7rT4wZ
_BEARER = "Qm9vLXRva2VuLWJvZHk" + "tN2Y4ZzlBQkNERUY1dTZ2N3c4"
_PPK_BODY = "AAAAB3NzaC1yc2EAAAADAQABAAABAQC" + "7kX9vQ2mLp7rT4wZ9bN6cF1hJ5sD0gA3eR8uI2oP7lK"
_PPK_PRIV = "AAABAQCvQ2mLp7rT4wZ9bN6cF1hJ5sD0" + "gA3eR8uI2oP7lK4jH6gF9dS1aZ5xC3vB8nM0qW2eR7tY"
_JWK_D = "X9vQ2mLp7rT4wZ9bN6cF1hJ5sD0gA3eR8uI2oP7lK4jH" + "6gF9dS1aZ5xC3vB8nM0qW2eR7tY4u"
_XML_D = "kX9vQ2mLp7rT4wZ9bN6cF1hJ5sD0gA3eR8uI2oP7lK4jH6gF9dS1aZ5xC3vB8nM0q" + "W2eR7tY4uI9o=="

URL_PASSWORD = DetectorSpec(
    id="secret/url_password",
    pattern=(
        r"(?i:(?<![A-Za-z0-9+.-])(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?"
        r"|mssql|sqlserver|oracle|cockroachdb|clickhouse|couchdb|neo4j(?:\+s)?|bolt|nats|kafka"
        r"|mqtts?|https?|ftps?|sftp|smtps?|imaps?|pop3s?|ldaps?|ssh|git|svn|socks5h?|jdbc:[a-z0-9]+"
        r"|[a-z][a-z0-9+.-]{1,20}))://"
        r"[^\s:/@\"'<>]{0,64}:(?P<value>[^\s/@\"'<>]{1,128})@[A-Za-z0-9\[._-]"
    ),
    keywords=("://",),
    gate=r"://[^\s:/@\"'<>]{0,64}:[^\s/@\"'<>]{1,128}@",
    validator="secret_value",
    # Above an e-mail's figures: "user:pw@host" also reads as the address "pw@host".
    confidence=0.97,
    max_len=256,
    examples=(
        f"DATABASE_URL=postgres://app:{_PW}@db.internal:5432/app",
        f"mongodb+srv://admin:{_PW}@cluster0.example.net/test?retryWrites=true",
        f"REDIS_URL=redis://:{_PW}@cache:6379/0",
        f"clone https://deploy:{_PW}@git.example.com/org/repo.git",
        f"amqp://guest:{_PW}@rabbit:5672/",
    ),
    negatives=(
        "postgres://app:password@localhost/app",
        "postgres://app:${DB_PASSWORD}@db/app",
        "mysql://user:<password>@host/db",
        "https://example.com:8443/path",
        "see http://user@example.com/ for the profile",
        "mongodb://admin:****@cluster0/test",
    ),
    builtin=True,
)

CONNECTION_PASSWORD = DetectorSpec(
    id="secret/connection_password",
    pattern=(
        r"(?i:[;?&][ \t]*(?:password|pwd)[ \t]*=[ \t]*)"
        r"(?P<value>\{[^}\s]{1,126}\}|[^;&\"'\s]{1,128})"
    ),
    keywords=("password", "pwd"),
    gate=r"[;?&][ \t]*(?i:password|pwd)[ \t]*=",
    validator="secret_value",
    confidence=0.85,
    context=("connection string", "jdbc", "odbc", "server=", "data source", "host="),
    context_confidence=0.95,
    max_len=160,
    examples=(
        f"Server=tcp:db.example.net,1433;Database=app;User ID=app;Password={_PW};Encrypt=True",
        f"jdbc:sqlserver://db:1433;databaseName=app;user=sa;password={_PW}",
        f"jdbc:postgresql://db/app?user=app&password={_PW}&ssl=true",
        f"Driver={{ODBC Driver 18}};Server=db;UID=app;PWD={_PW};",
    ),
    negatives=(
        "Server=db;Database=app;User ID=app;Password=********;",
        "jdbc:postgresql://db/app?user=app&password=${PGPASSWORD}",
        "Server=db;Integrated Security=true;",
        "reset your password=easy; just click",
    ),
    builtin=True,
)

AZURE_ACCOUNT_KEY = DetectorSpec(
    id="secret/azure_account_key",
    pattern=(
        r"(?i:accountkey|sharedaccesskey)[ \t]*=[ \t]*(?P<value>[A-Za-z0-9+/]{40,86}={0,2})"
        r"(?![A-Za-z0-9+/=])"
    ),
    keywords=("accountkey", "sharedaccesskey"),
    validator="base64_key",
    confidence=0.95,
    max_len=120,
    examples=(
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
        + _AZ_KEY
        + ";EndpointSuffix=core.windows.net",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey="
        + _AZ_KEY[:43]
        + "=",
    ),
    negatives=(
        "AccountKey=<storage-account-key>",
        "AccountKey=" + "A" * 86 + "==",
        "UseDevelopmentStorage=true",
    ),
    builtin=True,
)

AZURE_SAS_TOKEN = DetectorSpec(
    id="secret/azure_sas_token",
    pattern=(
        r"sv=[0-9]{4}-[0-9]{2}-[0-9]{2}&[^\s\"'<>]{0,400}?[?&]sig="
        r"(?P<value>[A-Za-z0-9%+/]{40,120}(?:%3[Dd]|=){0,2})(?![A-Za-z0-9%+/=])"
    ),
    keywords=("sig=",),
    gate=r"sv=[0-9]{4}-[0-9]{2}-[0-9]{2}&",
    confidence=0.95,
    max_len=560,
    examples=(
        "https://acme.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&srt=o&sp=r"
        "&se=2026-01-01T00:00:00Z&spr=https&" + _SAS_SIG,
        "?sp=r&st=2025-05-01&sv=2021-06-08&sr=b&" + _SAS_SIG,
    ),
    negatives=(
        "?sv=2022-11-02&sp=r&sig=<signature>",
        "https://example.com/?sig=abc&sv=1",
    ),
    builtin=True,
)

BASIC_AUTH = DetectorSpec(
    id="secret/basic_auth",
    pattern=r"(?i:basic)[ \t]+(?P<value>[A-Za-z0-9+/]{8,400}={0,2})(?![A-Za-z0-9+/=])",
    keywords=("basic",),
    gate=r"(?i:basic)[ \t]+[A-Za-z0-9+/]{8}",
    validator="basic_auth",
    confidence=0.95,
    max_len=420,
    examples=(
        f"Authorization: Basic {_BASIC}",
        f'headers = {{"Authorization": "Basic {_BASIC_2}"}}',
        f"curl -H 'authorization: basic {_BASIC_2}' https://api.example.com",
    ),
    negatives=(
        "Authorization: Basic dXNlcjo=",  # user with an empty password
        "a basic understanding of the system",
        "Authorization: Basic <base64 of user:pass>",
        "Authorization: Basic dXNlcjokeyBQQVNTV09SRCB9",  # user:${ PASSWORD }
    ),
    builtin=True,
)

BEARER_TOKEN = DetectorSpec(
    id="secret/bearer_token",
    pattern=(r"(?i:bearer)[ \t]+(?P<value>[A-Za-z0-9._~+/-]{20,1000}=*)(?![A-Za-z0-9._~+/=-])"),
    keywords=("bearer",),
    gate=r"(?i:bearer)[ \t]+[A-Za-z0-9._~+/-]{8}",
    validator="random_token",
    confidence=0.75,
    max_len=1020,
    examples=(
        f"Authorization: Bearer {_BEARER}",
        f"-H 'Authorization: bearer {_BEARER}'",
    ),
    negatives=(
        "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE",
        "Authorization: Bearer <token>",
        "the bearer of this letter is welcome",
        "Authorization: Bearer ${ACCESS_TOKEN}",
    ),
    builtin=True,
)

GENERIC_SECRET = DetectorSpec(
    id="secret/generic_secret",
    pattern=(
        # The name's last word, at a word start (DB_PASSWORD, client_secret):
        # matching the whole name from its start made every word a backtrack.
        r"(?i:(?<![A-Za-z0-9])(?=[pstacr])"
        r"(?:password|passwd|pwd|secret|token|api[_.-]?key|apikey|access[_.-]?key"
        r"|secret[_.-]?key|client[_.-]?secret|auth[_.-]?token|access[_.-]?token"
        r"|refresh[_.-]?token|private[_.-]?key|credentials?|passphrase|signing[_.-]?key))"
        r"[\"']?[ \t]{0,3}(?::=|=>|[:=])[ \t]{0,3}(?P<q>[\"'`]?)"
        # Not ending in sentence punctuation or a closing bracket ("key: abc123).").
        r"(?P<value>[^\s\"'`,;<>&]{3,199}[^\s\"'`,;<>&.:)\]}])(?P=q)"
        r"(?=[\s\"'`,;<>&.:)\]}]|\Z)"
    ),
    keywords=(
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "api-key",
        "api.key",
        "access_key",
        "access-key",
        "accesskey",
        "credential",
        "passphrase",
        "private_key",
        "private-key",
        "privatekey",
        "signing_key",
        "signingkey",
    ),
    gate=ASSIGNMENT_GATE,
    scorer="secret_strength",
    confidence=0.8,
    max_len=260,
    examples=(
        f"DB_PASSWORD={_PW}",
        f'{{"client_secret": "{_PW}L8"}}',
        "api_key: " + "f3b9c1d7e5a24b6c8d0e2f4a6b8c0d1e",
        f"  password: '{_PW}'",
        f"SECRET_KEY = '{_PW}-9q8w7e6r5t'",
        "spring.datasource.password=" + "Xk9#mQ2v" + "Lp8$Rt4w",
    ),
    negatives=(
        "password: ${DB_PASSWORD}",
        "PGPASSWORD=$PGPASS_FROM_VAULT",
        'password = "<your password>"',
        "api_key: YOUR_API_KEY_HERE",
        '"max_tokens": 1024',
        "password: os.environ.get('DB_PASSWORD')",
        "token = settings.GITHUB_TOKEN",
        "password: ********",
    ),
    builtin=True,
)

# A line break in a .ppk file, or its escaped form inside a JSON string.
_NL = r"(?:\r?\n|\\r\\n|\\n)"

PUTTY_PRIVATE_KEY = DetectorSpec(
    id="secret/putty_private_key",
    pattern=(
        rf"PuTTY-User-Key-File-[23]:[^\n\\]{{0,80}}{_NL}(?:[A-Za-z-]{{3,20}}:[^\n\\]{{0,200}}{_NL}){{1,8}}"
        rf"(?:[A-Za-z0-9+/=]{{1,80}}{_NL}){{1,64}}Private-Lines:[ \t]*[0-9]{{1,3}}{_NL}"
        rf"(?:[A-Za-z0-9+/=]{{1,80}}(?:{_NL}|\Z)){{1,64}}"
        r"(?:Private-MAC:[ \t]*[0-9a-fA-F]{20,128})?"
    ),
    keywords=("putty-user-key-file-",),
    confidence=0.99,
    max_len=9000,
    examples=(
        "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: rsa-key-20250101\n"
        f"Public-Lines: 1\n{_PPK_BODY}\nPrivate-Lines: 1\n{_PPK_PRIV}\n"
        "Private-MAC: " + "5c1f0a9b3e7d2c4f6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f",
    ),
    negatives=(
        "PuTTY-User-Key-File-3 is the format of .ppk files",
        "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: x\nPublic-Lines: 1\n"
        + _PPK_BODY,
    ),
    builtin=True,
)

JWK_PRIVATE_KEY = DetectorSpec(
    id="secret/jwk_private_key",
    pattern=(
        r"[\"'](?:d|k|p|q|dp|dq|qi)[\"'][ \t]*:[ \t]*[\"']"
        r"(?P<value>[A-Za-z0-9_-]{16,1400})[\"']"
    ),
    keywords=('"kty"', "'kty'"),
    validator="random_token",
    confidence=0.95,
    max_len=4096,
    examples=(
        '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",'
        '"y":"x_FEzRjmNyAvmBq9gWX7ELoqWQ7b0X4fJpVm0DAxwZw","d":"' + _JWK_D + '"}',
        '{"kty": "oct", "k": "' + _JWK_D[:43] + '", "alg": "HS256"}',
    ),
    negatives=(
        '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",'
        '"y":"x_FEzRjmNyAvmBq9gWX7ELoqWQ7b0X4fJpVm0DAxwZw"}',
        '{"d": "' + _JWK_D + '"} without a key type',
    ),
    builtin=True,
)

XML_PRIVATE_KEY = DetectorSpec(
    id="secret/xml_private_key",
    pattern=(
        r"<(?P<kind>RSA|DSA)KeyValue>(?:(?!</(?P=kind)KeyValue>)[\s\S]){0,8000}?"
        r"<(?P<part>D|P|Q|DP|DQ|InverseQ|X)>[A-Za-z0-9+/=\s]{16,}</(?P=part)>"
        r"(?:(?!</(?P=kind)KeyValue>)[\s\S]){0,8000}?</(?P=kind)KeyValue>"
    ),
    keywords=("<rsakeyvalue>", "<dsakeyvalue>"),
    confidence=0.99,
    max_len=9000,
    examples=(
        "<RSAKeyValue><Modulus>" + _XML_D + "</Modulus><Exponent>AQAB</Exponent>"
        "<P>" + _XML_D + "</P><D>" + _XML_D + "</D></RSAKeyValue>",
    ),
    negatives=(
        "<RSAKeyValue><Modulus>" + _XML_D + "</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>",
    ),
    builtin=True,
)

CREDENTIALS: tuple[DetectorSpec, ...] = (
    URL_PASSWORD,
    CONNECTION_PASSWORD,
    AZURE_ACCOUNT_KEY,
    AZURE_SAS_TOKEN,
    BASIC_AUTH,
    BEARER_TOKEN,
    GENERIC_SECRET,
    PUTTY_PRIVATE_KEY,
    JWK_PRIVATE_KEY,
    XML_PRIVATE_KEY,
)
