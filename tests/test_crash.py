"""An import killed with SIGKILL leaves whole transactions or nothing, and can be run again.

What these tests prove, on SQLite and on PostgreSQL: a JSON Lines import of a file of
3 sites, 5 sources and 3,000 events (1-3 citations each, ~6,000 in all; set
REGISTRY_TEST_CRASH_EVENTS for more) runs in a child process in transactions of an
eighth of the file, and is killed with SIGKILL

- while the first pass is still validating the file, before anything is written;
- with the first transaction committed and the next one open, a batch written into it;
- at an unplanned moment half way through the write pass (the child is not stopped
  first, so the kill may land in an `executemany` or in a commit);
- near the end, with all but the last transaction committed and the last one open.

After each kill the database passes its integrity checks and holds exactly the records of
the transactions that had committed: none of the import before the first commit, after it
the sites, the sources and the file's first events up to the last commit, each event with
every one of its citations, and nothing of the transaction that was open. Importing the
same file again then adds exactly what is missing (no event or citation twice, every uid
once), and a third import adds and changes nothing.

The child reports commits as the engine sees them (see `tests._workers.import_file`),
so the expected state is known exactly rather than inferred from the writer's rules.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
import sqlalchemy as sa

from heritage_registry.exchange import import_path
from heritage_registry.models import CITATION_TABLE, EVENT_TABLE, SITE_TABLE, SOURCE_TABLE
from heritage_registry.registry import Registry
from tests import _workers
from tests._workers import Message, Pause
from tests.helpers import dump

EVENTS = int(os.environ.get("REGISTRY_TEST_CRASH_EVENTS", "2000"))
SITES = 3
SOURCES = 5
# The import is cut into about this many transactions, each of three batches, so that
# there is a first commit, a middle and an end to kill it at.
TRANSACTIONS = 8
BATCHES_PER_TRANSACTION = 3
# A generous bound on a child that takes seconds, so that a wedged child fails the test.
CHILD_TIMEOUT = 120.0


@dataclass(frozen=True)
class ImportFile:
    """The file the tests import, and what each of its events should hold."""

    path: Path
    lines: int
    uids: list[str]  # in file order: a committed prefix of the import is a prefix of this
    quotes: list[list[str]]  # each event's citations' quotes

    @property
    def records(self) -> int:
        return SITES + SOURCES + len(self.uids)

    @property
    def batch_size(self) -> int:
        return max(1, self.records // (TRANSACTIONS * BATCHES_PER_TRANSACTION))

    @property
    def transaction_size(self) -> int:
        # A whole number of batches: the writer commits once a batch takes it to this.
        return self.batch_size * BATCHES_PER_TRANSACTION

    @property
    def total_citations(self) -> int:
        return sum(len(quotes) for quotes in self.quotes)

    def citations(self, events: int) -> Counter[tuple[str, str]]:
        """(uid, quote) of every citation of the file's first `events` events."""
        return Counter(
            (uid, quote)
            for uid, quotes in zip(self.uids[:events], self.quotes[:events], strict=True)
            for quote in quotes
        )


@pytest.fixture(scope="session")
def import_file(tmp_path_factory: pytest.TempPathFactory) -> ImportFile:
    """Write the file once per run: ~1 MB per 1,000 events, in well under a second."""
    rng = random.Random(20150830)  # the same file on every run
    path = tmp_path_factory.mktemp("crash") / "registry.jsonl"
    uids: list[str] = []
    quotes: list[list[str]] = []
    lines = [{"format": "heritage-registry", "version": 1}]
    lines += [
        {"type": "site", "slug": f"site-{n}", "name": f"Site {n}", "country": "SY"}
        for n in range(SITES)
    ]
    lines += [
        {"type": "source", "key": f"source-{n}", "title": f"Report {n}", "publisher": f"P{n}"}
        for n in range(SOURCES)
    ]
    for number in range(EVENTS):
        # Random uids, so that file order (the order transactions commit in) is not
        # uid order, and a check by prefix cannot pass by accident of sorting.
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        cited = rng.sample(range(SOURCES), rng.randint(1, 3))
        uids.append(uid)
        quotes.append([f"event {number} in the words of source {n}" for n in cited])
        lines.append(
            {
                "type": "event",
                "uid": uid,
                "site": f"site-{number % SITES}",
                "cause": rng.choice(["explosives", "looting", "shelling"]),
                "damage_level": rng.choice(["destroyed", "severe", "moderate"]),
                "occurred": f"2015-{1 + number % 12:02d}",
                "citations": [
                    {"source": f"source-{n}", "quote": quote}
                    for n, quote in zip(cited, quotes[-1], strict=True)
                ],
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return ImportFile(path=path, lines=len(lines), uids=uids, quotes=quotes)


@dataclass(frozen=True)
class KillPoint:
    """Where the child is killed: where it pauses (`Pause`), or, unpaused, when half written."""

    name: str
    pause: Literal["line", "commits", "done"] | None
    at: float  # a fraction of the file's lines or records, or a number of commits

    def pause_for(self, file: ImportFile) -> Pause | None:
        if self.pause == "line":
            return Pause("line", int(file.lines * self.at))
        if self.pause == "done":
            return Pause("done", int(file.records * self.at))
        if self.pause == "commits":
            return Pause("commits", int(self.at))
        return None

    def due(self, message: Message, file: ImportFile) -> bool:
        """Whether the parent sends SIGKILL on this message from the child."""
        if self.pause is not None:
            return bool(message[0] == "paused")
        return bool(message[0] == "progress" and message[1] >= file.records * self.at)


KILL_POINTS = [
    KillPoint("while-validating", "line", 0.5),
    KillPoint("after-first-commit", "commits", 1),
    # 55%, not 50%: half the records is a transaction boundary, where the kill would
    # race the commit that is due, rather than land inside a transaction's writes.
    KillPoint("midway-unpaused", None, 0.55),
    KillPoint("near-the-end", "done", 0.9),
]
# PostgreSQL writes the file several times slower; these two are the kills it adds
# something to: a client killed with a transaction open, paused and unpaused, which the
# server must roll back. (Killed while validating, no client has written anything; near
# the end is the first case again, later.)
POSTGRES_KILL_POINTS = {"after-first-commit", "midway-unpaused"}
CASES = [
    *(pytest.param("sqlite", point, id=f"sqlite-{point.name}") for point in KILL_POINTS),
    *(
        pytest.param("postgresql", point, id=f"postgresql-{point.name}", marks=pytest.mark.postgres)
        for point in KILL_POINTS
        if point.name in POSTGRES_KILL_POINTS
    ),
]


@dataclass(frozen=True)
class Killed:
    """What the child said before it was killed."""

    messages: list[Message]

    def values(self, kind: str) -> list[Any]:
        return [message[1] for message in self.messages if message[0] == kind]


def import_until_killed(url: str, file: ImportFile, kill: KillPoint, scratch: Path) -> Killed:
    """Run the import in a child and SIGKILL it at `kill`; everything it reported."""
    context = _workers.context()
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(
        target=_workers.import_file,
        args=(
            url,
            str(file.path),
            str(scratch),
            file.transaction_size,
            file.batch_size,
            kill.pause_for(file),
            writer,
        ),
        name=f"import-{kill.name}",
    )
    child.start()
    writer.close()  # the child holds the only writing end: its death ends the pipe
    messages: list[Message] = []
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT
        while reader.poll(max(0.0, deadline - time.monotonic())):
            try:
                message = reader.recv()
            except EOFError:
                break  # the child ended on its own
            messages.append(message)
            if kill.due(message, file):
                child.kill()
                break
            if message[0] in ("finished", "error"):
                break  # too late, or never to come: the assertions below say which
        child.join(CHILD_TIMEOUT)
        # What an unpaused child sent between the message that decided the kill and its
        # death: a commit it reported there is one the database must hold.
        while reader.poll(0):
            try:
                messages.append(reader.recv())
            except EOFError:
                break
    finally:
        if child.is_alive():
            child.kill()
            child.join()
        reader.close()
    errors = [message[1] for message in messages if message[0] == "error"]
    assert not errors, errors[0]
    assert child.exitcode == -signal.SIGKILL, (
        f"the child was to be killed {kill.name} but ended with {child.exitcode}; "
        f"its last messages: {messages[-5:]}"
    )
    return Killed(messages)


def stored_citations(engine: sa.Engine) -> Counter[tuple[str, str]]:
    """(uid, quote) of every citation in the registry."""
    events, citations = EVENT_TABLE, CITATION_TABLE
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(events.c.uid, citations.c.quote).join(
                citations, citations.c.event_id == events.c.id
            )
        ).all()
    return Counter((row.uid, row.quote) for row in rows)


def count(engine: sa.Engine, table: sa.Table, column: str = "id") -> tuple[int, int]:
    """How many rows `table` has, and how many distinct values of `column`."""
    with engine.connect() as connection:
        rows, distinct = connection.execute(
            sa.select(sa.func.count(), sa.func.count(table.c[column].distinct()))
        ).one()
    return int(rows), int(distinct)


def check_holds_the_first(registry: Registry, file: ImportFile, events: int) -> None:
    """The registry holds the file's first `events` events, whole, and nothing else of it."""
    engine = registry.engine
    assert _workers.integrity_problems(engine) == []
    assert count(engine, EVENT_TABLE, "uid") == (events, events)
    # Each event with every one of its citations, none twice: a transaction cut in
    # two would show as a missing (uid, quote), or an event of a later batch.
    assert stored_citations(engine) == file.citations(events)
    # Sites and sources travel in the first transaction, with the first events.
    assert count(engine, SITE_TABLE)[0] == (SITES if events else 0)
    assert count(engine, SOURCE_TABLE)[0] == (SOURCES if events else 0)


# `migrated_url` (tests/conftest.py) is given its engine here, so that each engine gets
# its own kill points.
@pytest.mark.parametrize(("migrated_url", "kill"), CASES, indirect=["migrated_url"])
def test_a_killed_import_leaves_whole_transactions_and_completes_when_run_again(
    migrated_url: str, import_file: ImportFile, kill: KillPoint, tmp_path: Path
) -> None:
    with Registry.open(migrated_url) as registry:
        before = dump(registry.engine)
    started = time.perf_counter()

    killed = import_until_killed(migrated_url, import_file, kill, tmp_path)

    # The events the registry may hold: those of the last commit the child saw end
    # (none if no commit ended), or, for an unpaused child, also those of a commit
    # it had begun when the kill landed.
    ended = killed.values("committed")
    committed = ended[-1] if ended else 0
    committing = killed.values("committing")
    possible = {committed}
    if kill.pause is None and committing:
        possible.add(committing[-1])
    with Registry.open(migrated_url) as registry:
        held = count(registry.engine, EVENT_TABLE)[0]
        assert held in possible, (
            f"{held} events after the kill; whole transactions give one of {sorted(possible)}"
        )
        check_holds_the_first(registry, import_file, held)
        if held == 0:
            assert dump(registry.engine) == before, "nothing committed, yet something changed"
        if kill.name == "while-validating":
            assert killed.values("progress") == [], "the write pass had begun"
        elif kill.pause == "commits":
            assert len(killed.values("committed")) == 1
            assert 0 < held < len(import_file.uids) // 2
        elif kill.pause == "done":
            # Killed at 90%: the last commit was at three quarters of that at least, as a
            # transaction on SQLite grows to a quarter of the registry (`transaction_full`).
            assert len(import_file.uids) * 3 // 5 <= held < len(import_file.uids)

        # The same import again, as a user would run it (the library's own transaction
        # and batch sizes): it adds exactly what the killed one had not committed.
        again = import_path(registry, import_file.path)
        cited = sum(import_file.citations(held).values())
        assert again.added["events"] == len(import_file.uids) - held
        assert again.existing["events"] == held
        assert again.added["citations"] == import_file.total_citations - cited
        assert again.existing["citations"] == cited
        assert again.added["sites"] == (0 if held else SITES)
        check_holds_the_first(registry, import_file, len(import_file.uids))

        # And a third time: nothing to add, nothing changed.
        complete = dump(registry.engine)
        third = import_path(registry, import_file.path)
        assert sum(third.added.values()) == 0, third.added
        assert dump(registry.engine) == complete

    print(
        f"{registry.engine.dialect.name} killed {kill.name}: {held} of "
        f"{len(import_file.uids)} events committed in "
        f"{len(killed.values('committed'))} transactions; "
        f"{time.perf_counter() - started:.2f} s with the two imports after it"
    )
