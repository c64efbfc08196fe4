"""The JSON Lines exchange: lossless round trips between engines, and clean refusals."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from heritage_registry import InvalidRecord, Registry
from heritage_registry.exchange import ImportFailed, export_jsonl, import_jsonl
from heritage_registry.models import EVENT_TABLE
from heritage_registry.seed import load_seed
from tests import strategies as s
from tests.helpers import dump, fill

HEADER = '{"format":"heritage-registry","version":1}\n'
SITE = '{"type":"site","slug":"palmyra","name":"Palmyra","country":"SY"}\n'
SOURCE = '{"type":"source","key":"s1","title":"A report","publisher":"P"}\n'
UID = "3f1d7c1e-2f0a-4d5e-9d1c-8a6b5e4f3a21"


def event_line(**overrides: Any) -> str:
    record = {
        "type": "event",
        "uid": UID,
        "site": "palmyra",
        "cause": "explosives",
        "damage_level": "destroyed",
        "occurred": "2015-08",
        "citations": [{"source": "s1", "quote": "blown up"}],
    } | overrides
    return json.dumps(record) + "\n"


def exported(registry: Registry) -> str:
    out = io.StringIO()
    export_jsonl(registry, out)
    return out.getvalue()


def imported(registry: Registry, text: str | bytes) -> Any:
    data = text.encode() if isinstance(text, str) else text
    return import_jsonl(registry, io.BytesIO(data))


@given(contents=s.registry_contents())
def test_export_then_import_reproduces_the_registry_on_sqlite(
    fresh_registry: Callable[[str], Registry], contents: dict[str, list[dict[str, Any]]]
) -> None:
    original = fresh_registry("sqlite")
    fill(original, contents)
    text = exported(original)
    copy = fresh_registry("sqlite")
    imported(copy, text)
    assert exported(copy) == text


@pytest.mark.postgres
@given(contents=s.registry_contents())
def test_export_then_import_reproduces_the_registry_across_engines(
    fresh_registry: Callable[[str], Registry], contents: dict[str, list[dict[str, Any]]]
) -> None:
    original = fresh_registry("sqlite")
    fill(original, contents)
    text = exported(original)
    on_postgres = fresh_registry("postgresql")
    imported(on_postgres, text)
    from_postgres = exported(on_postgres)
    assert from_postgres == text
    back = fresh_registry("sqlite")
    imported(back, from_postgres)
    assert exported(back) == text


def merge_some(registry: Registry, data: st.DataObject) -> None:
    """Add two or three events at one site, then fold drawn events into others of their
    site, so that merges (and chains of them) are in the registry exported."""
    site = data.draw(st.sampled_from([site.slug for site in registry.list_sites()]))
    # A source that keeps a text would refuse the drawn quotes, which are not in it.
    untexted = [
        source for source in registry.list_sources() if registry.text_of(source.key) is None
    ]
    if untexted:
        source = data.draw(st.sampled_from(untexted))
        drawn = s.events(site, None, source.key, source.published)
        for event in data.draw(st.lists(drawn, min_size=2, max_size=3)):
            registry.add_event(**event)
    for site in registry.list_sites():
        live = [event.uid for event in registry.list_events(site=site.slug)]
        for _ in range(data.draw(st.integers(0, max(0, len(live) - 1)), label=site.slug)):
            keep, other = data.draw(st.permutations(live))[:2]
            try:
                registry.merge_events(keep, other, reason="one incident, two records", by="ana")
            except InvalidRecord:
                continue  # a source of OTHER's was published before KEEP's date begins
            live.remove(other)


@given(contents=s.registry_contents(), data=st.data())
def test_merges_survive_export_and_import_on_sqlite(
    fresh_registry: Callable[[str], Registry],
    contents: dict[str, list[dict[str, Any]]],
    data: st.DataObject,
) -> None:
    original = fresh_registry("sqlite")
    fill(original, contents)
    merge_some(original, data)
    text = exported(original)
    copy = fresh_registry("sqlite")
    report = imported(copy, text)
    assert report.added == json.loads(text.splitlines()[0])["counts"]
    assert exported(copy) == text
    for event in original.list_events():
        assert copy.get_event(event.uid, follow=True).uid == (
            original.get_event(event.uid, follow=True).uid
        )


@pytest.mark.postgres
@given(contents=s.registry_contents(), data=st.data())
def test_merges_survive_export_and_import_across_engines(
    fresh_registry: Callable[[str], Registry],
    contents: dict[str, list[dict[str, Any]]],
    data: st.DataObject,
) -> None:
    original = fresh_registry("sqlite")
    fill(original, contents)
    merge_some(original, data)
    text = exported(original)
    on_postgres = fresh_registry("postgresql")
    imported(on_postgres, text)
    from_postgres = exported(on_postgres)
    assert from_postgres == text
    back = fresh_registry("sqlite")
    imported(back, from_postgres)
    assert exported(back) == text


def test_the_seeded_registry_round_trips(registry: Registry, fresh_registry: Any) -> None:
    load_seed(registry)
    text = exported(registry)
    header = json.loads(text.splitlines()[0])
    assert header["format"] == "heritage-registry"
    assert header["version"] == 1
    counts = header["counts"]
    # The seed's records, and in their history the creation of each.
    assert counts["changes"] == 3 + 5 + 5 + 19
    assert counts["events"] == len(text.splitlines()) - 1 - 3 - 5 - 5 - counts["changes"]
    copy = fresh_registry("sqlite")
    report = imported(copy, text)
    assert report.added == header["counts"]
    assert exported(copy) == text


def test_an_export_read_a_record_at_a_time_is_the_same(registry: Registry) -> None:
    load_seed(registry)
    # Monuments of the same slug at two sites: a page may end between them.
    for site in ("aaa-first", "zzz-last"):
        registry.add_site(slug=site, name=site, country="SY")
        for slug in ("citadel", "gate"):
            registry.add_monument(site=site, slug=slug, name=slug, kind="other")
    out = io.StringIO()
    export_jsonl(registry, out, page=1)
    assert out.getvalue() == exported(registry)


def test_importing_twice_adds_nothing_and_changes_nothing(registry: Registry) -> None:
    text = HEADER + SITE + SOURCE + event_line()
    first = imported(registry, text)
    assert first.added == {
        "sites": 1,
        "monuments": 0,
        "sources": 1,
        "texts": 0,
        "events": 1,
        "citations": 1,
        "changes": 0,
    }
    before = dump(registry.engine)
    second = imported(registry, text)
    assert sum(second.added.values()) == 0
    assert second.existing == {
        "sites": 1,
        "monuments": 0,
        "sources": 1,
        "texts": 0,
        "events": 1,
        "citations": 1,
        "changes": 0,
    }
    assert dump(registry.engine) == before


def test_an_existing_event_gains_the_citations_it_lacks(registry: Registry) -> None:
    imported(registry, HEADER + SITE + SOURCE + event_line())
    more = event_line(
        citations=[{"source": "s1", "quote": "blown up"}, {"source": "s1", "quote": "razed"}]
    )
    report = imported(registry, HEADER + more)
    assert (report.added["citations"], report.existing["citations"]) == (1, 1)
    assert [c.quote for c in registry.get_event(UID).citations] == ["blown up", "razed"]


def test_a_line_may_refer_to_records_already_in_the_registry(registry: Registry) -> None:
    registry.add_site(slug="palmyra", name="Palmyra", country="SY")
    registry.add_source(key="s1", title="A report")
    report = imported(registry, HEADER + event_line())
    assert report.added["events"] == 1


def test_stdin_style_streams_and_a_byte_order_mark_are_read(registry: Registry) -> None:
    report = imported(registry, ("\ufeff" + HEADER + SITE).encode("utf-8"))
    assert report.added["sites"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the file is empty; it needs a header line"),
        ('{"format":"csv"}\n', "line 1: not a heritage-registry file"),
        ('{"format":"heritage-registry","version":9}\n', "line 1: format version 9 is not one"),
        (HEADER + "{oops\n", "line 2: not valid JSON"),
        (HEADER + "[1, 2]\n", "line 2: a record must be a JSON object"),
        (HEADER + '{"slug":"x"}\n', 'line 2: needs a "type" of site, monument, source or event'),
        (HEADER + SITE.replace('"SY"', '"ZZ"'), "line 2: country: 'ZZ' is not an ISO 3166-1"),
        (HEADER + SITE.replace('"name"', '"colour":"red","name"'), "line 2: colour: unknown field"),
        (
            HEADER + SITE + SOURCE + event_line(occurred="2015-13"),
            "line 4: occurred: '2015-13' is not an EDTF date",
        ),
        (HEADER + SITE + SOURCE + event_line(cause="bombing"), "line 4: unknown cause 'bombing'"),
        (
            HEADER + SITE + SOURCE + event_line(site="nimrud"),
            "line 4: no site 'nimrud' in the registry or earlier in the file",
        ),
        (
            HEADER + SITE + SOURCE + event_line(monument="citadel"),
            "line 4: no monument 'citadel' of site 'palmyra'",
        ),
        (HEADER + SITE + event_line(), "line 3: no source 's1'"),
        (HEADER + SITE + SOURCE + event_line(uid="not-a-uuid"), "line 4: uid"),
        (
            HEADER + SITE + SOURCE + event_line() + event_line(cause="fire"),
            f"line 5: event {UID} was given on line 4 with different content",
        ),
        (
            HEADER + SITE + SOURCE + event_line(citations=[{"source": "s1", "quote": ""}]),
            "line 4: citation 1's quote",
        ),
        (
            HEADER
            + SITE
            + SOURCE
            + "\n"
            + '{"type":"monument","site":"nowhere","slug":"m","name":"M","kind":"temple"}\n',
            "line 5: no site 'nowhere'",
        ),
    ],
)
def test_a_malformed_file_names_its_line_and_writes_nothing(
    registry: Registry, text: str, message: str
) -> None:
    registry.add_site(slug="nimrud-ruins", name="Nimrud", country="IQ")
    before = dump(registry.engine)
    with pytest.raises(ImportFailed, match=message.replace("[", r"\[").replace("(", r"\(")):
        imported(registry, text)
    assert dump(registry.engine) == before


def test_an_event_that_contradicts_the_registry_is_refused(registry: Registry) -> None:
    imported(registry, HEADER + SITE + SOURCE + event_line())
    before = dump(registry.engine)
    with pytest.raises(ImportFailed, match=r"line 2: event .* different damage_level"):
        imported(registry, HEADER + event_line(damage_level="minor"))
    assert dump(registry.engine) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (HEADER.encode() + b'{"type":"site","slug":"\xff"}\n', "line 2: not UTF-8"),
        (HEADER.encode() + b"[" * 100_000 + b"\n", "line 2: JSON nested too deeply"),
        (
            HEADER.encode() + b'{"type":"site","name":"' + b"x" * 1_100_000 + b'"}\n',
            "line 2: longer than 1,000,000 bytes",
        ),
    ],
)
def test_hostile_files_fail_cleanly(registry: Registry, data: bytes, message: str) -> None:
    before = dump(registry.engine)
    with pytest.raises(ImportFailed, match=message):
        imported(registry, data)
    assert dump(registry.engine) == before


def test_a_large_file_is_written_in_several_transactions(
    registry: Registry, monkeypatch: Any
) -> None:
    from heritage_registry.exchange import validate, writer

    monkeypatch.setattr(validate, "BATCH_SIZE", 7)
    monkeypatch.setattr(writer, "TRANSACTION_SIZE", 20)
    lines = [HEADER, SITE, SOURCE]
    lines += [event_line(uid=f"3f1d7c1e-2f0a-4d5e-9d1c-{n:012d}") for n in range(100)]
    seen: list[tuple[int, int]] = []
    report = import_jsonl(
        registry, io.BytesIO("".join(lines).encode()), progress=lambda *done: seen.append(done)
    )
    assert report.added["events"] == 100
    assert seen[-1] == (102, 102)
    assert len(seen) > 5
    assert registry.counts()["citations"] == 100


def _commit_points(registry: Registry, text: str, monkeypatch: Any) -> list[int]:
    """Import `text` in transactions of at least 10 records (chunks of 10); the records
    written when each transaction but the last committed (the last: all of them)."""
    from heritage_registry.exchange import validate, writer

    monkeypatch.setattr(validate, "BATCH_SIZE", 10)
    monkeypatch.setattr(writer, "TRANSACTION_SIZE", 10)
    seen: list[tuple[int, int]] = [(0, 0)]
    points: list[int] = []

    def committing(_connection: sa.Connection) -> None:
        # Progress is told after each chunk is written, so it counts what this commits;
        # the first pass's reads commit before any is written.
        if seen[-1][0]:
            points.append(seen[-1][0])

    sa.event.listen(registry.engine, "commit", committing)
    try:
        report = import_jsonl(
            registry, io.BytesIO(text.encode()), progress=lambda *done: seen.append(done)
        )
    finally:
        sa.event.remove(registry.engine, "commit", committing)
    # The last commit follows the last chunk, before progress says so.
    return [*points[:-1], sum(report.added.values()) - report.added["citations"]]


def test_sqlite_transactions_grow_with_the_registry(registry: Registry, monkeypatch: Any) -> None:
    """On SQLite a transaction of the bulk writer holds a quarter of the registry (each
    commit writes every page it changed: fixed small transactions wrote more per event
    the larger the registry); on PostgreSQL it holds TRANSACTION_SIZE records."""
    lines = [HEADER, SITE, SOURCE]
    lines += [event_line(uid=f"3f1d7c1e-2f0a-4d5e-9d1c-{n:012d}") for n in range(400)]
    points = _commit_points(registry, "".join(lines), monkeypatch)
    assert points[-1] == 402
    sizes = [after - before for before, after in itertools.pairwise([0, *points])]
    if registry.engine.dialect.name == "postgresql":
        assert all(size <= 10 for size in sizes[:-1]), sizes
        return
    # Each transaction but the last ends at the first chunk that makes it a quarter of
    # the records the registry then holds, and not before.
    for before, after in itertools.pairwise([0, *points[:-1]]):
        size = after - before
        assert size * 4 >= after or (size == 10 and after <= 40), points
        assert (size - 10) * 4 < after - 10 or size <= 10, points
    assert len(points) < 402 // 10 // 2, points


def test_a_sqlite_import_s_page_cache_grows_with_the_registry(
    fresh_registry: Callable[[str], Registry], monkeypatch: Any
) -> None:
    """Each transaction of the writer has a page cache for the records the registry holds
    when it begins (`db.bulk_cache_kib`), so that the pages of the indexes a transaction
    changes stay in memory as the registry grows; the connection's own comes back after."""
    from heritage_registry import db

    monkeypatch.setattr(db, "BULK_CACHE_KIB", 1)
    registry = fresh_registry("sqlite")
    caches: list[int] = []

    def committing(connection: sa.Connection) -> None:
        if connection.get_execution_options().get(db.BEGIN_OPTION):
            driver = connection.connection.driver_connection
            caches.append(-driver.execute("PRAGMA cache_size").fetchone()[0])

    lines = [HEADER, SITE, SOURCE]
    lines += [event_line(uid=f"3f1d7c1e-2f0a-4d5e-9d1c-{n:012d}") for n in range(400)]
    sa.event.listen(registry.engine, "commit", committing)
    try:
        points = _commit_points(registry, "".join(lines), monkeypatch)
    finally:
        sa.event.remove(registry.engine, "commit", committing)
    assert caches == [db.bulk_cache_kib(records) for records in [0, *points[:-1]]]
    assert caches[-1] == 360 * db.BULK_CACHE_BYTES // 1024 > caches[0] == 1
    with registry.engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver.execute("PRAGMA cache_size").fetchone()[0] == -2000


def test_the_bulk_cache_grows_with_the_registry_within_bounds() -> None:
    from heritage_registry.db import BULK_CACHE_KIB, BULK_CACHE_MAX_KIB, bulk_cache_kib

    assert bulk_cache_kib(0) == BULK_CACHE_KIB
    # A million events, with 400,000 sites, monuments and sources.
    assert bulk_cache_kib(1_400_000) == 525_000
    assert bulk_cache_kib(100_000_000) == BULK_CACHE_MAX_KIB


def test_a_sqlite_transaction_commits_after_transaction_seconds(
    fresh_registry: Callable[[str], Registry], monkeypatch: Any
) -> None:
    """Other writers wait for the import's write lock: a transaction never holds it longer
    than TRANSACTION_SECONDS, however small against the registry it is."""
    from heritage_registry.exchange import writer

    monkeypatch.setattr(writer, "TRANSACTION_SECONDS", 0.0)
    lines = [HEADER, SITE, SOURCE]
    lines += [event_line(uid=f"3f1d7c1e-2f0a-4d5e-9d1c-{n:012d}") for n in range(100)]
    points = _commit_points(fresh_registry("sqlite"), "".join(lines), monkeypatch)
    assert [after - before for before, after in itertools.pairwise([0, *points])] == [
        *([10] * 10),
        2,
    ]


@pytest.mark.postgres
def test_what_copy_finds_special_in_text_is_stored_as_given(
    fresh_registry: Callable[[str], Registry],
) -> None:
    """On PostgreSQL rows go by COPY, whose text format gives tab, newline, backslash and
    `\\N` meanings of their own: each is stored as written."""
    awkward = "tab\there \\N back\\slash \\. end\nnext line \u2018quoted\u2019 تدمر"
    text = HEADER + SITE + SOURCE + event_line(description=awkward, actor="\\N")
    on_postgres = fresh_registry("postgresql")
    imported(on_postgres, text)
    event = on_postgres.get_event(UID)
    assert (event.description, event.actor) == (awkward, "\\N")
    # And back: PostgreSQL's export imported into SQLite exports the same again.
    from_postgres = exported(on_postgres)
    on_sqlite = fresh_registry("sqlite")
    imported(on_sqlite, from_postgres)
    assert exported(on_sqlite) == from_postgres


def test_an_import_stores_each_event_s_confidence(registry: Registry) -> None:
    """So that `--confidence` is filtered in the database (revision 0005) after an import."""
    second = event_line(
        uid="9b2f4c1e-0a3d-4e5f-8a7b-6c5d4e3f2a10",
        citations=[
            {"source": "s1", "quote": "blew up the temple"},
            {"source": "s1", "quote": "the temple stands", "stance": "disputes"},
        ],
    )
    imported(registry, HEADER + SITE + SOURCE + event_line() + second)
    with registry.engine.connect() as connection:
        query = sa.select(EVENT_TABLE.c.uid, EVENT_TABLE.c.confidence)
        stored = {uid: confidence for uid, confidence in connection.execute(query)}
    assert stored == {UID: "single_source", "9b2f4c1e-0a3d-4e5f-8a7b-6c5d4e3f2a10": "contested"}
    assert {e.uid: e.confidence for e in registry.list_events()} == stored


def _estimated_events(registry: Registry) -> float:
    """PostgreSQL's estimate of the events table, as its last ANALYZE left it."""
    with registry.engine.connect() as connection:
        return float(
            connection.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE oid = 'damage_event'::regclass"
            ).scalar_one()
        )


@pytest.mark.postgres
def test_an_import_into_postgresql_has_the_tables_it_fills_analysed(
    fresh_registry: Callable[[str], Registry],
) -> None:
    """Without statistics the planner read every citation for each chunk of events whose
    confidence the import derived: the import analyses the tables once they double, and
    leaves alone a registry it adds little to."""
    registry = fresh_registry("postgresql")
    assert _estimated_events(registry) <= 0  # emptied: never analysed since

    def lines(count: int, start: int) -> str:
        return "".join(
            event_line(uid=f"00000000-0000-4000-8000-{number:012d}")
            for number in range(start, start + count)
        )

    imported(registry, HEADER + SITE + SOURCE + lines(600, 0))
    assert _estimated_events(registry) == 600
    imported(registry, HEADER + lines(5, 600))
    assert _estimated_events(registry) == 600
    assert registry.count_events() == 605
