"""The bulk writer's `INSERT`: many rows by the driver, the statement compiled once by Core.

Used by the import's second pass (`exchange.writer`): `_Insert` writes rows given as
tuples, by `executemany` or, on PostgreSQL, `COPY`; `_stamp_converter` turns a staged
time into the driver's value without parsing it where that gives the same.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

import sqlalchemy as sa

from heritage_registry import db


class _Insert:
    """An `INSERT` of many rows, given as tuples in the order of `columns`, by the driver.

    Going through `Connection.execute` costs more per row, in building and processing
    parameters, than SQLite takes to store the row; the statement compiled by Core and
    each column's own bind processor give the same values with a fraction of the work.
    The values of the columns named in `ready` are in the driver's form already. On
    PostgreSQL the rows go by `COPY ... FROM STDIN` on the same connection, in the same
    transaction: one stream instead of a round of the protocol per row, which was most
    of an import's time there.
    """

    def __init__(
        self,
        dialect: sa.Dialect,
        table: sa.Table,
        columns: Sequence[str],
        ready: Collection[str] = (),
    ) -> None:
        compiled = table.insert().inline().compile(dialect=dialect, column_keys=list(columns))
        self.sql = str(compiled)
        self.copy: str | None = None
        if dialect.name == "postgresql":
            quote = dialect.identifier_preparer.quote
            names = ", ".join(quote(name) for name in columns)
            self.copy = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        self.converters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(columns):
            if name in ready:
                continue
            column_type = table.c[name].type
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            if process is None:
                continue
            if isinstance(column_type, sa.Enum) and all(
                process(value) == value for value in column_type.enums
            ):
                # A vocabulary's values, already checked by the Create model, pass unchanged.
                continue
            self.converters.append(
                (index, _json_converter(process) if isinstance(column_type, sa.JSON) else process)
            )
        self.names: list[str] | None = None
        self.order: Callable[[Any], tuple[Any, ...]] | None = None
        if compiled.positional:
            markers = list(compiled.positiontup or [])
        elif dialect.paramstyle == "pyformat":
            # psycopg takes `%s` as well as `%(name)s`: a tuple per row spares building a dict
            # and the driver putting it back in order.
            markers = _PYFORMAT.findall(self.sql)
            self.sql = _PYFORMAT.sub("%s", self.sql)
        else:
            markers = []
            self.names = list(columns)
        # Core writes the columns in the table's order, whatever order they were named in.
        order = [list(columns).index(name) for name in markers]
        if markers and order != list(range(len(columns))):
            self.order = _getter(order)

    def run(self, connection: sa.Connection, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        params: list[Any] = list(rows)
        if self.converters:
            params = [self._convert(row) for row in params]
        if self.copy is not None:
            # psycopg's own connection, in the transaction `connection` began.
            driver: Any = connection.connection.dbapi_connection
            dbapi = connection.dialect.loaded_dbapi
            cursor = driver.cursor()
            try:
                with cursor, cursor.copy(self.copy) as copy:
                    for row in params:
                        copy.write_row(row)
            except dbapi.Error as exc:
                # As SQLAlchemy would raise it, for the import's handling of a racing
                # writer and of a full disk.
                raise db.driver_error(connection, cursor, self.copy, None, exc) from exc
            return
        if self.order is not None:
            order = self.order
            params = [order(row) for row in params]
        elif self.names is not None:
            names = self.names
            params = [dict(zip(names, row, strict=True)) for row in params]
        connection.exec_driver_sql(self.sql, params)

    def _convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for index, process in self.converters:
            values[index] = process(values[index])
        return tuple(values)


def _json_converter(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A JSON column's bind processor, with the two values most rows hold given as their text.

    Most citations mention no monument (`[]`) and a creation's history entry has no state
    before (`None`, stored as JSON `null`, as the column's type stores it): encoding them
    was most of the import's JSON work, a Python call into `json` (and on PostgreSQL a
    psycopg wrapper) per value. The text is what the processor stores for each, on both
    engines: SQLite's is the text itself, and psycopg sends a JSON value as its text.
    """

    def convert(value: Any) -> Any:
        if value is None:
            return "null"
        if type(value) is list and not value:
            return "[]"
        return process(value)

    return convert


# A named parameter of the pyformat style, `%(name)s`, with its name.
_PYFORMAT = re.compile(r"%\((\w+)\)s")


def _getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """A function taking these items of a sequence or mapping, always as a tuple."""
    if len(keys) == 1:
        only = keys[0]
        return lambda row: (row[only],)
    return operator.itemgetter(*keys)


# Probes of the fast form of a staged time against SQLAlchemy's own processing.
_STAMP_PROBES = ("2015-05-23T07:08:09.123456Z", "0999-12-31T23:59:59.000001Z")


def _stamp_converter(
    dialect: sa.Dialect, column: sa.Column[Any], now: dt.datetime
) -> Callable[[str | None], Any]:
    """From a staged time (its JSON form: ISO 8601 in UTC) to the value the driver takes.

    A time the file did not give is `now`. Where the driver takes text (SQLite), it is cut
    straight from the staged text, once probes show that this is what parsing it and
    SQLAlchemy's formatting give: those cost more, for millions of times, than storing
    the rows did.
    """
    process = column.type.dialect_impl(dialect).bind_processor(dialect)

    def parsed(text: str) -> Any:
        value = dt.datetime.fromisoformat(text)
        return process(value) if process is not None else value

    def cut(text: str) -> str | None:
        if len(text) == 27 and text[19] == "." and text[26] == "Z":
            return text[:10] + " " + text[11:26]
        return None

    default = process(now) if process is not None else now
    if any(cut(probe) != parsed(probe) for probe in _STAMP_PROBES):

        def convert(text: str | None) -> Any:
            return default if text is None else parsed(text)

        return convert

    def convert_cut(text: str | None) -> Any:
        if text is None:
            return default
        return cut(text) or parsed(text)

    return convert_cut
