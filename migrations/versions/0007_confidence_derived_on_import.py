"""citations an import writes with their new events keep the confidence it derived

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 12:45:00.000000

On PostgreSQL, revision 0005's trigger sets the stored confidence of every event a new
citation cites to NULL, and the import then derived and stored it again: one UPDATE of
each imported event, a new version of its row in every one of the table's indexes, and
a quarter of an import's time. An import knows each new event's citations before it
writes the event, so it stores the event with its confidence derived from them and has
the trigger leave the events of the citations it writes next alone, by setting
`heritage_registry.citations_derived` to `on` for that one statement, local to its
transaction (`heritage_registry.confidence.derived_citations`). Every other insert,
and every update or delete of a citation, sets the confidence NULL as before.

Only the function changes; on SQLite, whose triggers no session setting reaches, this
revision does nothing and the import stores the confidence after the citations, as it
did. Nothing is stored or dropped either way.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_READ = ", ".join(
    "{row}." + column
    for column in ("event_id", "source_id", "stance", "claimed_occurred", "claimed_level", "via")
)
_UNKNOWN = "UPDATE damage_event SET confidence = NULL WHERE confidence IS NOT NULL AND "
_OTHERS = (
    f"ELSIF TG_OP = 'DELETE' THEN {_UNKNOWN}id IN (SELECT event_id FROM removed); "
    f"ELSE {_UNKNOWN}id IN (SELECT unnest(ARRAY[was.event_id, now.event_id]) "
    "FROM removed AS was JOIN added AS now ON now.id = was.id "
    f"WHERE ({_READ.format(row='was')}) IS DISTINCT FROM ({_READ.format(row='now')})); "
    "END IF; RETURN NULL; END $$"
)
_FUNCTION = (
    "CREATE OR REPLACE FUNCTION citation_confidence_unknown() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
)
# `current_setting(name, true)` is NULL where the setting was never made.
UPGRADED = (
    f"{_FUNCTION}IF TG_OP = 'INSERT' THEN "
    "IF current_setting('heritage_registry.citations_derived', true) = 'on' THEN "
    f"RETURN NULL; END IF; {_UNKNOWN}id IN (SELECT event_id FROM added); {_OTHERS}"
)
# Revision 0005's function.
DOWNGRADED = (
    f"{_FUNCTION}IF TG_OP = 'INSERT' THEN {_UNKNOWN}id IN (SELECT event_id FROM added); {_OTHERS}"
)


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(UPGRADED)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(DOWNGRADED)
