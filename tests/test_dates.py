"""EDTF parsing and the derived bounds: the table of DOMAIN.md, and the refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from heritage_registry import dates

D = dt.date


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("2015-05-23", D(2015, 5, 23), D(2015, 5, 23)),
        ("2015-02", D(2015, 2, 1), D(2015, 2, 28)),
        ("2015-04~", D(2015, 4, 1), D(2015, 4, 30)),
        ("2015-05-23/2016-03-25", D(2015, 5, 23), D(2016, 3, 25)),
        ("../2015-04", None, D(2015, 4, 30)),
        ("12XX", D(1200, 1, 1), D(1299, 12, 31)),
        # An unknown end is not bounded either: the edtf library would guess ten years.
        ("/2015-04", None, D(2015, 4, 30)),
        ("2015-05-23/..", D(2015, 5, 23), None),
        ("2016-02", D(2016, 2, 1), D(2016, 2, 29)),
        ("2015?", D(2015, 1, 1), D(2015, 12, 31)),
    ],
)
def test_domain_table(text: str, earliest: dt.date | None, latest: dt.date | None) -> None:
    assert dates.bounds(text) == dates.Bounds(earliest, latest)


@pytest.mark.parametrize(
    "text", ["", "2015-13", "2015-02-30", "May 2015", "2015-5", "2016/2015", "x" * 101]
)
def test_invalid_edtf_is_refused(text: str) -> None:
    with pytest.raises(dates.EdtfError):
        dates.bounds(text)


def test_dates_before_the_common_era_are_refused_for_calendar_bounds() -> None:
    with pytest.raises(dates.EdtfError, match="years 1 to 9999"):
        dates.bounds("-0878")


def test_year_bounds_reach_before_the_common_era() -> None:
    assert dates.year_bounds("-0878") == (-878, -878)
    assert dates.year_bounds("12XX") == (1200, 1299)
    assert dates.year_bounds("../0032") == (None, 32)


@pytest.mark.parametrize("text", ["../", "/..", "/"])
def test_an_interval_without_its_ends_is_refused_quietly(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(dates.EdtfError, match="is not an EDTF date"):
        dates.parse(text)
    assert capsys.readouterr() == ("", "")
