"""provenance: creations, removals and how each change came

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:20:00.000000

History now records the creation of every record and the removal of one entered by
mistake (actions `create` and `remove`; a removal's entry has no new state, so `new`
may be empty), and how each change came: by a command, the library, an import or the
seed (`how`). Entries written before this revision are kept, their `how` set to
`unrecorded`; records created before it have no creation entry, as nothing recorded
who made them. Downgrading refuses while history holds a creation or a removal, unless
confirmed (`registry db downgrade --yes`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from heritage_registry.schema import refuse_to_drop_data

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS_BEFORE = ("update", "retract", "cite", "merge")
ACTIONS_AFTER = ("create", *ACTIONS_BEFORE, "remove")
HOW = ("command", "library", "import", "seed", "unrecorded")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("change", schema=None) as batch_op:
        # Existing entries get `unrecorded` from the default as the column is added.
        batch_op.add_column(
            sa.Column(
                "how", sa.String(length=32), nullable=False, server_default=sa.text("'unrecorded'")
            )
        )
        batch_op.alter_column("new", existing_type=sa.JSON(), nullable=True)
        batch_op.drop_constraint(batch_op.f("ck_change_change_action"), type_="check")
        batch_op.create_check_constraint("change_action", sa.text(_in("action", ACTIONS_AFTER)))
    with op.batch_alter_table("change", schema=None) as batch_op:
        # The default served the backfill only: every new entry says how it came.
        batch_op.alter_column("how", existing_type=sa.String(length=32), server_default=None)
        batch_op.create_check_constraint("change_how", sa.text(_in("how", HOW)))
        batch_op.create_index(
            batch_op.f("ix_change_changed_at_id"), ["changed_at", "id"], unique=False
        )


def downgrade() -> None:
    refuse_to_drop_data(op.get_bind(), op.get_context().config, "0004")
    # A confirmed downgrade drops the entries that revision 0003 cannot hold.
    op.execute("DELETE FROM change WHERE action IN ('create', 'remove')")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_changed_at_id"))
        batch_op.drop_constraint(batch_op.f("ck_change_change_how"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_change_change_action"), type_="check")
        batch_op.drop_column("how")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.alter_column("new", existing_type=sa.JSON(), nullable=False)
        batch_op.create_check_constraint("change_action", sa.text(_in("action", ACTIONS_BEFORE)))
