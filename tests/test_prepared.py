"""`prepared.Prepared`: the same rows as `Connection.execute`, by the driver, on both engines.

Every statement that `reads` runs through `Prepared` is checked against SQLAlchemy's own
execution, row by row, value by value and type by type, on the seed and on generated
registries; `get_event` and `site_records` against the reads they replaced; statements
whose SQL is not final are refused, and a driver's error is SQLAlchemy's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from heritage_registry import EventNotFound, Registry, SiteNotFound, reads
from heritage_registry.models import CITATION_TABLE, EVENT_TABLE, SITE_TABLE, aware
from heritage_registry.prepared import NotPreparable, Prepared
from heritage_registry.seed import load_seed
from heritage_registry.vocab import Cause, DamageLevel, Stance
from tests import strategies as s
from tests.helpers import fill

# Few examples: each builds a registry and reads every statement for every event and site.
FEW = settings(max_examples=5)

PREPARED = {
    "event by uid": reads._EVENT_BY_UID_PREPARED,
    "site by slug": reads._SITE_BY_SLUG_PREPARED,
    "site monuments": reads._SITE_MONUMENTS_PREPARED,
    "site sources": reads._SITE_SOURCES_PREPARED,
    "site events": reads._SITE_EVENTS_PREPARED,
    "site citations": reads._SITE_CITATIONS_PREPARED,
}


def calls(connection: sa.Connection) -> Iterator[tuple[Prepared, Mapping[str, Any]]]:
    """Each prepared statement with the parameters of every event and site there is,
    and of none (no rows)."""
    uids = connection.execute(sa.select(EVENT_TABLE.c.uid)).scalars().all()
    sites = connection.execute(sa.select(SITE_TABLE.c.slug, SITE_TABLE.c.id)).all()
    for uid in [*uids, "no-such-uid"]:
        yield reads._EVENT_BY_UID_PREPARED, {"uid": uid}
    for slug, site_id in [*sites, ("no-such-site", -1)]:
        yield reads._SITE_BY_SLUG_PREPARED, {"slug": slug}
        for prepared in (
            reads._SITE_MONUMENTS_PREPARED,
            reads._SITE_SOURCES_PREPARED,
            reads._SITE_EVENTS_PREPARED,
            reads._SITE_CITATIONS_PREPARED,
        ):
            yield prepared, {"site_id": site_id}


def assert_same_rows(
    connection: sa.Connection, prepared: Prepared, params: Mapping[str, Any]
) -> int:
    """`prepared`'s rows are SQLAlchemy's, in names, values and types; their count."""
    expected = tuple(connection.execute(prepared.statement, params).all())
    got = prepared.rows(connection, params)
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert row._fields == want._fields
        assert tuple(row) == tuple(want)
        assert [type(value) for value in row] == [type(value) for value in want]
        for name in want._fields:
            assert getattr(row, name) == getattr(want, name)
    return len(got)


def assert_every_statement_same(registry: Registry) -> dict[Prepared, int]:
    """Each statement's rows as SQLAlchemy's; how many rows of each were compared."""
    read = dict.fromkeys(PREPARED.values(), 0)
    with registry.engine.begin() as connection:
        for prepared, params in calls(connection):
            read[prepared] += assert_same_rows(connection, prepared, params)
    return read


class ViaExecute:
    """`Prepared.rows` as the reads ran before it: by `Connection.execute`."""

    def __enter__(self) -> None:
        self.patch = pytest.MonkeyPatch()
        self.patch.setattr(
            Prepared,
            "rows",
            lambda self, connection, params: connection.execute(self.statement, params).all(),
        )

    def __exit__(self, *exc: object) -> None:
        self.patch.undo()


def assert_reads_as_before(registry: Registry) -> None:
    """`get_event` and `site_records` give what they gave through `Connection.execute`,
    `get_event` what `events_public` reads of the event, and `list_events(site=...)`
    what the list filtered by site gives."""
    uids = [event.uid for event in registry.list_events()]
    slugs = [site.slug for site in registry.list_sites()]
    with ViaExecute():
        events = [registry.get_event(uid) for uid in uids]
        records = [registry.site_records(slug) for slug in slugs]
    assert [registry.get_event(uid) for uid in uids] == events
    assert [registry.site_records(slug) for slug in slugs] == records
    with registry.transaction() as session:
        for uid, event in zip(uids, events, strict=True):
            assert reads.events_public(session, EVENT_TABLE.c.uid == uid) == [event]
    # A prefix of a uid still finds its event, by the lookup of the Session.
    for uid, event in zip(uids, events, strict=True):
        assert registry.get_event(uid[:13]) == event
    # A whole site's list (by the summary's statements) is the filtered list's, whose
    # page is the whole site too.
    for slug in slugs:
        assert registry.list_events(site=slug) == registry.list_events(site=slug, limit=10**9)
    with pytest.raises(SiteNotFound):
        registry.list_events(site="no-such-site")


def change_some(registry: Registry) -> None:
    """A retraction and a merge, so that their columns are read with values."""
    events = registry.list_events()
    by_site: dict[str, list[str]] = {}
    for event in events:
        by_site.setdefault(event.site, []).append(event.uid)
    registry.retract_event(events[0].uid, reason="a duplicate report", by="ana")
    for uids in by_site.values():
        live = [uid for uid in uids if uid != events[0].uid]
        if len(live) >= 2:
            registry.merge_events(live[0], live[1], reason="one incident", by="ana")
            return


# Rows ----------------------------------------------------------------------------------


def test_the_reads_statements_give_sqlalchemys_rows_on_the_seed(registry: Registry) -> None:
    load_seed(registry)
    change_some(registry)
    # Rows of each statement were compared, not only empty results.
    assert all(assert_every_statement_same(registry).values())
    # The types SQLAlchemy gives, which the checks above hold Prepared to.
    with registry.engine.connect() as connection:
        uid = registry.list_events()[0].uid
        (row, *_) = reads._EVENT_BY_UID_PREPARED.rows(connection, {"uid": uid})
    assert isinstance(row.cause, Cause)
    assert isinstance(row.damage_level, DamageLevel)
    assert isinstance(row.stance, Stance)
    assert isinstance(row.created_at, dt.datetime)
    assert isinstance(row.mentions, list)
    assert row._fields == tuple(reads._EVENT_BY_UID.selected_columns.keys())


def test_get_event_and_site_records_read_as_before_on_the_seed(registry: Registry) -> None:
    load_seed(registry)
    change_some(registry)
    assert_reads_as_before(registry)


@FEW
@given(contents=s.registry_contents())
def test_the_reads_statements_give_sqlalchemys_rows_on_sqlite(
    fresh_registry: Callable[[str], Registry], contents: dict[str, list[dict[str, Any]]]
) -> None:
    registry = fresh_registry("sqlite")
    fill(registry, contents)
    assert_every_statement_same(registry)
    assert_reads_as_before(registry)


@pytest.mark.postgres
@FEW
@given(contents=s.registry_contents())
def test_the_reads_statements_give_sqlalchemys_rows_on_postgresql(
    fresh_registry: Callable[[str], Registry], contents: dict[str, list[dict[str, Any]]]
) -> None:
    registry = fresh_registry("postgresql")
    fill(registry, contents)
    assert_every_statement_same(registry)
    assert_reads_as_before(registry)


class Tagged(sa.TypeDecorator[str]):
    """Text marked on its way in and on its way out, to show both processors ran."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else f"<{value}"

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else f"{value}>"


def test_bind_and_result_processors_are_applied_and_defaults_bound(registry: Registry) -> None:
    statement = sa.select(
        sa.cast(sa.bindparam("given", type_=Tagged), Tagged).label("given"),
        sa.cast(sa.bindparam("fixed", "kept", type_=Tagged), Tagged).label("fixed"),
        sa.literal(Cause.FIRE, EVENT_TABLE.c.cause.type).label("cause"),
    )
    with registry.engine.connect() as connection:
        rows = Prepared(statement).rows(connection, {"given": "x"})
        assert rows == [("<x>", "<kept>", Cause.FIRE)]
        assert rows == list(connection.execute(statement, {"given": "x"}).all())
        with pytest.raises(sa.exc.InvalidRequestError, match="'given'"):
            Prepared(statement).rows(connection, {})


def test_empty_json_lists_are_new_lists_and_enums_their_members(registry: Registry) -> None:
    """The faster processors (`prepared._empty_list`, `_enum_lookup`) give what Core's do:
    a list of its own to each row, the vocabulary's members, and an error for a value
    outside it."""
    json = "'[]'::jsonb" if registry.engine.dialect.name == "postgresql" else "'[]'"
    mentions = sa.type_coerce(sa.literal_column(json), CITATION_TABLE.c.mentions.type)
    cause = sa.type_coerce(sa.literal_column("'fire'"), EVENT_TABLE.c.cause.type)
    one = sa.select(mentions.label("mentions"), cause.label("cause"))
    statement = sa.select(one.union_all(one).subquery())
    with registry.engine.connect() as connection:
        rows = Prepared(statement).rows(connection, {})
        assert rows == list(connection.execute(statement).all())
        assert rows[0].mentions == []
        assert rows[0].cause is Cause.FIRE
        rows[0].mentions.append("changed")
        assert rows[1].mentions == []
        flood = sa.type_coerce(sa.literal_column("'flood'"), EVENT_TABLE.c.cause.type)
        with pytest.raises(LookupError):
            Prepared(sa.select(flood.label("cause"))).rows(connection, {})


def test_the_statement_runs_in_the_connections_transaction(registry: Registry) -> None:
    registry.add_site(slug="tell-x", name="Tell X", country="SY")
    engine = registry.engine
    with engine.connect() as connection:
        connection.begin()
        connection.execute(sa.update(SITE_TABLE).values(name="Renamed"))
        (row,) = reads._SITE_BY_SLUG_PREPARED.rows(connection, {"slug": "tell-x"})
        assert row.name == "Renamed"
        connection.rollback()
    with engine.connect() as connection:
        (row,) = reads._SITE_BY_SLUG_PREPARED.rows(connection, {"slug": "tell-x"})
    assert row.name == "Tell X"


def test_listeners_see_the_statement(registry: Registry) -> None:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(registry.engine, "before_cursor_execute", record)
    try:
        with registry.engine.connect() as connection:
            reads._SITE_BY_SLUG_PREPARED.rows(connection, {"slug": "nowhere"})
    finally:
        sa.event.remove(registry.engine, "before_cursor_execute", record)
    assert seen == [str(reads._SITE_BY_SLUG.compile(registry.engine))]


# Refusals and errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        sa.select(EVENT_TABLE.c.id).where(
            EVENT_TABLE.c.uid.in_(sa.bindparam("uids", expanding=True))
        ),
        sa.select(EVENT_TABLE.c.id).where(EVENT_TABLE.c.uid.in_(["a", "b"])),
        sa.select(EVENT_TABLE.c.id).where(
            EVENT_TABLE.c.uid == sa.bindparam("uid", literal_execute=True)
        ),
    ],
    ids=["expanding bind", "IN of a list", "literal_execute"],
)
def test_a_statement_whose_sql_is_not_final_is_refused(
    registry: Registry, statement: sa.Select[Any]
) -> None:
    with registry.engine.connect() as connection, pytest.raises(NotPreparable, match="not final"):
        Prepared(statement).rows(connection, {"uids": ["a"], "uid": "a"})


@pytest.mark.parametrize(
    "columns",
    [
        [sa.literal(1).label("a"), sa.literal(2).label("a")],
        [SITE_TABLE.c.id, EVENT_TABLE.c.id],
        [sa.func.length(SITE_TABLE.c.slug)],
        [sa.literal(1).label("_a")],
        [sa.literal(1).label("class")],
        [sa.literal(1).label("two words")],
    ],
    ids=["repeated", "two ids", "no name", "underscore", "keyword", "not an identifier"],
)
def test_columns_that_cannot_name_fields_are_refused(columns: list[Any]) -> None:
    with pytest.raises(NotPreparable):
        Prepared(sa.select(*columns))


def test_a_driver_error_is_sqlalchemys(registry: Registry) -> None:
    missing = sa.select(sa.table("no_such_table", sa.column("x")).c.x)
    expected = {"sqlite": sa.exc.OperationalError, "postgresql": sa.exc.ProgrammingError}
    with registry.engine.connect() as connection:
        with pytest.raises(expected[connection.dialect.name]) as raised:
            Prepared(missing).rows(connection, {})
        assert raised.value.statement == str(missing.compile(connection))
        assert isinstance(raised.value.orig, connection.dialect.loaded_dbapi.Error)


def test_a_uid_prefix_and_a_missing_uid_still_go_by_the_session(registry: Registry) -> None:
    load_seed(registry)
    uid = registry.list_events()[0].uid
    assert registry.get_event(uid[:8]).uid == uid
    with pytest.raises(EventNotFound):
        registry.get_event("ffffffff-ffff-4fff-8fff-ffffffffffff")


class _Stamp(dt.datetime):
    """A datetime of another class, which `aware` must give back as `replace` would."""


@given(
    st.datetimes(allow_imaginary=True)
    | st.builds(_Stamp.fromisoformat, st.datetimes().map(dt.datetime.isoformat))
)
@example(dt.datetime.min)
@example(dt.datetime.max)
@example(dt.datetime(1970, 1, 1))
@example(dt.datetime(1969, 12, 31, 23, 59, 59, 999999))
@example(dt.datetime(2015, 8, 30, 12, 0, fold=1))
def test_aware_is_replace_with_utc(value: dt.datetime) -> None:
    """`aware`'s arithmetic gives what `replace(tzinfo=UTC)` gives, to the microsecond,
    the fold and the class, from the first year to the last; a time with its zone is
    given back as it is."""
    made = aware(value)
    expected = value.replace(tzinfo=dt.UTC)
    assert made == expected
    assert (type(made), made.tzinfo, made.fold) == (type(expected), dt.UTC, expected.fold)
    assert made.timetuple() == expected.timetuple()
    assert made.microsecond == expected.microsecond
    assert aware(made) is made
