"""People: names, postal addresses, dates of birth, passport numbers.

Names and addresses are rated by scorers (``extproc.detect.people``,
``extproc.detect.places``): no model, no gazetteer. Dates of birth and
passport numbers are everyday shapes, so they count only near their words.

==========================  ==============  ========  =======  =====  ==============
detector                    validator       format    context  exact  invalid+ctx
==========================  ==============  ========  =======  =====  ==============
pii/name                    person_name     0.80      0.85     -      -
pii/address                 postal_address  0.80      0.95     -      -
pii/date_of_birth           birth_date      0.30      0.90     -      -
pii/passport_number         -               0.30      0.85     -      -
==========================  ==============  ========  =======  =====  ==============

For a scorer the "format" figure is replaced by the scorer's own tier:
``pii/name`` 0.9 after a title, a label or field name, a sign-off, or a
salutation with two words or a known name; 0.85 a known given name alone
after a salutation; 0.75 one unknown word after a label, 0.6 after a title
or a salutation; bare (no such word before it): 0.6 a known given name and
a known surname, 0.5 a given name that is also an English word and a
surname that is not, 0.45 a plain given name and an unknown last word.
``pii/address`` 0.85 complete with a valid postal code, 0.6 a US street
line alone. "context" raises either to its figure when a word such as
"patient" or "ship to" comes before the value.

Sample values are Faker-style inventions, not real people or places.
"""

from __future__ import annotations

from extproc.detect.people import CONTEXT as NAME_CONTEXT
from extproc.detect.people import NAME_GATE, NAME_PATTERN, NAME_WINDOWS
from extproc.detect.places import ADDRESS_GATE, ADDRESS_PATTERN
from extproc.detect.spec import DetectorSpec

NAME = DetectorSpec(
    id="pii/name",
    pattern=NAME_PATTERN,
    scorer="person_name",
    confidence=0.8,
    context=NAME_CONTEXT,
    context_confidence=0.85,
    max_len=120,
    # The gate asks the rich condition (a listed given name before a capital,
    # or a lead); the windows, a capitalised pair or a lead (the given names in
    # the pre-filter union, which must report positions, doubled its cost).
    gate=NAME_GATE,
    prefilter=NAME_WINDOWS,
    examples=(
        "Dear Margaret Holloway, thank you for your letter.",
        "Patient: Oluwaseun Adeyemi, 54, presented with chest pain",
        '{"first_name": "Priyanka", "plan": "gold"}',
        "Please forward this to Mr. Brandt before Friday.",
        "Thanks,\nKatarzyna Nowak\nHead of Finance",
        "Ship to: Jean-Luc Picard",
        "The contract was signed by Jennifer Walsh yesterday.",
        "Hi Thomas, can you check the invoice?",
        "name: Sofia van der Berg",
        "Our lead engineer Michael Thompson approved it.",
    ),
    negatives=(
        "Hello World, this is a test.",
        "Dear Customer, your order has shipped.",
        "Hi Team, the build is green.",
        "The New York Stock Exchange opened higher.",
        "file name: Config Manager",
        "We use Envoy Proxy and Python Flask in production.",
        "Meet me at 221 Baker Street tomorrow.",
        "Will Power and Grace Period are not people here",
        "Virginia Beach is lovely in June.",
        "I read it in the Washington Post.",
    ),
    builtin=True,
)

ADDRESS = DetectorSpec(
    id="pii/address",
    pattern=ADDRESS_PATTERN,
    scorer="postal_address",
    confidence=0.8,
    context=(
        "address",
        "addr",
        "ship to",
        "shipping",
        "billing",
        "deliver",
        "delivery",
        "mailing",
        "residence",
        "resides",
        "lives at",
        "located at",
        "home",
        "anschrift",
        "adresse",
        "wohnhaft",
        "domicile",
        "dirección",
        "indirizzo",
    ),
    context_confidence=0.95,
    max_len=200,
    prefilter=ADDRESS_GATE,
    examples=(
        "Send it to 1600 Pennsylvania Avenue NW, Washington, DC 20500 please",
        "Address: 742 Evergreen Terrace\nSpringfield, OR 97403",
        "Deliver to 2328 Figueroa Skyway Apt. 290\nKimberlyview, NJ 78456",
        "office: 10 Downing Street, London SW1A 2AA",
        "Studio 25\nAbbie Forest\nGlenville\nW7 5DS",
        "Anschrift: Schleichstraße 19\n48337 Lichtenfels",
        "Bitte an Oda-Preiß-Straße 1, 90404 Sangerhausen schicken",
        "Livraison : 98, avenue Lucie Fernandes\n29750 Barbe",
        "12 rue de la Paix, 75002 Paris",
        "I live at 4521 Oak Ridge Drive, it is the blue house.",
        "PSC 1234, Box 5678\nAPO AE 09123",
    ),
    negatives=(
        "zip 94107-1234 only",
        "We shipped 250 Units to the store in 2021.",
        "Rated 5 Stars by 100 users",
        "Step 3: Run the migration",
        "The ticket AB12 3CD was closed",
        "Berlin has 12345 Einwohner",
        "version 2 Main Street Fighter",
        "Springfield, XX 00000",
        "It costs 15000 Euro",
    ),
    builtin=True,
)

DATE_OF_BIRTH = DetectorSpec(
    id="pii/date_of_birth",
    pattern=(
        r"(?<![\w/.-])(?:"
        r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}"
        r"|[0-9]{1,2}[-/. ][0-9]{1,2}[-/. ](?:[0-9]{4}|[0-9]{2})"
        r"|[0-9]{1,2}(?:st|nd|rd|th)?\.?[ \t]+[A-Za-zéûä]{3,9}\.?,?[ \t]+[0-9]{4}"
        r"|[A-Za-zéûä]{3,9}\.?[ \t]+[0-9]{1,2}(?:st|nd|rd|th)?,?[ \t]+[0-9]{4}"
        r")(?![\w/-]|\.[0-9])"
    ),
    keywords=(
        "dob",
        "d.o.b",
        "birth",
        "born",
        "birthday",
        "geburtsdatum",
        "geboren",
        "naissance",
        "né le",
        "née le",
        "nacimiento",
        "nascita",
        "geboortedatum",
    ),
    validator="birth_date",
    confidence=0.3,
    context=(
        "dob",
        "d.o.b",
        "date of birth",
        "birth date",
        "birthdate",
        "date_of_birth",
        "born",
        "birthday",
        "geburtsdatum",
        "geboren",
        "date de naissance",
        "né le",
        "née le",
        "fecha de nacimiento",
        "data di nascita",
        "geboortedatum",
        "birth",
    ),
    context_confidence=0.9,
    max_len=40,
    examples=(
        "DOB: 1984-07-23",
        "date of birth 23/07/1984, male",
        "She was born on March 3, 1991 in Ohio",
        '{"date_of_birth": "12.05.1978"}',
        "Geburtsdatum: 3. März 1962",
    ),
    negatives=(
        "born on 31/02/1990 is impossible",
        "birthday party on 2099-01-01",
        "DOB: unknown",
        "born in version 1.2.3",
    ),
    builtin=True,
)

PASSPORT = DetectorSpec(
    id="pii/passport_number",
    pattern=r"(?<![\w-])(?=[A-Z0-9]*[0-9])[A-Z0-9]{1,2}[0-9A-Z]{5,8}(?![\w-])",
    keywords=("passport", "reisepass", "passeport", "pasaporte", "passaporto", "paspoort"),
    confidence=0.3,
    context=(
        "passport",
        "passport no",
        "passport number",
        "passport_no",
        "passport_number",
        "reisepass",
        "passeport",
        "pasaporte",
        "passaporto",
        "paspoort",
    ),
    context_confidence=0.85,
    # The value is at most 10 characters; the window must also reach back to
    # the keyword ("passport number: ...").
    max_len=40,
    examples=(
        "Passport No: 533380006",
        "passport number C01X00T47 (Germany)",
        '{"passport_number": "GB1234567"}',
    ),
    negatives=(
        "passport photo taken in 2019 AND",
        "passport office opens at 9",
    ),
    builtin=True,
)

PERSONAL: tuple[DetectorSpec, ...] = (NAME, ADDRESS, DATE_OF_BIRTH, PASSPORT)
