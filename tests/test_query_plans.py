"""Every filter of the event list reads the event table through an index, on both engines.

The test fills a registry with enough events (`EVENTS`) that each planner weighs its
indexes against a scan, analyses the tables, then runs `list_events` (whole and as a
page) and `iter_events` with each filter the CLI offers and asks the engine how it
would run every statement they sent that reads `damage_event`: `EXPLAIN QUERY PLAN` on
SQLite, `EXPLAIN (FORMAT JSON)` on PostgreSQL. Each read of the table must search an
index by a column the filter constrains (or find rows by primary key, among ids an
index search chose); a scan of the table, or of an index from end to end, fails the
test, as does a scan of the table joined to read a merged event's uid. The filter values
are selective, as a question to a large registry is.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from heritage_registry import Registry, confidence, db, reads
from heritage_registry.models import DamageEvent, Monument, Site, Source, SourceCitation
from heritage_registry.vocab import Cause, DamageLevel

EVENTS = 20_000
SITES = 40
FIRST_DAY = dt.date(2010, 1, 1)
DAYS = 4_000  # to 2020-12

EVENT_TABLE: sa.Table = DamageEvent.__table__  # type: ignore[attr-defined]

# Each filter (as `list_events` takes it) and the columns it constrains: a read of the
# event table must search an index by one of them.
FILTERS: dict[str, tuple[dict[str, str], set[str]]] = {
    "site": ({"site": "site-7"}, {"site_id"}),
    "monument": ({"site": "site-7", "monument": "gate"}, {"site_id", "monument_id"}),
    "cause": ({"cause": "looting"}, {"cause"}),
    "level": ({"damage_level": "destroyed"}, {"damage_level"}),
    "since": ({"since": "2020-09"}, {"latest"}),
    "until": ({"until": "2010-03"}, {"earliest"}),
    "since-until": ({"since": "2010-02", "until": "2010-03"}, {"earliest", "latest"}),
    "confidence": ({"confidence": "retracted"}, {"confidence"}),
}


def _fill(reg: Registry) -> None:
    """`EVENTS` events of every cause and level over `SITES` sites, written by Core."""
    for number in range(SITES):
        reg.add_site(slug=f"site-{number}", name=f"Site {number}", country="SY")
        reg.add_monument(site=f"site-{number}", slug="gate", name="Gate", kind="city_wall")
    reg.add_source(key="afp", title="AFP", publisher="AFP")
    draw = random.Random(14)
    now = dt.datetime.now(dt.UTC)
    with reg.engine.begin() as connection:
        sites = connection.execute(sa.select(Site.__table__.c.id)).scalars().all()  # type: ignore[attr-defined]
        gates = dict(
            connection.execute(
                sa.select(Monument.__table__.c.site_id, Monument.__table__.c.id)  # type: ignore[attr-defined]
            ).all()
        )
        rows: list[dict[str, Any]] = []
        for _ in range(EVENTS):
            site = draw.choice(sites)
            day = FIRST_DAY + dt.timedelta(days=draw.randrange(DAYS))
            rows.append(
                {
                    "uid": str(uuid.UUID(int=draw.getrandbits(128), version=4)),
                    "site_id": site,
                    "monument_id": gates[site] if draw.random() < 0.3 else None,
                    "cause": draw.choice(list(Cause)),
                    "damage_level": draw.choice(list(DamageLevel)),
                    "occurred": day.isoformat(),
                    "earliest": None if draw.random() < 0.02 else day,
                    "latest": None if draw.random() < 0.05 else day,
                    "retracted_at": now if draw.random() < 0.03 else None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        connection.execute(EVENT_TABLE.insert(), rows)
        # A citation of each event, as every event has: a planner that sees no citations
        # plans reads joined to them as it never would for a registry.
        source_id = connection.execute(
            sa.select(Source.__table__.c.id).where(Source.__table__.c.key == "afp")  # type: ignore[attr-defined]
        ).scalar_one()
        connection.execute(
            SourceCitation.__table__.insert(),  # type: ignore[attr-defined]
            [
                {
                    "event_id": event_id,
                    "source_id": source_id,
                    "quote": "Reported",
                    "stance": "supports",
                    "mentions": [],
                    "created_at": now,
                }
                for event_id in connection.execute(sa.select(EVENT_TABLE.c.id)).scalars()
            ],
        )
        # As the registry's writes leave it: each event's confidence stored.
        confidence.refresh(connection)
    with reg.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


@contextmanager
def _statements(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (with their parameters) sent to `engine` inside the block."""
    sent: list[tuple[str, Any]] = []

    def record(connection: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _by(condition: str, columns: set[str]) -> bool:
    """Whether an index condition, as an engine shows it, constrains one of `columns`.

    `iter_events` reads the events with no `earliest` apart, by that condition: they are
    few, and searched by it whatever the filter. A row found by its primary key (the
    ids the confidence filter chose, or the event of each citation a site's citations
    are joined to, which PostgreSQL names with its table) is found, not scanned for.
    """
    if re.search(r"\bearliest=\?|\bearliest IS NULL|\browid=\?|\((?:\w+\.)?id = ", condition):
        return True
    return any(re.search(rf"\b{column}\b", condition) for column in columns)


def _sqlite_problems(plan: list[str], columns: set[str]) -> list[str]:
    """What in an `EXPLAIN QUERY PLAN` reads the event table otherwise than by `columns`."""
    problems = []
    for detail in plan:
        found = _SQLITE_READ.match(detail)
        if found is None:
            continue
        if found["table"] == "merged_into" or "USING INTEGER PRIMARY KEY" in detail:
            fine = found["how"] == "SEARCH" and "PRIMARY KEY" in detail
        else:
            fine = found["how"] == "SEARCH" and _by(found["condition"] or "", columns)
        if not fine:
            problems.append(detail)
    return problems


_SQLITE_READ = re.compile(
    r"(?P<how>SCAN|SEARCH) (?P<table>damage_event|merged_into|stored)\b"
    r"[^(]*(?:\((?P<condition>.*)\))?"
)


def _postgres_problems(node: Mapping[str, Any], columns: set[str]) -> list[str]:
    """What in an `EXPLAIN (FORMAT JSON)` plan reads the event table otherwise."""
    problems = []
    if node.get("Relation Name") == "damage_event":
        kind = node["Node Type"]
        if node.get("Alias") == "merged_into":
            fine = kind in {"Index Scan", "Index Only Scan"} and "Index Cond" in node
        elif kind in {"Index Scan", "Index Only Scan"}:
            fine = _by(node.get("Index Cond", ""), columns)
        elif kind == "Bitmap Heap Scan":
            fine = all(_by(condition, columns) for condition in _bitmap_conditions(node))
        else:
            fine = False
        if not fine:
            problems.append(f"{kind} on damage_event {node.get('Alias')} {node.get('Index Name')}")
    for child in node.get("Plans", []):
        problems.extend(_postgres_problems(child, columns))
    return problems


def _bitmap_conditions(node: Mapping[str, Any]) -> list[str]:
    """The index conditions a bitmap is built from."""
    if node["Node Type"] == "Bitmap Index Scan":
        return [node.get("Index Cond", "")]
    return [condition for child in node["Plans"] for condition in _bitmap_conditions(child)]


def _problems(engine: sa.Engine, sent: list[tuple[str, Any]], columns: set[str]) -> list[str]:
    """The plan problems of each statement in `sent` that reads the event table."""
    found = []
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for statement, parameters in sent:
            if not re.search(r"\b(?:FROM|JOIN) damage_event\b", statement):
                continue
            if postgres:
                cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0][0]["Plan"]
                problems = _postgres_problems(plan, columns)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                problems = _sqlite_problems([row[-1] for row in cursor.fetchall()], columns)
            found.extend(
                f"{problem}  <-  {' '.join(statement.split())[-160:]}" for problem in problems
            )
    return found


READS: dict[str, Callable[[Registry, dict[str, str]], object]] = {
    "list_events": lambda reg, given: reg.list_events(**given),
    "list_events page": lambda reg, given: reg.list_events(limit=50, offset=100, **given),
    "iter_events": lambda reg, given: list(reg.iter_events(page=500, **given)),
}


def test_every_event_filter_reads_by_an_index(registry: Registry) -> None:
    _fill(registry)
    failures = []
    for name, (given, columns) in FILTERS.items():
        for read_name, read in READS.items():
            with _statements(registry.engine) as sent:
                assert read(registry, given)
            assert any("FROM damage_event" in statement for statement, _ in sent)
            failures.extend(
                f"{name} / {read_name}: {problem}"
                for problem in _problems(registry.engine, sent, columns)
            )
    assert failures == []


def test_a_sites_summary_reads_by_an_index(registry: Registry) -> None:
    """`site_records`, what every summary reads, searches the events by their site."""
    _fill(registry)
    with _statements(registry.engine) as sent:
        assert registry.site_records("site-7").events
    assert sum("FROM damage_event" in statement for statement, _ in sent) >= 2
    assert _problems(registry.engine, sent, {"site_id"}) == []


def test_the_plan_check_sees_a_scan(registry: Registry) -> None:
    """Without a usable index the check fails: a filter on the actor scans the table."""
    _fill(registry)
    query = reads.EVENTS.where(EVENT_TABLE.c.actor == "nobody")
    with _statements(registry.engine) as sent, registry.engine.connect() as connection:
        connection.execute(query).all()
    assert _problems(registry.engine, sent, {"actor"}) != []


def test_the_imports_uid_look_ups_read_by_the_uid_index(registry: Registry) -> None:
    """The import asks for many uids at a time (`db.among`: one array on PostgreSQL, an
    `IN` list on SQLite): each is searched in the uid index, not scanned for. (Asked for 1%
    of this small table's events, PostgreSQL rightly reads it whole: the import's 2,000 a
    batch are a small share of a registry large enough for it to matter.)"""
    _fill(registry)
    with registry.engine.connect() as connection:
        uids = connection.execute(sa.select(EVENT_TABLE.c.uid).limit(20)).scalars().all()
    wanted = [*uids[:10], *(str(uuid.uuid4()) for _ in range(10))]
    with _statements(registry.engine) as sent, registry.engine.connect() as connection:
        found = db.lookup(connection, EVENT_TABLE.c.uid, EVENT_TABLE.c.id, wanted, chunk=2_000)
    assert len(found) == 10
    assert len(sent) == 1
    if registry.engine.dialect.name == "postgresql":
        assert "= ANY (" in sent[0][0]
    assert _problems(registry.engine, sent, {"uid"}) == []


def test_the_events_merged_into_one_are_found_by_an_index(registry: Registry) -> None:
    """What a database reads to check `merged_into_id` when an event is written under
    deferred foreign keys (the SQLite import) or removed: the events merged into it, by
    the partial index of revision 0008. Without it SQLite read every event for each one
    an import wrote (an import of 100,000 events took half an hour)."""
    _fill(registry)
    with registry.engine.connect() as connection:
        some = connection.execute(sa.select(EVENT_TABLE.c.id).limit(1)).scalar_one()
    query = sa.select(EVENT_TABLE.c.id).where(EVENT_TABLE.c.merged_into_id == some)
    with _statements(registry.engine) as sent, registry.engine.connect() as connection:
        connection.execute(query).all()
    assert _problems(registry.engine, sent, {"merged_into_id"}) == []
