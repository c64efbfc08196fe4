"""The library as its users expect it: reprs, docstrings, pages, streams and DataFrames.

Each test that reads a database runs on SQLite and, where a server is named, PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import io
import json
import pkgutil
import sys
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

import heritage_registry
from heritage_registry import InvalidRecord, Registry, SiteNotFound, reads
from heritage_registry.errors import MissingDependency
from heritage_registry.exchange import import_jsonl
from tests.test_cli import CITADEL, IANS, NEWARAB, OCCUPATION, TEMPLES, populate


@pytest.fixture
def reg(migrated_url: str) -> Iterator[Registry]:
    """The CLI tests' records (two sites, two monuments, two sources, three events)."""
    with Registry.open(migrated_url) as registry:
        populate(registry)
        yield registry


# repr -------------------------------------------------------------------------------


def test_registry_repr_names_its_database_without_the_password(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    with Registry.open(f"sqlite:///{path}") as reg:
        assert repr(reg) == f"<Registry sqlite:///{path}>"
    engine = sa.create_engine("postgresql+psycopg://me:secret@db.example.org/heritage")
    try:
        assert repr(Registry(engine)) == (
            "<Registry postgresql+psycopg://me:***@db.example.org/heritage>"
        )
    finally:
        engine.dispose()


def test_records_have_short_useful_reprs(reg: Registry) -> None:
    assert repr(reg.get_site("palmyra")) == "<Site palmyra 'Palmyra' SY>"
    assert repr(reg.list_sites()) == (
        "[<Site mosul-museum 'Mosul Museum' IQ>, <Site palmyra 'Palmyra' SY>]"
    )
    assert repr(reg.get_monument("palmyra", "temple-of-bel")) == (
        "<Monument palmyra/temple-of-bel 'Temple of Bel' temple>"
    )
    # Titles and quotes are cut to 40 characters, "…" marking the cut.
    assert repr(reg.get_source(NEWARAB)) == (
        "<Source newarab-2016-03-27 'Palmyra recaptured in major symbolic vi…' 2016-03-27>"
    )
    assert repr(reg.get_source(IANS)) == (
        '<Source ians-2016-03-27 "[Report on the Syrian army\'s full recap…" 2016-03-27>'
    )
    assert repr(reg.get_event(CITADEL)) == (
        "<DamageEvent b3daa9cb palmyra/citadel occupation unknown 2015-05-23/2016-03-25 "
        "single_source>"
    )
    assert repr(reg.get_event(OCCUPATION)) == (
        "<DamageEvent 3006cef2 palmyra occupation unknown 2015-05/2016-03-27 corroborated>"
    )
    assert repr(reg.get_event(OCCUPATION).citations) == (
        "[<Citation newarab-2016-03-27 supports 'since IS seized it in May 2015'>, "
        "<Citation ians-2016-03-27 supports 'The Syrian army fully recaptured the an…'>]"
    )
    reg.merge_events(OCCUPATION, CITADEL, reason="one occupation, told twice")
    assert repr(reg.get_event(CITADEL)) == (
        "<DamageEvent b3daa9cb palmyra/citadel occupation unknown 2015-05-23/2016-03-25 "
        "merged into 3006cef2>"
    )


# Docstrings -------------------------------------------------------------------------


def _function(raw: Any) -> Any:
    """The function behind a class attribute: a method, static or class method, property."""
    if isinstance(raw, staticmethod | classmethod):
        return raw.__func__
    if isinstance(raw, property):
        return raw.fget
    return raw


def _public_modules() -> Iterator[Any]:
    for info in pkgutil.walk_packages(heritage_registry.__path__, "heritage_registry."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield importlib.import_module(info.name)


def test_every_public_name_has_a_docstring() -> None:
    missing = [
        f"Registry.{name}"
        for name, raw in vars(Registry).items()
        if not name.startswith("_") and callable(_function(raw)) and not _function(raw).__doc__
    ]
    for name in heritage_registry.__all__:
        exported = getattr(heritage_registry, name)
        if not exported.__dict__.get("__doc__"):
            missing.append(f"heritage_registry.{name}")
        for attribute, raw in vars(exported).items():
            function = _function(raw)
            public = not attribute.startswith("_") and inspect.isfunction(function)
            if public and not function.__doc__:
                missing.append(f"heritage_registry.{name}.{attribute}")
    for module in _public_modules():
        for name, value in vars(module).items():
            defined_here = getattr(value, "__module__", None) == module.__name__
            public = not name.startswith("_") and inspect.isfunction(value) and defined_here
            if public and not value.__doc__:
                missing.append(f"{module.__name__}.{name}")
    assert missing == []


# Pages ------------------------------------------------------------------------------


def test_lists_take_a_limit_and_an_offset(reg: Registry) -> None:
    assert [site.slug for site in reg.list_sites(limit=1)] == ["mosul-museum"]
    assert [site.slug for site in reg.list_sites(limit=5, offset=1)] == ["palmyra"]
    assert [site.slug for site in reg.list_sites(offset=2)] == []
    assert [m.slug for m in reg.list_monuments(site="palmyra", limit=1, offset=1)] == [
        "temple-of-bel"
    ]
    assert [s.key for s in reg.list_sources(limit=1)] == [IANS]
    assert [s.key for s in reg.list_sources(site="palmyra", offset=1)] == [NEWARAB]
    order = [TEMPLES, OCCUPATION, CITADEL]
    assert [e.uid for e in reg.list_events()] == order
    assert [e.uid for e in reg.list_events(limit=2)] == order[:2]
    assert [e.uid for e in reg.list_events(limit=2, offset=1)] == order[1:]
    assert [e.uid for e in reg.list_events(limit=0)] == []
    assert [e.uid for e in reg.list_events(site="palmyra", offset=3)] == []
    # Confidence is derived, not stored: the page is cut from the events that have it.
    assert [e.uid for e in reg.list_events(confidence="single_source", limit=1)] == [TEMPLES]
    assert [e.uid for e in reg.list_events(confidence="single_source", limit=1, offset=1)] == [
        CITADEL
    ]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"limit": -1}, "invalid limit: -1; give a whole number, 0 or more"),
        ({"offset": -2}, "invalid offset: -2; give a whole number, 0 or more"),
        ({"limit": "10"}, "invalid limit: '10'; give a whole number, 0 or more"),
        ({"offset": True}, "invalid offset: True; give a whole number, 0 or more"),
    ],
)
def test_a_negative_or_odd_page_is_refused(
    reg: Registry, given: dict[str, Any], message: str
) -> None:
    for lister in (reg.list_sites, reg.list_monuments, reg.list_sources, reg.list_events):
        with pytest.raises(InvalidRecord) as raised:
            lister(**given)
        assert str(raised.value) == message


# Streams ----------------------------------------------------------------------------

# Dates chosen to meet every part of the order: open and unknown starts (first), equal
# starts told apart by their ends, open ends (last among equal starts), equal spans
# told apart by uid.
STREAM_DATES = [
    "../2015-04",
    "/2015-04",
    "../2015-03-01",
    "2015-05",
    "2015-05-01",
    "2015-05/..",
    "2015-05-01/",
    "2015-05/2016-03",
    "2015-05-23",
    "2015-05-23/..",
    "2015-08-30",
    "2015-08-30",
    "2015-08~",
    "201X",
    "12XX",
    "2016-03-27",
]
STREAM_CAUSES = ["explosives", "looting", "occupation"]
STREAM_LEVELS = ["destroyed", "unknown"]


def _stream_registry(reg: Registry) -> None:
    """Two sites' events over STREAM_DATES; some cited twice (corroborated), some disputed."""
    reg.add_site(slug="palmyra", name="Palmyra", country="SY")
    reg.add_site(slug="nimrud", name="Nimrud", country="IQ")
    reg.add_monument(site="palmyra", slug="temple-of-bel", name="Temple of Bel", kind="temple")
    reg.add_source(key="a", title="A", publisher="Publisher A")
    reg.add_source(key="b", title="B", publisher="Publisher B")
    for number, occurred in enumerate(STREAM_DATES):
        event = reg.add_event(
            uid=f"{number:08x}-0000-4000-8000-{number * 7919 % 1000:012d}",
            site="palmyra" if number % 3 else "nimrud",
            monument="temple-of-bel" if number % 3 == 1 else None,
            cause=STREAM_CAUSES[number % 3],
            damage_level=STREAM_LEVELS[number % 2],
            occurred=occurred,
            source="a",
            quote=f"event {number}",
        )
        if number % 4 == 0:
            stance = "disputes" if number % 8 == 0 else "supports"
            reg.cite(event.uid, source="b", quote=f"also {number}", stance=stance)


FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "site": st.sampled_from(["palmyra", "nimrud"]),
        "cause": st.sampled_from(STREAM_CAUSES),
        "damage_level": st.sampled_from(STREAM_LEVELS),
        "since": st.sampled_from(["2015-04", "2015-05-20", "2015-06"]),
        "until": st.sampled_from(["2015-06", "2015-08", "2016"]),
        "confidence": st.sampled_from(["corroborated", "single_source", "contested"]),
    },
)


def test_iter_events_streams_what_list_events_lists(registry: Registry) -> None:
    _stream_registry(registry)
    everything = registry.list_events()
    assert len(everything) == len(STREAM_DATES)
    # Every page size from one event a page to all in one yields the same events.
    for page in (1, 2, 3, 5, 100):
        assert list(registry.iter_events(page=page)) == everything

    @given(filters=FILTERS, page=st.integers(min_value=1, max_value=6))
    def same(filters: dict[str, str], page: int) -> None:
        listed = registry.list_events(**filters)
        assert list(registry.iter_events(page=page, **filters)) == listed

    same()


def test_iter_events_checks_its_filters_when_called(reg: Registry) -> None:
    with pytest.raises(SiteNotFound) as raised:
        reg.iter_events(site="palmira")
    assert str(raised.value) == "no site 'palmira'; did you mean 'palmyra'?"
    with pytest.raises(InvalidRecord) as invalid:
        reg.iter_events(page=0)
    assert str(invalid.value) == "invalid page: 0; give a whole number, 1 or more"
    with pytest.raises(InvalidRecord) as monument:
        reg.iter_events(monument="citadel")
    assert str(monument.value) == "a monument filter needs its site: give site= as well"


def test_iter_events_holds_a_page_at_a_time(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each read of events asks for one page: memory holds a page, not every event."""
    from heritage_registry import exchange

    pages: list[int] = []
    real = exchange.keyset_pages

    def counting(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for rows in real(*args, **kwargs):
            pages.append(len(rows))
            yield rows

    monkeypatch.setattr(exchange, "keyset_pages", counting)
    stream = reg.iter_events(page=1)
    assert next(stream).uid == TEMPLES
    assert pages == [1]
    assert [event.uid for event in stream] == [OCCUPATION, CITADEL]
    assert pages == [1, 1, 1]


def test_iter_sites_monuments_and_sources_check_their_filters_when_called(reg: Registry) -> None:
    """As iter_events does: nothing is read until the iteration starts, but a bad filter
    is refused at once, so that the CLI opens no file for it."""
    with pytest.raises(SiteNotFound) as monuments:
        reg.iter_monuments(site="palmira")
    assert str(monuments.value) == "no site 'palmira'; did you mean 'palmyra'?"
    with pytest.raises(SiteNotFound):
        reg.iter_sources(site="palmira")
    with pytest.raises(InvalidRecord) as country:
        reg.iter_sites(country="Syria")
    assert str(country.value).startswith("invalid filter: country: ")
    with pytest.raises(InvalidRecord):
        reg.iter_monuments(kind="castle-ish")
    with pytest.raises(InvalidRecord):
        reg.iter_sources(limit=-1)
    assert [m.slug for m in reg.iter_monuments(site="palmyra", limit=1, offset=1)] == [
        "temple-of-bel"
    ]
    assert [s.key for s in reg.iter_sources(site="palmyra", offset=1)] == [NEWARAB]


def _peak_bytes(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_iter_sites_and_monuments_hold_a_few_hundred_at_a_time(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamed, a listing of every monument holds a few hundred of them (here 50);
    listed, all (300,000 monuments took about a gigabyte)."""
    monkeypatch.setattr(reads, "_YIELD_PER", 50)
    lines = [json.dumps({"format": "heritage-registry", "version": 1})]
    lines += [
        json.dumps({"type": "site", "slug": f"site-{n}", "name": f"Site {n}", "country": "SY"})
        for n in range(1_500)
    ]
    lines += [
        json.dumps(
            {
                "type": "monument",
                "site": f"site-{n}",
                "slug": "gate",
                "name": "Gate",
                "kind": "other",
            }
        )
        for n in range(1_500)
    ]
    import_jsonl(registry, io.BytesIO(("\n".join(lines) + "\n").encode()))

    def drain(stream: Iterable[object]) -> None:
        for _record in stream:
            pass

    for streamed, listed in (
        (registry.iter_sites, registry.list_sites),
        (registry.iter_monuments, registry.list_monuments),
    ):
        assert list(streamed()) == listed()
        held_streamed = _peak_bytes(lambda: drain(streamed()))  # noqa: B023
        held_listed = _peak_bytes(lambda: drain(listed()))  # noqa: B023
        assert held_streamed * 3 < held_listed, (held_streamed, held_listed)


# DataFrames -------------------------------------------------------------------------


def test_events_frame_has_one_row_per_event_with_real_dates(reg: Registry) -> None:
    pandas = pytest.importorskip("pandas")
    frame = reg.events_frame(site="palmyra")
    assert list(frame.columns) == [
        "uid",
        "site",
        "monument",
        "cause",
        "damage_level",
        "occurred",
        "earliest",
        "latest",
        "confidence",
        "actor",
        "description",
        "citations",
        "retracted_at",
        "retraction_reason",
        "merged_into",
        "merged_at",
        "merge_reason",
        "recorded_at",
        "updated_at",
    ]
    assert list(frame["uid"]) == [TEMPLES, OCCUPATION, CITADEL]
    assert frame["monument"].isna().tolist() == [True, True, False]
    assert frame.loc[2, "monument"] == "citadel"
    assert list(frame["cause"]) == ["explosives", "occupation", "occupation"]
    assert list(frame["confidence"]) == ["single_source", "corroborated", "single_source"]
    assert list(frame["citations"]) == [1, 2, 1]
    assert str(frame["citations"].dtype) == "int64"
    assert str(frame["earliest"].dtype) == "datetime64[s]"
    assert str(frame["latest"].dtype) == "datetime64[s]"
    assert str(frame["recorded_at"].dtype) == "datetime64[us, UTC]"
    assert str(frame["retracted_at"].dtype) == "datetime64[us, UTC]"
    assert frame["earliest"].isna().tolist() == [True, False, False]
    assert list(frame["earliest"].dropna()) == [
        pandas.Timestamp("2015-05-01"),
        pandas.Timestamp("2015-05-23"),
    ]
    assert list(frame["latest"]) == [
        pandas.Timestamp("2016-03-27"),
        pandas.Timestamp("2016-03-27"),
        pandas.Timestamp("2016-03-25"),
    ]
    event = reg.get_event(OCCUPATION)
    assert frame.loc[1, "recorded_at"] == pandas.Timestamp(event.recorded_at)
    assert frame["retracted_at"].isna().all()
    # Filters are list_events' own.
    assert list(reg.events_frame(cause="explosives")["uid"]) == [TEMPLES]
    assert list(reg.events_frame(confidence="corroborated")["uid"]) == [OCCUPATION]
    assert len(reg.events_frame(site="mosul-museum")) == 0


def test_events_frame_holds_every_year_edtf_can_give(registry: Registry) -> None:
    pandas = pytest.importorskip("pandas")
    registry.add_site(slug="nineveh", name="Nineveh", country="IQ")
    registry.add_source(key="s", title="S", publisher="P")
    registry.add_event(
        site="nineveh",
        cause="fire",
        damage_level="severe",
        occurred="0612/0613",
        source="s",
        quote="burnt",
    )
    frame = registry.events_frame()
    # Beyond pandas' nanosecond range, which begins in 1677.
    assert frame.loc[0, "earliest"] == pandas.Timestamp(dt.datetime(612, 1, 1))
    assert frame.loc[0, "latest"] == pandas.Timestamp(dt.datetime(613, 12, 31))


def test_citations_frame_joins_its_events_on_uid(reg: Registry) -> None:
    pandas = pytest.importorskip("pandas")
    citations = reg.citations_frame(site="palmyra")
    assert list(citations.columns) == [
        "uid",
        "source",
        "stance",
        "quote",
        "location",
        "claimed_occurred",
        "claimed_level",
        "date_resolution",
        "via",
        "mentions",
        "recorded_at",
    ]
    assert list(zip(citations["uid"], citations["source"], strict=True)) == [
        (TEMPLES, NEWARAB),
        (OCCUPATION, NEWARAB),
        (OCCUPATION, IANS),
        (CITADEL, NEWARAB),
    ]
    assert list(citations["quote"])[1] == "since IS seized it in May 2015"
    assert list(citations["mentions"]) == [[], [], [], []]
    assert str(citations["recorded_at"].dtype) == "datetime64[us, UTC]"
    joined = reg.events_frame(site="palmyra").merge(citations, on="uid", suffixes=("", "_citation"))
    assert len(joined) == 4
    assert isinstance(joined, pandas.DataFrame)


@pytest.mark.parametrize("method", ["events_frame", "citations_frame"])
def test_a_frame_without_pandas_says_how_to_install_it(
    reg: Registry, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    # None in sys.modules makes `import pandas` raise ImportError, as if not installed.
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependency) as raised:
        getattr(reg, method)(site="palmyra")
    assert str(raised.value) == (f"{method} needs pandas: pip install 'heritage-registry[pandas]'")
    assert isinstance(raised.value, ImportError)
