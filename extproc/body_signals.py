"""The signals of a whole (buffered) body, once it is scanned: the answer's
shape and the judges (``extproc.signals.hooks``), asked about the text as
the policy's rewriting left it. Per exchange: a judge of the answer also
reads the end of the redacted prompt.
"""

from __future__ import annotations

from extproc import answers
from extproc.bodies import Scanned
from extproc.policy.compile import CompiledPolicy
from extproc.policy.model import Direction
from extproc.side import Side
from extproc.signals import hooks
from extproc.signals.judge import Judges
from extproc.verdicts import Verdict

REQUEST = Direction.REQUEST
RESPONSE = Direction.RESPONSE


class BodySignals:
    """One exchange's whole-body signals."""

    def __init__(self, judges: Judges | None) -> None:
        # The process's judges (``signals.judge``); None: no policy's judges are asked.
        self._judges = judges
        self._context = ""  # the redacted prompt, for a judge of the answer

    def check(self, side: Side, route: str, body: bytes, scanned: Scanned) -> Verdict | None:
        """The answer's shape and the judges: a blocking verdict, or None to
        go on (``extproc.signals.hooks``)."""
        policy, direction, decision = side.policy, side.direction, scanned.decision
        if direction is RESPONSE and side.shape is not None:
            findings, over = hooks.shape_findings(side.shape, hooks.answer_texts(body))
            shaped = hooks.decided(policy, direction, findings, over)
            side.seen.add(shaped)
            if shaped.blocked:
                return side.blocked()
        judges = self._judges
        chosen = hooks.judges_for(policy, route, direction) if judges else []
        answer_judged = judges is not None and hooks.judges_for(policy, route, RESPONSE)
        if not chosen and not (direction is REQUEST and answer_judged):
            return None
        # Judges read the text as the policy's rewriting left it: never a redacted value.
        redacted = scanned.new_body() if decision.rewrites else body
        if direction is REQUEST:
            said = hooks.prompt_text(redacted)
            if answer_judged:
                self._context = said[-hooks.CONTEXT_CHARS :]
        else:
            said = "\n".join(hooks.answer_texts(redacted).values())
        if not chosen or judges is None or not said.strip():
            return None
        findings, closed = hooks.ask_judges(judges, chosen, direction, said, self._context)
        if closed:
            side.judge_failed = True
            side.seen.blocked = True
            return side.blocked(answers.JUDGE_UNAVAILABLE)
        judged = hooks.decided(policy, direction, findings, said)
        side.seen.add(judged)
        return side.blocked() if judged.blocked else None

    def asks_judges(self, policy: CompiledPolicy, route: str, direction: Direction) -> bool:
        """Whether a judge is asked about this direction of this route."""
        return self._judges is not None and bool(hooks.judges_for(policy, route, direction))
