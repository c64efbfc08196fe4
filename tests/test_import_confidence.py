"""An import stores each new event's confidence once, derived from the citations it brings.

The import used to write its events with no confidence and then derive and UPDATE every
one of them (on PostgreSQL a quarter of an import's time: a new version of each row in
every index; on SQLite a sixth). It now writes each new event with the confidence derived
from its citations, and writes those citations so that the triggers leave it be: inside
`confidence.derived_citations` on PostgreSQL, which revision 0007's trigger reads; before
their events, under deferred foreign keys, on SQLite, whose triggers read no setting. The
tests count the updates of `damage_event` an import makes with a trigger of their own,
check the stored values against a derivation of every event afresh, on both engines, and
hold the setting to the statements inside `derived_citations`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from heritage_registry import Registry, confidence
from heritage_registry.exchange import import_jsonl
from heritage_registry.models import CITATION_TABLE, EVENT_TABLE
from tests.helpers import stored_confidence

SOURCES = [("afp", "AFP"), ("afp-2", "AFP"), ("reuters", "Reuters"), ("sana", "SANA")]


def _uid(number: int) -> str:
    return f"9f0b2a1c-0000-4000-8000-{number:012d}"


def _citation(source: str, quote: str, **fields: Any) -> dict[str, Any]:
    return {"source": source, "quote": quote, **fields}


def _event(number: int, citations: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "type": "event",
        "uid": _uid(number),
        "site": "palmyra",
        "cause": "explosives",
        "damage_level": "destroyed",
        "occurred": "2015-08-30",
        "citations": citations,
        **fields,
    }


# One new event for each way confidence is derived, and lines that cite events again.
NEW = [
    _event(1, [_citation("afp", "Blown up")]),
    _event(2, [_citation("afp", "Blown up"), _citation("reuters", "Blown up, says a witness")]),
    _event(3, [_citation("afp", "One"), _citation("afp-2", "Same agency")]),
    _event(4, [_citation("afp", "Blown up"), _citation("sana", "Not so", stance="disputes")]),
    _event(5, [_citation("reuters", "Damaged", claimed_level="minor")]),
    _event(6, [_citation("reuters", "In 2014", claimed_occurred="2014")]),
    _event(
        7,
        [_citation("afp", "Relayed", via="SANA"), _citation("reuters", "Also relayed", via="sana")],
    ),
    _event(8, [_citation("afp", "Later withdrawn")], retracted_at="2016-01-01T00:00:00Z"),
]
# Event 1 given again with a citation it lacks, and a citation of event 2 by uid alone:
# each changes what an event written before derives from.
AGAIN = [
    _event(1, [_citation("afp", "Blown up"), _citation("reuters", "Confirmed")]),
    {
        "type": "event",
        "uid": _uid(2),
        "citations": [_citation("sana", "Denied", stance="disputes")],
    },
]


def _lines(records: list[dict[str, Any]]) -> bytes:
    head = [
        {"format": "heritage-registry", "version": 1},
        {"type": "site", "slug": "palmyra", "name": "Palmyra", "country": "SY"},
        *(
            {"type": "source", "key": key, "title": key, "publisher": publisher}
            for key, publisher in SOURCES
        ),
    ]
    return "".join(json.dumps(record) + "\n" for record in head + records).encode()


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def _counting_updates(reg: Registry) -> Iterator[Callable[[], list[str]]]:
    """The uids of the events UPDATEd while inside, in the order the updates came."""
    if reg.engine.dialect.name == "sqlite":
        statements: tuple[str, ...] = (
            "CREATE TABLE test_updated_event (uid TEXT NOT NULL)",
            "CREATE TRIGGER test_count_update AFTER UPDATE ON damage_event "
            "BEGIN INSERT INTO test_updated_event VALUES (NEW.uid); END",
        )
        drops: tuple[str, ...] = (
            "DROP TRIGGER test_count_update",
            "DROP TABLE test_updated_event",
        )
    else:
        statements = (
            "CREATE TABLE test_updated_event (uid TEXT NOT NULL)",
            "CREATE FUNCTION test_count_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO test_updated_event VALUES (NEW.uid); RETURN NULL; END $$",
            "CREATE TRIGGER test_count_update AFTER UPDATE ON damage_event "
            "FOR EACH ROW EXECUTE FUNCTION test_count_update()",
        )
        drops = (
            "DROP TRIGGER test_count_update ON damage_event",
            "DROP FUNCTION test_count_update()",
            "DROP TABLE test_updated_event",
        )
    with reg.engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)

    def updated() -> list[str]:
        with reg.engine.connect() as connection:
            return list(connection.exec_driver_sql("SELECT uid FROM test_updated_event").scalars())

    try:
        yield updated
    finally:
        # The scratch database outlives the test: leave it as the fixtures made it.
        with reg.engine.begin() as connection:
            for statement in drops:
                connection.exec_driver_sql(statement)


def _import(reg: Registry, records: list[dict[str, Any]]) -> None:
    import_jsonl(reg, io.BytesIO(_lines(records)))


def _derived_afresh(reg: Registry) -> dict[str, str | None]:
    """Every event's confidence as `confidence.refresh` derives it with none stored: the
    reference the stored values are held to (in a transaction rolled back)."""
    with reg.engine.connect() as connection, connection.begin() as transaction:
        connection.execute(EVENT_TABLE.update().values(confidence=None))
        confidence.refresh(connection)
        rows = connection.execute(sa.select(EVENT_TABLE.c.uid, EVENT_TABLE.c.confidence))
        derived = {uid: None if value is None else str(value) for uid, value in rows}
        transaction.rollback()
    return derived


@pytest.mark.parametrize("engine", ENGINES)
def test_an_import_updates_none_of_the_events_it_writes(
    fresh_registry: Callable[[str], Registry], engine: str
) -> None:
    reg = fresh_registry(engine)
    with _counting_updates(reg) as updated:
        _import(reg, NEW)
        assert updated() == []
    expected = _derived_afresh(reg)
    assert set(expected.values()) == {
        "single_source", "corroborated", "contested", "retracted",
    }  # fmt: skip
    assert stored_confidence(reg) == expected
    assert {event.uid: event.confidence.value for event in reg.list_events()} == expected


@pytest.mark.postgres
def test_both_engines_store_the_same_confidences(
    fresh_registry: Callable[[str], Registry],
) -> None:
    stored = []
    for engine in ("sqlite", "postgresql"):
        reg = fresh_registry(engine)
        _import(reg, NEW + AGAIN)
        stored.append(stored_confidence(reg))
    assert stored[0] == stored[1]


@pytest.mark.parametrize("engine", ENGINES)
def test_events_cited_again_are_derived_again(
    fresh_registry: Callable[[str], Registry], engine: str
) -> None:
    """Citations added to events written before, in the same file or by uid, are not
    the ones the events were derived from: the trigger unsets them, the import derives
    them again, and only those are updated."""
    reg = fresh_registry(engine)
    with _counting_updates(reg) as updated:
        _import(reg, NEW + AGAIN)
        assert set(updated()) == {_uid(1), _uid(2)}
    expected = _derived_afresh(reg)
    assert expected[_uid(1)] == "corroborated"
    assert expected[_uid(2)] == "contested"
    assert stored_confidence(reg) == expected


def _add_event(reg: Registry) -> str:
    reg.add_site(slug="palmyra", name="Palmyra", country="SY")
    for key, publisher in SOURCES:
        reg.add_source(key=key, title=key, publisher=publisher)
    event = reg.add_event(
        site="palmyra",
        cause="explosives",
        damage_level="destroyed",
        occurred="2015-08-30",
        source="afp",
        quote="Blown up",
    )
    assert stored_confidence(reg) == {event.uid: "single_source"}
    return event.uid


def _cite(connection: sa.Connection, uid: str, quote: str) -> None:
    event_id = connection.execute(
        sa.select(EVENT_TABLE.c.id).where(EVENT_TABLE.c.uid == uid)
    ).scalar_one()
    source_id = connection.exec_driver_sql("SELECT id FROM source WHERE key = 'reuters'").scalar()
    connection.execute(
        CITATION_TABLE.insert().values(
            event_id=event_id,
            source_id=source_id,
            quote=quote,
            stance="supports",
            mentions=[],
            created_at=sa.func.now(),
        )
    )


@pytest.mark.postgres
def test_the_setting_holds_only_inside_derived_citations(
    fresh_registry: Callable[[str], Registry],
) -> None:
    reg = fresh_registry("postgresql")
    uid = _add_event(reg)
    with reg.engine.begin() as connection:
        with confidence.derived_citations(connection):
            _cite(connection, uid, "Inside")
        assert _stored_in(connection, uid) == "single_source"
        # The next statement of the same transaction is any writer's again.
        _cite(connection, uid, "After")
        assert _stored_in(connection, uid) is None


@pytest.mark.postgres
def test_a_failure_inside_derived_citations_leaves_no_setting_behind(
    fresh_registry: Callable[[str], Registry],
) -> None:
    reg = fresh_registry("postgresql")
    uid = _add_event(reg)
    with reg.engine.connect() as connection:
        with (
            pytest.raises(RuntimeError),
            connection.begin(),
            confidence.derived_citations(connection),
        ):
            raise RuntimeError("the COPY failed")
        with connection.begin():
            _cite(connection, uid, "Later, on the same connection")
            assert _stored_in(connection, uid) is None


def test_derived_citations_does_nothing_on_sqlite(
    fresh_registry: Callable[[str], Registry],
) -> None:
    reg = fresh_registry("sqlite")
    uid = _add_event(reg)
    with reg.engine.begin() as connection:
        with confidence.derived_citations(connection):
            _cite(connection, uid, "Inside")
        assert _stored_in(connection, uid) is None


def _stored_in(connection: sa.Connection, uid: str) -> str | None:
    value: str | None = connection.execute(
        sa.select(EVENT_TABLE.c.confidence).where(EVENT_TABLE.c.uid == uid)
    ).scalar_one()
    return value
