"""Phrase families of the signal detectors (``signal/...``), as data.

Each family is a set of word lists joined by flexible gaps: a verb, up to a
few words of anything, a noun (``ignore`` ... ``instructions``), so wording
may vary ("ignore all of the previous instructions", "please disregard
your earlier guidelines") without a list of exact sentences. Every family
lists its keywords (literals that occur in every match: the keyword pass
runs the pattern only near them) and its gate (a cheap RE2 condition that
holds wherever the family can match: texts where no detector's gate holds
skip scanning). Families are named groups of one pattern per detector;
``extproc.detect.signal_scores`` rates a match by its family and what lies
around it.

Languages: English, German, French and Spanish. The lists are written by
this project from the phrasings that models, jailbreak prompts and
refusals use in those languages; no third-party list is copied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

APOS = "['\u2019\u02bc]"
# Between two words: spaces and light punctuation, never a sentence end.
SEP = r"[^\w.!?\n]{1,4}"


def words(*options: str) -> str:
    """Alternatives as one group shaped like a trie (Python's ``re`` tries the
    branches of a flat alternation one by one at every position; a trie fails
    on the first letter); a space inside an option is any short separator, an
    apostrophe any apostrophe. Longer options are tried first."""
    units = sorted({tuple(_unit(c) for c in option.lower()) for option in options})
    return "(?:" + _trie(list(units)) + ")"


def _unit(char: str) -> str:
    if char == " ":
        return SEP
    if char in "'\u2019":
        return APOS
    return re.escape(char)


def _trie(options: list[tuple[str, ...]]) -> str:
    ends = () in options
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for option in options:
        if option:
            by_first.setdefault(option[0], []).append(option[1:])
    branches = [head + _trie(rests) if rests != [()] else head for head, rests in by_first.items()]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        return f"(?:{body})?" if len(branches) == 1 and len(body) > 1 else body + "?"
    return body


def gap(n: int) -> str:
    """Up to ``n`` words of anything between two parts, in one sentence."""
    return rf"(?:{SEP}[\w'\u2019-]+){{0,{n}}}{SEP}"


def edge(pattern: str) -> str:
    """Whole words: not glued to a letter or digit on either side."""
    return rf"(?<!\w){pattern}(?!\w)"


# Words that start many phrases and much ordinary text: a gate condition
# leaves them out at a phrase's start (what remains still occurs in every
# match, and the gate's automaton follows fewer partial matches).
_LEADS = frozenset(
    (
        "the", "a", "an", "all", "of", "your", "my", "to", "what", "what's", "is", "are", "were",
        "which", "i", "i'm", "am", "you", "we", "it", "this", "that", "and", "or", "in", "on", "at",
        "as", "for", "with", "me", "us", "de", "la", "le", "les", "el", "los", "las", "der", "die",
        "das", "den", "du", "tu", "je", "ne", "una", "un", "une", "es", "est", "ist", "se", "te",
        "ta", "mi", "mis",
    )
)  # fmt: skip


# Letter pairs that ordinary text in these languages is full of. A gate
# literal is entered wherever ordinary text holds its first two letters;
# starting each literal at a rarer pair keeps the gate's automaton from
# following partial matches at every word (measured: 500 literals starting
# with common words cost the clean-text gate 12 %, starting with rare pairs 3 %).
_COMMON_PAIRS = frozenset(
    (
        "ab", "ac", "ad", "ag", "ai", "ak", "al", "am", "an", "ap", "ar", "as", "at", "au",
        "av", "ay", "ba", "be", "bo", "bu", "ca", "ce", "ch", "ci", "co", "cr", "ct", "cu",
        "da", "de", "di", "do", "dr", "du", "ea", "ec", "ed", "ef", "eg", "ei", "el", "em",
        "en", "ep", "er", "es", "et", "ev", "ex", "fa", "fe", "fi", "fl", "fo", "fr", "ga",
        "ge", "gi", "go", "gr", "gu", "ha", "he", "hi", "ho", "ib", "ic", "id", "ie", "if",
        "ig", "il", "im", "in", "io", "ir", "is", "it", "iv", "ke", "ki", "ku", "la", "le",
        "li", "ll", "lo", "lu", "ma", "me", "mi", "mo", "mu", "na", "nc", "nd", "ne", "ng",
        "ni", "no", "ns", "nt", "nu", "ob", "od", "of", "og", "ok", "ol", "om", "on", "oo",
        "op", "or", "os", "ot", "ou", "ov", "ow", "pa", "pe", "pi", "pl", "po", "pr", "pu",
        "qu", "ra", "re", "ri", "ro", "rt", "ru", "sa", "sc", "se", "sh", "si", "sl", "sm",
        "so", "sp", "ss", "st", "su", "sw", "ta", "te", "th", "ti", "to", "tr", "tu", "ty",
        "ud", "ue", "ug", "uk", "ul", "um", "un", "up", "ur", "us", "ut", "uv", "va", "ve",
        "vi", "vo", "wa", "we", "wh", "wi", "wo", "ya", "yo", "za",
    )
)  # fmt: skip


def _distinctive(option: str, least: int = 6) -> str:
    """What of a phrase the gate asks for: leading stop words left out, then
    the phrase from its first apostrophe or uncommon letter pair on, keeping
    ``least`` characters at least (what remains still occurs in every match)."""
    words_ = option.split(" ")
    while (
        len(words_) > 1
        and words_[0] in _LEADS
        and words_[1] not in _LEADS
        and len(" ".join(words_[1:])) >= 6
    ):
        words_ = words_[1:]
    phrase = " ".join(words_)
    for i in range(len(phrase) - 1):
        pair, left = phrase[i : i + 2], len(phrase) - i
        if left < least:
            break
        if pair[0] in "'\u2019" or (pair.isalpha() and pair not in _COMMON_PAIRS):
            return phrase[i:]  # an apostrophe, or an uncommon pair
    return phrase


def fewest(options: Iterable[str], stems: Iterable[str] = ()) -> list[str]:
    """The fewest literals one of which occurs wherever one of ``options``
    does: ``stems`` that occur in some option take the place of the options
    holding them ("ignor" for ignore, ignorez, ignorieren...), and an option
    holding another one is left out. Every literal costs the gate's automaton
    (about 1 % of clean-text speed per hundred, measured)."""
    raw = {o.lower() for o in options}
    used = {s for s in stems if any(s in o for o in raw)}
    rest = {_distinctive(o) for o in raw if not any(s in o for s in used)}
    kept = sorted(used | rest, key=len)
    out: list[str] = []
    for option in kept:  # shortest first: a longer one holding it is redundant
        if not any(shorter in option for shorter in out):
            out.append(option)
    return out


def literal(*options: str, stems: Iterable[str] = ()) -> str:
    """An RE2 condition (case-insensitive) that one of ``options`` occurs;
    a space inside an option is any short separator, as in ``words``."""
    return _alternation(fewest(options, stems))


def _alternation(options: Iterable[str]) -> str:
    escaped = []
    for option in sorted(set(options), key=len, reverse=True):
        pieces = []
        for c in option:
            if c == " ":
                pieces.append(r"[^\w.!?\n]+")
            elif c in "'\u2019":
                pieces.append(r"['\x{2019}\x{2bc}]")
            else:
                pieces.append(c if c.isalnum() else f"\\x{{{ord(c):x}}}")
        escaped.append("".join(pieces))
    return "(?i:" + "|".join(escaped) + ")"


def longest(phrase: str) -> str:
    """A phrase's longest word: its keyword (it occurs in every match)."""
    return max(phrase.split(" "), key=len)


# Words too common in LLM traffic to be keywords (the regex would run near
# every one of them): a phrase's next longest word is taken instead.
_COMMON = frozenset(
    {
        "prompt", "system", "instructions", "message", "model", "mode", "content", "policy",
        "developer", "output", "print", "tokens", "function", "text", "input",
    }
)  # fmt: skip


def _keyword(phrase: str) -> str:
    """A phrase's longest uncommon word of five letters or more, else the
    phrase itself ("system prompt": both words are in every chat request's JSON)."""
    rare = [w for w in phrase.split(" ") if w not in _COMMON and len(w) >= 5]
    return max(rare, key=len) if rare else phrase


def then(first: Iterable[str], later: Iterable[str]) -> str:
    """An RE2 gate condition: one of ``first`` right before one of ``later``
    (a separator between). Gate conditions are plain sequences of literals:
    no counters and no "A, later B" flags, which multiply the states of the
    gate's automaton (measured: clean text scanned 10-15% slower)."""
    # The first part from a rarer letter pair on (its end stays), the later
    # part whole (its start must follow the separator).
    heads = {_distinctive(o.lower(), least=2) for o in first}
    return _alternation(heads) + r"[^\w.!?\n]+" + _alternation(o.lower() for o in later)


def merged_gate(*gates: str) -> str:
    """One gate condition from several, as one alternation: one entry of the
    gate's pattern set (fewer entries keep its automaton small)."""
    return "(?:" + "|".join(gates) + ")"


@dataclass(frozen=True, slots=True)
class Family:
    """One phrase family: its pattern, the literals every match holds, and
    an RE2 gate condition that holds wherever the pattern can match."""

    name: str
    pattern: str
    keywords: tuple[str, ...]
    gate: str


# -- prompt injection -----------------------------------------------------------

_OVERRIDE_VERBS = {
    "en": (
        "ignore", "ignoring", "disregard", "disregarding", "forget", "forgetting",
        "bypass", "override", "overlook", "neglect", "discard", "abandon", "set aside",
        "throw out", "pay no attention to", "do not follow", "don't follow", "stop following",
        "no longer follow", "do not obey", "don't obey", "stop obeying", "nullify",
        "circumvent", "lgnore",
    ),
    "de": (
        "ignoriere", "ignorier", "ignorieren", "ignoriert", "vergiss", "vergesst", "vergessen",
        "missachte", "missachten", "übergehe", "übergehen", "überspringe", "verwirf",
        "verwerfe", "verwerfen", "umgehe", "umgehen", "befolge nicht", "befolgen nicht",
        "setze außer kraft",
    ),
    "fr": (
        "ignore", "ignorez", "ignorer", "oublie", "oubliez", "oublier", "ne tiens pas compte",
        "ne tenez pas compte", "fais abstraction", "faites abstraction", "passe outre",
        "passez outre", "néglige", "négligez", "contourne", "contournez", "ne suis plus",
        "ne suivez plus", "ne respecte plus", "ne respectez plus", "annule", "annulez",
    ),
    "es": (
        "ignora", "ignore", "ignoren", "ignorar", "olvida", "olvide", "olviden", "olvidar",
        "haz caso omiso", "haga caso omiso", "hagan caso omiso", "omite", "omita", "no sigas",
        "no siga", "deja de seguir", "deje de seguir", "pasa por alto", "pase por alto",
        "descarta", "descarte", "anula", "anule",
    ),
}  # fmt: skip

_OVERRIDE_NOUNS = {
    "en": (
        "instructions", "instruction", "directions", "directives", "directive", "rules",
        "guidelines", "guidance", "prompt", "prompts", "commands", "orders", "context",
        "constraints", "restrictions", "programming", "guardrails", "policies", "policy",
        "limitations", "safeguards", "protocols", "system message", "messages", "training",
        "filters", "content policy", "everything above", "everything before",
        "everything you were told", "what you were told", "all of the above", "the above",
    ),
    "de": (
        "anweisungen", "anweisung", "instruktionen", "befehle", "regeln", "vorgaben",
        "richtlinien", "anordnungen", "aufforderungen", "systemanweisungen", "systemprompt",
        "system-prompt", "prompt", "kontext", "beschränkungen", "einschränkungen",
        "alles oben", "alles bisherige", "alles davor", "programmierung",
    ),
    "fr": (
        "instructions", "instruction", "consignes", "règles", "directives", "ordres",
        "indications", "prompt système", "prompt", "contexte", "restrictions", "limites",
        "messages précédents", "tout ce qui précède", "programmation",
    ),
    "es": (
        "instrucciones", "instrucción", "reglas", "indicaciones", "directrices", "órdenes",
        "normas", "pautas", "prompt del sistema", "prompt", "contexto", "restricciones",
        "limitaciones", "todo lo anterior", "programación",
    ),
}  # fmt: skip

# Words that say "what came before, from someone else": they raise an
# override to the top tier (``signal_scores``).
OVERRIDE_QUALIFIERS = (
    "all", "any", "every", "previous", "prior", "preceding", "above", "earlier", "former",
    "foregoing", "original", "initial", "system", "developer", "your", "safety", "existing",
    "alle", "allen", "vorherigen", "vorigen", "bisherigen", "obigen", "früheren",
    "vorangegangenen", "ursprünglichen", "deine", "deinen", "ihre",
    "toutes", "tous", "précédentes", "précédents", "antérieures", "ci-dessus", "initiales",
    "tes", "vos", "système", "todas", "todos", "anteriores", "previas", "arriba",
    "iniciales", "originales", "tus", "sus", "sistema",
)  # fmt: skip


# Stems for the gate: one literal for every form holding it.
_OVERRIDE_STEMS = (
    "ignor", "lgnor", "disregard", "forget", "overrid", "overlook", "bypass", "neglect",
    "discard", "abandon", "circumvent", "nullif", "vergiss", "vergess", "missacht", "übergeh",
    "überspring", "verwirf", "verwerf", "umgeh", "befolge", "oubli", "abstraction", "outre",
    "néglig", "contourn", "annul", "olvid", "omiso", "omit", "descart", "anul", "por alto",
    "de seguir", "pas compte", "suis plus", "suivez plus", "respecte plus", "respectez plus",
    "no sig",
)  # fmt: skip


def _override() -> Family:
    verbs = [v for vs in _OVERRIDE_VERBS.values() for v in vs]
    nouns = [n for ns in _OVERRIDE_NOUNS.values() for n in ns]
    pattern = edge(words(*verbs)) + gap(6) + edge(words(*nouns))
    keys = sorted({longest(v) for v in verbs})
    return Family(
        "override",
        pattern,
        tuple(keys),
        literal(*verbs, stems=_OVERRIDE_STEMS),
    )


_EXTRACT_VERBS = (
    "reveal", "show", "print", "output", "repeat", "display", "leak", "disclose", "expose",
    "dump", "give", "tell", "share", "provide", "list", "write out", "spell out", "recite",
    "paste", "return", "echo", "copy", "type out",
    "zeig", "zeige", "zeigen", "gib", "geben", "verrate", "verraten", "nenne", "wiederhole",
    "drucke", "schreib", "schreibe", "offenbare", "poste",
    "montre", "montrez", "affiche", "affichez", "révèle", "révélez", "donne", "donnez",
    "répète", "répétez", "dis", "dites", "écris", "écrivez", "imprime", "imprimez", "copie",
    "muestra", "muéstrame", "muestre", "revela", "revélame", "revele", "dime", "dígame",
    "imprime", "repite", "repita", "escribe", "escriba", "dame", "deme", "copia",
)  # fmt: skip
_SECRET_PROMPTS = (
    "system prompt", "system-prompt", "system message", "system instructions", "initial prompt",
    "original prompt", "initial instructions", "original instructions", "hidden instructions",
    "secret instructions", "hidden prompt", "pre-prompt", "preprompt", "meta prompt",
    "metaprompt", "developer message", "developer instructions", "confidential instructions",
    "internal instructions", "instructions you were given", "prompt you were given",
    "instructions you have been given", "rules you were given", "initial message",
    "systemprompt", "system-prompt", "systemanweisungen", "systemanweisung",
    "ursprünglichen anweisungen", "geheimen anweisungen", "versteckten anweisungen",
    "ersten anweisungen", "prompt système", "message système", "instructions système",
    "instructions initiales", "instructions originales", "instructions secrètes",
    "instructions cachées", "prompt initial", "prompt del sistema", "prompt de sistema",
    "mensaje del sistema", "instrucciones del sistema", "instrucciones iniciales",
    "instrucciones originales", "instrucciones secretas", "instrucciones ocultas",
    "prompt inicial",
)  # fmt: skip
_OWNERS = (
    "your", "the", "all", "all of your", "of your", "dein", "deinen", "deine", "den", "die",
    "ihren", "ihre", "ton", "votre", "tes", "vos", "le", "les", "tu", "tus", "su", "sus", "el",
)  # fmt: skip
_ASKS = (
    "what is your", "what are your", "what were your", "what's your", "which are your",
    "wie lautet dein", "wie lautet ihr", "was ist dein", "was sind deine", "was waren deine",
    "quel est ton", "quel est votre", "quelles sont tes", "quelles sont vos",
    "cuál es tu", "cuál es su", "cuáles son tus", "cuáles son sus",
)  # fmt: skip
_PLAIN_RULES = (
    "instructions", "rules", "guidelines", "directives", "prompt", "constraints",
    "anweisungen", "regeln", "richtlinien", "vorgaben", "consignes", "règles", "directives",
    "instrucciones", "reglas", "directrices",
)  # fmt: skip
_ABOVE = (
    "text above", "words above", "everything above", "all text above", "the above text",
    "content above", "instructions above", "text before this", "everything before this",
    "everything written above", "all of the text above", "the lines above",
    "text oben", "alles oben", "alles darüber", "den text darüber", "die wörter oben",
    "texte ci-dessus", "tout ce qui est au-dessus", "mots ci-dessus",
    "texto anterior", "texto de arriba", "todo lo de arriba", "palabras anteriores",
)  # fmt: skip


def _extract() -> Family:
    verbs = words(*_EXTRACT_VERBS)
    to_me = r"(?:" + SEP + words("me", "us", "mir", "uns", "moi", "-moi", "nous") + r")?"
    # An owner is required: "your system prompt", "the initial instructions";
    # "write a good system prompt" asks for help, not for the model's own.
    owner = SEP + words(*_OWNERS)
    adjectives = gap(3)
    secret = words(*_SECRET_PROMPTS)
    demand = edge(verbs) + to_me + owner + adjectives + edge(secret)
    # "What are your X?" is addressed to the model already: X may be plain.
    asked = words(*_SECRET_PROMPTS, *_PLAIN_RULES)
    ask = edge(words(*_ASKS)) + gap(2) + edge(asked)
    above = (
        edge(words("repeat", "print", "output", "wiederhole", "répète", "répétez", "repite"))
        + gap(3)
        + edge(words(*_ABOVE))
    )
    verbatim = (
        edge(words("repeat", "print", "output")) + gap(4) + words("verbatim", "word for word")
    )
    keywords = {_keyword(w) for w in (*_SECRET_PROMPTS, *_ASKS, *_ABOVE)}
    keywords |= {"verbatim", "word for word"}
    gate = literal(*_SECRET_PROMPTS, *_ASKS, *_ABOVE, "verbatim", "word for word")
    return Family(
        "extract",
        f"(?:{demand}|{ask}|{above}|{verbatim})",
        tuple(sorted(keywords)),
        gate,
    )


_UNBOUND = (
    "unrestricted", "unfiltered", "uncensored", "jailbroken", "jailbreak", "amoral",
    "without restrictions", "without any restrictions", "without rules", "without any rules",
    "without limits", "without filters", "without censorship", "without limitations",
    "without guidelines", "without ethical guidelines", "no restrictions", "no rules",
    "no limits", "no filters", "no guidelines", "no limitations", "no ethics", "no morals",
    "no ethical guidelines", "no content policy", "do anything now", "developer mode",
    "god mode", "no longer bound", "not bound by",
    "uneingeschränkt", "uneingeschränkte", "unzensiert", "unzensierte", "ohne regeln",
    "ohne einschränkungen", "ohne filter", "ohne grenzen", "ohne beschränkungen",
    "keine regeln", "keine einschränkungen", "keine filter", "entwicklermodus",
    "sans restrictions", "sans restriction", "sans limites", "sans filtre", "sans règles",
    "sans censure", "non censuré", "non censurée", "aucune restriction", "aucune règle",
    "aucune limite", "mode développeur",
    "sin restricciones", "sin límites", "sin filtros", "sin reglas", "sin censura",
    "ninguna restricción", "ninguna regla", "modo desarrollador",
)  # fmt: skip
_FROM_NOW = (
    "from now on", "from this point on", "from this moment", "henceforth", "starting now",
    "you are now", "you're now", "you will now", "you must now", "now you are",
    "ab jetzt", "von nun an", "ab sofort", "du bist jetzt", "du bist nun",
    "à partir de maintenant", "désormais", "dorénavant", "tu es maintenant",
    "vous êtes maintenant", "a partir de ahora", "desde ahora", "de ahora en adelante",
    "ahora eres", "ahora serás",
)  # fmt: skip
_PRETEND = (
    "pretend", "imagine", "act as", "act like", "behave as", "behave like", "roleplay as",
    "role-play as", "respond as", "answer as", "simulate", "you are", "you're", "you will be",
    "tu so", "tue so", "stell dir vor", "verhalte dich wie", "spiele", "du bist",
    "fais comme si", "faites comme si", "imagine que", "agis comme", "comporte-toi comme",
    "tu es", "vous êtes", "finge", "imagina", "haz como si", "actúa como", "compórtate como",
    "eres",
)  # fmt: skip
_MODES = (
    "developer mode enabled", "developer mode is enabled", "developer mode activated",
    "dan mode", "jailbreak mode", "jailbreak mode enabled", "do anything now",
    "god mode enabled", "entwicklermodus aktiviert", "mode développeur activé",
    "modo desarrollador activado",
)  # fmt: skip


_UNBOUND_STEMS = (
    "unrestrict", "unfilter", "uncensor", "jailbr", "amoral", "censor", "censur",
    "eingeschränkt", "zensiert", "restricci", "restriction", "entwicklermodus", "développeur",
    "desarrollador", "developer mode", "god mode", "do anything", "dan mode",
)  # fmt: skip


def _persona() -> Family:
    setup = edge(words(*_FROM_NOW, *_PRETEND)) + gap(8) + edge(words(*_UNBOUND))
    # "DAN" in capitals only: Dan is a name.
    dan = edge(words("you are", "you're", "act as", "you will be")) + SEP + "(?-i:DAN)(?!\\w)"
    modes = edge(words(*_MODES))
    # Modes by their whole name: "mode" alone is in every "model".
    keywords = {_keyword(w) for w in _UNBOUND} | set(_MODES) | {"dan"}
    gate = literal(*_UNBOUND, *_MODES, stems=_UNBOUND_STEMS) + r"|\bDAN\b"
    return Family("persona", f"(?:{setup}|{dan}|{modes})", tuple(sorted(keywords)), gate)


# Chat-template and role delimiters that have no business in a user's text or
# a tool's output: a fake turn boundary lets text pose as the system.
SPECIAL_TOKENS = (
    r"<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|eot_id|eom_id"
    r"|start_header_id|end_header_id|begin_of_text|end_of_text|start|end|message|channel"
    r"|return|call|constrain|prompt|tool|ipython|end_of_turn)\|>"
    r"|<(?:start|end)_of_turn>|\[/?INST\]|<</?SYS>>|<\|/?(?:system|user|assistant)\|?>"
)
_ROLE_TAGS = (
    r"</?(?:system|system_prompt|system-prompt|sys|instructions?|admin|developer"
    r"|system_message|policy)>"
)
_HEADERS = (
    r"(?:^|(?<=\s))(?:#{2,4}|\*\*)[ \t]*(?:new[ \t]+|updated[ \t]+|system[ \t]+)?"
    r"(?:instruction|instructions|system|system prompt|response|input|admin|developer)"
    r"(?:[ \t]*\*\*)?(?:[ \t]*:|[ \t]*(?=\n|$))"
)
ROLE_LINES = (
    r"(?:^|\n)[ \t]*(?:system|SYSTEM|System|assistant|ASSISTANT|human|HUMAN)[ \t]?:"
    r"|\n\nHuman:|\n\nAssistant:"
)
# Bing's "[system](#additional_instructions)". (A fake '"role": "system"' is
# not looked for: a chat request's own JSON has it in every body.)
_FAKE_ROLE = r"\[system\]\(#[\w-]+\)"


def _template() -> Family:
    pattern = f"(?:{SPECIAL_TOKENS}|{_ROLE_TAGS}|{_HEADERS}|{ROLE_LINES}|{_FAKE_ROLE})"
    keywords = (
        "<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>", "_of_turn>", "system>", "sys>",
        "prompt>", "instruction>", "instructions>", "admin>", "developer>", "message>",
        "policy>", "##", "**", "system:", "system :", "assistant:", "assistant :", "human:",
        "human :", "[system](#",
    )  # fmt: skip
    gate = (
        r"<\|[\w/]{2,20}\|?>|\[/?INST\]|<</?SYS>>|_of_turn>"
        r"|(?i:</?(?:system|sys|instructions?|admin|developer|policy)[\w-]*>)"
        r"|(?i:(?:#{2,4}|\*\*)[ \t]*(?:new |updated |system )?"
        r"(?:instruction|system|response|input|admin|developer))"
        r"|(?i:(?:^|\n)[ \t]*(?:system|assistant|human)[ \t]*:)"
        r"|\[system\]\(#"
    )
    return Family("template", pattern, keywords, gate)


_DECODE_VERBS = (
    "decode", "decipher", "decrypt", "unscramble", "base64-decode", "dekodiere",
    "dekodieren", "entschlüssele", "entschlüsseln", "décode", "décodez", "déchiffre",
    "déchiffrez", "decodifica", "descifra", "decodifique", "descifre",
)  # fmt: skip
_FOLLOW = (
    "follow", "execute", "obey", "run", "carry out", "act on", "do what it says",
    "comply with", "perform", "apply", "befolge", "führe", "gehorche", "suis", "suivez",
    "exécute", "exécutez", "obéis", "applique", "sigue", "siga", "ejecuta", "obedece",
    "cumple",
)  # fmt: skip


def _encoded() -> Family:
    pattern = (
        edge(words(*_DECODE_VERBS))
        + gap(8)
        + edge(words("and", "then", "und", "dann", "et", "puis", "y", "luego"))
        + gap(3)
        + edge(words(*_FOLLOW))
    )
    return Family(
        "encoded",
        pattern,
        tuple(sorted({longest(v) for v in _DECODE_VERBS})),
        literal(*_DECODE_VERBS),
    )


INJECTION = (_override(), _extract(), _persona(), _template(), _encoded())

# -- refusals -----------------------------------------------------------------------

_CANT = (
    "can't", "cannot", "can not", "won't", "will not", "am unable to", "'m unable to",
    "am not able to", "'m not able to", "am not allowed to", "'m not allowed to",
    "am not permitted to", "'m not permitted to", "must decline to", "must refuse to",
    "have to decline to", "am not going to", "'m not going to", "don't think I can",
    "won't be able to", "will not be able to", "am not going to be able to",
    "'m not going to be able to", "can no longer",
    "do not think I can", "can't really", "'m afraid I can't", "am afraid I cannot",
)  # fmt: skip
_HELP = (
    "help", "assist", "comply", "provide", "fulfil", "fulfill", "support", "engage",
    "create", "generate", "produce", "write", "share", "give", "offer", "answer",
    "respond", "continue", "participate", "do that", "do this", "go along", "discuss",
)  # fmt: skip


def _refusal_en() -> str:
    sorry = words("I'm sorry", "I am sorry", "I'm afraid", "I am afraid", "Sorry", "I apologize",
                  "I apologise", "Unfortunately", "Apologies")  # fmt: skip
    cant = r"I" + r"(?:" + SEP + r"|" + APOS + r")?" + words(*_CANT)
    first = sorry + r"[,.!]?(?:" + SEP + r"but)?,?" + SEP + cant + SEP + words(*_HELP)
    second = (
        cant
        + SEP
        + words(*_HELP)
        + r"(?!\s+but\b)"
        + gap(2)
        + words("with that", "with this", "with your request", "with requests", "that request",
                "this request", "your request", "such content", "such requests",
                "that kind of", "this kind of", "that type of", "this type of",
                "with that request", "with this request", "content like", "anything like")
    )  # fmt: skip
    comply = (
        words("I", "we")
        + r"(?:" + SEP + r"|" + APOS + r")?"
        + words("can't", "cannot", "won't", "will not", "am unable to", "'m unable to")
        + SEP
        + words("comply with", "fulfil", "fulfill", "complete", "process", "honor", "honour",
                "assist with", "help with")
        + SEP
        + words("that request", "this request", "your request", "the request", "that", "this")
    )  # fmt: skip
    decline = words(
        "I must decline",
        "I have to decline",
        "I must respectfully decline",
        "I need to decline",
        "I must refuse",
        "I have to refuse",
        "I'll have to decline",
        "I will have to decline",
        "I'm going to have to decline",
        "I respectfully decline",
        "I'm not comfortable",
        "I am not comfortable",
        "I don't feel comfortable",
        "I do not feel comfortable",
    )
    as_ai = words(
        "As an AI language model",
        "As an AI model",
        "As an AI assistant",
        "As an AI",
        "As a large language model",
        "As a language model",
        "As an artificial intelligence",
        "I am an AI language model",
        "I'm an AI language model",
        "I am just an AI",
        "I'm just an AI",
        "I am only an AI",
        "I'm only an AI",
        "As an AI developed by",
        "As an AI created by",
        "I am an AI assistant and",
        "I'm an AI assistant and",
    )
    against = (
        words("goes against", "go against", "is against", "violates", "would violate",
              "is not in line with", "isn't in line with", "conflicts with", "breaches")
        + r"(?:" + SEP + words("my", "the", "our", "OpenAI's", "Anthropic's", "Google's") + r")?"
        + gap(2)
        + words("guidelines", "principles", "policies", "policy", "programming", "values",
                "usage policies", "content policy", "ethical guidelines", "terms of use")
    )  # fmt: skip
    return f"(?:{first}|{second}|{comply}|{decline}|{as_ai}|{against})"


_AI_DE = (
    "KI-Sprachmodell", "KI-Assistent", "KI Sprachmodell", "Sprachmodell", "KI",
    "künstliche Intelligenz", "großes Sprachmodell", "KI-Modell",
)  # fmt: skip
_AI_ES = (
    "modelo de lenguaje", "IA", "inteligencia artificial", "asistente de IA",
    "asistente virtual", "modelo de IA", "gran modelo de lenguaje",
)  # fmt: skip


def _refusal_de() -> str:
    sorry = words(
        "Es tut mir leid", "Tut mir leid", "Entschuldigung", "Leider", "Bedauerlicherweise"
    )
    cant = words("ich kann", "kann ich", "das kann ich", "dabei kann ich", "damit kann ich",
                 "ich darf", "darf ich")  # fmt: skip
    help_ = words("helfen", "behilflich sein", "nachkommen", "weiterhelfen", "unterstützen",
                  "beantworten", "erfüllen", "bearbeiten", "tun", "machen", "erstellen",
                  "liefern", "geben", "schreiben")  # fmt: skip
    first = (
        r"(?:"
        + sorry
        + r"[,.!]?(?:"
        + SEP
        + r"aber)?"
        + SEP
        + r")?"
        + cant
        + gap(4)
        + r"nicht"
        + SEP
        + help_
    )
    as_ai = r"Als" + SEP + r"(?:eine?" + SEP + r")?" + words(*_AI_DE) + r"(?![\w-])"
    decline = words("muss ich ablehnen", "ich muss ablehnen", "muss ich leider ablehnen",
                    "ich muss diese Anfrage ablehnen", "muss ich diese Anfrage ablehnen",
                    "ich muss das ablehnen")  # fmt: skip
    against = (
        words("verstößt gegen", "widerspricht", "verstösst gegen")
        + SEP
        + words("meine", "meinen", "unsere", "die")
        + SEP
        + words("Richtlinien", "Grundsätze", "Regeln", "Prinzipien", "Nutzungsrichtlinien")
    )
    return f"(?:{first}|{as_ai}|{decline}|{against})"


def _refusal_fr() -> str:
    sorry = words("Je suis désolé", "Je suis désolée", "Désolé", "Désolée", "Je suis navré",
                  "Je suis navrée", "Malheureusement", "Navré", "Navrée")  # fmt: skip
    cant = (
        r"je"
        + SEP
        + r"ne"
        + SEP
        + words("peux", "pourrai", "vais", "saurais", "suis")
        + SEP
        + r"pas"
    )
    help_ = (
        r"(?:" + SEP + words("en mesure de", "autorisé à", "autorisée à") + r")?"
        + r"(?:" + SEP + words("vous", "te", "t'") + r")?"
        + r"\W{0,2}"
        + words("aider", "répondre", "fournir", "satisfaire", "donner", "créer", "générer",
                "écrire", "accéder", "participer", "faire cela", "faire ça", "accéder",
                "assister", "traiter", "accéder à", "accepter")
    )  # fmt: skip
    first = r"(?:" + sorry + r"[,.!]?(?:" + SEP + r"mais)?" + SEP + r")?" + cant + help_
    as_ai = words(
        "En tant qu'IA",
        "En tant qu'intelligence artificielle",
        "En tant que modèle de langage",
        "En tant qu'assistant IA",
        "En tant qu'assistant virtuel",
        "En tant que grand modèle de langage",
        "En tant qu'IA conversationnelle",
    )
    against = (
        words("va à l'encontre de", "est contraire à", "enfreint", "viole", "contrevient à")
        + SEP + words("mes", "nos") + SEP
        + words("directives", "règles", "principes", "politiques", "lignes directrices",
                "conditions d'utilisation")
    )  # fmt: skip
    decline = words("je dois refuser", "je dois décliner", "je dois malheureusement refuser",
                    "je dois respectueusement décliner")  # fmt: skip
    return f"(?:{first}|{as_ai}|{against}|{decline})"


def _refusal_es() -> str:
    sorry = words("Lo siento", "Lo lamento", "Disculpa", "Disculpe", "Lamentablemente",
                  "Desafortunadamente", "Perdón")  # fmt: skip
    cant = r"no" + SEP + words("puedo", "podré", "me es posible", "estoy en condiciones de",
                               "voy a", "estoy autorizado a", "estoy autorizada a")  # fmt: skip
    help_ = words("ayudar", "ayudarte", "ayudarle", "ayudarles", "asistir", "asistirte",
                  "asistirle", "proporcionar", "proporcionarte", "cumplir", "responder",
                  "hacer", "crear", "generar", "escribir", "dar", "darte", "compartir",
                  "facilitar", "atender", "participar")  # fmt: skip
    first = r"(?:" + sorry + r"[,.!]?(?:" + SEP + r"pero)?" + SEP + r")?" + cant + SEP + help_
    as_ai = r"Como" + SEP + r"(?:una?" + SEP + r")?" + words(*_AI_ES) + r"(?![\w-])"
    against = (
        words("va en contra de", "iría en contra de", "infringe", "viola", "contradice")
        + SEP + words("mis", "nuestras", "nuestros", "las") + SEP
        + words("directrices", "políticas", "pautas", "principios", "normas",
                "normas de uso")
    )  # fmt: skip
    decline = words("debo rechazar", "tengo que rechazar", "debo declinar", "tengo que declinar",
                    "debo negarme", "tengo que negarme")  # fmt: skip
    return f"(?:{first}|{as_ai}|{against}|{decline})"


_AS_AI = (
    "as an ai", "as a large language model", "as a language model",
    "as an artificial intelligence", "an ai language model", "just an ai", "only an ai",
    "an ai assistant and",
    *(f"als {a}{w.lower()}" for a in ("", "ein ", "eine ") for w in _AI_DE),
    "en tant qu'ia", "en tant qu'intelligence", "en tant que modèle", "en tant qu'assistant",
    "en tant que grand modèle",
    *(f"como {a}{w.lower()}" for a in ("", "un ", "una ") for w in _AI_ES),
)  # fmt: skip
_AGAINST = (
    "goes against", "go against", "is against", "violates", "would violate", "in line with",
    "conflicts with", "breaches", "verstößt gegen", "verstösst gegen", "widerspricht",
    "à l'encontre de", "contraire à", "enfreint", "viole", "contrevient",
    "en contra de", "infringe", "contradice",
)  # fmt: skip
_DECLINE = (
    "must decline", "have to decline", "respectfully decline", "need to decline",
    "must refuse", "have to refuse", "have to decline", "not comfortable",
    "t feel comfortable", "not feel comfortable", "ablehnen", "je dois refuser",
    "je dois décliner", "je dois malheureusement refuser", "je dois respectueusement décliner",
    "debo rechazar", "tengo que rechazar", "debo declinar", "tengo que declinar",
    "debo negarme", "tengo que negarme",
)  # fmt: skip
_HELP_DE = (
    "helfen", "behilflich", "nachkommen", "weiterhelfen", "unterstützen", "beantworten",
    "erfüllen", "bearbeiten", "tun", "machen", "erstellen", "liefern", "geben", "schreiben",
)  # fmt: skip
_HELP_ES = (
    "ayudar", "asistir", "proporcionar", "cumplir", "responder", "hacer", "crear",
    "generar", "escribir", "dar", "compartir", "facilitar", "atender", "participar",
)  # fmt: skip
# Every "as an AI" phrase holds one of these.
_AS_AI_ANCHORS = (
    "as an ai", "as a large language", "as a language model", "as an artificial",
    "an ai language model", "just an ai", "only an ai", "an ai assistant", "als ki",
    "als eine ki", "als ein ki", "sprachmodell", "künstliche intelligenz", "en tant qu",
    "modelo de lenguaje", "inteligencia artificial", "asistente de ia", "asistente virtual",
    "como ia", "como una ia", "como un ia", "modelo de ia",
)  # fmt: skip
# Suffixes of the "can't" phrases, right before the verb that follows them.
_CANT_ENDS = (
    "can't", "cannot", "can not", "won't", "will not", "unable to", "able to", "allowed to",
    "permitted to", "decline to", "refuse to", "going to", "think i can", "can't really",
    "no longer",
)  # fmt: skip
_HELP_EN = (
    "help", "assist", "comply", "provide", "fulfil", "support", "engage", "create",
    "generate", "produce", "write", "share", "give", "offer", "answer", "respond",
    "continue", "participate", "do that", "do this", "go along", "discuss", "complete",
    "process", "honor", "honour",
)  # fmt: skip
REFUSAL_GATE = merged_gate(
    then(_CANT_ENDS, _HELP_EN),
    literal(*_AS_AI_ANCHORS, *_DECLINE, *_AGAINST),
    then(("nicht",), _HELP_DE),
    literal("je ne peux pas", "je ne pourrai pas", "je ne vais pas", "je ne saurais pas",
            "je ne suis pas"),
    then(("no puedo", "no podré", "no me es posible", "no estoy en condiciones de",
          "no voy a", "no estoy autorizado a", "no estoy autorizada a"), _HELP_ES),
)  # fmt: skip

_REFUSAL_KEYWORDS = (
    "sorry", "afraid", "apolog", "unfortunately", "can't", "can\u2019t", "cannot", "can not",
    "can no", "won't", "won\u2019t", "will not", "unable", "not able", "allowed", "permitted",
    "decline", "refuse", "not going", "think i can", "comfortable", "an ai", "language model",
    "artificial", "against", "violate", "line with", "conflicts", "breaches",
    "ich kann", "kann ich", "ich darf", "darf ich", "als ki", "eine ki", "ein ki",
    "sprachmodell", "künstliche", "ablehnen", "verstößt", "verstösst", "widerspricht",
    "peux pas", "pourrai pas", "vais pas", "saurais pas", "suis pas", "en tant", "encontre",
    "contraire", "enfreint", "viole", "contrevient", "refuser", "décliner",
    "no puedo", "no podré", "no me es posible", "no estoy", "no voy", "modelo de", "como ia",
    "una ia", "inteligencia", "asistente", "en contra", "infringe", "viola", "contradice",
    "rechazar", "declinar", "negarme",
)  # fmt: skip

REFUSAL = Family(
    "refusal",
    "(?:" + "|".join((_refusal_en(), _refusal_de(), _refusal_fr(), _refusal_es())) + ")",
    _REFUSAL_KEYWORDS,
    REFUSAL_GATE,
)

# -- profanity ----------------------------------------------------------------------

# (words, tier): "strong" swearing and slurs, "medium", and "mild" words that
# are also ordinary words (a rooster, a donkey, a female dog) or barely rude.
# Whole words only: "Scunthorpe", "cocktail", "Dickens", "assassin",
# "computadora" and "Hurenkind" (a typesetting term) are not matches.
_STRONG = (
    # English
    "fuck", "fucks", "fucked", "fucking", "fuckin", "fucker", "fuckers", "fuckface",
    "fuckhead", "fuckwit", "motherfucker", "motherfuckers", "motherfucking", "clusterfuck",
    "cunt", "cunts", "cocksucker", "cocksuckers", "nigger", "niggers", "nigga", "faggot",
    "faggots", "shithead", "dickhead", "wanker", "wankers", "twat", "twats",
    "f*ck", "f**k", "f***", "f*cking", "f**king", "fck", "fcking", "fuk", "fukin", "phuck",
    "fvck", "fuq", "c*nt", "stfu", "gtfo",
    # German
    "fotze", "fotzen", "hurensohn", "hurensöhne", "arschloch", "arschlöcher", "wichser",
    "fick dich", "fickt euch", "ficken", "fick", "gefickt", "scheißkerl", "schwuchtel",
    "missgeburt", "leck mich am arsch",
    # French
    "putain", "enculé", "enculés", "enculée", "enculer", "connard", "connards", "connasse",
    "salope", "salopes", "nique ta mère", "niquer", "va te faire foutre",
    "fils de pute", "pédé",
    # Spanish
    "hijo de puta", "hijos de puta", "hijueputa", "gilipollas", "cabrón", "cabrones",
    "cabrona", "chinga tu madre", "chingada", "chingado", "maricón", "maricones", "coño",
    "jódete", "que te jodan",
)  # fmt: skip
_MEDIUM = (
    "shit", "shits", "shitty", "shitting", "bullshit", "horseshit", "dipshit", "batshit",
    "apeshit", "chickenshit", "sh*t", "sh1t", "asshole", "assholes", "arsehole", "arseholes",
    "a**hole", "a$$hole", "asswipe", "asshat", "jackass", "dumbass", "smartass", "bitch",
    "bitches", "bitching", "b*tch", "b!tch", "b1tch", "son of a bitch", "bastard",
    "bastards", "whore", "whores", "slut", "sluts", "prick", "pricks", "goddamn",
    "goddamned", "bollocks", "douchebag", "piss off", "pissed off", "retard", "retarded",
    "scheiße", "scheisse", "scheiß", "scheiss", "scheißegal", "hure", "huren", "schlampe",
    "drecksau", "drecksack", "mistkerl", "spast", "spasti", "pisser",
    "merde", "merdes", "merdique", "emmerder", "pute", "putes", "salaud", "salauds",
    "ta gueule", "ferme ta gueule", "fais chier", "chier", "batard", "bâtard", "conne",
    "conneries", "connerie", "couilles",
    "mierda", "mierdas", "puta", "putas", "puto", "putos", "joder", "jodido", "jodida",
    "pendejo", "pendejos", "pendeja", "culero", "chingar", "verga", "marica", "carajo",
    "cojones",
)  # fmt: skip
_MILD = (
    "damn", "damned", "dammit", "crap", "crappy", "piss", "pissed", "cock", "cocks",
    "dick", "dicks", "pussy", "ass", "arse", "tits", "titties", "bloody", "bugger",
    "wtf", "verdammt", "verdammte", "kacke", "arsch", "bordel", "culo", "zorra", "pinche",
)  # fmt: skip

PROFANITY_TIERS: dict[str, str] = {
    **{w: "mild" for w in _MILD},
    **{w: "medium" for w in _MEDIUM},
    **{w: "strong" for w in _STRONG},
}


# Stems no ordinary word holds (or too rarely to matter: "fickle").
_PROFANITY_STEMS = (
    "fuck", "shit", "cunt", "nigg", "fagg", "wank", "twat", "bitch", "bastard", "whore",
    "slut", "asshol", "arsehol", "cocksuck", "dickhead", "scheiß", "scheiss", "arschl",
    "wichs", "hurens", "fotze", "fick", "schlamp", "schwucht", "encul", "putain", "connard",
    "connass", "salop", "merd", "mierd", "gilipoll", "pendej", "chinga", "maric",
)  # fmt: skip


def _profanity() -> Family:
    masked = [w for w in PROFANITY_TIERS if not w.replace(" ", "").isalnum()]
    plain = [w for w in PROFANITY_TIERS if w not in masked]
    by_length = sorted(masked, key=len, reverse=True)
    alternatives = [words(*plain), "(?:" + "|".join(_escape_masked(w) for w in by_length) + ")"]
    pattern = edge(f"(?:{'|'.join(alternatives)})")
    keywords = sorted({longest(w) for w in PROFANITY_TIERS})
    # A short word runs the pattern near itself as a word ("ass" is in every
    # "assistant", "class" and "pass"): after a space and before a space or a
    # stop (a word at a text's very edge, or glued to other punctuation, is missed).
    # A masked word ("f*ck") is in no ordinary word: it is a keyword as it is.
    near = sorted(
        {
            v
            for k in keywords
            for v in ([f" {k}{end}" for end in " .,!?\n"] if len(k) <= 4 and k.isalnum() else [k])
        }
    )
    # Short words that occur inside ordinary ones ("class", "cocktail", "title",
    # "Marsch") gate on whole words only, so ordinary text keeps the gate shut.
    covered = [k for k in keywords if any(s in k for s in _PROFANITY_STEMS)]
    short = [k for k in keywords if len(k) < 6 and k not in covered]
    gate = (
        literal(*(k for k in keywords if k not in short), stems=_PROFANITY_STEMS)
        + "|(?i:(?:^|[^A-Za-z0-9_])(?:"
        + "|".join(_re2(k) for k in short)
        + r")(?:[^A-Za-z0-9_]|$))"
    )
    return Family("profanity", pattern, tuple(near), gate)


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _re2(word: str) -> str:
    return "".join(c if c.isalnum() else f"\\x{{{ord(c):x}}}" for c in word)


def _escape_masked(word: str) -> str:
    out = []
    for c in word:
        out.append(SEP if c == " " else ("\\" + c if not c.isalnum() else c))
    return "".join(out)


PROFANITY = _profanity()
