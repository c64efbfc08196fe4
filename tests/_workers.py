"""Child-process entry points for tests/test_concurrency.py and tests/test_crash.py.

Each function here runs in a process of its own, started by `context()`: the writers of
the concurrency tests, and the import that the crash tests kill with SIGKILL. A child
reports rather than raises: it writes what it did and any error's traceback to a result
file (writers) or sends them down a pipe (the import), so that a failing test can say
which child failed and how.

The module imports the library at its top so that the forkserver preloads it (see
`context()`): each child is then a fork of a clean server process that has imported
the library and opened nothing, rather than a fresh interpreter that spends 1.3-1.7 s
importing SQLAlchemy, alembic, pydantic and edtf before it can start.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from click.testing import CliRunner

from heritage_registry import exchange
from heritage_registry.cli import main as registry_command
from heritage_registry.errors import DuplicateSlug
from heritage_registry.exchange import inserts, validate, writer
from heritage_registry.models import CITATION_TABLE, EVENT_TABLE
from heritage_registry.registry import Registry

# How long a child waits at a barrier before it gives up: long enough for a loaded
# 2-core machine, short enough that a wedged test fails instead of hanging.
BARRIER_TIMEOUT = 60.0

SITE = "palmyra"
SOURCE = "ocha-2016-04"


def context() -> ForkServerContext | SpawnContext:
    """The multiprocessing context the tests start children with.

    The forkserver starts once per test run and imports this module (and through it the
    library); every child is a fork of that server. Like 'spawn', a child shares no
    engine, connection, lock or thread with the pytest process; unlike it, four children
    are ready in ~0.1 s instead of 5-7 s on two cores.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload([__name__])
    return forkserver


def prepare(registry: Registry) -> None:
    """The site and source every writer's events refer to."""
    registry.add_site(slug=SITE, name="Palmyra", country="SY")
    registry.add_source(key=SOURCE, title="Palmyra: situation report", publisher="OCHA")


def quote(worker: int, number: int) -> str:
    """A citation's quote naming its writer and its place in that writer's sequence,
    so that the parent can tell exactly which events were lost or written twice."""
    return f"worker {worker} event {number}"


def describe(exc: BaseException) -> str:
    """An error in one line: its class and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


@dataclass
class WriterResult:
    """What one writer did: the uids it was given, and every failure, described."""

    worker: int
    uids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    first_traceback: str | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the process's: for a thread, that of all of them

    def fail(self, what: str, exc: BaseException | None = None, detail: str = "") -> None:
        self.errors.append(f"{what}: {describe(exc) if exc is not None else detail}")
        if self.first_traceback is None:
            self.first_traceback = traceback.format_exc() if exc is not None else detail

    def save(self, path: str) -> None:
        # Written whole and renamed, so that the parent never reads half a result.
        partial = Path(f"{path}.partial")
        partial.write_text(json.dumps(asdict(self)), encoding="utf-8")
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> WriterResult:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def _add_event_by_cli(url: str, text: str) -> str:
    """Add one event through the `registry add-event` command; its uid, or an error."""
    result = CliRunner().invoke(
        registry_command,
        [
            *("--db", url, "add-event", SITE),
            *("--cause", "explosives", "--level", "destroyed", "--occurred", "2015-08-30"),
            *("--source", SOURCE, "--quote", text),
        ],
    )
    if result.exit_code != 0:
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        raise RuntimeError(f"registry add-event exited with {result.exit_code}: {result.output}")
    return result.stdout.strip()


def write_events(
    registry: Registry, url: str, worker: int, count: int, cli_every: int, result: WriterResult
) -> None:
    """Add `count` events, each with one citation, every `cli_every`-th by the CLI.

    A failed event is recorded and the writer goes on, so that the result shows how
    many failed, not only the first.
    """
    started, cpu = time.perf_counter(), time.process_time()
    for number in range(count):
        text = quote(worker, number)
        try:
            if cli_every and number % cli_every == cli_every - 1:
                result.uids.append(_add_event_by_cli(url, text))
            else:
                event = registry.add_event(
                    site=SITE,
                    cause="explosives",
                    damage_level="destroyed",
                    occurred="2015-08-30",
                    source=SOURCE,
                    quote=text,
                )
                result.uids.append(str(event.uid))
        except Exception as exc:
            result.fail(f"event {number}", exc)
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu


def add_events(
    url: str, worker: int, count: int, cli_every: int, barrier: Barrier, result_path: str
) -> None:
    """A writer process: `write_events` on its own registry, from the barrier's release.

    The registry is opened before the barrier, so that every writer starts writing at
    the same moment.
    """
    result = WriterResult(worker)
    try:
        with Registry.open(url, migrate=False) as registry:
            barrier.wait(BARRIER_TIMEOUT)
            write_events(registry, url, worker, count, cli_every, result)
    except BaseException as exc:
        result.fail("worker", exc)
    finally:
        result.save(result_path)


def add_same_sites(
    url: str, worker: int, slugs: list[str], barrier: Barrier, result_path: str
) -> None:
    """Race another process to add each of `slugs`, meeting it at the barrier each time.

    The outcome of each attempt is recorded: `ok`, `DuplicateSlug: <message>`, or the
    class and message of any other error.
    """
    result = WriterResult(worker)
    try:
        with Registry.open(url, migrate=False) as registry:
            for slug in slugs:
                barrier.wait(BARRIER_TIMEOUT)
                try:
                    registry.add_site(slug=slug, name=f"Site {slug}", country="SY")
                    result.outcomes.append("ok")
                except DuplicateSlug as exc:
                    result.outcomes.append(describe(exc))
                except Exception as exc:
                    result.outcomes.append(describe(exc))
                    result.fail(slug, exc)
    except BaseException as exc:
        result.fail("worker", exc)
    finally:
        result.save(result_path)


def integrity_problems(engine: sa.Engine) -> list[str]:
    """What is wrong with the database itself, for both test files to assert empty.

    On SQLite, `PRAGMA integrity_check` (b-trees, indexes, free pages) and
    `foreign_key_check`; on every engine, the registry's own rule that no event exists
    without a citation, which a half-written event would break.
    """
    problems: list[str] = []
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            checked = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
            if checked != ["ok"]:
                problems += [f"integrity_check: {line}" for line in checked]
            problems += [
                f"foreign_key_check: {tuple(row)}"
                for row in connection.exec_driver_sql("PRAGMA foreign_key_check")
            ]
        cited = sa.select(CITATION_TABLE.c.id).where(CITATION_TABLE.c.event_id == EVENT_TABLE.c.id)
        uncited = connection.execute(
            sa.select(sa.func.count()).select_from(EVENT_TABLE).where(~cited.exists())
        ).scalar_one()
        if uncited:
            problems.append(f"{uncited} events without a citation")
    return problems


# The import that the crash tests kill ------------------------------------------------


@dataclass(frozen=True)
class Pause:
    """Where an import child stops, reports `paused` and waits to be killed.

    `line`: while the first pass reads line `at` of the file, before anything is written.
    `commits`: at the first batch written after `at` transactions have committed, with
    that batch in an open transaction. `done`: at the first batch written once `at`
    records are written.
    """

    kind: Literal["line", "commits", "done"]
    at: int


# A message from the import child: ("progress", done, total), ("committing", events),
# ("committed", events), ("paused", where), ("finished", added) or ("error", traceback).
# `events` counts the file's events inserted on the child's connection so far: at a
# commit, the number of events the registry holds once that commit is durable.
Message = tuple[Any, ...]


class _ReadingFile(io.BufferedReader):
    """The import file, calling `on_line` with each line's number as the first pass reads it."""

    def __init__(self, path: Path, on_line: Callable[[int], None]) -> None:
        super().__init__(io.FileIO(path, "rb"))
        self.on_line = on_line
        self.number = 0

    def readline(self, size: int | None = -1, /) -> bytes:
        line = super().readline(size)
        if line:
            self.number += 1
            self.on_line(self.number)
        return line


def import_file(
    url: str,
    path: str,
    scratch: str,
    transaction_size: int,
    batch_size: int,
    pause: Pause | None,
    channel: Connection,
) -> None:
    """Import `path` with smaller transactions and batches, telling `channel` how far it got.

    Commits are observed on the engine, not guessed from the writer's rules: the
    `commit` event fires before the database commits (`committing`), and the `begin`
    of the next transaction, or the progress call after the last commit, after it
    (`committed`). Events are counted from the rows the import hands the driver.
    """
    # Set in the child only, before the import starts: the parent keeps the defaults.
    writer.TRANSACTION_SIZE = transaction_size
    validate.BATCH_SIZE = batch_size
    # A killed import cannot remove its staging file; keep it in the test's folder.
    tempfile.tempdir = scratch
    inserted = 0
    committing: int | None = None
    commits = 0

    def wait_to_be_killed(where: str) -> None:
        channel.send(("paused", where))
        time.sleep(BARRIER_TIMEOUT)
        # Not killed: the parent has failed; let it see why rather than finish the import.
        raise RuntimeError(f"paused {where} and not killed within {BARRIER_TIMEOUT} s")

    def committed() -> None:
        nonlocal committing, commits
        if committing is not None:
            commits += 1
            channel.send(("committed", committing))
            committing = None

    def on_line(number: int) -> None:
        if pause is not None and pause.kind == "line" and number == pause.at:
            wait_to_be_killed(f"reading line {number}")

    def on_progress(done: int, total: int) -> None:
        committed()  # only the last commit is followed by a progress call, not a begin
        channel.send(("progress", done, total))
        if pause is None:
            return
        if (pause.kind == "commits" and commits >= pause.at) or (
            pause.kind == "done" and done >= pause.at
        ):
            wait_to_be_killed(f"with {done} of {total} records written, {commits} committed")

    try:
        with Registry.open(url, migrate=False) as registry:
            events_insert = f"INSERT INTO {EVENT_TABLE.name} "

            # Counted where the import hands rows to the driver: on PostgreSQL they go by
            # COPY on the driver's cursor, which SQLAlchemy's cursor events do not see.
            write_rows = inserts._Insert.run

            def count_events(insert: Any, connection: sa.Connection, rows: Any) -> None:
                nonlocal inserted
                write_rows(insert, connection, rows)
                if insert.sql.startswith(events_insert):
                    inserted += len(rows)

            inserts._Insert.run = count_events  # type: ignore[method-assign]

            @sa.event.listens_for(registry.engine, "commit")
            def on_commit(_conn: sa.Connection) -> None:
                nonlocal committing
                committing = inserted
                channel.send(("committing", inserted))

            @sa.event.listens_for(registry.engine, "begin")
            def on_begin(_conn: sa.Connection) -> None:
                committed()

            with _ReadingFile(Path(path), on_line) as stream:
                report = exchange.import_jsonl(registry, stream, progress=on_progress)
            channel.send(("finished", report.added))
    except BaseException:
        channel.send(("error", traceback.format_exc()))
        raise
    finally:
        channel.close()


def run_command(args: list[str], barrier: Barrier, result_path: str) -> None:
    """A process that runs one `registry` command from the barrier's release.

    The outcome is `exit code`, standard output and standard error as given by click's
    runner; an exception the command let escape (a traceback a user would see) is a
    failure with its traceback.
    """
    result = WriterResult(0)
    try:
        barrier.wait(BARRIER_TIMEOUT)
        outcome = CliRunner().invoke(registry_command, args)
        result.outcomes.append(json.dumps([outcome.exit_code, outcome.stdout, outcome.stderr]))
        if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
            exc = outcome.exception
            result.errors.append(describe(exc))
            result.first_traceback = "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)
            )
    except BaseException as exc:
        result.fail("worker", exc)
    finally:
        result.save(result_path)


def update_event_field(
    url: str, uid: str, name: str, values: list[Any], barrier: Barrier, result_path: str
) -> None:
    """Correct one field of one event to each of `values` in turn, from the barrier on."""
    result = WriterResult(0)
    try:
        with Registry.open(url, migrate=False) as registry:
            barrier.wait(BARRIER_TIMEOUT)
            for value in values:
                try:
                    registry.update_event(uid, reason=f"{name} -> {value}", **{name: value})
                    result.outcomes.append("ok")
                except Exception as exc:
                    result.fail(f"{name}={value}", exc)
    except BaseException as exc:
        result.fail("worker", exc)
    finally:
        result.save(result_path)
