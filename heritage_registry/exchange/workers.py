"""The import's first pass on more than one core: each batch's own work in worker processes.

Decoding a batch's lines, validating them with the Create models and dumping them to their
staged form need nothing but the lines (`validate._prepared`), and were most of the first
pass, which writes nothing and so left the database, and the machine's other cores, idle.
`Workers` hands a large file's batches to worker processes and gives their results back
in the order the batches were read; what needs the registry and the lines before
(references, uids, merges, staging) stays with the validator, batch by batch in file order.

Workers are forked from the importing process, on Linux only: a fork starts at once with
everything the validation needs already loaded, and touches none of the connections it
inherits (a worker runs `prepare` and exits without cleaning up). The other ways to start
one (spawn, forkserver: macOS's and Windows's) run the program's main module again in each
worker, which a script calling the library does not expect; there every batch is prepared
in the importing process, as everywhere before. The pool starts only once a file has shown
itself large (`POOL_AFTER` batches). A worker that dies (killed for memory, say) costs
nothing but time: its batches, and every later one, are prepared here instead.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Generic, TypeVar

# Batches the validator prepares itself before it starts workers: a file this small is
# done before they would be ready.
POOL_AFTER = 4
# Workers at most, whatever the machine: the validator's own share (references, staging)
# is about a third of the pass, so more would wait on it.
MAX_WORKERS = 4
# Batches given out and not yet taken back, per worker: enough to keep each busy while the
# validator checks the last one, few enough to bound the memory they hold.
IN_FLIGHT_PER_WORKER = 2

Batch = list[tuple[int, Any]]
R = TypeVar("R")


def cores() -> int:
    """The cores this process may run on, where workers can be forked safely; else 1."""
    if (
        not sys.platform.startswith("linux")
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return 1
    return len(os.sched_getaffinity(0))


def _start_worker() -> None:
    # Ctrl-C is the importing process's to handle: it stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # As the importing process paces its own (`pacing._few_collections`).
    gc.set_threshold(100_000, *gc.get_threshold()[1:])


def _ready() -> bool:
    return True


class Workers(Generic[R]):
    """Batches prepared by `prepare(batch, decode)`, here or in worker processes, and their
    results taken back in the order they were given (`put`, then `drain`).

    `prepare` and `decode` must be functions of a module (a worker imports them by name).
    With `workers=0`, or on a machine of one core, every batch is prepared here.
    """

    def __init__(
        self,
        prepare: Callable[[Batch, Any], R],
        decode: Any,
        *,
        workers: int | None = None,
        pool_after: int | None = None,
    ) -> None:
        self.prepare = prepare
        self.decode = decode
        count = min(MAX_WORKERS, cores()) if workers is None else workers
        self.count = count if count > 1 or workers is not None else 0
        self.pool_after = POOL_AFTER if pool_after is None else pool_after
        self.given = 0
        self.pool: ProcessPoolExecutor | None = None
        self.warming: Future[bool] | None = None
        self.pending: deque[tuple[Batch, Future[R]]] = deque()

    def __enter__(self) -> Workers[R]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.pending.clear()

    def put(self, batch: Batch) -> list[R]:
        """Give a batch; returns the results now due, in order (perhaps none, perhaps its own)."""
        self.given += 1
        if self.pool is None and self.count and self.given > self.pool_after:
            self._start()
        if self.warming is not None and self.warming.done():
            alive = self._alive(self.warming)
            self.warming = None
            if not alive:
                self._stop()
        if self.pool is None or self.warming is not None:
            return [*self.drain(), self.prepare(batch, self.decode)]
        try:
            self.pending.append((batch, self.pool.submit(self.prepare, batch, self.decode)))
        except BrokenProcessPool:
            self._stop()
            return [*self.drain(), self.prepare(batch, self.decode)]
        due = []
        while len(self.pending) > self.count * IN_FLIGHT_PER_WORKER or (
            self.pending and self.pending[0][1].done()
        ):
            due.append(self._take())
        return due

    def drain(self) -> Iterator[R]:
        """The results of every batch given and not yet taken, in order."""
        while self.pending:
            yield self._take()

    def _take(self) -> R:
        batch, future = self.pending.popleft()
        try:
            return future.result()
        except BrokenProcessPool:
            # Its worker died: the batch, and those after it, are prepared here.
            self._stop()
            return self.prepare(batch, self.decode)

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")
        try:
            self.pool = ProcessPoolExecutor(
                self.count, mp_context=context, initializer=_start_worker
            )
            self.warming = self.pool.submit(_ready)
        except Exception:
            # No workers to be had (a daemon process may have no children, a full process
            # table refuses them): the batches are prepared here.
            self._stop()

    def _alive(self, future: Future[bool]) -> bool:
        try:
            return future.result()
        except Exception:
            return False

    def _stop(self) -> None:
        """Prepare every batch here from now on, the pending ones included."""
        pool, self.pool, self.warming, self.count = self.pool, None, None, 0
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        pending = list(self.pending)
        self.pending.clear()
        for batch, future in pending:
            if future.done() and not future.cancelled() and future.exception() is None:
                self.pending.append((batch, future))
            else:
                self.pending.append((batch, _done(self.prepare(batch, self.decode))))


def _done(result: R) -> Future[R]:
    future: Future[R] = Future()
    future.set_result(result)
    return future
