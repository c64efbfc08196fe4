"""Concurrent writers on one registry lose nothing, duplicate nothing and fail nowhere.

What these tests prove, on SQLite (one file, WAL) and on PostgreSQL:

- 4 processes x 250 events, started together at a barrier, leave exactly 1,000 events
  and 1,000 citations: every writer's every event, none twice, every uid distinct, no
  error in any writer (one event in 25 goes through the `registry add-event` command,
  the rest through `Registry.add_event`), and a database that passes its integrity
  checks;
- 8 threads x 50 events sharing one `Registry` (its engine's connection pool) do the same;
- two processes adding the same site slug at the same moment, 25 times over: each time
  exactly one succeeds and the other gets `DuplicateSlug` with its message, never an
  `IntegrityError` or `database is locked`.

A writer that meets `database is locked` (SQLite's answer to two transactions that both
read and then both try to write) fails these tests: the registry must wait for the other
writer or retry, not hand the error to its user.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from heritage_registry.models import CITATION_TABLE, EVENT_TABLE, SITE_TABLE
from heritage_registry.registry import Registry
from tests import _workers
from tests._workers import WriterResult

PROCESSES = 4
EVENTS_PER_PROCESS = 250
# One event in 25 (40 in all) goes through the `registry add-event` command, in the
# writer's process: it opens the registry afresh each time, ~4 times the cost of a
# library call, and one in ten nearly doubled the SQLite test's time.
CLI_EVERY = 25
THREADS = 8
EVENTS_PER_THREAD = 50
RACES = 25
# A generous bound on a run that takes seconds, so that a deadlock fails the test.
JOIN_TIMEOUT = 120.0


@pytest.fixture
def registry(migrated_url: str) -> Iterator[Registry]:
    """The shared registry, with the site and source every writer cites."""
    with Registry.open(migrated_url) as reg:
        _workers.prepare(reg)
        yield reg


def run_processes(
    target: Callable[..., None], worker_args: list[tuple[Any, ...]], tmp_path: Path
) -> list[WriterResult]:
    """Run one child per argument tuple (each given its result file last), wait, collect.

    A child that died without writing its result, or exited non-zero, is reported as
    a result with that error, so that the test's assertion names it.
    """
    context = _workers.context()
    paths = [tmp_path / f"worker-{number}.json" for number in range(len(worker_args))]
    processes: list[BaseProcess] = [
        context.Process(target=target, args=(*args, str(path)), name=f"writer-{number}")
        for number, (args, path) in enumerate(zip(worker_args, paths, strict=True))
    ]
    for process in processes:
        process.start()
    try:
        results = []
        deadline = time.monotonic() + JOIN_TIMEOUT
        for number, (process, path) in enumerate(zip(processes, paths, strict=True)):
            process.join(max(0.0, deadline - time.monotonic()))
            result = WriterResult.load(path) if path.exists() else WriterResult(number)
            if process.exitcode != 0:
                result.fail("process", detail=f"exit status {process.exitcode}")
            results.append(result)
        return results
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()


def failures(results: list[WriterResult]) -> str:
    """Every writer's errors, counted by kind, with the first traceback: the report."""
    lines = []
    for result in results:
        if not result.errors:
            continue
        kinds = Counter(error.split(": ", 1)[1] for error in result.errors)
        summary = "; ".join(f"{count} x {kind}" for kind, count in kinds.most_common())
        lines.append(f"worker {result.worker}: {len(result.errors)} failed: {summary}")
    first = next((r.first_traceback for r in results if r.first_traceback), None)
    return "\n".join(lines) + (f"\nfirst failure:\n{first}" if first else "")


def stored_citations(engine: sa.Engine) -> list[tuple[str, str | None]]:
    """(uid, quote) for every event and each of its citations; (uid, None) if it has none."""
    events, citations = EVENT_TABLE, CITATION_TABLE
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(events.c.uid, citations.c.quote).outerjoin(
                citations, citations.c.event_id == events.c.id
            )
        ).all()
    return [(row.uid, row.quote) for row in rows]


def check_every_event_stored_once(
    registry: Registry, results: list[WriterResult], writers: int, per_writer: int
) -> None:
    """The writers' events, each exactly once with its one citation, and nothing else."""
    report = failures(results)
    if report:
        pytest.fail(report, pytrace=False)
    given = [uid for result in results for uid in result.uids]
    assert len(given) == writers * per_writer
    assert len(set(given)) == len(given), "a uid was handed to two events"
    stored = stored_citations(registry.engine)
    expected_quotes = {
        _workers.quote(worker, number) for worker in range(writers) for number in range(per_writer)
    }
    # One row per citation: any lost, duplicated or half-written event changes the counts.
    assert len(stored) == writers * per_writer
    assert Counter(uid for uid, _ in stored) == Counter(given)
    assert Counter(quote for _, quote in stored) == Counter(expected_quotes)
    assert _workers.integrity_problems(registry.engine) == []


def test_processes_adding_events_at_once_lose_and_duplicate_nothing(
    registry: Registry, migrated_url: str, tmp_path: Path
) -> None:
    # The parent waits at the barrier too: the writers start when it does, and the
    # time from there to the last writer's exit is what the writes took.
    barrier = _workers.context().Barrier(PROCESSES + 1)
    args = [
        (migrated_url, worker, EVENTS_PER_PROCESS, CLI_EVERY, barrier)
        for worker in range(PROCESSES)
    ]
    released: list[float] = []

    def release() -> None:
        try:
            barrier.wait(_workers.BARRIER_TIMEOUT)
            released.append(time.perf_counter())
        except threading.BrokenBarrierError:
            pass  # a writer died before the start; its result says how

    releaser = threading.Thread(target=release)
    releaser.start()
    results = run_processes(_workers.add_events, args, tmp_path)
    finished = time.perf_counter()
    barrier.abort()  # frees the releaser if the writers never all arrived
    releaser.join()

    check_every_event_stored_once(registry, results, PROCESSES, EVENTS_PER_PROCESS)
    # CPU time beside wall time: on a shared machine the first says what the writes
    # cost, the second how long they waited (for the write lock, or for a core).
    print(
        f"{PROCESSES} processes x {EVENTS_PER_PROCESS} events on "
        f"{registry.engine.dialect.name}: {finished - released[0]:.2f} s from the start "
        f"to the last writer's exit; each writer "
        f"{', '.join(f'{r.seconds:.1f} s ({r.cpu_seconds:.1f} s CPU)' for r in results)}"
    )


def test_threads_sharing_one_registry_lose_and_duplicate_nothing(registry: Registry) -> None:
    barrier = threading.Barrier(THREADS)

    def write(worker: int) -> WriterResult:
        result = WriterResult(worker)
        try:
            barrier.wait(_workers.BARRIER_TIMEOUT)
            # No CLI here: the command would open a registry of its own, not share this one.
            _workers.write_events(registry, "", worker, EVENTS_PER_THREAD, 0, result)
        except Exception as exc:
            result.fail("thread", exc)
        return result

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(write, range(THREADS)))
    elapsed = time.perf_counter() - started

    check_every_event_stored_once(registry, results, THREADS, EVENTS_PER_THREAD)
    print(
        f"{THREADS} threads x {EVENTS_PER_THREAD} events on "
        f"{registry.engine.dialect.name}: {elapsed:.2f} s"
    )


def test_two_processes_adding_the_same_slug_one_wins_the_other_is_told_why(
    registry: Registry, migrated_url: str, tmp_path: Path
) -> None:
    slugs = [f"race-{number}" for number in range(RACES)]
    # The two meet at the barrier before each slug, so that each pair of attempts
    # overlaps: both look for the slug before either has committed it.
    barrier = _workers.context().Barrier(2)
    args = [(migrated_url, worker, slugs, barrier) for worker in range(2)]
    results = run_processes(_workers.add_same_sites, args, tmp_path)

    if any(len(result.outcomes) != RACES for result in results):
        pytest.fail(failures(results), pytrace=False)
    wrong = []
    for slug, outcomes in zip(slugs, zip(*(r.outcomes for r in results), strict=True), strict=True):
        duplicate = f"DuplicateSlug: a site with slug {slug!r} exists already; choose another slug"
        if sorted(outcomes) != sorted(["ok", duplicate]):
            wrong.append(f"{slug}: {' | '.join(outcomes)}")
    if wrong:
        # Every race that went wrong, then how: the first traceback.
        pytest.fail("\n".join([*wrong, failures(results)]), pytrace=False)
    with registry.engine.connect() as connection:
        stored = connection.execute(
            sa.select(SITE_TABLE.c.slug).where(SITE_TABLE.c.slug.like("race-%"))
        ).scalars()
        assert sorted(stored) == sorted(slugs)
    assert _workers.integrity_problems(registry.engine) == []
