"""stored confidence, and indexes for every filter of the event list

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 08:00:00.000000

`list events --cause`, `--level` and `--since` read the whole event table: no index
began with the cause, the damage level or `latest`. Each gets one, the cause's and the
level's followed by `earliest` and `latest`, the first keys of the list's date order,
so that a filtered list is a range of one index, nearly in order.

`--confidence` derived every event's confidence in Python to keep a few. Each event now
keeps its confidence as `confidence.derive` gives it (`damage_event.confidence`,
indexed like the others), or NULL where it is not known; triggers set it NULL whenever
what it derives from changes, by whatever path (`heritage_registry.confidence`). The
upgrade derives it for every event there is; the downgrade drops it, and loses nothing
that cannot be derived again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from heritage_registry import confidence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_damage_event_latest": ["latest"],
    "ix_damage_event_cause_earliest_latest": ["cause", "earliest", "latest"],
    "ix_damage_event_damage_level_earliest_latest": ["damage_level", "earliest", "latest"],
    "ix_damage_event_confidence_earliest_latest": ["confidence", "earliest", "latest"],
}
CONFIDENCE = ("corroborated", "single_source", "contested", "retracted", "merged")
CONFIDENCE_CHECK = "confidence IN (" + ", ".join(f"'{value}'" for value in CONFIDENCE) + ")"

# What sets an event's stored confidence NULL, by engine. On SQLite a later migration
# that rebuilds one of these tables (batch mode) drops its triggers and must create them
# again; tests/test_confidence_filter.py finds every one at the head revision.
# The citation columns confidence reads, of a row named `row`.
_READ = ", ".join(
    "{row}." + column
    for column in ("event_id", "source_id", "stance", "claimed_occurred", "claimed_level", "via")
)
_UNKNOWN = "UPDATE damage_event SET confidence = NULL WHERE confidence IS NOT NULL AND "
TRIGGERS: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TRIGGER tr_source_citation_insert_confidence AFTER INSERT ON source_citation "
        f"BEGIN {_UNKNOWN}id = NEW.event_id; END",
        "CREATE TRIGGER tr_source_citation_delete_confidence AFTER DELETE ON source_citation "
        f"BEGIN {_UNKNOWN}id = OLD.event_id; END",
        "CREATE TRIGGER tr_source_citation_update_confidence AFTER UPDATE OF event_id, "
        "source_id, stance, claimed_occurred, claimed_level, via ON source_citation "
        f"WHEN ({_READ.format(row='OLD')}) IS NOT ({_READ.format(row='NEW')}) "
        f"BEGIN {_UNKNOWN}id IN (OLD.event_id, NEW.event_id); END",
        "CREATE TRIGGER tr_source_update_confidence AFTER UPDATE OF key, publisher ON source "
        "WHEN OLD.key IS NOT NEW.key OR OLD.publisher IS NOT NEW.publisher "
        f"BEGIN {_UNKNOWN}id IN (SELECT event_id FROM source_citation "
        "WHERE source_id = NEW.id); END",
        "CREATE TRIGGER tr_damage_event_update_confidence AFTER UPDATE OF occurred, "
        "damage_level, retracted_at, merged_into_id ON damage_event "
        "WHEN OLD.occurred IS NOT NEW.occurred OR OLD.damage_level IS NOT NEW.damage_level "
        "OR OLD.retracted_at IS NOT NEW.retracted_at "
        "OR OLD.merged_into_id IS NOT NEW.merged_into_id "
        f"BEGIN {_UNKNOWN}id = NEW.id; END",
    ),
    # Citations by statement, through the rows each statement changed (a bulk insert
    # costs one update, not one a row); an event's own change before its row is written.
    "postgresql": (
        # An update counts where a column confidence reads changed (not a quote's
        # location, not the monuments a citation mentions).
        "CREATE FUNCTION citation_confidence_unknown() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        f"IF TG_OP = 'INSERT' THEN {_UNKNOWN}id IN (SELECT event_id FROM added); "
        f"ELSIF TG_OP = 'DELETE' THEN {_UNKNOWN}id IN (SELECT event_id FROM removed); "
        f"ELSE {_UNKNOWN}id IN (SELECT unnest(ARRAY[was.event_id, now.event_id]) "
        "FROM removed AS was JOIN added AS now ON now.id = was.id "
        f"WHERE ({_READ.format(row='was')}) IS DISTINCT FROM ({_READ.format(row='now')})); "
        "END IF; RETURN NULL; END $$",
        "CREATE TRIGGER tr_source_citation_insert_confidence AFTER INSERT ON source_citation "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION citation_confidence_unknown()",
        "CREATE TRIGGER tr_source_citation_delete_confidence AFTER DELETE ON source_citation "
        "REFERENCING OLD TABLE AS removed FOR EACH STATEMENT "
        "EXECUTE FUNCTION citation_confidence_unknown()",
        "CREATE TRIGGER tr_source_citation_update_confidence AFTER UPDATE ON source_citation "
        "REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION citation_confidence_unknown()",
        "CREATE FUNCTION source_confidence_unknown() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {_UNKNOWN}id IN (SELECT event_id FROM source_citation "
        "WHERE source_id = NEW.id); RETURN NULL; END $$",
        "CREATE TRIGGER tr_source_update_confidence AFTER UPDATE OF key, publisher ON source "
        "FOR EACH ROW WHEN (OLD.key IS DISTINCT FROM NEW.key "
        "OR OLD.publisher IS DISTINCT FROM NEW.publisher) "
        "EXECUTE FUNCTION source_confidence_unknown()",
        "CREATE FUNCTION event_confidence_unknown() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN NEW.confidence := NULL; RETURN NEW; END $$",
        "CREATE TRIGGER tr_damage_event_update_confidence BEFORE UPDATE OF occurred, "
        "damage_level, retracted_at, merged_into_id ON damage_event "
        "FOR EACH ROW WHEN (OLD.occurred IS DISTINCT FROM NEW.occurred "
        "OR OLD.damage_level IS DISTINCT FROM NEW.damage_level "
        "OR OLD.retracted_at IS DISTINCT FROM NEW.retracted_at "
        "OR OLD.merged_into_id IS DISTINCT FROM NEW.merged_into_id) "
        "EXECUTE FUNCTION event_confidence_unknown()",
    ),
}
TRIGGER_TABLES: dict[str, str] = {
    "tr_source_citation_insert_confidence": "source_citation",
    "tr_source_citation_delete_confidence": "source_citation",
    "tr_source_citation_update_confidence": "source_citation",
    "tr_source_update_confidence": "source",
    "tr_damage_event_update_confidence": "damage_event",
}
_FUNCTIONS = (
    "citation_confidence_unknown",
    "source_confidence_unknown",
    "event_confidence_unknown",
)


def _create_triggers(connection: sa.Connection) -> None:
    for statement in TRIGGERS[connection.dialect.name]:
        connection.exec_driver_sql(statement)


def _drop_triggers(connection: sa.Connection) -> None:
    postgres = connection.dialect.name == "postgresql"
    for name, table in TRIGGER_TABLES.items():
        connection.exec_driver_sql(
            f"DROP TRIGGER IF EXISTS {name} ON {table}"
            if postgres
            else f"DROP TRIGGER IF EXISTS {name}"
        )
    if postgres:
        for function in _FUNCTIONS:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function}()")


def upgrade() -> None:
    with op.batch_alter_table("damage_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confidence", sa.String(length=32), nullable=True))
        batch_op.create_check_constraint("confidence", sa.text(CONFIDENCE_CHECK))
        for name, columns in INDEXES.items():
            batch_op.create_index(batch_op.f(name), columns, unique=False)
    # After the batch: rebuilding a SQLite table drops the triggers on it.
    connection = op.get_bind()
    _create_triggers(connection)
    confidence.refresh(connection)


def downgrade() -> None:
    _drop_triggers(op.get_bind())
    with op.batch_alter_table("damage_event", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(batch_op.f(name))
        batch_op.drop_constraint(batch_op.f("ck_damage_event_confidence"), type_="check")
        batch_op.drop_column("confidence")
