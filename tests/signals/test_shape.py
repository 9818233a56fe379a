"""Answer shapes: JSON (and its schema) and language, whole and streamed."""

from __future__ import annotations

from types import MappingProxyType

from extproc.policy.model import AnswerShape
from extproc.signals.shape import AnswerWatch, Languages, check_text

JSON = AnswerShape(expect_json=True)
SCHEMA = AnswerShape(
    expect_json=True,
    schema=MappingProxyType({"type": "object", "required": ["answer"]}),
)
ENGLISH = AnswerShape(languages=frozenset({"en"}), min_chars=20)

FRENCH = "Bien sûr, voici le résumé de la réunion de jeudi avec les chiffres du trimestre."
ENGLISH_TEXT = "Sure, here is the summary of Thursday's meeting with the figures of the quarter."


def ids(violations: list) -> list[str]:  # type: ignore[type-arg]
    return [v.detector for v in violations]


def test_json_answers() -> None:
    assert check_text(JSON, '{"answer": 1}') == []
    assert check_text(JSON, "  [1, 2]\n") == []
    assert ids(check_text(JSON, "Sure! Here it is: {}")) == ["signal/format"]
    assert ids(check_text(JSON, '```json\n{"a": 1}\n```')) == ["signal/format"]
    assert ids(check_text(JSON, "")) == ["signal/format"]


def test_json_schema() -> None:
    assert check_text(SCHEMA, '{"answer": "yes"}') == []
    (violation,) = check_text(SCHEMA, '{"reply": "yes"}')
    assert violation.detector == "signal/format" and violation.confidence < 1.0


def test_language() -> None:
    assert check_text(ENGLISH, ENGLISH_TEXT) == []
    (violation,) = check_text(ENGLISH, FRENCH)
    assert violation.detector == "signal/language" and violation.confidence >= 0.6
    assert check_text(ENGLISH, "Oui.") == []  # too short for a verdict


def test_languages_of_the_supported_set() -> None:
    for code, text in (
        ("de", "Hier ist die Zusammenfassung des Treffens vom Donnerstag mit allen Zahlen."),
        ("es", "Aquí está el resumen de la reunión del jueves con todas las cifras."),
        ("fr", FRENCH),
        ("en", ENGLISH_TEXT),
    ):
        assert Languages.detect(text)[0] == code


def test_streamed_json_fails_at_its_first_characters() -> None:
    watch = AnswerWatch(JSON)
    assert watch.feed(0, "   ") == []
    assert ids(watch.feed(0, "Sure")) == ["signal/format"]
    assert watch.feed(0, ", here is more") == []  # said once
    assert watch.finish() == []


def test_streamed_json_complete_and_incomplete() -> None:
    good = AnswerWatch(SCHEMA)
    for piece in ('{"ans', 'wer": ', '"yes"}'):
        assert good.feed(0, piece) == []
    assert good.finish() == []
    cut = AnswerWatch(JSON)
    cut.feed(0, '{"answer": ')
    assert ids(cut.finish()) == ["signal/format"]


def test_streamed_language_per_choice() -> None:
    watch = AnswerWatch(AnswerShape(languages=frozenset({"en"}), min_chars=20))
    found = []
    for word in FRENCH.split(" ") * 4:
        found += watch.feed(1, word + " ")
    for word in ENGLISH_TEXT.split(" ") * 4:
        found += watch.feed(0, word + " ")
    found += watch.finish()
    assert [(v.detector, v.choice) for v in found] == [("signal/language", 1)]


def test_no_text_at_all_is_no_json() -> None:
    assert ids(AnswerWatch(JSON).finish()) == ["signal/format"]
