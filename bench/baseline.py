"""The hand-written sqlite3 baselines the library's numbers are divided by.

- `insert_rows`: the rows `registry import` writes, pre-built in memory, inserted with
  plain `sqlite3` `executemany` into a database migrated by `registry init` (the same
  tables, constraints and indexes), on a connection set up as the library sets up its
  own (WAL journal, foreign keys on), committing as the import does (10,000 records a
  transaction, growing on SQLite with the registry: `writer.transaction_full`), with the
  page cache the import gives itself (`db.bulk_cache_kib`).
- `SummaryQueries`: the rows one site's summary is built from (the site, its
  monuments, its events with their citations joined to their sources, the sources
  cited), fetched with five SQL statements and nothing else.
- `compare_tables`: whether two registries hold the same rows, so that the baseline is
  known to have written what the import wrote.
- `EventQueries`: the rows of one event (`Registry.get_event`) and of one site's events
  (`Registry.list_events(site=...)`): the events with their site's and monument's slugs,
  their citations joined to their sources, by hand-written SQL on a sqlite3 or psycopg
  connection.
- On PostgreSQL (`copy_rows`, `compare_postgres`): the same rows `COPY ... FROM STDIN`
  with psycopg 3 into a database migrated by `registry init`, committing as the import
  commits, and the comparison of two such databases; `copy_history`: the history entries
  the import wrote, copied the same way, for the ratio against everything it writes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from synthetic import (
    CITATION_COLUMNS,
    EVENT_COLUMNS,
    MONUMENT_COLUMNS,
    SITE_COLUMNS,
    SOURCE_COLUMNS,
    Generated,
    Row,
)

from heritage_registry.db import bulk_cache_kib
from heritage_registry.exchange.writer import TRANSACTION_SIZE, transaction_full

TABLES = ("site", "monument", "source", "damage_event", "source_citation")
# What the import derives and stores beyond the rows the baseline writes, left out of the
# comparison: each event's confidence (revision 0005), derived from its citations.
DERIVED = {"damage_event": frozenset({"confidence"})}


def connect(path: Path) -> sqlite3.Connection:
    """A connection configured as `heritage_registry.db.make_engine` configures its own."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA busy_timeout = 30000")
    return connection


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def insert_rows(path: Path, rows: Generated) -> float:
    """Insert the generated rows into the empty registry at `path`; returns the seconds.

    Transactions end where the import's would (`transaction_full`, counted in records:
    sites, monuments, sources and events, an event with its citations), and each is
    given the page cache the import gives its own (`bulk_cache_kib`).
    """
    connection = connect(path)
    try:
        started = time.perf_counter()
        written = 0
        citation_sql = _insert_sql("source_citation", CITATION_COLUMNS)
        for table, columns, table_rows in (
            ("site", SITE_COLUMNS, rows.sites),
            ("monument", MONUMENT_COLUMNS, rows.monuments),
            ("source", SOURCE_COLUMNS, rows.sources),
            ("damage_event", EVENT_COLUMNS, rows.events),
        ):
            sql = _insert_sql(table, columns)
            start = 0
            while start < len(table_rows):
                connection.execute("BEGIN")
                connection.execute(f"PRAGMA cache_size = -{bulk_cache_kib(written)}")
                began = time.monotonic()
                stop = start
                # A chunk of TRANSACTION_SIZE at a time, until the import would commit.
                while stop < len(table_rows):
                    end = min(stop + TRANSACTION_SIZE, len(table_rows))
                    connection.executemany(sql, table_rows[stop:end])
                    if table == "damage_event":
                        first = rows.citation_ends[stop - 1] if stop else 0
                        connection.executemany(
                            citation_sql, rows.citations[first : rows.citation_ends[end - 1]]
                        )
                    written += end - stop
                    stop = end
                    if transaction_full("sqlite", stop - start, written, time.monotonic() - began):
                        break
                connection.execute("COMMIT")
                start = stop
        return time.perf_counter() - started
    finally:
        connection.close()


def compare_tables(path: Path, other: Path, *, window: int | None = None) -> dict[str, int]:
    """Rows of each table that differ between two registries (ids included), both ways.

    With `window`, only five runs of that many ids (at the start, the quarters and the
    end of each table) are compared: an id range is read from the primary key, so the
    check takes a second on a registry of millions of rows, where comparing every row
    takes minutes.
    """
    connection = sqlite3.connect(path)
    try:
        connection.execute("ATTACH DATABASE ? AS other", (str(other),))
        differing: dict[str, int] = {}
        for table in TABLES:
            where = ""
            if window is not None:
                last = connection.execute(f"SELECT COALESCE(MAX(id), 0) FROM main.{table}")
                top = int(last.fetchone()[0])
                starts = sorted(
                    {max(1, round(top * share) - window // 2) for share in (0, 0.25, 0.5, 0.75, 1)}
                )
                where = "WHERE " + " OR ".join(
                    f"id BETWEEN {start} AND {start + window - 1}" for start in starts
                )
            columns = ", ".join(
                name
                for _cid, name, *_rest in connection.execute(f"PRAGMA main.table_info({table})")
                if name not in DERIVED.get(table, ())
            )
            mine = f"SELECT {columns} FROM main.{table} {where}"
            theirs = f"SELECT {columns} FROM other.{table} {where}"
            count = connection.execute(
                f"SELECT (SELECT COUNT(*) FROM ({mine} EXCEPT {theirs}))"
                f" + (SELECT COUNT(*) FROM ({theirs} EXCEPT {mine}))"
            ).fetchone()[0]
            differing[table] = int(count)
        return differing
    finally:
        connection.close()


class SummaryQueries:
    """The rows of one site's summary, fetched with plain SQL on one sqlite3 connection."""

    SITE = "SELECT * FROM site WHERE slug = ?"
    MONUMENTS = "SELECT * FROM monument WHERE site_id = ? ORDER BY slug"
    # The library's event order: earliest (open starts first), latest (open ends last), uid.
    EVENTS = """
        SELECT e.*, m.slug FROM damage_event AS e
        LEFT JOIN monument AS m ON m.id = e.monument_id
        WHERE e.site_id = ?
        ORDER BY e.earliest ASC NULLS FIRST, e.latest ASC NULLS LAST, e.uid
    """
    CITATIONS = """
        SELECT c.*, s.* FROM source_citation AS c
        JOIN source AS s ON s.id = c.source_id
        WHERE c.event_id IN (SELECT id FROM damage_event WHERE site_id = ?)
        ORDER BY c.id
    """
    SOURCES = """
        SELECT * FROM source WHERE id IN (
            SELECT c.source_id FROM source_citation AS c
            JOIN damage_event AS e ON e.id = c.event_id
            WHERE e.site_id = ?
        )
        ORDER BY key
    """

    def __init__(self, path: Path) -> None:
        self.connection = connect(path)
        # The position of `site.id` in `SELECT * FROM site` (the migration puts it late).
        columns = [row[1] for row in self.connection.execute("PRAGMA table_info(site)")]
        self.site_id_index = columns.index("id")

    def close(self) -> None:
        self.connection.close()

    def fetch(self, slug: str) -> dict[str, list[Row]]:
        """The site's rows; every list is fetched whole, as the library's are."""
        execute = self.connection.execute
        execute("BEGIN")
        try:
            site = execute(self.SITE, (slug,)).fetchall()
            site_id: Any = site[0][self.site_id_index]
            return {
                "site": site,
                "events": execute(self.EVENTS, (site_id,)).fetchall(),
                "citations": execute(self.CITATIONS, (site_id,)).fetchall(),
                "monuments": execute(self.MONUMENTS, (site_id,)).fetchall(),
                "sources": execute(self.SOURCES, (site_id,)).fetchall(),
            }
        finally:
            execute("COMMIT")


class EventQueries:
    """One event, or one site's events, with their citations and sources, by plain SQL.

    The statements read what `Registry.get_event` and `Registry.list_events(site=...)`
    read: each event with its site's and monument's slugs and the uid of the event it
    was merged into, and its citations (in citation order) with their source's key and
    publisher. `connection` is a sqlite3 connection in autocommit mode or a psycopg one
    (`marker` `%s`); each call is one transaction, as each library call is.
    """

    EVENT_COLUMNS = """
        e.*, s.slug AS site, m.slug AS monument, merged.uid AS merged_into
        FROM damage_event AS e
        JOIN site AS s ON s.id = e.site_id
        LEFT JOIN monument AS m ON m.id = e.monument_id
        LEFT JOIN damage_event AS merged ON merged.id = e.merged_into_id
    """
    CITATION_COLUMNS = """
        c.*, src.key, src.publisher FROM source_citation AS c
        JOIN source AS src ON src.id = c.source_id
    """

    def __init__(self, connection: Any, marker: str = "?") -> None:
        self.connection = connection
        self.postgres = marker != "?"
        self.event_sql = f"SELECT {self.EVENT_COLUMNS} WHERE e.uid = {marker}"
        self.citations_sql = (
            f"SELECT {self.CITATION_COLUMNS} WHERE c.event_id = {marker} ORDER BY c.id"
        )
        self.site_sql = f"SELECT id FROM site WHERE slug = {marker}"
        self.site_events_sql = (
            f"SELECT {self.EVENT_COLUMNS} WHERE e.site_id = {marker}"
            " ORDER BY e.earliest ASC NULLS FIRST, e.latest ASC NULLS LAST, e.uid"
        )
        self.site_citations_sql = (
            f"SELECT {self.CITATION_COLUMNS} WHERE c.event_id IN"
            f" (SELECT id FROM damage_event WHERE site_id = {marker}) ORDER BY c.id"
        )

    def _begin(self) -> None:
        if not self.postgres:
            self.connection.execute("BEGIN")

    def _end(self) -> None:
        if self.postgres:
            self.connection.rollback()
        else:
            self.connection.execute("COMMIT")

    def event(self, uid: str) -> tuple[Row, list[Row]]:
        """The event `uid` and its citations."""
        execute = self.connection.execute
        self._begin()
        try:
            event = execute(self.event_sql, (uid,)).fetchone()
            # The event's id is its `id` column: first of `e.*` on neither engine, so by name.
            event_id = event[self._event_id_index]
            return event, execute(self.citations_sql, (event_id,)).fetchall()
        finally:
            self._end()

    def site_events(self, slug: str) -> tuple[list[Row], list[Row]]:
        """The events of the site `slug` in the library's order, and their citations."""
        execute = self.connection.execute
        self._begin()
        try:
            (site_id,) = execute(self.site_sql, (slug,)).fetchone()
            return (
                execute(self.site_events_sql, (site_id,)).fetchall(),
                execute(self.site_citations_sql, (site_id,)).fetchall(),
            )
        finally:
            self._end()

    @property
    def _event_id_index(self) -> int:
        index = getattr(self, "_id_index", None)
        if index is None:
            cursor = self.connection.execute(f"SELECT {self.EVENT_COLUMNS} WHERE 1 = 0")
            names = [column[0] for column in cursor.description]
            index = self._id_index = names.index("id")
            if self.postgres:
                self.connection.rollback()
        return int(index)


# PostgreSQL -----------------------------------------------------------------------


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://...`) as psycopg and psql take it."""
    scheme, rest = url.split("://", 1)
    return ("postgresql" if scheme.startswith("postgres") else scheme) + "://" + rest


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def copy_rows(url: str, rows: Generated) -> float:
    """COPY the generated rows into the empty migrated registry at `url`; returns seconds.

    psycopg 3 `COPY ... FROM STDIN` (text format, `Copy.write_row`), one table's rows
    per statement, committed every 10,000 records as the import commits (events with
    their citations). The rows are the SQLite baseline's: timestamps are naive UTC text,
    read as UTC by setting the session's time zone (the stored instants then equal the
    import's); dates, JSON and vocabulary values are text PostgreSQL parses as it would
    parameters. The triggers of revision 0005 fire as they do for the import.
    """
    import psycopg

    connection = psycopg.connect(libpq_url(url))
    try:
        connection.execute("SET TIME ZONE 'UTC'")
        connection.commit()

        def copy(table: str, columns: Sequence[str], part: Sequence[Row]) -> None:
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(statement) as stream:
                for row in part:
                    stream.write_row(row)

        started = time.perf_counter()
        for table, columns, table_rows in (
            ("site", SITE_COLUMNS, rows.sites),
            ("monument", MONUMENT_COLUMNS, rows.monuments),
            ("source", SOURCE_COLUMNS, rows.sources),
        ):
            for start in range(0, len(table_rows), TRANSACTION_SIZE):
                copy(table, columns, table_rows[start : start + TRANSACTION_SIZE])
                connection.commit()
        ends = rows.citation_ends
        for start in range(0, len(rows.events), TRANSACTION_SIZE):
            stop = min(start + TRANSACTION_SIZE, len(rows.events))
            first_citation = ends[start - 1] if start else 0
            copy("damage_event", EVENT_COLUMNS, rows.events[start:stop])
            copy(
                "source_citation", CITATION_COLUMNS, rows.citations[first_citation : ends[stop - 1]]
            )
            connection.commit()
        return time.perf_counter() - started
    finally:
        connection.close()


def copy_history(imported: str, copied: str) -> tuple[int, float]:
    """COPY the history entries the import wrote at `imported` into the COPY baseline's
    registry at `copied`; returns how many, and the seconds the COPY into it took.

    The import records each record's creation in history (`change`, the record as the
    file gave it, as JSON), which the rows `copy_rows` writes do not include: this times
    writing those rows the same way, so that the import can also be set against a COPY
    of everything it writes. The rows are read out first (not timed), as COPY text.
    """
    import io

    import psycopg

    source, target = psycopg.connect(libpq_url(imported)), psycopg.connect(libpq_url(copied))
    try:
        columns = ", ".join(
            name
            for (name,) in source.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                " 'public' AND table_name = 'change' AND column_name <> 'id'"
                " ORDER BY ordinal_position"
            )
        )
        text = io.BytesIO()
        with source.cursor() as cursor, cursor.copy(f"COPY change ({columns}) TO STDOUT") as out:
            for data in out:
                text.write(data)
        row = source.execute("SELECT COUNT(*) FROM change").fetchone()
        rows = int(row[0]) if row else 0
        started = time.perf_counter()
        with target.cursor() as cursor, cursor.copy(f"COPY change ({columns}) FROM STDIN") as into:
            into.write(text.getvalue())
        target.commit()
        return rows, time.perf_counter() - started
    finally:
        source.close()
        target.close()


def compare_postgres(url: str, other: str, *, window: int | None = None) -> dict[str, int]:
    """Rows of each table that differ between two PostgreSQL registries (ids included).

    As `compare_tables`, with `window` reading five runs of ids per table; the rows of
    both are read into this process as text (two databases cannot be joined) and
    compared as multisets.
    """
    from collections import Counter

    import psycopg

    mine, theirs = psycopg.connect(libpq_url(url)), psycopg.connect(libpq_url(other))
    try:
        differing: dict[str, int] = {}
        for table in TABLES:
            # As text: JSON columns come back as lists, which a Counter cannot hold.
            columns = ", ".join(
                f'"{name}"::text'
                for (name,) in mine.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                    (table,),
                )
                if name not in DERIVED.get(table, ())
            )
            where = ""
            if window is not None:
                row = mine.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()
                top = int(row[0]) if row else 0
                starts = sorted(
                    {max(1, round(top * share) - window // 2) for share in (0, 0.25, 0.5, 0.75, 1)}
                )
                where = "WHERE " + " OR ".join(
                    f"id BETWEEN {start} AND {start + window - 1}" for start in starts
                )
            query = f"SELECT {columns} FROM {table} {where}"
            one = Counter(mine.execute(query).fetchall())
            two = Counter(theirs.execute(query).fetchall())
            differing[table] = sum(((one - two) + (two - one)).values())
        return differing
    finally:
        mine.close()
        theirs.close()
