"""extraction tables: the keyword table and the gazetteer as edited in the panel

Revision ID: 0008
Revises: 0006, 0007
Create Date: 2026-12-02 10:00:00

Merges the transcription branch (0006) and the panel's branch (0007). ``extraction_tables``
holds at most one row per table (``keywords``, ``gazetteer``): the TOML text an
administrator saved; no row means the packaged file is in force. ``version`` guards
concurrent edits (a conditional UPDATE). The table stands alone (no foreign keys).
No project imports: this file must describe the schema as it was when written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = ("0006", "0007")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "extraction_tables",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_extraction_tables")),
    )


def downgrade() -> None:
    op.drop_table("extraction_tables")
