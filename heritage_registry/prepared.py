"""Core `SELECT`s compiled once and run on the driver's cursor: the reads that run most.

`Connection.execute` spends about 65 us a statement in its own machinery (the compiled
cache's lookup, an execution context, the result's metadata) where the driver takes
about 20 us to run the same SQL on SQLite: for `Registry.get_event`, one statement, that
was most of the call. `Prepared` keeps what SQLAlchemy would work out per call (the SQL,
the order of the parameters, each bind and result processor) once per dialect, and per
call only converts the parameters, runs the SQL on the driver's cursor of the given
connection, in whatever transaction that connection is in, and converts the rows.

What it guarantees: the rows are those `connection.execute(statement, params).all()`
gives, value for value and type for type (each column's result processor, as Core
applies it), as named tuples whose fields are the statement's column keys, so that a
row is read by name or by position as an `sa.Row` is; a driver's error is raised as
SQLAlchemy raises it (`IntegrityError`, `OperationalError`, ...); the engine's
`before_cursor_execute` and `after_cursor_execute` listeners see the statement (with no
execution context). Only statements whose SQL is final once compiled are taken: a
parameter that Core expands or renders at execution (an `IN` of an expanding bind, a
`literal_execute` one) is refused when the statement is first compiled.

Used by `heritage_registry.reads` for `get_event` and for a site's summary records
(`site_records`); every other read goes through `Connection.execute`.
"""

from __future__ import annotations

import functools
import keyword
import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from heritage_registry import db

# Converts one value, as a bind or result processor does.
_Processor = Callable[[Any], Any]


class NotPreparable(sa.exc.ArgumentError):
    """A statement `Prepared` cannot run as compiled: its SQL is not final, or its
    columns cannot name a row's fields."""


class Prepared:
    """A Core `SELECT`, compiled once per dialect, whose rows are read by the driver.

    `rows(connection, params)` gives what `connection.execute(statement, params).all()`
    gives (see the module's docstring), at a fraction of the cost per call.
    """

    def __init__(self, statement: sa.Select[Any], name: str = "Row") -> None:
        keys = list(statement.selected_columns.keys())
        # Where two columns share a name, or one has none, SQLAlchemy makes one up, and
        # not the same for its rows as for `selected_columns`: such columns are refused.
        own = [column.key for column in statement.selected_columns]
        renamed = [key for key, given in zip(keys, own, strict=True) if key != given]
        if renamed:
            raise NotPreparable(
                f"columns {renamed!r} are named by SQLAlchemy: they are selected twice or "
                "have no name of their own; label each with a name of its own"
            )
        problems = [
            key
            for key in keys
            if not key.isidentifier() or keyword.iskeyword(key) or key.startswith("_")
        ]
        if problems:
            raise NotPreparable(
                f"columns {problems!r} cannot name a row's fields: label them with names "
                "that are Python identifiers, not keywords, not starting with '_'"
            )
        self.statement = statement
        # A class per statement, so that a row is read by its columns' names.
        self.row_type: type[tuple[Any, ...]] = namedtuple(name, keys)  # type: ignore[misc]
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, connection: sa.Connection, params: Mapping[str, Any]) -> list[Any]:
        """The statement's rows with `params` bound by name, read on `connection`."""
        dialect = connection.dialect
        compiled = self._compiled.get((dialect.name, dialect.driver))
        if compiled is None:
            compiled = self.compile(dialect)
        return compiled.run(connection, params)

    def compile(self, dialect: sa.Dialect) -> _Compiled:
        """The statement compiled for `dialect` (once: later calls reuse it)."""
        with self._lock:
            key = (dialect.name, dialect.driver)
            found = self._compiled.get(key)
            if found is None:
                found = self._compiled[key] = _Compiled(self.statement, self.row_type, dialect)
            return found


class _Compiled:
    """A `Prepared` statement for one dialect: its SQL and the processing of its values."""

    def __init__(
        self, statement: sa.Select[Any], row_type: type[tuple[Any, ...]], dialect: sa.Dialect
    ) -> None:
        compiled = statement.compile(dialect=dialect)
        deferred = compiled.post_compile_params | compiled.literal_execute_params
        if deferred:
            names = sorted(compiled.bind_names[bind] for bind in deferred)
            raise NotPreparable(
                f"parameters {names!r} are rendered when the statement runs (an expanding "
                "IN list or a literal_execute parameter), so its SQL is not final: run it "
                "by Connection.execute, or give the values as separate parameters"
            )
        self.sql = str(compiled)
        # A row from a tuple of its values, without the named tuple's own Python `_make`.
        self.make = functools.partial(tuple.__new__, row_type)
        self.positional = compiled.positional
        # The parameters the SQL takes, in its order where the style is positional (a
        # name may come twice), else by the names it knows them by (escaped where Core
        # had to): the caller's name, the bind (for its default) and its processor.
        names = list(compiled.positiontup or []) if compiled.positional else list(compiled.binds)
        self.parameters: list[tuple[str, sa.BindParameter[Any], _Processor | None]] = [
            (
                name,
                bind := compiled.binds[name],
                bind.type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name in names
        ]
        self.sql_names = [compiled.escaped_bind_names.get(name, name) for name in names]
        self.types = [column.type for column in statement.selected_columns]
        # Each column's result processor (index, processor), once the first cursor has
        # described the columns: a processor may depend on the type the driver reports.
        self.processors: list[tuple[int, _Processor]] | None = None

    def run(self, connection: sa.Connection, params: Mapping[str, Any]) -> list[Any]:
        values = self._bound(params)
        driver: Any = connection.connection.driver_connection
        dispatch = connection.dispatch
        sql = self.sql
        cursor = None
        try:
            cursor = driver.cursor()
            if dispatch.before_cursor_execute:
                for listen in dispatch.before_cursor_execute:
                    sql, values = listen(connection, cursor, sql, values, None, False)
            cursor.execute(sql, values)
            if dispatch.after_cursor_execute:
                dispatch.after_cursor_execute(connection, cursor, sql, values, None, False)
            fetched = cursor.fetchall()
            processors = self.processors
            if processors is None:
                processors = self.processors = self._result_processors(
                    connection.dialect, cursor.description
                )
            cursor.close()
        except connection.dialect.loaded_dbapi.Error as exc:
            raise db.driver_error(connection, cursor, sql, values, exc) from exc
        if not fetched:
            return []
        if processors:
            # Column by column, so that the loops run in C: per row in Python, they
            # cost as much as the driver took to read the rows.
            columns: list[Iterable[Any]] = list(zip(*fetched, strict=True))
            for index, process in processors:
                columns[index] = map(process, columns[index])
            fetched = zip(*columns, strict=True)
        return list(map(self.make, fetched))

    def _bound(self, params: Mapping[str, Any]) -> Any:
        """`params` as the driver takes them: processed, in order or by name."""
        converted = []
        for name, bind, process in self.parameters:
            if name in params:
                value = params[name]
            elif bind.required:
                raise sa.exc.InvalidRequestError(f"A value is required for bind parameter {name!r}")
            else:
                value = bind.effective_value
            converted.append(value if process is None else process(value))
        if self.positional:
            return tuple(converted)
        return dict(zip(self.sql_names, converted, strict=True))

    def _result_processors(
        self, dialect: sa.Dialect, description: Sequence[Sequence[Any]]
    ) -> list[tuple[int, _Processor]]:
        found: list[tuple[int, _Processor]] = []
        for index, (column_type, described) in enumerate(zip(self.types, description, strict=True)):
            impl = column_type.dialect_impl(dialect)
            process = impl.result_processor(dialect, described[1])
            if process is not None:
                faster = _enum_lookup(impl, dialect, described[1]) or _empty_list(impl, process)
                found.append((index, faster or process))
        return found


def _enum_lookup(impl: sa.types.TypeEngine[Any], dialect: sa.Dialect, coltype: Any) -> Any:
    """An `Enum` column's result processor as one look-up done in C, where it is one.

    SQLAlchemy's `Enum` processor is two Python calls per value around a look-up of the
    stored string in a dict (its values' Python objects by stored string, NULL by None),
    when the driver hands strings back as they are: a summary converts a hundred. The
    look-up's `__getitem__` gives the same objects; an unknown string raises `KeyError`,
    a `LookupError` as SQLAlchemy's is.
    """
    if type(impl) is not sa.Enum:
        return None
    lookup = getattr(impl, "_object_lookup", None)
    if not isinstance(lookup, dict) or sa.String().dialect_impl(dialect).result_processor(
        dialect, coltype
    ):
        return None
    return lookup.__getitem__


def _empty_list(impl: sa.types.TypeEngine[Any], process: _Processor) -> _Processor | None:
    """A JSON column's processor that gives an empty list for `[]` without decoding it.

    Most citations mention no monument and most records have no other names: a summary
    decodes thirty `[]`s, each a call to the JSON decoder. A new list each time, as
    decoding gives, so that no two rows share one.
    """
    if not isinstance(impl, sa.JSON):
        return None

    def process_json(value: Any) -> Any:
        return [] if value == "[]" else process(value)

    return process_json
