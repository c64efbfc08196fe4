"""an index of the events merged into another

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 22:30:00.000000

`damage_event.merged_into_id` names the event one was merged into, and had no index: a
database checking that key (an event written while foreign keys are deferred, or one
removed, as the key others may be merged into) read the whole table for each event. The
import on SQLite now writes a batch's citations before their events, with foreign keys
deferred to the commit (so that the citation trigger finds no event to set unknown),
and SQLite then looks for the events merged into each event it writes: without the
index, an import of 100,000 events took half an hour instead of twenty seconds. Partial
(only merged events have an entry), so the other events' writes do not pay for it.
Nothing is stored or dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MERGED = sa.text("merged_into_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        op.f("ix_damage_event_merged_into_id"),
        "damage_event",
        ["merged_into_id"],
        unique=False,
        sqlite_where=_MERGED,
        postgresql_where=_MERGED,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_damage_event_merged_into_id"), table_name="damage_event")
