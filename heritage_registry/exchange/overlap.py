"""The PostgreSQL import's writes overlapped with building the next batch's rows.

Each `COPY` ends by waiting for the server to check and index what it was sent (the
foreign keys and triggers of a table run at the end of its statement): writing 100,000
events, the import waited so for about as long as it spent building the rows, one after
the other. `Background` runs a batch's writes in order on one thread while the importing
thread builds the next batch's rows; `idle` waits for them, and raises what failed, before
the connection is used for anything else (a look-up, a commit, a batch that needs to read
what the last one wrote). `EventIds` takes the ids of new events from the table's sequence
ahead of their `COPY`, so that their citations and the next batch's look-up need not wait
for it. Writes run in the import's transaction, in the order they were given, exactly as
they were run before; only the waiting moved.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import sqlalchemy as sa

# Ids taken from the sequence beyond those asked for, so that the next batch rarely asks.
_MORE_IDS = 2_000


class Background:
    """Writes run in order by one thread, while the importing thread goes on."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="heritage-registry-import")
        self.running: Future[None] | None = None

    def submit(self, write: Callable[[], None]) -> None:
        """Run `write` once the writes given before it have run."""
        self.idle()
        self.running = self.executor.submit(write)

    def idle(self) -> None:
        """Wait for the writes given so far; raise what one of them raised."""
        running, self.running = self.running, None
        if running is not None:
            running.result()

    def close(self) -> None:
        """Wait for the writes given so far, and stop the thread; what a write raised is
        not raised again here (an import that reaches its end has waited already)."""
        try:
            if self.running is not None:
                self.running.exception()
        finally:
            self.running = None
            self.executor.shutdown(wait=True)


class EventIds:
    """Ids for new events, taken ahead from the events table's sequence (PostgreSQL).

    A sequence gives each id once, to whichever connection asks, and is not rolled back:
    ids taken and not used (a dry run, a failed import, the last batch's spare) are gaps,
    as a rolled-back insert leaves them.
    """

    def __init__(self, connection: sa.Connection) -> None:
        self.sequence = connection.exec_driver_sql(
            "SELECT pg_get_serial_sequence('damage_event', 'id')"
        ).scalar_one()
        self.free: deque[int] = deque()

    def reserve(self, connection: sa.Connection, count: int) -> None:
        """Have at least `count` ids ready."""
        wanted = count - len(self.free)
        if wanted <= 0:
            return
        self.free.extend(
            connection.execute(
                sa.text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :n)"),
                {"sequence": self.sequence, "n": wanted + _MORE_IDS},
            ).scalars()
        )

    def take(self) -> int:
        return self.free.popleft()
