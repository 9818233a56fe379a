"""Scorers of the signal detectors: a phrase match rated by its family and
what lies around it (``extproc.detect.phrases`` holds the phrases).

The same words mean different things in different places: "ignore all
previous instructions" is an attack in a tool's output and an example in a
question about prompt injection; "I can't help with that" is a refusal at
the start of an answer and a quotation in documentation about refusals.
These functions lower a match that is quoted, or that sits in a sentence
about the topic, and raise one that says "from someone else" (previous,
system, your) or is followed by a new order. Keyword signals catch the
common and the lazy; a determined attacker rephrases (see the README).
"""

from __future__ import annotations

import re

from extproc.detect import phrases

_FAMILIES = tuple(
    (family.name, re.compile(family.pattern, re.IGNORECASE)) for family in phrases.INJECTION
)

# How far around a match the topic of its sentence is looked for.
_AROUND = 160

_QUOTES = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e\u201a\u2039\u203a"

# Words of a text that talks ABOUT injections, jailbreaks or refusals.
_DISCUSSION = re.compile(
    r"prompt[\s-]+injections?|injection[\s-]+attacks?|jailbreak(?:s|ing)?\s+"
    r"(?:prompts?|attempts?|attacks?|techniques?)|\bfor\s+example\b|\be\.\s?g\.|\bsuch\s+as\b"
    r"|\bexamples?\b|\battack(?:s|ers?)?\b|\bmalicious\b|\badversarial\b|\bdetect(?:s|ion|ing)?\b"
    r"|\bdefen[cs]es?\b|\bdefend\b|\bprevent(?:s|ing)?\b|\bmitigat\w*|\bclassifier\b"
    r"|\bred[\s-]team\w*|\btest\s+cases?\b|\bphrases?\s+like\b|\bwhat\s+is\b|\bhow\s+(?:do|does|can|to)\b"
    r"|\bexplain\w*|\bzum\s+beispiel\b|\bz\.\s?b\.|\bbeispiel\w*|\bangriff\w*|\berkenn\w*"
    r"|\bwie\s+(?:schreibe|erstelle|formuliere|baue|erkenne|verhindere)\b"
    r"|\bcomment\s+(?:écrire|rédiger|détecter|éviter)\b|\bcómo\s+(?:escrib|detect|evit)\w*"
    r"|\bpar\s+exemple\b|\bexemples?\b|\battaques?\b|\bdétect\w*|\bpor\s+ejemplo\b|\bejemplos?\b"
    r"|\bataques?\b|\bdetect\w*",
    re.IGNORECASE,
)
# Words before a refusal that say it is being quoted or described.
_REPORTED = re.compile(
    r"\b(?:says?|said|repl(?:y|ies|ied)|respon(?:d|ds|ded|se)|answer(?:s|ed)?|wrote|writes"
    r"|returns?|returned|outputs?|message|phrases?|refus(?:al|als|es|ed)|such\s+as|like|e\.g\."
    r"|for\s+example|the\s+model|the\s+assistant|the\s+bot|chatbot|chatgpt|claude|gemini|typical"
    r"|common|canned|boilerplate|antwortet\w*|sagt\w*|schrieb|schreibt|zum\s+beispiel"
    r"|répond\w*|dit|écri\w*|par\s+exemple|respond\w*|contest\w*|dijo|dice|escrib\w*"
    r"|por\s+ejemplo)\b",
    re.IGNORECASE,
)
_STRONG_QUALIFIER = re.compile(
    r"\b(?:" + "|".join(re.escape(q) for q in phrases.OVERRIDE_QUALIFIERS) + r")\b", re.IGNORECASE
)
_OWN = re.compile(r"\b(?:my|mine|meine|meinen|mes|mis|mi)\b", re.IGNORECASE)
_DIRECTIVE = re.compile(
    r"\b(?:instead|from\s+now\s+on|new\s+(?:instructions?|task|role|rules)|your\s+new|only"
    r"|and\s+(?:now|then|just|instead)|stattdessen|ab\s+jetzt|neue\s+anweisung\w*|à\s+la\s+place"
    r"|désormais|nouvelles?\s+(?:instructions?|consignes?)|en\s+su\s+lugar|a\s+partir\s+de\s+ahora"
    r"|nuevas?\s+instrucci\w+)\b|:",
    re.IGNORECASE,
)
_SPECIAL = re.compile(phrases.SPECIAL_TOKENS, re.IGNORECASE)
_ROLE_NEXT = re.compile(r"\s{0,3}(?:system|user|assistant|developer|human)\b", re.IGNORECASE)
_ROLE_LINE = re.compile(phrases.ROLE_LINES)
_SENTENCE_END = re.compile(r"[.!?\n]\s|\x00")


def _sentence_start(text: str, start: int) -> int:
    """Where the sentence holding ``start`` begins (at most ``_AROUND`` back)."""
    low = max(0, start - _AROUND)
    last = low
    for m in _SENTENCE_END.finditer(text, low, start):
        last = m.end()
    return last


def _quoted(text: str, start: int, end: int) -> bool:
    """Enclosed in quotation marks or backticks (up to three characters away)."""
    before = text[max(0, start - 3) : start]
    after = text[end : end + 3]
    return any(q in before for q in _QUOTES) and any(q in after for q in _QUOTES)


def _discussed(text: str, start: int, end: int) -> bool:
    """Topic words around the match (not in it: "What is your system prompt?")."""
    low, high = max(0, start - _AROUND), min(len(text), end + _AROUND)
    return (
        _DISCUSSION.search(text, low, start) is not None
        or _DISCUSSION.search(text, end, high) is not None
    )


def _family(text: str, start: int, end: int) -> str:
    for name, pattern in _FAMILIES:
        if pattern.fullmatch(text, start, end):
            return name
    return "override"


_INJECTION_BASE = {
    "override": 0.65,
    "extract": 0.8,
    "persona": 0.85,
    "template": 0.75,
    "encoded": 0.75,
}


def rate_injection(text: str, start: int, end: int) -> float | None:
    """``signal/prompt_injection``: by family, qualifier, what follows, and
    whether the text quotes it or talks about injections."""
    family = _family(text, start, end)
    score = _INJECTION_BASE[family]
    after = text[end : end + 80]
    if family == "override":
        span = text[start : min(len(text), end + 30)]
        if _OWN.search(span) and not _STRONG_QUALIFIER.search(span):
            score = 0.4  # a writer taking back their own words: "forget my last instructions"
        elif _STRONG_QUALIFIER.search(span):
            score = 0.9
        if _DIRECTIVE.search(after):
            score = min(0.95, score + 0.05)
    elif family == "template":
        token = text[start:end]
        if _ROLE_LINE.fullmatch(token):
            score = 0.45  # "System:" at a line's start: transcripts have them too
        elif _SPECIAL.fullmatch(token):
            score = 0.9 if _ROLE_NEXT.match(text, end) or "/" in token or "end" in token else 0.7
        elif token.lstrip().startswith("</"):
            score = 0.85  # a fake end of the system's part
    quoted = _quoted(text, start, end)
    discussed = _discussed(text, start, end)
    if quoted and discussed:
        return 0.2
    if discussed:
        return min(score, 0.4)
    if quoted:
        return max(0.3, score - 0.25)
    return score


def rate_refusal(text: str, start: int, end: int) -> float | None:
    """``signal/refusal``: surest at the start of an answer, weak where quoted
    or reported ("the model replied ...")."""
    head = text[start:end].lower()
    score = 0.7 if head.startswith(("as", "als", "en tant", "como", "i am", "i'm")) else 0.85
    sentence = _sentence_start(text, start)
    if _quoted(text, start, end) or _REPORTED.search(text, sentence, start):
        return 0.3
    lead = text[max(0, start - 4) : start]
    if start == 0 or not lead.strip(" \t\r\n\x00" + _QUOTES):
        score = min(0.95, score + 0.05)  # the answer opens with it
    elif start > 600:
        score -= 0.1  # deep in a long text: a partial refusal, or a mention
    return score


_TIER_SCORE = {"strong": 0.9, "medium": 0.75, "mild": 0.4}
_INSULT_LEAD = re.compile(
    r"(?:\byou(?:['\u2019]re)?|\bur|\bdu|\btu|\bt['\u2019]es|\beres|\bwhat\s+a|\bsuch\s+a|\bstupid"
    r"|\bdumb|\bfucking|\blittle)\s+(?:\w+\s+)?\Z",
    re.IGNORECASE,
)
_WORD_TOPIC = re.compile(
    r"\b(?:words?|terms?|slurs?|swear\w*|profanit\w*|curse\s+words?|expletives?|wort|mot|palabra)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"[A-Z][a-z]+")


def rate_profanity(text: str, start: int, end: int) -> float | None:
    """``signal/profanity``: by the word's tier; mild words count as insults
    ("you dick"), not as names ("Moby Dick", "Dick Cheney")."""
    word = " ".join(text[start:end].lower().split())
    tier = phrases.PROFANITY_TIERS.get(word, "medium")
    score = _TIER_SCORE[tier]
    if tier == "mild":
        if text[start].isupper():
            before = text[max(0, start - 20) : start].split()
            after = text[end : end + 20].split()
            if (before and _CAPITALISED.fullmatch(before[-1].strip(",.;:"))) or (
                after and _CAPITALISED.fullmatch(after[0].strip(",.;:'"))
            ):
                return None  # part of a name
        if _INSULT_LEAD.search(text, max(0, start - 30), start):
            score = 0.7
    if _quoted(text, start, end) and _WORD_TOPIC.search(text, max(0, start - 60), start):
        return min(score, 0.35)  # a word being talked about
    return score
