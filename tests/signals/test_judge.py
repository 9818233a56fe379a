"""Judges against a real HTTP server on loopback (``harness.judge``): what
they say, how a hang and a failure end within the budget, the cache."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from extproc.govern.keys import Hasher
from extproc.policy.model import Direction, Judge, JudgeApi, OnError
from extproc.signals.judge import JudgeError, Judges, read_verdict
from harness.judge import HATE_WORD, UNSAFE_WORD, FakeJudge, running_judge

REQUEST, RESPONSE = Direction.REQUEST, Direction.RESPONSE


@pytest.fixture
def judge() -> Iterator[FakeJudge]:
    with running_judge() as fake:
        yield fake


@pytest.fixture
def judges() -> Iterator[Judges]:
    made = Judges(Hasher(b"k" * 32), workers=2)
    yield made
    made.close()


def chat(fake: FakeJudge, **options: object) -> Judge:
    return Judge(name="guard", url=fake.chat_url, api=JudgeApi.CHAT, model="g", **options)  # type: ignore[arg-type]


def moderation(fake: FakeJudge, **options: object) -> Judge:
    return Judge(name="mod", url=fake.moderation_url, api=JudgeApi.MODERATION, **options)  # type: ignore[arg-type]


def test_chat_verdicts_map_to_categories(judge: FakeJudge, judges: Judges) -> None:
    assert judges.ask(chat(judge), REQUEST, "what a nice day").verdicts == ()
    said = judges.ask(chat(judge), REQUEST, f"{UNSAFE_WORD} and {HATE_WORD}")
    assert [d for d, _ in said.verdicts] == ["signal/judge:violent_crimes", "signal/judge:hate"]
    assert not said.failed


def test_chat_judge_of_an_answer_sees_the_prompt_first(judge: FakeJudge, judges: Judges) -> None:
    judges.ask(chat(judge, directions=(RESPONSE,)), RESPONSE, "the answer", "the prompt")
    messages = judge.bodies[-1]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert [m["content"] for m in messages] == ["the prompt", "the answer"]


def test_moderation_scores_and_mapping(judge: FakeJudge, judges: Judges) -> None:
    said = judges.ask(moderation(judge), REQUEST, f"{UNSAFE_WORD}")
    assert said.verdicts == (("signal/judge:violence", pytest.approx(0.93)),)
    renamed = moderation(judge, categories={"hate": "slurs"})
    assert judges.ask(renamed, REQUEST, f"{UNSAFE_WORD} {HATE_WORD}").verdicts == (
        ("signal/judge:slurs", pytest.approx(0.88)),
    )


def test_a_hanging_judge_fails_within_its_budget(judge: FakeJudge, judges: Judges) -> None:
    judge.mode = "hang"
    started = time.monotonic()
    said = judges.ask(chat(judge, timeout=0.3), REQUEST, "anything")
    elapsed = time.monotonic() - started
    assert said.failed and said.outcome == "timeout"
    assert elapsed < 0.3 + 0.5  # the budget, plus scheduling slack on a busy machine
    assert judges.late == 1


def test_a_failing_judge_fails(judge: FakeJudge, judges: Judges) -> None:
    judge.mode = "fail"
    said = judges.ask(chat(judge, on_error=OnError.CLOSED), REQUEST, "anything")
    assert said.failed and said.outcome == "error"


def test_nothing_listening_fails() -> None:
    made = Judges(Hasher(), workers=1)
    try:
        dead = Judge(name="x", url="http://127.0.0.1:9/v1/moderations", api=JudgeApi.MODERATION)
        assert made.ask(dead, REQUEST, "text").failed
    finally:
        made.close()


def test_verdicts_are_cached_by_keyed_hash(judge: FakeJudge, judges: Judges) -> None:
    j = chat(judge)
    first = judges.ask(j, REQUEST, f"{UNSAFE_WORD}")
    again = judges.ask(j, REQUEST, f"{UNSAFE_WORD}")
    assert again.outcome == "cached" and again.verdicts == first.verdicts
    assert judge.calls == 1
    judges.ask(j, RESPONSE, f"{UNSAFE_WORD}")  # another direction: another question
    assert judge.calls == 2
    uncached = chat(judge, cache_seconds=0)
    judges.ask(uncached, REQUEST, "hello")
    judges.ask(uncached, REQUEST, "hello")
    assert judge.calls == 4


def test_all_workers_waiting_means_busy(judge: FakeJudge) -> None:
    judge.mode = "hang"
    made = Judges(Hasher(), workers=1)
    try:
        slow = chat(judge, timeout=0.2, cache_seconds=0)
        assert made.ask(slow, REQUEST, "a").outcome == "timeout"
        # The abandoned call still holds the only worker: no waiting in line.
        assert made.ask(slow, REQUEST, "b").outcome == "busy"
    finally:
        made.close()


@pytest.mark.parametrize(
    "answer",
    [{}, {"choices": []}, {"choices": [{"message": {"content": "maybe"}}]}, {"results": "x"}],
)
def test_unreadable_verdicts_raise(answer: object) -> None:
    api = JudgeApi.MODERATION if "results" in answer else JudgeApi.CHAT  # type: ignore[operator]
    with pytest.raises(JudgeError):
        read_verdict(Judge(name="j", url="http://127.0.0.1:1/", api=api, model="m"), answer)


def test_unknown_chat_code_is_unsafe() -> None:
    j = Judge(name="j", url="http://127.0.0.1:1/", api=JudgeApi.CHAT, model="m")
    answer = {"choices": [{"message": {"content": "unsafe\nS99"}}]}
    assert read_verdict(j, answer) == (("signal/judge:unsafe", 0.9),)
