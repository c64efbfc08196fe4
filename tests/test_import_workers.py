"""The import's first pass in worker processes (`exchange.workers`): the same registry, the
same problems and the same report as without them, batches taken back in file order, and
an import that goes on when a worker dies."""

from __future__ import annotations

import io
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from heritage_registry import Registry
from heritage_registry.exchange import ImportProblems, import_jsonl, validate, workers
from heritage_registry.exchange.workers import Workers
from heritage_registry.models import CHANGE_TABLE
from tests.helpers import dump

BENCH = Path(__file__).resolve().parent.parent / "bench"

pytestmark = pytest.mark.skipif(
    workers.cores() < 2, reason="workers are forked on Linux only, with more than one core"
)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 50 records, workers from the second batch: a small file uses them."""
    monkeypatch.setattr(validate, "BATCH_SIZE", 50)
    monkeypatch.setattr(workers, "POOL_AFTER", 1)


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A registry of realistic shape (`bench/synthetic.py`): 1,500 events, their sites,
    monuments and sources, Arabic names, every form of date, one to three citations."""
    sys.path.insert(0, str(BENCH))
    try:
        import synthetic
    finally:
        sys.path.remove(str(BENCH))
    shape = synthetic.Shape.for_events(1_500, sites=60, monuments=150, sources=20)
    path = tmp_path_factory.mktemp("synthetic") / "registry.jsonl"
    synthetic.generate(shape, path, baseline_rows=False)
    return path.read_bytes()


def _stored(registry: Registry) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, less the time each history entry was made (each import's own)."""
    tables = dump(registry.engine)
    at = [column.name for column in CHANGE_TABLE.columns].index("changed_at")
    tables["change"] = sorted((row[:at] + row[at + 1 :] for row in tables["change"]), key=repr)
    return tables


def _import(registry: Registry, data: bytes) -> Any:
    return import_jsonl(registry, io.BytesIO(data), by="tester")


# What the functions below, run in workers by name, are told by the test running them.
_SEEN: dict[str, Any] = {"folder": None, "parent": None}
_PREPARED = validate._prepared


def _noted_prepared(batch: Any, decode: Any) -> Any:
    """`validate._prepared`, noting the process each batch was prepared in."""
    (_SEEN["folder"] / str(os.getpid())).touch()
    return _PREPARED(batch, decode)


def _preparers(folder: Path) -> set[int]:
    pids = {int(path.name) for path in folder.iterdir()}
    for path in folder.iterdir():
        path.unlink()
    return pids


@pytest.mark.parametrize(
    "engine_name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_an_import_through_workers_stores_what_one_without_them_stores(
    small_batches: None,
    fresh_registry: Callable[[str], Registry],
    synthetic_file: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    engine_name: str,
) -> None:
    folder = tmp_path / "preparers"
    folder.mkdir()
    monkeypatch.setitem(_SEEN, "folder", folder)
    monkeypatch.setattr(validate, "_prepared", _noted_prepared)

    monkeypatch.setattr(workers, "MAX_WORKERS", 0)
    alone = fresh_registry(engine_name)
    report_alone = _import(alone, synthetic_file)
    stored_alone = _stored(alone)
    assert _preparers(folder) == {os.getpid()}

    monkeypatch.setattr(workers, "MAX_WORKERS", 2)
    registry = fresh_registry(engine_name)
    report = _import(registry, synthetic_file)
    assert _preparers(folder) - {os.getpid()}, "no batch was prepared by a worker"
    assert report.added == report_alone.added
    assert report.lines == report_alone.lines
    assert _stored(registry) == stored_alone


def _broken_file(data: bytes) -> bytes:
    """The synthetic file with a problem of every kind on lines spread over many batches."""
    lines = data.decode().splitlines(keepends=True)
    events = [number for number, line in enumerate(lines) if '"type":"event"' in line]
    chosen = random.Random(7).sample(events, 6)
    lines[chosen[0]] = "{not json\n"
    lines[chosen[1]] = "[1, 2]\n"
    lines[chosen[2]] = lines[chosen[2]].replace('"damage_level":"', '"damage_level":"x', 1)
    lines[chosen[3]] = lines[chosen[3]].replace('"site":"', '"site":"nowhere-', 1)
    lines[chosen[4]] = lines[chosen[4]].replace('"source":"', '"source":"unknown-', 1)
    # The same uid again with another cause.
    twin = lines[chosen[5]]
    cause = '"cause":"explosives"' if '"cause":"explosives"' not in twin else '"cause":"fire"'
    lines.append(
        twin.replace(twin[twin.index('"cause":') : twin.index(",", twin.index('"cause":'))], cause)
    )
    return "".join(lines).encode()


def test_problems_found_through_workers_are_those_found_without_them(
    small_batches: None,
    fresh_registry: Callable[[str], Registry],
    synthetic_file: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _broken_file(synthetic_file)
    messages = []
    for count in (0, 2):
        monkeypatch.setattr(workers, "MAX_WORKERS", count)
        registry = fresh_registry("sqlite")
        before = dump(registry.engine)
        with pytest.raises(ImportProblems) as caught:
            _import(registry, data)
        assert dump(registry.engine) == before
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith("6 problems in the file; nothing was written:"), messages[0]


def _dies_in_a_worker(batch: Any, decode: Any) -> Any:
    if os.getpid() != _SEEN["parent"]:
        os._exit(3)
    return _PREPARED(batch, decode)


def test_an_import_goes_on_when_a_worker_dies(
    small_batches: None,
    fresh_registry: Callable[[str], Registry],
    synthetic_file: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "MAX_WORKERS", 0)
    alone = fresh_registry("sqlite")
    _import(alone, synthetic_file)

    monkeypatch.setattr(workers, "MAX_WORKERS", 2)
    monkeypatch.setitem(_SEEN, "parent", os.getpid())
    monkeypatch.setattr(validate, "_prepared", _dies_in_a_worker)
    registry = fresh_registry("sqlite")
    _import(registry, synthetic_file)
    assert _stored(registry) == _stored(alone)


def _slow_square(batch: list[tuple[int, Any]], decode: Any) -> list[int]:
    # Later batches finish first, as a busy worker's may.
    time.sleep(random.random() / 50)
    return [number * number for number, _value in batch]


def test_results_come_back_in_the_order_the_batches_were_given() -> None:
    batches = [[(number, None)] for number in range(40)]
    results: list[list[int]] = []
    with Workers(_slow_square, None, workers=3, pool_after=2) as pool:
        for batch in batches:
            results += pool.put(batch)
        results += pool.drain()
    assert results == [[number * number] for number in range(40)]


def test_without_workers_every_batch_is_prepared_here() -> None:
    with Workers(_slow_square, None, workers=0, pool_after=0) as pool:
        assert pool.put([(3, None)]) == [[9]]
        assert pool.pool is None
