"""Every EDTF date the registry accepts is said in words, in every summary format.

The words come from one place (`heritage_registry.summary.humandate.describe`); the
table they are checked against is the EDTF specification's own (tests/test_dates_spec.py),
so that a shape the registry learns to accept cannot reach a summary as raw EDTF.
"""

from __future__ import annotations

import re

import pytest

from heritage_registry import Registry, dates
from heritage_registry.summary import build_summary, describe, render
from tests.test_dates_spec import BUILT, DIGITS, LEVEL_0, LEVEL_1, LEVEL_2

# Beyond the specification's examples: the shapes a report most often gives, and
# qualified, long and set-shaped values a construction date may take.
MORE = [
    "2015?",
    "2015-08~",
    "2015-08/..",
    "../2016",
    "2015-08-23/",
    "2015-21",
    "2015-24",
    "201X~",
    "2004-06-XX?",
    "1985-XX-25",
    "2016-0X-2X",
    "1950S3~",
    "Y-12000",
    "{1912..1913,1952..1953}",
    "[1667..1670]",
    "2004-06-11%/..",
]

ACCEPTED = [text for text, *_ in LEVEL_0 + LEVEL_1 + LEVEL_2 + DIGITS] + [text for text, _ in BUILT]

# What only EDTF writes: unspecified digits, sets, open ends, qualifiers, significant
# digits, and a bare interval's slash.
RAW_EDTF = re.compile(r"X|[{}\[\]~?%/]|\.\.|[0-9]S[0-9]|T[0-9]")


def accepted(text: str) -> bool:
    try:
        dates.year_bounds(text)
    except dates.EdtfError:
        return False
    return True


@pytest.mark.parametrize("text", ACCEPTED + MORE)
def test_every_accepted_date_is_said_in_words(text: str) -> None:
    assert accepted(text)
    words = describe(text)
    assert words != text or text.isdigit()
    assert not RAW_EDTF.search(words), words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2016-03-1X", "between 10 and 19 March 2016"),
        ("2015-02-2X", "between 20 and 28 February 2015"),
        ("1500-1X-25", "25 October, November or December 1500"),
        ("1984-1X", "October, November or December 1984"),
        ("15XX-0X-25", "the 25th of some month from January to September in the 16th century"),
        ("15XX", "16th century"),
        ("156X-12-25", "25 December in the 1560s"),
        ("2015-X2-29", "29 December 2015"),  # no 29 February in 2015
        ("1985-XX-XX", "some day in 1985"),
        ("1985-XX-25", "the 25th of some month of 1985"),
        ("2015-08~", "about August 2015"),
        ("2015?", "possibly 2015"),
        ("2015-08/..", "after August 2015"),
        ("../2016", "before 2016"),
        ("2015-08/", "from August 2015 (end unknown)"),
        ("2015-21", "spring 2015"),
        ("2015-24", "winter 2015-2016"),  # December 2015 to February 2016
        ("2001-28", "winter 2001-2002 (northern hemisphere)"),
        ("2001-33", "the first quarter of 2001"),
        ("2001-41", "the second half of 2001"),
        ("[1667,1668,1670..1672]", "one of 1667, 1668 or 1670 to 1672"),
        ("[..1760-12-03]", "3 December 1760 or earlier"),
        ("[1760-12..]", "December 1760 or later"),
        ("{1912..1913,1952..1953}", "1912 to 1913 and 1952 to 1953"),
        ("{1960,1961-12}", "1960 and December 1961"),
        ("2004-06~-11", "11 June 2004 (year and month approximate)"),
        ("?2004-06-~11", "11 June 2004 (year uncertain; day approximate)"),
        ("1950S2", "some year from 1900 to 1999, estimated 1950"),
        ("201X~", "about 2010s"),
        ("2016-03-1X/2016-04", "between 10 and 19 March 2016 - April 2016"),
        ("-09XX", "10th century BCE"),
        ("Y-12000", "12001 BCE"),
    ],
)
def test_dates_in_words_exactly(text: str, words: str) -> None:
    assert describe(text) == words


def test_each_format_says_set_and_unspecified_dates_in_words(registry: Registry) -> None:
    registry.add_site(
        {"slug": "tell-x", "name": "Tell X", "country": "IQ", "kind": "archaeological_site"}
    )
    registry.add_monument(
        site="tell-x", slug="gate", name="North gate", kind="city_wall",
        built="{1912..1913,1952..1953}",
    )  # fmt: skip
    registry.add_source(key="src-a", title="Report A", publisher="Agency A", published="2016-24")
    registry.add_event(
        site="tell-x", monument="gate", cause="fire", damage_level="minor",
        occurred="2016-03-1X", source="src-a", quote="A fire in mid-March.",
    )  # fmt: skip
    summary = build_summary(registry, "tell-x")
    for output_format in ("text", "markdown", "html"):
        output = " ".join(render(summary, output_format).split())
        assert "1912 to 1913 and 1952 to 1953" in output, output_format
        assert "between 10 and 19 March 2016" in output, output_format
        assert "{1912" not in output.replace('title="EDTF {1912..1913,1952..1953}"', "")
    text = " ".join(render(summary, "text").split())
    assert "city wall, built 1912 to 1913 and 1952 to 1953;" in text
    assert "[1] between 10 and 19 March 2016 | fire | level minor | North gate" in text
    html = render(summary, "html")
    assert "Published winter 2016-2017" in " ".join(html.split())
