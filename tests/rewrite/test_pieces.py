"""Findings mapped to pieces; a value split across pieces rewritten share by share."""

from __future__ import annotations

from extproc.detect.finding import Finding
from extproc.policy.model import Action
from extproc.rewrite.pieces import Layout, Located, Share, distribute, edits, splice
from extproc.rewrite.redact import Renderer

RENDERER = Renderer("[R:{detector}]", b"k" * 32)


def test_shares_and_owner() -> None:
    layout = Layout([(0, 3), (4, 10), (10, 12)])
    assert layout.shares(2, 11) == [Share(0, 2, 3), Share(1, 0, 6), Share(2, 0, 1)]
    assert layout.owner(2, 6) == Share(1, 0, 2)  # the piece holding most of it
    assert layout.owner(3, 4) is None  # wholly between pieces


def test_a_replacement_goes_whole_into_the_longest_share_and_a_mask_is_split() -> None:
    assert distribute("[R]", [2, 5, 1]) == ["", "[R]", ""]
    assert distribute("****1234", [3, 5], mask=True) == ["***", "*1234"]
    assert distribute("[R]", [3]) == ["[R]"]


def test_a_value_is_rendered_once_however_many_pieces_it_spans() -> None:
    texts = ["mail jane.d", "oe@x.org ok"]
    finding = Finding("pii/email", 5, 19, 0.9)
    for action, expected in (
        (Action.REDACT, ["mail ", "[R:pii/email] ok"]),
        (Action.MASK, ["mail ******", "****.org ok"]),
    ):
        item = Located(finding, action, "jane.doe@x.org", (Share(0, 5, 11), Share(1, 0, 8)))
        by_piece = edits([item], RENDERER)
        assert [splice(t, by_piece.get(i, [])) for i, t in enumerate(texts)] == expected
    hashed = edits(
        [Located(finding, Action.HASH, "jane.doe@x.org", (Share(0, 5, 11), Share(1, 0, 8)))],
        RENDERER,
    )
    assert [e[2] for p in sorted(hashed) for e in hashed[p]].count("") == 1  # one hash, one share


def test_splice_skips_overlaps_and_rewrites_gaps() -> None:
    assert splice("abcdef", [(0, 2, "X"), (1, 3, "Y"), (4, 5, "Z")], str.upper) == "XCDZF"
