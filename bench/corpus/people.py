"""A corpus for names and postal addresses, from sources the detectors never saw.

The shipped name lists are the US Census Bureau's 1990 lists; the names here
come from Faker's locales for Britain, Ireland, Germany, France, Spain,
Italy, the Netherlands, Poland, Brazil and India (none of which was used to
build those lists), so a name is found by its context and capitals at least
as often as by a list. Addresses are Faker's US, British, German and French
ones, written on one line or several.

Record kinds: ``name_context`` (a title, a salutation, a label, a field name
or a signature before the name), ``name_bare`` (a name in running text, no
such word), ``address`` and ``negative`` (title-case phrases, places,
products, greetings to no one, numbers that look like house numbers).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from faker import Faker

from bench.corpus.texts import Label, Record

NAME_LOCALES = [
    "en_GB", "en_IE", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_BR", "en_IN",
]  # fmt: skip
ADDRESS_LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR"]
_O, _C = "\x02", "\x03"


def _unmark(text: str, detector: str) -> tuple[str, list[Label]]:
    """Strip ``\\x02...\\x03`` markers; each marked span becomes a label."""
    labels: list[Label] = []
    out: list[str] = []
    size = 0
    start = 0
    for char in text:
        if char == _O:
            start = size
        elif char == _C:
            labels.append((detector, start, size))
        else:
            out.append(char)
            size += 1
    return "".join(out), labels


class People:
    """Seeded generators; the same seed gives the same corpus."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names = [Faker(loc) for loc in NAME_LOCALES]
        self.places = {loc: Faker(loc) for loc in ADDRESS_LOCALES}
        for i, faker in enumerate([*self.names, *self.places.values()]):
            faker.seed_instance(seed + 100 + i)
        self.en = Faker("en_US")
        self.en.seed_instance(seed + 99)
        self.count = 0

    def _id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}-{self.count:05d}"

    def _faker(self) -> Faker:
        return self.rng.choice(self.names)

    def _person(self) -> tuple[str, str]:
        f = self._faker()
        return f.first_name(), f.last_name()

    def _name(self) -> str:
        first, last = self._person()
        return f"{_O}{first} {last}{_C}"

    def _sentence(self) -> str:
        return str(self.en.sentence())

    def context(self) -> Record:
        s, name, rng = self._sentence, self._name, self.rng
        first, last = self._person()
        frames: list[Callable[[], str]] = [
            lambda: f"Dear {name()},\n\n{s()}",
            lambda: f"Patient: {name()}, seen on {self.en.date()}. {s()}",
            lambda: (
                json.dumps({"first_name": first, "last_name": last, "plan": "gold"})
                .replace(f'"{first}"', f'"{_O}{first}{_C}"')
                .replace(f'"{last}"', f'"{_O}{last}{_C}"')
            ),
            lambda: f"customer:\n  name: {name()}\n  tier: {rng.choice(['gold', 'basic'])}",
            lambda: f"Customer name: {name()}\nOrder: {rng.randrange(10**5, 10**6)}",
            lambda: f"{s()}\n\nBest regards,\n{name()}\n{self.en.job()}",
            lambda: (
                f"{s()} Please ask {rng.choice(['Dr.', 'Mr.', 'Ms.', 'Mrs.', 'Prof.'])} "
                f"{name()} to call back."
            ),
            lambda: f"Hi {_O}{first}{_C}, {s()}",
            lambda: f"Attn: {name()}\n{s()}",
            lambda: f"{s()}\nThanks,\n{name()}",
            lambda: f'{{"customer": "{name()}", "amount": {rng.randrange(10, 999)}}}',
            lambda: f"From: {name()} <{self.en.user_name()}@{self.en.domain_name()}>",
        ]
        text, labels = _unmark(rng.choice(frames)(), "pii/name")
        return Record(self._id("pc"), text, labels, kind="name_context")

    def bare(self) -> Record:
        s, name, rng = self._sentence, self._name, self.rng
        frames: list[Callable[[], str]] = [
            lambda: f"I met {name()} at the conference yesterday. {s()}",
            lambda: f"{s()} {name()} will join the call tomorrow.",
            lambda: f"Can you forward the report to {name()} and {name()}?",
            lambda: f"{s()} According to {name()}, the numbers are final.",
            lambda: f"| {name()} | {rng.randrange(20, 70)} | {self.en.job()} |",
        ]
        text, labels = _unmark(rng.choice(frames)(), "pii/name")
        return Record(self._id("pb"), text, labels, kind="name_bare")

    def _address(self) -> str:
        loc = self.rng.choice(ADDRESS_LOCALES)
        f = self.places[loc]
        if loc == "en_US":
            street = f"{f.building_number()} {f.street_name()}"
            if self.rng.random() < 0.3:
                street += f" {f.secondary_address()}"
            lines = [
                street,
                f"{f.city()}, {f.state_abbr(include_territories=False)} {f.postcode()}",
            ]
        elif loc == "en_GB":
            lines = [f"{f.building_number()} {f.street_name()}", str(f.city()), str(f.postcode())]
        else:  # de_DE, fr_FR: street and number, then postal code and town
            code = str(f.postcode())
            while code.startswith("00") or code[:2] in ("96", "99"):
                code = str(f.postcode())  # Faker draws any five digits; these never exist
            lines = [str(f.street_address()), f"{code} {f.city()}"]
        joiner = self.rng.choice(["\n", ", "])
        return _O + joiner.join(lines) + _C

    def address(self) -> Record:
        s, rng, a = self._sentence, self.rng, self._address
        frames: list[Callable[[], str]] = [
            lambda: f"Address: {a()}",
            lambda: f"Ship to:\n{a()}\n\n{s()}",
            lambda: f"{s()} Our office is at {a()}.",
            lambda: f"Please mail the form to {a()} by Friday.",
            lambda: f"billing_address: {a()}",
            lambda: f"{a()}",
        ]
        text, labels = _unmark(rng.choice(frames)(), "pii/address")
        return Record(self._id("pa"), text, labels, kind="address")

    def negative(self) -> Record:
        rng, s, en = self.rng, self._sentence, self.en
        frames: list[Callable[[], str]] = [
            lambda: f"{s()} We migrated to {rng.choice(_PRODUCTS)} last year.",
            lambda: f"Visit {rng.choice(_PLACES)} in the spring. {s()}",
            lambda: f"{rng.choice(['Hello', 'Hi', 'Dear'])} {rng.choice(_NOBODY)}, {s()}",
            lambda: f"## {rng.choice(_HEADINGS)}\n\n{s()}",
            lambda: f"{en.catch_phrase().title()} is our {en.bs()} strategy.",
            lambda: (
                f"{rng.choice(['file', 'project', 'product', 'host'])} name: "
                f"{en.word().capitalize()} {en.word().capitalize()}"
            ),
            lambda: f"Step {rng.randrange(2, 9)} Run the {en.word()} job, then restart.",
            lambda: f"We shipped {rng.randrange(10, 999)} Units to {en.city()} in {en.year()}.",
            lambda: f"zip {en.postcode()}, {rng.randrange(2, 99)} items, {en.company()} Inc.",
            lambda: f"{en.company()} reported revenue of ${rng.randrange(1, 99)}M. {s()}",
            lambda: f"The {en.month_name()} release of {rng.choice(_PRODUCTS)} is out.",
        ]
        return Record(self._id("pn"), rng.choice(frames)(), kind="negative")


_PRODUCTS = [
    "Google Cloud", "Visual Studio Code", "Microsoft Teams", "Envoy Proxy", "Apache Kafka",
    "Amazon Web Services", "Red Hat Enterprise Linux", "Adobe Photoshop", "Python Flask",
    "React Native", "Ruby On Rails", "Jupyter Notebook", "Azure Functions", "Cloud Run",
]  # fmt: skip
_PLACES = [
    "New York City", "Virginia Beach", "Palo Alto", "Mount Rainier", "Golden Gate Park",
    "San Francisco", "Costa Rica", "Buenos Aires", "Grand Canyon", "Lake Tahoe", "Santa Monica",
    "Salt Lake City", "Cape Town", "Hong Kong", "Rio Grande",
]  # fmt: skip
_NOBODY = ["Customer", "Team", "World", "Sir or Madam", "Hiring Manager", "everyone", "all"]
_HEADINGS = [
    "Release Notes", "Getting Started", "Table Of Contents", "Known Issues", "Quick Start Guide",
    "Frequently Asked Questions", "Security Advisory", "Migration Guide",
]  # fmt: skip


def people_corpus(seed: int, scale: float) -> list[Record]:
    people = People(seed)
    n = round(300 * scale)
    return (
        [people.context() for _ in range(n)]
        + [people.bare() for _ in range(n)]
        + [people.address() for _ in range(n)]
        + [people.negative() for _ in range(n)]
    )
