"""Postal addresses by structure: United States, United Kingdom, Germany, France.

No gazetteer: an address is recognised by its parts in their national order
(house number, street name with a suffix or prefix from the postal services'
lists, unit, town, state or region, postal code), on one line with commas or
over several lines. Postal codes are checked against their national formats
(US state abbreviations and ZIP, the UK's outward and inward codes, German
and French five-digit codes with their valid leading digits).

``ADDRESS_PATTERN`` (Python ``re``) finds candidates, ``ADDRESS_GATE`` (RE2)
is a necessary condition of each, and ``rate_address`` checks and rates one.
"""

from __future__ import annotations

import re

# USPS Publication 28, Appendix C1 (street suffixes), the common ones with their
# standard abbreviations; a plural "s" is allowed after each name.
_US_SUFFIXES = """
    Street St Avenue Ave Av Road Rd Boulevard Blvd Drive Dr Lane Ln Court Ct Place Pl Way
    Terrace Ter Circle Cir Parkway Pkwy Highway Hwy Square Sq Trail Trl Alley Aly Loop Path
    Pike Plaza Plz Ridge Rdg Run Row Walk Crossing Xing Cove Cv Creek Crk Crescent Cres
    Expressway Expy Freeway Fwy Turnpike Tpke Point Pt Hill Hl Heights Hts Junction Jct
    Manor Mnr Meadow Mdw Mill Mountain Mtn Park Pass Port Prairie Ranch Shore Spring Spur
    Station Sta Summit Smt Valley Vly View Vw Village Vlg Ville Vista Vis Bridge Brg Brook
    Brk Burg Bypass Byp Camp Canyon Cyn Cape Cpe Causeway Cswy Center Ctr Cliff Club Common
    Corner Cor Course Crest Curve Dale Dam Divide Estate Extension Ext Fall Ferry Field Flat
    Ford Forest Forge Fork Fort Ft Garden Gdn Gateway Glen Green Grn Grove Grv Harbor Hbr
    Haven Hollow Inlet Island Isle Key Knoll Lake Land Landing Lndg Light Lock Lodge Mall
    Mews Mission Motorway Mount Mt Neck Orchard Oval Overpass Passage Pine Plain Radial Ramp
    Rapid Rest River Route Rte Shoal Skyway Stravenue Stream Throughway Trace Track
    Trafficway Tunnel Underpass Union Viaduct Wall Well Annex Anx Arcade Bayou Beach Bch Bend
    Bluff Bottom Branch Crossroad Rue Trailer
    """.split()  # noqa: SIM905 (a word list reads best as words)
US_STATES = frozenset(
    """
    AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV
    NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM FM
    MH PW AA AE AP
    """.split()  # noqa: SIM905 (a word list reads best as words)
)

_SEP = r"(?:,[ \t]*(?:\r?\n[ \t]*)?|[ \t]*\r?\n[ \t]*)"
_UNIT = (
    r"(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|Bldg|Building|#)\.?[ \t]*#?[A-Za-z0-9-]{1,6}"
)
_DIR = r"(?:[NSEW]|N[EW]|S[EW]|North|South|East|West)\.?"
_CITY = r"[A-Z][A-Za-z.'\u2019-]*(?:[ \t]+[A-Z][A-Za-z.'\u2019-]*){0,3}"
_ZIP = r"[0-9]{5}(?:-[0-9]{4})?"
_US_SUFFIX = "|".join(sorted(_US_SUFFIXES, key=len, reverse=True))
_US_STREET = (
    rf"[0-9]{{1,6}}[A-Z]?[ \t]+(?:{_DIR}[ \t]+)?(?:[A-Z0-9][A-Za-z0-9'\u2019.-]*[ \t]+){{1,4}}"
    rf"(?:{_US_SUFFIX})s?\.?(?:[ \t]+{_DIR})?(?![A-Za-z0-9])"
)
_US = (
    rf"{_US_STREET}(?:,?[ \t]*{_UNIT})?"
    rf"(?:{_SEP}{_CITY},?[ \t]+(?:[A-Z]{{2}})[ \t]+{_ZIP}(?![0-9-]))?"
)
_US_MILITARY = (
    r"(?:(?:PSC|Unit|CMR)[ \t]+[0-9]{4},?[ \t]+Box[ \t]+[0-9]{4}"
    r"|USNS?[ \t]+[A-Z][a-z]+|USCGC[ \t]+[A-Z][a-z]+)"
    rf"{_SEP}(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+[0-9]{{5}}(?![0-9])"
)
_UK_POSTCODE = r"(?:GIR ?0AA|[A-Z]{1,2}[0-9][0-9A-Z]?[ \t]?[0-9][A-Z]{2})"
_UK_PART = r"[A-Z][A-Za-z'\u2019.-]*(?:[ \t]+[A-Za-z][A-Za-z'\u2019.-]*){0,4}"
_UK = (
    rf"(?:(?:Flat|Studio|Apartment|Apt|Unit|Suite|Room)\.?[ \t]+[0-9]{{1,4}}[A-Za-z]?{_SEP})?"
    rf"(?:[0-9]{{1,5}}[A-Za-z]?,?[ \t]+)?{_UK_PART}{_SEP}(?:{_UK_PART}{_SEP}){{0,2}}"
    rf"(?:{_UK_PART}(?:,?[ \t]+|{_SEP}))?{_UK_POSTCODE}(?![A-Za-z0-9])"
)
_DE_UP, _DE_LO = "A-ZÄÖÜ", "a-zäöüß"
_DE_WORD = rf"[{_DE_UP}][{_DE_LO}]+(?:-[{_DE_UP}][{_DE_LO}]+)*"
_DE_SUFFIX = (
    "straße|strasse|str\\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|steig|pfad|markt"
    "|berg|graben|kamp|hof|feld|garten|wall|tor|brücke|park|stieg|zeile|winkel"
)
_DE_STREET = (
    rf"(?:{_DE_WORD}(?:{_DE_SUFFIX})"
    rf"|{_DE_WORD}[ -](?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Chaussee|Markt)"
    r"|(?:Am|An der|An den|Auf dem|Auf der|Im|In der|In den|Zum|Zur|Unter den|Alte|Neue"
    r"|Hinter der)"
    rf"[ \t]+{_DE_WORD})"
)
_EU_CITY = (
    r"[A-ZÄÖÜÉÈÀÂÎÔÛÇ][\w'\u2019.-]*"
    r"(?:[ \t]+(?:(?:am|an|der|dem|den|im|in|bei|ob|vorm|vor|auf|sur|sous|en|la|le|les|de|du"
    r"|des|lès)"
    r"[ \t]+)?[A-ZÄÖÜÉÈÀÂÎÔÛÇ(][\w'\u2019.()-]*){0,3}"
)
_DE = (
    rf"{_DE_STREET}[ \t]+[0-9]{{1,4}}[a-z]?(?:[-/][0-9]{{1,4}}[a-z]?)?{_SEP}"
    rf"(?:D-)?[0-9]{{5}}[ \t]+{_EU_CITY}"
)
_FR_PREFIX = (
    r"(?i:rue|avenue|av\.|boulevard|bd|place|pl\.|chemin|impasse|all[ée]e|quai|route|cours|square"
    r"|passage|voie|rond-point|faubourg|fbg|sentier|hameau|lieu-dit|r[ée]sidence|promenade"
    r"|esplanade|parvis|cit[ée]|villa|mont[ée]e|rampe|traverse|chauss[ée]e)"
)
_FR = (
    rf"(?:[0-9]{{1,4}}(?:[ \t]?(?:bis|ter|quater|[A-D]))?,?[ \t]+)?{_FR_PREFIX}[ \t]+"
    rf"(?:[\w'\u2019-]+[ \t]+){{0,5}}?[\w'\u2019-]+{_SEP}(?:F-)?[0-9]{{5}}[ \t]+{_EU_CITY}"
    r"(?:[ \t]+CEDEX(?:[ \t]+[0-9]{1,2})?)?"
)

ADDRESS_PATTERN = rf"(?<![\w.-])(?P<value>{_US_MILITARY}|{_DE}|{_FR}|{_UK}|{_US})"

# RE2: a necessary condition of each alternative above.
ADDRESS_GATE = (
    rf"[ \t](?:{_US_SUFFIX})s?\.?(?:[^A-Za-z]|$)"
    r"|(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+[0-9]{5}"
    r"|[A-Z]{1,2}[0-9][0-9A-Z]?[ \t]?[0-9][A-Z]{2}"
    r"|[0-9]{5}[ \t]+[A-ZÄÖÜÉÈÀÂÎÔÛÇ]"
)

_US_TAIL = re.compile(rf"([A-Z]{{2}})[ \t]+({_ZIP})\Z")
_UK_TAIL = re.compile(
    r"(?:GIR ?0AA|([A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]?)[ \t]?[0-9][ABD-HJLNP-UW-Z]{2})\Z"
)
_EU_CODE = re.compile(r"(?:^|[\s,])(?:[DF]-)?([0-9]{5})[ \t]+\S")
_FR_HINT = re.compile(rf"(?:^|[0-9][ \t]?(?:bis|ter|quater|[A-D])?,?[ \t]+){_FR_PREFIX}[ \t]")
_MILITARY = re.compile(r"(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+[0-9]{5}\Z")
_NOT_HOUSE = re.compile(
    r"(?i:version|ver|v|step|chapter|page|part|level|season|episode|vol|volume|issue|no|"
    r"number|item|row|line|top|top-|over|about|only|first|last)[ \t.#:]*\Z"
)
_US_STREET_ONLY = re.compile(rf"{_US_STREET}(?:,?[ \t]*{_UNIT})?")


def _fr_code(code: str) -> bool:
    """A French postal code: a département 01-95 (20 for Corsica), or overseas 97-98."""
    return "01" <= code[:2] <= "95" or code[:2] in ("97", "98")


def _de_code(code: str) -> bool:
    """A German PLZ: 01001 to 99998 (zone 00 was never assigned)."""
    return "01001" <= code <= "99998"


def rate_address(text: str, start: int, end: int) -> float | None:
    """Confidence that ``text[start:end]`` is a postal address (None: it is not).

    A complete address with a valid postal code (US state and ZIP, UK
    postcode, German or French code after a street of theirs, US military)
    rates 0.85; a US street line alone (number, name, USPS suffix) 0.6.
    """
    value = text[start:end].rstrip()
    if _NOT_HOUSE.search(text, max(0, start - 12), start):
        return None  # "version 2 Main Street", "step 3 Park Lane": a count, not a house
    if _MILITARY.search(value):
        return 0.85
    us = _US_TAIL.search(value)
    if us is not None and re.search(r"[0-9]", value[: us.start()]):
        state, zip_code = us.groups()
        return 0.85 if state in US_STATES and not zip_code.startswith("000") else None
    if _UK_TAIL.search(value):
        return 0.85 if re.search(r"[0-9]|Flat|Studio", value[:-5] or "") or "\n" in value else None
    code = _EU_CODE.search(value)
    if code is not None:
        valid = _fr_code if _FR_HINT.search(value) else _de_code
        return 0.85 if valid(code.group(1)) else None
    if _US_STREET_ONLY.fullmatch(value):
        return 0.6
    return None
