"""The fast EDTF path builds exactly what the edtf grammar builds, and refuses nothing else.

Every value is checked against `dates._parse_slow` (the grammar alone): the same refusal
and message, or objects alike in type, every attribute, text, bounds and fuzzy bounds;
and everything derived from them (`bounds`, `year_bounds`, the summary's words and ends)
the same whichever path parsed it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from unittest import mock

from edtf.parser.parser_classes import EDTFObject
from hypothesis import example, given, settings
from hypothesis import strategies as st

from heritage_registry import dates
from heritage_registry.summary import humandate

# The shapes the fast path promises to take whenever the grammar accepts them (a season,
# `2015-21`, is left to the grammar).
_SIDE = r"[0-9]{4}(-(0[1-9]|1[0-2])(-[0-9]{2})?)?[~?%]?"
_FAST_SHAPES = re.compile(rf"{_SIDE}|{_SIDE}/{_SIDE}|(\.\.)?/{_SIDE}|{_SIDE}/(\.\.)?")


def _outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        return ("value", call())
    except Exception as exc:
        return ("refused", type(exc).__name__, str(exc))


def _anatomy(value: Any) -> Any:
    """Everything an EDTF object is and says, down through the objects it holds."""
    if not isinstance(value, EDTFObject):
        return value
    return {
        "type": type(value),
        "attributes": {name: _anatomy(held) for name, held in vars(value).items()},
        "str": str(value),
        **{
            name: _outcome(getattr(value, name))
            for name in ("lower_strict", "upper_strict", "lower_fuzzy", "upper_fuzzy")
        },
    }


def _derived(text: str) -> dict[str, Any]:
    """What the registry and its summaries make of a text, through whatever parses it now."""
    return {
        "open_ends": _outcome(lambda: dates._open_ends(dates.parse(text))),
        "bounds": _outcome(lambda: dates.bounds.__wrapped__(text)),
        "year_bounds": _outcome(lambda: dates.year_bounds.__wrapped__(text)),
        "describe": _outcome(lambda: humandate.describe.__wrapped__(text)),
        "ends": _outcome(lambda: humandate.ends.__wrapped__(text)),
    }


def _years() -> st.SearchStrategy[str]:
    common = st.sampled_from(["2015", "2016", "1900", "2000", "0000", "9999", "0001"])
    odd = st.sampled_from(["-0878", "-0000", "20150", "201", "201X", "12XX", "Y2015", "٢٠١٥"])
    return st.one_of(st.integers(0, 9999).map("{:04d}".format), common, odd)


def _months() -> st.SearchStrategy[str]:
    odd = st.sampled_from(["1", "XX", "21", "1X"])
    return st.one_of(st.integers(0, 13).map("{:02d}".format), st.just("02"), odd)


def _days() -> st.SearchStrategy[str]:
    odd = st.sampled_from(["1", "XX", "3X"])
    return st.one_of(st.integers(0, 32).map("{:02d}".format), st.sampled_from(["29", "30"]), odd)


@st.composite
def _sides(draw: st.DrawFn) -> str:
    text = draw(_years())
    if draw(st.booleans()):
        text += "-" + draw(_months())
        if draw(st.booleans()):
            text += "-" + draw(_days())
    qualifier = st.sampled_from(["~", "?", "%"])
    return text + draw(st.one_of(st.just(""), qualifier, st.sampled_from(["~?", " ", "T"])))


def _texts() -> st.SearchStrategy[str]:
    side = _sides()
    unbounded = st.sampled_from(["", ".."])
    return st.one_of(
        side,
        st.tuples(side, side).map("/".join),
        st.tuples(unbounded, side).map("/".join),
        st.tuples(side, unbounded).map("/".join),
        st.sampled_from(["", "/", "../..", "/..", "../", "2015//2016", "2015/2016/2017"]),
    )


@settings(max_examples=100, deadline=None)
@given(text=_texts())
@example(text="2015-02-29")
@example(text="2016-02-29")
@example(text="2015-02-30")
@example(text="2015-04-31")
@example(text="2015-13")
@example(text="2015-00")
@example(text="2015-05-00")
@example(text="0000")
@example(text="2015/2014")
@example(text="2015~/2014-12?")
@example(text=" 2015")
@example(text="2015\n")
@example(text="2015 /2016")
@example(text="2015-21")
@example(text="2015-05-23/..")
@example(text="/2015-04")
@example(text="x" * 101)
@example(text=" " * 97 + "2015")
def test_the_fast_path_builds_what_the_grammar_builds(text: str) -> None:
    slow = _outcome(lambda: dates._parse_slow(text))
    fast = dates._fast_parse(text) if len(text) <= dates.MAX_EDTF_LENGTH else None
    parsed = _outcome(lambda: dates.parse.__wrapped__(text))
    if slow[0] == "refused":
        # Every derivation starts from `parse`, so the same refusal is all there is to see.
        assert fast is None, f"the fast path took {text!r}, which the grammar refuses"
        assert parsed == slow
        return
    if _FAST_SHAPES.fullmatch(text):
        assert fast is not None, f"{text!r} took the slow path"
    if fast is not None:
        assert _anatomy(fast) == _anatomy(slow[1])
    assert _anatomy(parsed[1]) == _anatomy(slow[1])
    with mock.patch.object(dates, "parse", return_value=slow[1]):
        expected = _derived(text)
    assert _derived(text) == expected


def test_a_parse_is_cached_and_shared() -> None:
    assert dates.parse("2015-05-23/2016-03-25") is dates.parse("2015-05-23/2016-03-25")
