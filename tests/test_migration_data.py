"""Migrations keep data: a registry populated at each past revision survives upgrading.

For every revision, the test migrates an empty database to it, fills every table that
revision has with known rows (only the columns it has), upgrades to head and checks that
each value is still there. Downgrading one step and upgrading again keeps whatever both
revisions can hold; a downgrade that could not keep the data refuses instead. On SQLite
and PostgreSQL. When a new revision adds a required column, the rows below need it too:
the test says so by failing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from heritage_registry import schema
from heritage_registry.db import make_engine
from heritage_registry.errors import SchemaError

WHEN = dt.datetime(2016, 3, 27, 12, 0, tzinfo=dt.UTC)

# Rows for every table any revision has, in insertion order; ids are fixed so that the
# references between them hold.
ROWS: dict[str, list[dict[str, Any]]] = {
    "site": [
        {
            "id": 1,
            "slug": "palmyra",
            "name": "Palmyra",
            "country": "SY",
            "kind": "archaeological_site",
            "latitude": 34.5514,
            "longitude": 38.2681,
            "location_precision_m": 1500.0,
            "unesco_whc_id": 23,
            "wikidata_qid": None,
            "description": "'; DROP TABLE site; --",
            "alt_names": [{"name": "تدمر", "lang": "ar"}],
            "created_at": WHEN,
            "updated_at": WHEN,
        }
    ],
    "monument": [
        {
            "id": 1,
            "site_id": 1,
            "slug": "citadel",
            "name": "Palmyra citadel",
            "kind": "citadel",
            "built": "12XX",
            "built_from_year": 1200,
            "built_to_year": 1299,
            "latitude": None,
            "longitude": None,
            "description": None,
            "alt_names": [],
            "created_at": WHEN,
            "updated_at": WHEN,
        }
    ],
    "source": [
        {
            "id": 1,
            "key": "newarab-2016-03-27",
            "title": "Palmyra recaptured",
            "publisher": "The New Arab",
            "author": None,
            "url": None,
            "language": "en",
            "published": "2016-03-27",
            "published_earliest": dt.date(2016, 3, 27),
            "published_latest": dt.date(2016, 3, 27),
            "source_type": "news_report",
            "note": None,
            "created_at": WHEN,
            "updated_at": WHEN,
        }
    ],
    "damage_event": [
        {
            "id": 1,
            "uid": "93b66f46-7152-4ee7-a52a-ae762d28f389",
            "site_id": 1,
            "monument_id": 1,
            "cause": "occupation",
            "damage_level": "unknown",
            "occurred": "2015-05-23/2016-03-25",
            "earliest": dt.date(2015, 5, 23),
            "latest": dt.date(2016, 3, 25),
            "actor": "Islamic State",
            "description": None,
            "retracted_at": None,
            "retraction_reason": None,
            "merged_into_id": None,
            "merged_at": None,
            "merge_reason": None,
            "created_at": WHEN,
            "updated_at": WHEN,
        }
    ],
    "source_citation": [
        {
            "id": 1,
            "event_id": 1,
            "source_id": 1,
            "quote": "had taken over the citadel on May 23 last year",
            "location": "paragraph 16",
            "stance": "supports",
            "claimed_occurred": None,
            "claimed_level": None,
            "date_resolution": "'May 23 last year' in an article of 2016-03-27 -> 2015-05-23",
            "via": None,
            "mentions": [],
            "created_at": WHEN,
            # What revision 0006 gives the citations written before it: unverified.
            "text_start": None,
            "text_end": None,
        }
    ],
    "change": [
        {
            "id": 1,
            "record_type": "event",
            "record": "93b66f46-7152-4ee7-a52a-ae762d28f389",
            "action": "update",
            "old": {"damage_level": "severe"},
            "new": {"damage_level": "unknown"},
            "reason": "the source gives no level",
            "changed_by": "analyst",
            # What revision 0004 gives the entries written before it recorded how.
            "how": "unrecorded",
            "changed_at": WHEN,
        }
    ],
}

REVISIONS = [revision.revision for revision in reversed(schema.history())]


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def tables_at(engine: sa.Engine) -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    metadata.reflect(engine)
    return {name: table for name, table in metadata.tables.items() if name != "alembic_version"}


def fill(
    engine: sa.Engine, *, skip: frozenset[str] = frozenset()
) -> dict[str, list[dict[str, Any]]]:
    """Insert the known rows into the tables the database has; returns what was written."""
    tables = tables_at(engine)
    written: dict[str, list[dict[str, Any]]] = {}
    with engine.begin() as connection:
        for name, rows in ROWS.items():
            if name not in tables or name in skip:
                continue
            table = tables[name]
            missing = {c.name for c in table.columns if not c.nullable and c.name not in rows[0]}
            assert not missing, f"give ROWS[{name!r}] the new required column(s) {missing}"
            values = [{k: v for k, v in row.items() if k in table.columns} for row in rows]
            connection.execute(table.insert(), values)
            written[name] = values
        if connection.dialect.name == "postgresql":
            for name in written:
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), 100)"
                )
    return written


def normal(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def check(engine: sa.Engine, written: dict[str, list[dict[str, Any]]]) -> None:
    tables = tables_at(engine)
    with engine.connect() as connection:
        for name, rows in written.items():
            stored = [
                dict(row._mapping)
                for row in connection.execute(sa.select(tables[name]).order_by("id"))
            ]
            assert len(stored) == len(rows), name
            for expected, found in zip(rows, stored, strict=True):
                for column, value in expected.items():
                    # A column a downgrade removed held only its default (the test's rows
                    # do), which is what lets the downgrade run.
                    if column in found:
                        assert normal(found[column]) == value, (name, column)


@pytest.mark.parametrize("revision", REVISIONS)
def test_a_registry_filled_at_any_revision_survives_the_upgrade_to_head(
    engine: sa.Engine, revision: str
) -> None:
    schema.upgrade(engine, revision)
    written = fill(engine)
    schema.upgrade(engine, "head")
    assert schema.current_revision(engine) == schema.head_revision()
    check(engine, written)


@pytest.mark.parametrize(("older", "newer"), list(itertools.pairwise(REVISIONS)))
def test_down_and_up_again_keeps_what_both_revisions_hold(
    engine: sa.Engine, older: str, newer: str
) -> None:
    schema.upgrade(engine, older)
    older_tables = set(tables_at(engine))
    schema.upgrade(engine, newer)
    # What only the newer revision can hold is left empty: a downgrade has nowhere to
    # keep it, and refuses when there is some (the next test).
    written = fill(engine, skip=frozenset(set(ROWS) - older_tables))
    schema.downgrade(engine, older)
    check(engine, written)
    schema.upgrade(engine, newer)
    check(engine, written)


def test_a_downgrade_that_would_drop_history_refuses_and_keeps_everything(
    engine: sa.Engine,
) -> None:
    schema.upgrade(engine, "head")
    written = fill(engine)
    with pytest.raises(SchemaError, match=r"downgrading to 0001 would delete \d+ change rows?"):
        schema.downgrade(engine, "0001")
    assert schema.current_revision(engine) == schema.head_revision()
    check(engine, written)
    # alembic's own command, unconfirmed, meets the migration's guard (from 0002, whose
    # downgrade is the one that would drop the history).
    schema.downgrade(engine, "0002")
    with (
        pytest.raises(SchemaError, match=r"this downgrade would delete \d+ change rows?"),
        engine.begin() as connection,
    ):
        command.downgrade(schema.alembic_config(connection), "0001")
    assert schema.current_revision(engine) == "0002"
    check(engine, written)


def test_citations_from_before_origins_relay_no_one_and_mention_nothing(
    engine: sa.Engine,
) -> None:
    schema.upgrade(engine, "0002")
    fill(engine)
    schema.upgrade(engine, "0003")
    with engine.connect() as connection:
        via, mentions = connection.execute(
            sa.text("SELECT via, mentions FROM source_citation")
        ).one()
        merged = connection.execute(sa.text("SELECT merged_into_id FROM damage_event")).scalar()
    assert via is None
    assert (json.loads(mentions) if isinstance(mentions, str) else mentions) == []
    assert merged is None


def test_a_downgrade_past_origins_refuses_while_a_citation_has_one(engine: sa.Engine) -> None:
    schema.upgrade(engine, "head")
    written = fill(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE source_citation SET via = 'Syrian army'"))
    with pytest.raises(
        SchemaError,
        match=r"downgrading to 0002 would delete 1 source_citation row with a via or mentions",
    ):
        schema.downgrade(engine, "0002")
    assert schema.current_revision(engine) == schema.head_revision()
    written["source_citation"][0]["via"] = "Syrian army"
    check(engine, written)


def test_history_from_before_provenance_keeps_its_entries_as_unrecorded(
    engine: sa.Engine,
) -> None:
    schema.upgrade(engine, "0003")
    written = fill(engine)
    schema.upgrade(engine, "0004")
    check(engine, written)
    with engine.connect() as connection:
        how = connection.execute(sa.text("SELECT how FROM change")).scalars().all()
    assert how == ["unrecorded"]


def test_a_downgrade_past_provenance_refuses_while_history_records_a_creation(
    engine: sa.Engine,
) -> None:
    schema.upgrade(engine, "head")
    written = fill(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE change SET action = 'create', how = 'command'"))
    with pytest.raises(
        SchemaError,
        match=r"downgrading to 0003 would delete 1 change row recording a creation or removal",
    ):
        schema.downgrade(engine, "0003")
    assert schema.current_revision(engine) == schema.head_revision()
    written["change"][0] |= {"action": "create", "how": "command"}
    check(engine, written)
    schema.downgrade(engine, "0003", drop_data=True)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM change")).scalar() == 0
