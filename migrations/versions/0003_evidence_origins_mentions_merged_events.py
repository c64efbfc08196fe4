"""evidence: origins, mentions, merged events

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:53:04.517864

Adds what the evidence model needs (DOMAIN.md): a citation's origin (`via`, whom the
source relays) and the monuments it mentions (`mentions`, slugs of the event's site);
an event folded into another as a duplicate (`merged_into_id`, `merged_at`,
`merge_reason`); and `merge` among the actions a history entry records. Every existing
record is kept: old citations relay no one and mention nothing, no event is merged.
Downgrading refuses while any citation has a `via` or mentions, or any event is merged,
unless confirmed (`registry db downgrade --yes`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op

from heritage_registry.schema import refuse_to_drop_data

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS_BEFORE = ("update", "retract", "cite")
ACTIONS_AFTER = (*ACTIONS_BEFORE, "merge")


def _actions(values: tuple[str, ...]) -> str:
    return "action IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("damage_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("merge_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_damage_event_merged_into_id_damage_event"),
            "damage_event",
            ["merged_into_id"],
            ["id"],
        )

    with op.batch_alter_table("source_citation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        # Existing citations mention nothing: filled by the default as the column is added.
        batch_op.add_column(
            sa.Column("mentions", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )

    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_change_change_action"), type_="check")
        batch_op.create_check_constraint("change_action", sa.text(_actions(ACTIONS_AFTER)))


def downgrade() -> None:
    refuse_to_drop_data(op.get_bind(), op.get_context().config, "0003")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_change_change_action"), type_="check")
    # A confirmed downgrade drops the merge entries, which revision 0002 cannot hold.
    op.execute("DELETE FROM change WHERE action = 'merge'")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.create_check_constraint("change_action", sa.text(_actions(ACTIONS_BEFORE)))

    with op.batch_alter_table("source_citation", schema=None) as batch_op:
        batch_op.drop_column("mentions")
        batch_op.drop_column("via")

    with op.batch_alter_table("damage_event", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_damage_event_merged_into_id_damage_event"), type_="foreignkey"
        )
        batch_op.drop_column("merge_reason")
        batch_op.drop_column("merged_at")
        batch_op.drop_column("merged_into_id")
