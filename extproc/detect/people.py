"""Personal names without a model: public-domain name lists, labels and capitals.

A candidate is one to four capitalised words (initials and particles such as
``van``/``de`` between them). What lies right before it decides most: a title
(``Mr.``, ``Dr``), a label or field name (``Name:``, ``"first_name": "``,
``Ship to:``), a salutation (``Dear``, ``Hi``) or a sign-off line above it
(``Regards,``). Without one, only a pair whose first word is a known given
name and whose last is a known surname counts, at a low tier. The lists are
the US Census Bureau's 1990 given names and surnames (``data/README.md``).

``NAME_PATTERN`` (Python ``re``) finds candidates; ``NAME_GATE`` (RE2) is a
necessary condition of every candidate that ``rate_name`` can accept; both
are built from the same word lists.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

# Latin letters with diacritics: Latin-1 and Latin Extended-A.
_UP = "A-ZÀ-ÖØ-ÞĀ-Ž"
_LO = "a-zß-öø-ÿā-ž"
_TOKEN = rf"(?:Mc|Mac|O['\u2019]|D['\u2019])?[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?"
_INITIAL = rf"[{_UP}]\."
_PARTICLE = r"(?:van|von|de|da|di|del|della|der|den|du|dos|das|le|la|ter|ten|bin|ibn|al|el)"
_SEP = r"[ \t]{1,3}"
_LINK = rf"{_SEP}(?:{_INITIAL}{_SEP})?(?:{_PARTICLE}{_SEP}){{0,2}}"
_NAME = rf"{_TOKEN}(?:{_LINK}{_TOKEN}){{0,3}}"

# Written with their capital ("took 12 ms. Then" is no title).
TITLES = (
    "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Mme", "Mlle", "Herr",
    "Frau", "Sr", "Sra", "Srta", "Sig", "Dott", "Monsieur", "Madame", "MR", "MRS", "MS", "DR",
)  # fmt: skip
# Field names and labels after which a name follows a colon or an equals sign.
LABELS = (
    "name", "full name", "full_name", "fullname", "first name", "first_name", "firstname",
    "last name", "last_name", "lastname", "given name", "given_name", "surname",
    "family name", "family_name", "middle name", "middle_name", "maiden name",
    "customer", "customer_name", "client", "client_name", "patient", "patient_name",
    "recipient", "sender", "employee", "applicant", "attn", "attention", "contact",
    "contact_name", "passenger", "guest", "beneficiary", "insured", "policyholder",
    "cardholder", "card holder", "account holder", "account_holder", "holder", "signed",
    "signed by", "signature", "author", "ship to", "bill to", "deliver to", "sold to",
    "to", "from", "cc", "by", "nom", "prénom", "prenom", "vorname", "nachname",
    "nombre", "apellido", "apellidos", "cognome", "naam", "achternaam", "voornaam",
    "person", "owner", "tenant", "landlord", "buyer", "seller", "witness", "spouse",
    "next of kin", "emergency contact", "doctor", "physician", "nurse", "student",
)  # fmt: skip
SALUTATIONS = (
    "dear", "hi", "hello", "hey", "greetings", "bonjour", "hallo", "hola", "ciao",
    "liebe", "lieber", "chère", "cher", "estimado", "estimada", "caro", "cara", "beste",
)  # fmt: skip
SIGNOFFS = (
    "regards", "best regards", "kind regards", "warm regards", "best", "thanks",
    "thank you", "many thanks", "sincerely", "yours sincerely", "yours truly",
    "cheers", "cordially", "best wishes", "respectfully", "cordialement",
    "mit freundlichen grüßen", "viele grüße", "saludos", "un saludo", "grazie",
    "distinti saluti", "met vriendelijke groet", "love", "warmly", "signed",
)  # fmt: skip
CONTEXT = (
    "name", "first_name", "last_name", "full_name", "given_name", "surname", "customer",
    "client", "patient", "recipient", "employee", "applicant", "passenger", "beneficiary",
    "insured", "cardholder", "holder", "contact", "signed", "attn",
)  # fmt: skip

# Words before "name" that make it something other than a person's name.
_NOT_PERSON = frozenset(
    """
    file host user app application project product company business brand domain
    branch repo repository package module class function method variable field
    column table database db schema index bucket service server cluster node pod
    container image device model dataset team group channel org organisation
    organization display screen code key tag label event queue topic job task
    step stage workflow file_ host_ user_ app_ project_ product_ company_
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
# Capitalised words that follow salutations and labels but are not names.
_NOT_NAMES = frozenset(
    """
    The This That These Those There Here It Its All Everyone Everybody Anyone
    Team Folks Guys Friends Colleagues Sir Madam Sirs Customer Customers Client User
    Users Admin Support Manager Hiring Sales Team World Mr Mrs Ms Dr There Thanks Please
    Hello Hi Dear Regards Best Yes No Ok Okay Not None Null Unknown True False
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
    April June July August September October November December Today Tomorrow
    Street Road Avenue Lane Drive Boulevard Inc Ltd Llc Corp Co Company Group Bank
    Hospital University College School Department Office Committee Board Service
    Services Account Accounts Payable Receivable Finance Billing Shipping Order
    Name First Last Full Given Family Middle New Old North South East West Mount
    Saint St Lake Port Fort Customer Patient Member Owner Guest Sender Recipient
    Attention Contact Phone Email Address City State Country Zip Date Signature
    Signed Note Subject Re Fwd Fw Ref Id Number Total Amount Invoice Your Our My
    Dev Devs Prod Staging Test Api Http Https Json Yaml Python Java Docker Kubernetes
    Beach Bay Island Springs Falls Valley County Airport Station Bridge Tower Plaza Mall
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
# Words that end a street, a place or an organisation, not a person.
_AFTER_NOT_PERSON = re.compile(
    r"[ \t]+(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|"
    r"Place|Pl|Way|Square|Sq|Terrace|Park|Parkway|Highway|Hwy|Close|Crescent|Gardens|"
    r"Hill|Heights|Inc|LLC|Ltd|Corp|Corporation|Company|Co|Group|Bank|Hospital|"
    r"University|College|School|Institute|Foundation|Center|Centre|County|City|"
    r"Airport|Station|Hotel|Church|Library|Museum|Bridge|River|Lake|Mountain|Valley)\b"
)


def _words(items: tuple[str, ...], fold: bool = True) -> str:
    """``items`` as one alternation shaped like a trie (Python's ``re`` tries the
    branches of a flat alternation one by one at every position; a trie lets
    it fail on the first letter), spaces and ``_`` as any short run."""
    words = sorted({(i.lower() if fold else i).replace("_", " ") for i in items})
    # A class of the first letters first: most positions fail on one test.
    firsts = "".join(sorted({re.escape(w[0]) for w in words}))
    return f"(?=[{firsts}]){_trie(words)}"


def _trie(words: list[str]) -> str:
    branches = []
    ends = "" in words
    by_first: dict[str, list[str]] = {}
    for word in words:
        if word:
            by_first.setdefault(word[0], []).append(word[1:])
    for first, rests in sorted(by_first.items()):
        head = "[ _]{1,2}" if first == " " else re.escape(first)
        branches.append(head + _trie(rests) if rests != [""] else head)
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
    return body + "?" if ends and body else body


# What may stand right before a name; each alternative ends where the name starts.
_TITLE_LEAD = rf"(?<![A-Za-z])(?:{_words(TITLES, fold=False)})\.?[ \t]{{1,3}}"
_LABEL_LEAD = rf"(?<![A-Za-z])(?:{_words(LABELS)})[\"']?[ \t]{{0,3}}[:=][ \t]{{0,3}}[\"']?"
_SALUTE_LEAD = rf"(?<![A-Za-z])(?:{_words(SALUTATIONS)})[ \t]{{1,3}}"
_SIGNOFF_LEAD = (
    rf"(?<![A-Za-z])(?:{_words(SIGNOFFS)})[ \t]{{0,3}}[,.!]?[ \t]{{0,3}}\r?\n[ \t]{{0,8}}"
)

_LEADS = {
    "title": re.compile(rf"{_TITLE_LEAD}\Z"),
    "label": re.compile(rf"(?i:{_LABEL_LEAD})\Z"),
    "salutation": re.compile(rf"(?i:{_SALUTE_LEAD})\Z"),
    "signoff": re.compile(rf"(?i:{_SIGNOFF_LEAD})\Z"),
}
_BEFORE_LABEL = re.compile(r"([A-Za-z]+)[ _-]?\Z")

NAME_PATTERN = (
    # Every alternative starts a word: test that first, cheaply, at each position.
    rf"(?<![A-Za-z])(?=[A-Za-z{_UP}{_LO}])"
    rf"(?:{_TITLE_LEAD}|(?i:{_LABEL_LEAD}|{_SALUTE_LEAD}|{_SIGNOFF_LEAD})"
    rf"|(?<![\w'\u2019.-])(?={_TOKEN}{_LINK}{_TOKEN}))"
    rf"(?P<value>{_NAME})(?!\w|-\w|['\u2019]\w\w)"
)


def _re2(pattern: str) -> str:
    """The same pattern for RE2: no lookbehind (a boundary character or the
    start instead, a superset), ``\\x{...}`` escapes instead of ``\\u``."""
    pattern = re.sub(r"\(\?=\[[^\]]*\]\)", "", pattern)  # first-letter guards: an optimisation
    return pattern.replace("(?<![A-Za-z])", "(?:^|[^A-Za-z])").replace("\\u2019", "\\x{2019}")


@cache
def _list(name: str) -> frozenset[str]:
    text = resources.files("extproc.detect").joinpath("data", name).read_text("utf-8")
    return frozenset(text.split())


def given_names() -> frozenset[str]:
    return _list("given_names.txt")


def surnames() -> frozenset[str]:
    return _list("surnames.txt")


def name_words() -> frozenset[str]:
    """Names that are also common English words (Will, Mark, Brown)."""
    return _list("name_words.txt")


# RE2, a superset of every place NAME_PATTERN can match and ``rate_name``
# accept: a pair only counts bare when its first word is a listed given name,
# so the gate asks for one of those (about 5,000 literals cost RE2 no more
# than a generic capitalised pair, and "Kubernetes Ingress" no longer opens
# it); the leads are the same fragments as the pattern's, with Latin ranges.
NAME_GATE = _re2(
    rf"(?:{'|'.join(sorted(given_names()))})[ \t]{{1,3}}(?:[{_UP}]|{_PARTICLE}[ \t])"
    rf"|{_TITLE_LEAD}[{_UP}]"
    rf"|(?i:{_LABEL_LEAD}|{_SALUTE_LEAD}|{_SIGNOFF_LEAD})[{_UP}]"
)

# Where to run the pattern once the gate is open: a capitalised pair or a lead
# (without the gate's 5,000 given names: a union that must report positions
# pays for each branch, the gate only asks whether any matches).
NAME_WINDOWS = _re2(
    rf"[{_UP}][{_LO}]+{_LINK}[{_UP}]"
    rf"|{_TITLE_LEAD}[{_UP}]"
    rf"|(?i:{_LABEL_LEAD}|{_SALUTE_LEAD}|{_SIGNOFF_LEAD})[{_UP}]"
)

_SPLIT = re.compile(rf"{_TOKEN}")
_LOOKBACK = 48  # the longest lead (a sign-off line) and the word before a label


def _known(token: str, names: frozenset[str]) -> bool:
    return token in names or token.capitalize() in names


def _lead(before: str) -> str | None:
    for kind, pattern in _LEADS.items():
        found = pattern.search(before)
        if found is None:
            continue
        if kind == "label":
            # "file name:", "project_name=": not a person's name.
            word = _BEFORE_LABEL.search(before[: found.start()])
            label = found.group(0).lower()
            if "nam" in label and word is not None and word.group(1).lower() in _NOT_PERSON:
                return None
        return kind
    return None


def rate_name(text: str, start: int, end: int) -> float | None:
    """Confidence that ``text[start:end]`` is a person's name (None: it is not).

    Title before it 0.9 (0.6 for one unknown word); label, field name or
    sign-off 0.9 for two words or a known name, 0.75 for one unknown word;
    salutation 0.9 / 0.85 for a known given name alone / 0.6 for an unknown
    word followed by a comma; none: 0.6 for a known given
    name (not also an English word) and a known surname, 0.5 for a given name
    that is also a word and a surname that is not, 0.45 for a plain given
    name and an unknown last word that is no English word, else None.
    """
    tokens = _SPLIT.findall(text, start, end)
    if not tokens or any(t in _NOT_NAMES for t in tokens):
        return None
    if _AFTER_NOT_PERSON.match(text, end):
        return None
    before = text[max(0, start - _LOOKBACK) : start]
    if before.rstrip(" \t")[-1:].isdigit():
        return None  # "221 Baker": a house number, not a name
    lead = _lead(before)
    given, family, words = given_names(), surnames(), name_words()
    first_known = _known(tokens[0], given)
    any_known = first_known or any(_known(t, family) or _known(t, given) for t in tokens)
    many = len(tokens) > 1
    if lead == "title":
        return 0.9 if many or any_known else 0.6
    if lead in ("label", "signoff"):
        return 0.9 if many or any_known else 0.75
    if lead == "salutation":
        if many:
            return 0.9 if any_known else 0.75
        return 0.85 if first_known else 0.6 if text[end : end + 1] in (",", "!", "\n") else None
    if not many:
        return None
    if not first_known:
        return None
    last_known, last_word = _known(tokens[-1], family), tokens[-1] in words
    if tokens[0] in words:
        # "Will Power", "Grace Period": two English words need context;
        # "Amber Barrett" does not.
        return 0.5 if last_known and not last_word else None
    if last_known:
        return 0.6
    return 0.45 if not last_word else None
