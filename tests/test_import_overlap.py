"""The PostgreSQL import writes a batch of new events in the background while it builds the
next (`exchange.overlap`): what it writes is what it wrote before, an event given again in
the next batch is found, and a write that fails stops the import as it did."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from heritage_registry import Registry
from heritage_registry.cli import main
from heritage_registry.exchange import import_jsonl, validate
from heritage_registry.exchange.writer import _Writer
from heritage_registry.models import CITATION_TABLE, EVENT_TABLE
from tests.helpers import dump, stored_confidence

HEADER = {"format": "heritage-registry", "version": 1}
SITE = {"type": "site", "slug": "palmyra", "name": "Palmyra", "country": "SY"}
SOURCES = [
    {"type": "source", "key": "afp", "title": "AFP report", "publisher": "AFP"},
    {"type": "source", "key": "sana", "title": "SANA report", "publisher": "SANA"},
]


def _uid(number: int) -> str:
    return f"00000000-0000-4000-8000-{number:012d}"


def _event(number: int, source: str = "afp", quote: str | None = None) -> dict[str, Any]:
    return {
        "type": "event",
        "uid": _uid(number),
        "site": "palmyra",
        "cause": "explosives",
        "damage_level": "destroyed",
        "occurred": "2015-08",
        "citations": [{"source": source, "quote": quote or f"event {number} destroyed"}],
    }


def _file(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(record) + "\n" for record in records).encode()


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches (and so the writer's chunks) of three records."""
    monkeypatch.setattr(validate, "BATCH_SIZE", 3)


def _citations(registry: Registry) -> dict[str, list[str]]:
    """Each event's citations, `source: quote`, by uid."""
    query = sa.select(EVENT_TABLE.c.uid, CITATION_TABLE.c.quote).join(
        EVENT_TABLE, EVENT_TABLE.c.id == CITATION_TABLE.c.event_id
    )
    found: dict[str, list[str]] = {}
    with registry.engine.connect() as connection:
        for uid, quote in connection.execute(query):
            found.setdefault(uid, []).append(quote)
    return {uid: sorted(quotes) for uid, quotes in found.items()}


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_an_event_given_again_in_the_next_batch_gains_its_citation(
    small_batches: None, fresh_registry: Callable[[str], Registry], engine: str
) -> None:
    """Batch 2 looks up its uids before batch 1's events are written: an event of batch 1
    given again in batch 2 (and in batch 4) is known held, and gains the citation it lacks."""
    records = [
        SITE,
        *SOURCES,
        _event(1),
        _event(2),
        _event(3),
        _event(1, "sana", "event 1 as SANA told it"),  # the next batch
        _event(4),
        _event(5),
        _event(6),
        _event(7),
        _event(2, "sana", "event 2 as SANA told it"),  # two batches on
        _event(8),
    ]
    registry = fresh_registry(engine)
    report = import_jsonl(registry, io.BytesIO(_file([HEADER, *records])))
    assert report.added["events"] == 8
    assert report.added["citations"] == 10
    assert _citations(registry)[_uid(1)] == ["event 1 as SANA told it", "event 1 destroyed"]
    assert _citations(registry)[_uid(2)] == ["event 2 as SANA told it", "event 2 destroyed"]
    confidence = stored_confidence(registry)
    assert confidence[_uid(1)] == confidence[_uid(2)] == "corroborated"
    assert {confidence[_uid(n)] for n in range(3, 9)} == {"single_source"}
    # Imported again, nothing is added.
    again = import_jsonl(registry, io.BytesIO(_file([HEADER, *records])))
    assert again.added["events"] == again.added["citations"] == 0


@pytest.mark.postgres
def test_new_events_are_written_in_the_background_with_ids_taken_ahead(
    small_batches: None, fresh_registry: Callable[[str], Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    write_new = _Writer._write_new

    def noted(writer: _Writer, *args: Any) -> None:
        threads.append(threading.current_thread().name)
        write_new(writer, *args)

    monkeypatch.setattr(_Writer, "_write_new", noted)
    registry = fresh_registry("postgresql")
    import_jsonl(registry, io.BytesIO(_file([HEADER, SITE, *SOURCES, *map(_event, range(1, 10))])))
    assert len(threads) == 3
    assert all(name.startswith("heritage-registry-import") for name in threads), threads
    with registry.engine.connect() as connection:
        ids = dict(connection.execute(sa.select(EVENT_TABLE.c.uid, EVENT_TABLE.c.id)).all())
    assert sorted(ids.values()) == [ids[_uid(n)] for n in range(1, 10)]  # in the file's order
    assert registry.count_events() == 9


@pytest.mark.postgres
def test_an_event_added_by_another_writer_while_a_batch_waits_stops_the_import(
    small_batches: None, postgres_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer adds an event of the third batch after the import looked its uid up
    and before the background wrote it: the write fails, the import says so in one line,
    and nothing of the file is written."""
    path = tmp_path / "file.jsonl"
    path.write_bytes(_file([HEADER, *map(_event, range(1, 10))]))
    with Registry.open(postgres_url) as registry:
        registry.add_site(slug="palmyra", name="Palmyra", country="SY")
        registry.add_source(key="afp", title="AFP report", publisher="AFP")
        registry.add_source(key="sana", title="SANA report", publisher="SANA")
        before = dump(registry.engine)
    held_events = _Writer._held_events
    raced: list[str] = []

    def looked_up_then_another_writer_adds_one(
        writer: _Writer, connection: sa.Connection, records: list[dict[str, Any]]
    ) -> Any:
        found = held_events(writer, connection, records)
        if records[0]["uid"] == _uid(7) and not raced:
            with Registry.open(postgres_url, migrate=False) as other:
                other.add_event(
                    uid=_uid(8), site="palmyra", cause="explosives", damage_level="destroyed",
                    occurred="2015-08", source="afp", quote="event 8 destroyed",
                )  # fmt: skip
            raced.append(_uid(8))
        return found

    monkeypatch.setattr(_Writer, "_held_events", looked_up_then_another_writer_adds_one)
    result = CliRunner().invoke(main, ["--db", postgres_url, "import", str(path)])
    assert result.exit_code == 1, (result.output, result.exception)
    assert result.stderr == (
        "Error: another writer added one of the file's records (the same slug, key or uid) "
        "while it was being imported: nothing was imported; run the import again\n"
    )
    assert raced == [_uid(8)]
    monkeypatch.undo()
    with Registry.open(postgres_url, migrate=False) as registry:
        after = dump(registry.engine)
        assert [event.uid for event in registry.list_events()] == [_uid(8)]
        assert len(after["damage_event"]) == len(before["damage_event"]) + 1
    again = CliRunner().invoke(main, ["--db", postgres_url, "import", str(path)])
    assert again.exit_code == 0, again.output
    with Registry.open(postgres_url, migrate=False) as registry:
        assert registry.count_events() == 9
