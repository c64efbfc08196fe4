"""The cyclic garbage collector paced while an import runs: both passes hold a batch of
records alive at a time, which the collector's default threshold walks thousands of times.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_GC_THRESHOLD = 100_000
_paced = {"imports": 0}
_pacing = threading.Lock()


@contextmanager
def _few_collections() -> Iterator[None]:
    """The cyclic garbage collector run less often while an import runs.

    A batch keeps a few hundred thousand containers (lines, models, records) alive until it
    is staged or written, so at the default threshold of 700 the collector ran some 5,000
    times over an import of 100,000 events, each time walking them, and the full
    collections among them walked every object of the process: 4 of its 20 seconds. The
    import makes next to no cyclic garbage, so collecting this rarely holds no more memory.
    The threshold is the process's: imports running at once set it back when the last ends.
    Each batch ends with `_collect_young`, for the garbage there is.
    """
    with _pacing:
        if _paced["imports"] == 0:
            _paced["threshold"] = gc.get_threshold()[0]
            gc.set_threshold(max(_paced["threshold"], _GC_THRESHOLD), *gc.get_threshold()[1:])
        _paced["imports"] += 1
    try:
        yield
    finally:
        with _pacing:
            _paced["imports"] -= 1
            if _paced["imports"] == 0:
                gc.set_threshold(_paced["threshold"], *gc.get_threshold()[1:])


def _collect_young() -> None:
    """Collect the young generations, once a batch is staged or written and dropped.

    Validating a line may raise and catch exceptions deep inside a parser (the EDTF
    grammar, language tags); the traceback and its frames form a cycle that keeps the
    whole batch (its lines, models and records) alive until the collector finds it, and
    at the import's threshold it would seldom look. With the batch dropped, what is young
    is that garbage and the little the batch added to the import's own state.
    """
    gc.collect(1)
