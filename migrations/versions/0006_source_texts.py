"""source texts: the text a source was read from, and where each quote is in it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:30:00.000000

A source may keep the text it was read from, or only the hash of an original that is
not text, with when and where it was retrieved (`source_text`, one row a source). A
citation of a source with a text keeps where its quote is in it
(`source_citation.text_start`, `text_end`); citations written before this revision
have none, and are unverified until `registry verify` or a new text finds them.
Downgrading refuses while a source keeps a text, unless confirmed
(`registry db downgrade --yes`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from heritage_registry.schema import refuse_to_drop_data

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_text",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("retrieved", sa.Date(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("archived_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_source_text_source_id_source")
        ),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_source_text")),
    )
    # Plain ADD COLUMN, not a batch: rebuilding source_citation on SQLite would drop
    # the confidence triggers revision 0005 put on it.
    op.add_column("source_citation", sa.Column("text_start", sa.Integer(), nullable=True))
    op.add_column("source_citation", sa.Column("text_end", sa.Integer(), nullable=True))


def downgrade() -> None:
    refuse_to_drop_data(op.get_bind(), op.get_context().config, "0006")
    # DROP COLUMN, which SQLite has had since 3.35, for the same reason.
    op.drop_column("source_citation", "text_end")
    op.drop_column("source_citation", "text_start")
    op.drop_table("source_text")
