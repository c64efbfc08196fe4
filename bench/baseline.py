"""The hand-written sqlite3 baselines the library's numbers are divided by.

- `insert_rows`: the rows `registry import` writes, pre-built in memory, inserted with
  plain `sqlite3` `executemany` into a database migrated by `registry init` (the same
  tables, constraints and indexes), on a connection set up as the library sets up its
  own (WAL journal, foreign keys on), committing every 10,000 records as the import does.
- `SummaryQueries`: the rows one site's summary is built from (the site, its
  monuments, its events with their citations joined to their sources, the sources
  cited), fetched with five SQL statements and nothing else.
- `compare_tables`: whether two registries hold the same rows, so that the baseline is
  known to have written what the import wrote.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synthetic import (
    CITATION_COLUMNS,
    EVENT_COLUMNS,
    MONUMENT_COLUMNS,
    SITE_COLUMNS,
    SOURCE_COLUMNS,
    Generated,
    Row,
)

from heritage_registry.db import BULK_CACHE_KIB

# The import's heritage_registry.exchange.TRANSACTION_SIZE: records per commit.
TRANSACTION_SIZE = 10_000
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
    """Insert the generated rows into the empty registry at `path`; returns the seconds."""
    connection = connect(path)
    # The page cache `registry import` gives its own connection: the same for both.
    connection.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        started = time.perf_counter()
        for table, columns, table_rows in (
            ("site", SITE_COLUMNS, rows.sites),
            ("monument", MONUMENT_COLUMNS, rows.monuments),
            ("source", SOURCE_COLUMNS, rows.sources),
        ):
            sql = _insert_sql(table, columns)
            for start in range(0, len(table_rows), TRANSACTION_SIZE):
                connection.execute("BEGIN")
                connection.executemany(sql, table_rows[start : start + TRANSACTION_SIZE])
                connection.execute("COMMIT")
        event_sql = _insert_sql("damage_event", EVENT_COLUMNS)
        citation_sql = _insert_sql("source_citation", CITATION_COLUMNS)
        ends = rows.citation_ends
        for start in range(0, len(rows.events), TRANSACTION_SIZE):
            stop = min(start + TRANSACTION_SIZE, len(rows.events))
            first_citation = ends[start - 1] if start else 0
            connection.execute("BEGIN")
            connection.executemany(event_sql, rows.events[start:stop])
            connection.executemany(citation_sql, rows.citations[first_citation : ends[stop - 1]])
            connection.execute("COMMIT")
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
