"""Test helpers: a full dump of a registry's tables, to show that nothing was written."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from heritage_registry import Registry
from heritage_registry.models import EVENT_TABLE, metadata


def dump(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every registry table (and the alembic version), in a stable order."""
    tables = [*metadata.sorted_tables]
    result: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in tables:
            rows = connection.execute(sa.select(table)).all()
            result[table.name] = sorted((tuple(row) for row in rows), key=repr)
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        result["alembic_version"] = [tuple(row) for row in version]
    return result


def after_creation(history: str) -> str:
    """A record's `registry history` text less its first entry, the record's creation."""
    created, _, rest = history.partition("\n\n")
    assert "  create  by " in created.splitlines()[0], created
    return rest


def fill(registry: Registry, contents: dict[str, list[dict[str, Any]]]) -> None:
    """Add a registry's contents as `tests.strategies` draws them, by the library."""
    for site in contents["sites"]:
        registry.add_site(**site)
    for monument in contents["monuments"]:
        registry.add_monument(**monument)
    for source in contents["sources"]:
        registry.add_source(**source)
    for event in contents["events"]:
        registry.add_event(**event)
    for kept in contents.get("texts", []):
        registry.attach_text(kept["key"], **{k: v for k, v in kept.items() if k != "key"})


def stored_confidence(reg: Registry) -> dict[str, str | None]:
    """Each event's stored confidence (`damage_event.confidence`) by uid, NULL as None."""
    with reg.engine.connect() as connection:
        rows = connection.execute(sa.select(EVENT_TABLE.c.uid, EVENT_TABLE.c.confidence))
        return {uid: None if stored is None else str(stored) for uid, stored in rows}
