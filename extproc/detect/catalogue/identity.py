"""National, tax and health identifiers, each with its published check.

A check digit catches most mistypes but lets one random number in ten (Luhn,
Verhoeff, mod 11) or one in a hundred (CPF, NIR) through: numbers without a
layout of their own are reported low and rise only after their word ("SIN",
"BSN", "TFN"). Layouts with letters in fixed places (NINO, PAN, codice
fiscale, MBI) or a strong check (NIR) stand on their own.

==========================  =================  ========  =======  =====  ==============
detector                    validator          format    context  exact  invalid+ctx
==========================  =================  ========  =======  =====  ==============
pii/uk_nino                 uk_nino            0.80      0.95     -      -
pii/ca_sin                  ca_sin             0.30      0.97     0.50   -
pii/in_aadhaar              in_aadhaar         0.30      0.97     0.50   -
pii/in_pan                  in_pan             0.60      0.95     -      -
pii/br_cpf                  br_cpf             0.30      0.95     0.90   -
pii/es_dni                  es_dni_nie         0.70      0.95     -      -
pii/fr_nir                  fr_nir             0.80      0.95     -      -
pii/it_codice_fiscale       it_codice_fiscale  0.90      0.95     -      -
pii/nl_bsn                  nl_bsn             0.30      0.90     -      -
pii/au_tfn                  au_tfn             0.30      0.90     -      -
pii/us_ein                  us_ein             0.30      0.90     -      -
pii/us_npi                  us_npi             0.30      0.90     -      -
pii/us_mbi                  us_mbi             0.50      0.95     -      -
==========================  =================  ========  =======  =====  ==============

"exact": written in the number's own grouping (``046 454 286``, ``123.456.789-09``).
US ITINs are reported by ``pii/us_ssn`` (after "ITIN" or "tax id"). Every
number below was made up to pass its check; none was issued to anyone.
"""

from __future__ import annotations

from extproc.detect.spec import DetectorSpec

_L = r"(?<![\w.-])"  # not glued to a word, a decimal or a longer dashed number
_R = r"(?![\w]|[-.][0-9])"

UK_NINO = DetectorSpec(
    id="pii/uk_nino",
    pattern=_L + r"[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]" + _R,
    validator="uk_nino",
    confidence=0.8,
    context=("national insurance", "ni number", "ni no", "nino", "nin", "insurance number"),
    context_confidence=0.95,
    max_len=13,
    prefilter=r"[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]",
    examples=(
        "National Insurance number: JG 10 37 59 A",
        "NINO AB123456A on file",
        "my ni number is JG103759A",
    ),
    negatives=(
        "ref ZZ 91 41 77 T",
        "code BG123456A",
        "part DA123456A",
        "serial AB1234567",
    ),
    builtin=True,
)

CA_SIN = DetectorSpec(
    id="pii/ca_sin",
    pattern=_L + r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{3}" + _R,
    validator="ca_sin",
    confidence=0.3,
    context=("sin", "social insurance", "nas", "assurance sociale", "sin number", "sin no"),
    # Above an SSN's 0.95 after "social": "social insurance" says Canadian.
    context_confidence=0.97,
    exact=r"[0-9]{3}([ -])[0-9]{3}\1[0-9]{3}",
    exact_confidence=0.5,
    max_len=40,  # the value, and the reach back to its word
    # A bare nine-digit run counts only near its word: timestamps and ids in
    # JSON would otherwise open the gate of every answer.
    prefilter=(
        r"[0-9]{3}[ -][0-9]{3}[ -][0-9]{3}"
        r"|(?:^|[^A-Za-z])(?i:sin|social insurance|assurance sociale|nas)(?:[^A-Za-z]|$)"
    ),
    examples=(
        "SIN: 584 332 282",
        "social insurance number 584332282",
        "it is 584-332-282",
    ),
    negatives=(
        "SIN: 584 332 283",
        "sin 846 454 286",
        "order 584332283",
    ),
    builtin=True,
)

IN_AADHAAR = DetectorSpec(
    id="pii/in_aadhaar",
    pattern=_L + r"[2-9][0-9]{3}[ -]?[0-9]{4}[ -]?[0-9]{4}" + _R,
    validator="in_aadhaar",
    confidence=0.3,
    context=("aadhaar", "aadhar", "uidai", "uid", "आधार"),
    # Above a 12-digit Maestro card's 0.95: after "Aadhaar" it is an Aadhaar.
    context_confidence=0.97,
    exact=r"[2-9][0-9]{3}([ -])[0-9]{4}\1[0-9]{4}",
    exact_confidence=0.5,
    max_len=40,  # the value, and the reach back to its word
    prefilter=(
        r"[2-9][0-9]{3}[ -][0-9]{4}[ -][0-9]{4}|(?i:aadhaa?r|uidai)|आधार"
        r"|(?:^|[^A-Za-z])(?i:uid)(?:[^A-Za-z]|$)"
    ),
    examples=(
        "Aadhaar: 5533 7406 8124",
        "aadhaar no 553374068124",
        "id 5533-7406-8124 verified",
    ),
    negatives=(
        "Aadhaar: 5533 7406 8125",
        "aadhaar 1533 7406 8124",
        "order 553374068125",
    ),
    builtin=True,
)

IN_PAN = DetectorSpec(
    id="pii/in_pan",
    pattern=r"(?<![A-Za-z0-9])[A-Z]{3}[ABCFGHJLPT][A-Z][0-9]{4}[A-Z](?![A-Za-z0-9])",
    validator="in_pan",
    confidence=0.6,
    context=("pan", "permanent account number", "income tax", "pan card", "pan no"),
    context_confidence=0.95,
    max_len=10,
    prefilter=r"[A-Z]{3}[ABCFGHJLPT][A-Z][0-9]{4}[A-Z]",
    examples=(
        "PAN: BIBPQ7359O",
        "my pan card is ABCPE1234F",
        "holder AAACB1234K (company)",
    ),
    negatives=(
        "code ABCDE1234F",
        "sku ABCXE1234",
        "ticket ABCPE12345F",
    ),
    builtin=True,
)

BR_CPF = DetectorSpec(
    id="pii/br_cpf",
    pattern=_L + r"[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}" + _R,
    validator="br_cpf",
    confidence=0.3,
    context=("cpf", "cadastro de pessoas", "contribuinte"),
    context_confidence=0.95,
    exact=r"[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}",
    exact_confidence=0.9,
    max_len=40,  # the value, and the reach back to its word
    prefilter=(
        r"[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}"
        r"|(?:^|[^A-Za-z])(?i:cpf|contribuinte|cadastro de pessoas)(?:[^A-Za-z]|$)"
    ),
    examples=(
        "CPF: 187.244.670-14",
        "cpf 22705952977",
        "titular 187.244.670-14 confirmado",
    ),
    negatives=(
        "CPF: 187.244.670-15",
        "cpf 111.111.111-11",
        "order 22705952978",
    ),
    builtin=True,
)

ES_DNI = DetectorSpec(
    id="pii/es_dni",
    pattern=r"(?<![A-Za-z0-9-])(?:[0-9]{8}|[XYZ]-?[0-9]{7})-?[A-Z](?![A-Za-z0-9])",
    validator="es_dni_nie",
    confidence=0.7,
    context=("dni", "nie", "nif", "documento", "identidad", "extranjero"),
    context_confidence=0.95,
    max_len=11,
    prefilter=r"(?:^|[^0-9A-Za-z])(?:[0-9]{8}|[XYZ]-?[0-9]{7})-?[A-Z](?:[^0-9A-Za-z]|$)",
    examples=(
        "DNI: 28795075H",
        "NIE X0211787A",
        "titular 28795075-H",
    ),
    negatives=(
        "DNI: 28795075A",
        "ref 12345678Z9",
        "NIE X0211787B",
    ),
    builtin=True,
)

FR_NIR = DetectorSpec(
    id="pii/fr_nir",
    pattern=(
        _L + r"[12] ?[0-9]{2} ?(?:0[1-9]|1[0-2]|[2-9][0-9]) ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?"
        r"[0-9]{3} ?[0-9]{2}" + _R
    ),
    validator="fr_nir",
    confidence=0.8,
    context=("nir", "sécurité sociale", "securite sociale", "sécu", "insee", "carte vitale"),
    context_confidence=0.95,
    max_len=21,
    prefilter=(
        r"(?:^|[^0-9])[12] ?[0-9]{2} ?[0-9]{2} ?[0-9AB]{2} ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}"
        r"(?:[^0-9]|$)"
    ),
    examples=(
        "NIR : 1 84 08 15 741 421 66",
        "numéro de sécurité sociale 184081574142166",
        "assuré 2 69 05 49 588 157 80",
    ),
    negatives=(
        "NIR : 1 84 08 15 741 421 67",
        "ref 184081574142166000",
        "order 384081574142166",
    ),
    builtin=True,
)

IT_CODICE_FISCALE = DetectorSpec(
    id="pii/it_codice_fiscale",
    pattern=(
        r"(?<![A-Za-z0-9])[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z]"
        r"[0-9LMNPQRSTUV]{3}[A-Z](?![A-Za-z0-9])"
    ),
    validator="it_codice_fiscale",
    confidence=0.9,
    context=("codice fiscale", "cf", "c.f.", "tessera sanitaria"),
    context_confidence=0.95,
    max_len=16,
    prefilter=r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z]",
    examples=(
        "Codice fiscale: BCCFRC15M25E852P",
        "il mio CF è RSSMRA85T10A562S",
        "cliente BCCFRC15M25E852P",
    ),
    negatives=(
        "Codice fiscale: BCCFRC15M25E852Q",
        "ref ABCDEF12G34H567",
    ),
    builtin=True,
)

NL_BSN = DetectorSpec(
    id="pii/nl_bsn",
    pattern=_L + r"[0-9]{4}\.?[0-9]{2}\.?[0-9]{3}" + _R,
    validator="nl_bsn",
    confidence=0.3,
    context=("bsn", "burgerservicenummer", "sofinummer", "sofi-nummer", "citizen service"),
    context_confidence=0.9,
    max_len=40,  # the value, and the reach back to its word
    prefilter=(
        r"[0-9]{4}\.[0-9]{2}\.[0-9]{3}"
        r"|(?:^|[^A-Za-z])(?i:bsn|burgerservicenummer|sofi-?nummer|citizen service)(?:[^A-Za-z]|$)"
    ),
    examples=(
        "BSN: 298438677",
        "burgerservicenummer 2984.38.677",
    ),
    negatives=(
        "BSN: 298438678",
        "order 2984386771",
    ),
    builtin=True,
)

AU_TFN = DetectorSpec(
    id="pii/au_tfn",
    pattern=_L + r"[0-9]{3} ?[0-9]{3} ?[0-9]{2,3}" + _R,
    validator="au_tfn",
    confidence=0.3,
    context=("tfn", "tax file number", "tax file no"),
    context_confidence=0.9,
    max_len=40,  # the value, and the reach back to its word
    prefilter=r"(?:^|[^A-Za-z])(?i:tfn|tax file)(?:[^A-Za-z]|$)",
    examples=(
        "TFN: 884 289 849",
        "tax file number 884289849",
    ),
    negatives=(
        "TFN: 884 289 848",
        "invoice 884289849001",
    ),
    builtin=True,
)

US_EIN = DetectorSpec(
    id="pii/us_ein",
    pattern=_L + r"[0-9]{2}-[0-9]{7}" + _R,
    validator="us_ein",
    confidence=0.3,
    context=("ein", "fein", "employer identification", "employer id", "tax id", "taxpayer id"),
    context_confidence=0.9,
    max_len=10,
    prefilter=r"(?:^|[^0-9-])[0-9]{2}-[0-9]{7}(?:[^0-9]|$)",
    examples=(
        "EIN: 12-3456789",
        "employer identification number 04-1234567",
    ),
    negatives=(
        "EIN: 07-3456789",
        "ref 12-3456789-1",
        "EIN 00-1234567",
    ),
    builtin=True,
)

US_NPI = DetectorSpec(
    id="pii/us_npi",
    pattern=_L + r"[12][0-9]{9}" + _R,
    validator="us_npi",
    confidence=0.3,
    context=("npi", "national provider", "provider id", "prescriber"),
    context_confidence=0.9,
    max_len=40,  # the value, and the reach back to its word
    prefilter=r"(?:^|[^A-Za-z])(?i:npi|national provider|provider id|prescriber)(?:[^A-Za-z]|$)",
    examples=(
        "NPI: 1697071375",
        "national provider identifier 1234567893",
    ),
    negatives=(
        "NPI: 1697071376",
        "NPI 3697071375",
    ),
    builtin=True,
)

US_MBI = DetectorSpec(
    id="pii/us_mbi",
    pattern=(
        r"(?<![A-Za-z0-9-])[1-9][A-Z][A-Z0-9][0-9]-?[A-Z][A-Z0-9][0-9]-?[A-Z]{2}[0-9]{2}"
        r"(?![A-Za-z0-9]|-[A-Za-z0-9])"
    ),
    validator="us_mbi",
    confidence=0.5,
    context=("medicare", "mbi", "beneficiary id", "medicare number", "hicn"),
    context_confidence=0.95,
    max_len=13,
    prefilter=r"[1-9][A-Z][A-Z0-9][0-9]-?[A-Z][A-Z0-9][0-9]-?[A-Z]{2}[0-9]{2}",
    examples=(
        "Medicare MBI: 1EG4-TE5-MK73",
        "mbi 1EG4TE5MK73",
        "member 9AA0C00AA00 active",
    ),
    negatives=(
        "MBI: 1SG4-TE5-MK73",
        "ref 0EG4TE5MK73",
        "part 1EG4TE5MK7",
    ),
    builtin=True,
)

IDENTITY: tuple[DetectorSpec, ...] = (
    UK_NINO,
    CA_SIN,
    IN_AADHAAR,
    IN_PAN,
    BR_CPF,
    ES_DNI,
    FR_NIR,
    IT_CODICE_FISCALE,
    NL_BSN,
    AU_TFN,
    US_EIN,
    US_NPI,
    US_MBI,
)
