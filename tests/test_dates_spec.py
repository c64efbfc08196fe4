"""EDTF against the specification's own examples (Library of Congress, EDTF of 2019).

Every example of levels 0, 1 and 2 is either accepted, with the calendar bounds the
registry derives from it asserted, or refused with a one-line message that says what is
wrong. Beside them, the shapes the registry promises beyond the examples: unspecified
digits in any position, seasons that cross a year's end, and the impossible dates.
"""

from __future__ import annotations

import datetime as dt

import pytest

from heritage_registry import dates

D = dt.date

# (example, earliest, latest): accepted, with these bounds (None: an open or unknown end).
LEVEL_0 = [
    ("1985-04-12", D(1985, 4, 12), D(1985, 4, 12)),
    ("1985-04", D(1985, 4, 1), D(1985, 4, 30)),
    ("1985", D(1985, 1, 1), D(1985, 12, 31)),
    ("1985-04-12T23:20:30", D(1985, 4, 12), D(1985, 4, 12)),
    ("1985-04-12T23:20:30Z", D(1985, 4, 12), D(1985, 4, 12)),
    ("1985-04-12T23:20:30-04", D(1985, 4, 12), D(1985, 4, 12)),
    ("1985-04-12T23:20:30+04:30", D(1985, 4, 12), D(1985, 4, 12)),
    ("1964/2008", D(1964, 1, 1), D(2008, 12, 31)),
    ("2004-06/2006-08", D(2004, 6, 1), D(2006, 8, 31)),
    ("2004-02-01/2005-02-08", D(2004, 2, 1), D(2005, 2, 8)),
    ("2004-02-01/2005-02", D(2004, 2, 1), D(2005, 2, 28)),
    ("2004-02-01/2005", D(2004, 2, 1), D(2005, 12, 31)),
    ("2005/2006-02", D(2005, 1, 1), D(2006, 2, 28)),
]

LEVEL_1 = [
    # Seasons: spring, summer, autumn; winter runs from December into the next year.
    ("2001-21", D(2001, 3, 1), D(2001, 5, 31)),
    ("2001-22", D(2001, 6, 1), D(2001, 8, 31)),
    ("2001-23", D(2001, 9, 1), D(2001, 11, 30)),
    ("2001-24", D(2001, 12, 1), D(2002, 2, 28)),
    ("2015-24", D(2015, 12, 1), D(2016, 2, 29)),
    # Qualification of a date.
    ("1984?", D(1984, 1, 1), D(1984, 12, 31)),
    ("2004-06~", D(2004, 6, 1), D(2004, 6, 30)),
    ("2004-06-11%", D(2004, 6, 11), D(2004, 6, 11)),
    # Unspecified digits from the right.
    ("201X", D(2010, 1, 1), D(2019, 12, 31)),
    ("20XX", D(2000, 1, 1), D(2099, 12, 31)),
    ("2004-XX", D(2004, 1, 1), D(2004, 12, 31)),
    ("1985-04-XX", D(1985, 4, 1), D(1985, 4, 30)),
    ("1985-XX-XX", D(1985, 1, 1), D(1985, 12, 31)),
    # Extended intervals: an open end (..) and an unknown one (empty) have no bound.
    ("1985-04-12/..", D(1985, 4, 12), None),
    ("1985-04/..", D(1985, 4, 1), None),
    ("1985/..", D(1985, 1, 1), None),
    ("../1985-04-12", None, D(1985, 4, 12)),
    ("../1985-04", None, D(1985, 4, 30)),
    ("../1985", None, D(1985, 12, 31)),
    ("1985-04-12/", D(1985, 4, 12), None),
    ("1985-04/", D(1985, 4, 1), None),
    ("1985/", D(1985, 1, 1), None),
    ("/1985-04-12", None, D(1985, 4, 12)),
    ("/1985-04", None, D(1985, 4, 30)),
    ("/1985", None, D(1985, 12, 31)),
]

LEVEL_2 = [
    # Significant digits: some year of 1900 to 1999, estimated to be 1950.
    ("1950S2", D(1900, 1, 1), D(1999, 12, 31)),
    # Sub-year groupings (ISO 8601-2): hemispheres, quarters, quadrimesters, semesters.
    ("2001-25", D(2001, 3, 1), D(2001, 5, 31)),
    ("2001-26", D(2001, 6, 1), D(2001, 8, 31)),
    ("2001-27", D(2001, 9, 1), D(2001, 11, 30)),
    ("2001-28", D(2001, 12, 1), D(2002, 2, 28)),
    ("2001-29", D(2001, 9, 1), D(2001, 11, 30)),
    ("2001-30", D(2001, 12, 1), D(2002, 2, 28)),
    ("2001-31", D(2001, 3, 1), D(2001, 5, 31)),
    ("2001-32", D(2001, 6, 1), D(2001, 8, 31)),
    ("2001-33", D(2001, 1, 1), D(2001, 3, 31)),
    ("2001-34", D(2001, 4, 1), D(2001, 6, 30)),
    ("2001-35", D(2001, 7, 1), D(2001, 9, 30)),
    ("2001-36", D(2001, 10, 1), D(2001, 12, 31)),
    ("2001-37", D(2001, 1, 1), D(2001, 4, 30)),
    ("2001-38", D(2001, 5, 1), D(2001, 8, 31)),
    ("2001-39", D(2001, 9, 1), D(2001, 12, 31)),
    ("2001-40", D(2001, 1, 1), D(2001, 6, 30)),
    ("2001-41", D(2001, 7, 1), D(2001, 12, 31)),
    # Sets: one of them ([...]) or all of them ({...}); `..` leaves an end open.
    ("[1667,1668,1670..1672]", D(1667, 1, 1), D(1672, 12, 31)),
    ("[..1760-12-03]", None, D(1760, 12, 3)),
    ("[1760-12..]", D(1760, 12, 1), None),
    ("[1760-01,1760-02,1760-12..]", D(1760, 1, 1), None),
    ("[1667,1760-12]", D(1667, 1, 1), D(1760, 12, 31)),
    ("[..1984]", None, D(1984, 12, 31)),
    ("{1667,1668,1670..1672}", D(1667, 1, 1), D(1672, 12, 31)),
    ("{1960,1961-12}", D(1960, 1, 1), D(1961, 12, 31)),
    ("{..1984}", None, D(1984, 12, 31)),
    # Qualification of single parts, from the left or the right.
    ("2004-06~-11", D(2004, 6, 11), D(2004, 6, 11)),
    ("2004?-06-11", D(2004, 6, 11), D(2004, 6, 11)),
    ("?2004-06-~11", D(2004, 6, 11), D(2004, 6, 11)),
    ("2004-?06-11", D(2004, 6, 11), D(2004, 6, 11)),
    # Unspecified digits in any position.
    ("156X-12-25", D(1560, 12, 25), D(1569, 12, 25)),
    ("15XX-12-25", D(1500, 12, 25), D(1599, 12, 25)),
    ("1XXX-XX", D(1000, 1, 1), D(1999, 12, 31)),
    ("1XXX-12", D(1000, 12, 1), D(1999, 12, 31)),
    ("1984-1X", D(1984, 10, 1), D(1984, 12, 31)),
    # Intervals of qualified and unspecified dates.
    ("2004-06-~01/2004-06-~20", D(2004, 6, 1), D(2004, 6, 20)),
    ("2004-06-XX/2004-07-03", D(2004, 6, 1), D(2004, 7, 3)),
]

# Beyond the examples: what the registry promises of unspecified digits, day by day.
DIGITS = [
    ("2016-03-1X", D(2016, 3, 10), D(2016, 3, 19)),
    ("1500-1X-25", D(1500, 10, 25), D(1500, 12, 25)),
    ("15XX-0X-25", D(1500, 1, 25), D(1599, 9, 25)),
    ("2016-02-2X", D(2016, 2, 20), D(2016, 2, 29)),
    ("2015-02-2X", D(2015, 2, 20), D(2015, 2, 28)),
    ("2015-X2-29", D(2015, 12, 29), D(2015, 12, 29)),
    ("1X99-0X-1X", D(1099, 1, 10), D(1999, 9, 19)),
    ("1984-1X/1985", D(1984, 10, 1), D(1985, 12, 31)),
    ("2015-24/2016-03", D(2015, 12, 1), D(2016, 3, 31)),
    ("2016-03-1X/2016-04", D(2016, 3, 10), D(2016, 4, 30)),
]


@pytest.mark.parametrize(
    ("text", "earliest", "latest"), LEVEL_0 + LEVEL_1 + LEVEL_2 + DIGITS, ids=lambda v: str(v)
)
def test_the_specifications_examples_are_bounded(
    text: str, earliest: dt.date | None, latest: dt.date | None
) -> None:
    assert dates.bounds(text) == dates.Bounds(earliest, latest)
    # A monument's construction date is bounded by year, the same years.
    years = (
        earliest.year if earliest else None,
        latest.year if latest else None,
    )
    assert dates.year_bounds(text) == years


# (example, message): refused by every date field, each with one line saying why.
REFUSED = [
    (
        "Y170000002",
        "'Y170000002' reaches the year 170000002, outside the years 1 to 9999 in which event "
        "and source dates must fall",
    ),
    (
        "Y-170000002",
        "'Y-170000002' reaches the year -170000002, outside the years 1 to 9999 in which event "
        "and source dates must fall",
    ),
    (
        "-1985",
        "'-1985' reaches the year -1985, outside the years 1 to 9999 in which event and source "
        "dates must fall",
    ),
    (
        "Y-17E7",
        "'Y-17E7' reaches the year -170000000, outside the years 1 to 9999 in which event and "
        "source dates must fall",
    ),
    (
        "Y171010000S3",
        "'Y171010000S3' reaches the year 171000000, outside the years 1 to 9999 in which event "
        "and source dates must fall",
    ),
    (
        "Y3388E2S3",
        "'Y3388E2S3' reaches the year 338000, outside the years 1 to 9999 in which event and "
        "source dates must fall",
    ),
    (
        "XXXX-12-XX",
        "'XXXX-12-XX' leaves every digit of the year unspecified, which says nothing of when; "
        "give the digits the source gives (2015, 201X, 20XX) or an open end (../2016-03-27)",
    ),
    (
        "XXXX",
        "'XXXX' leaves every digit of the year unspecified, which says nothing of when; give "
        "the digits the source gives (2015, 201X, 20XX) or an open end (../2016-03-27)",
    ),
    (
        "2015/XXXX",
        "'2015/XXXX' leaves every digit of the year unspecified, which says nothing of when; "
        "give the digits the source gives (2015, 201X, 20XX) or an open end (../2016-03-27)",
    ),
    (
        "156X-09-31",
        "'156X-09-31' names no calendar date: an X is one unspecified digit, e.g. 2016-03-1X "
        "is 10 to 19 March 2016",
    ),
    (
        "2016-02-3X",
        "'2016-02-3X' names no calendar date: an X is one unspecified digit, e.g. 2016-03-1X "
        "is 10 to 19 March 2016",
    ),
    (
        "../..",
        "'../..' is not an EDTF date: it gives neither end, which says nothing of when; give "
        "at least one, e.g. ../2016-03-27 or 2015-05/..",
    ),
    (
        "..",
        "'..' is not an EDTF date: it gives neither end, which says nothing of when; give at "
        "least one, e.g. ../2016-03-27 or 2015-05/..",
    ),
    (
        "0000",
        "'0000' reaches the year 0, outside the years 1 to 9999 in which event and source "
        "dates must fall",
    ),
    (
        "9999-24",
        "'9999-24' reaches the year 10000, outside the years 1 to 9999 in which event and "
        "source dates must fall",
    ),
]


@pytest.mark.parametrize(("text", "message"), REFUSED, ids=[text for text, _ in REFUSED])
def test_what_a_calendar_date_cannot_be_is_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(dates.EdtfError) as refused:
        dates.bounds(text)
    assert str(refused.value) == message
    assert "\n" not in message


# Construction dates reach before the common era, but not further than a year a database
# integer holds or a building could be: the same refusals, said for a construction date.
BUILT = [
    ("-1985", (-1985, -1985)),
    ("-0878", (-878, -878)),
    ("0000", (0, 0)),
    ("-09XX", (-999, -900)),
]


@pytest.mark.parametrize(("text", "years"), BUILT)
def test_construction_dates_reach_before_the_common_era(text: str, years: tuple[int, int]) -> None:
    assert dates.year_bounds(text) == years


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Y170000002",
            "'Y170000002' reaches the year 170000002, outside the years -99999 to 9999 in which "
            "a construction date must fall",
        ),
        (
            "Y-17E7",
            "'Y-17E7' reaches the year -170000000, outside the years -99999 to 9999 in which a "
            "construction date must fall",
        ),
        (
            "Y17E10",
            "'Y17E10' reaches the year 170000000000, outside the years -99999 to 9999 in which "
            "a construction date must fall",
        ),
        (
            "XXXX",
            "'XXXX' leaves every digit of the year unspecified, which says nothing of when; "
            "give the digits the source gives (2015, 201X, 20XX) or an open end (../2016-03-27)",
        ),
        (
            "156X-09-31",
            "'156X-09-31' names no calendar date: an X is one unspecified digit, e.g. "
            "2016-03-1X is 10 to 19 March 2016",
        ),
        (
            "../..",
            "'../..' is not an EDTF date: it gives neither end, which says nothing of when; "
            "give at least one, e.g. ../2016-03-27 or 2015-05/..",
        ),
    ],
)
def test_construction_dates_refuse_what_no_building_has(text: str, message: str) -> None:
    with pytest.raises(dates.EdtfError) as refused:
        dates.year_bounds(text)
    assert str(refused.value) == message
