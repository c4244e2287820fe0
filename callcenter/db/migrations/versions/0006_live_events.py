"""live events: the live feed's messages on their way between processes

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-01 12:00:00

On the transcription branch after 0004 (0005 and 0007 are the panel's branch); the table
stands alone (no foreign keys), so it depends on no other branch. ``sqlite_autoincrement``:
ids never come back after the rows are pruned (a reader's cursor would skip them).
No project imports: this file must describe the schema as it was when written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "live_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_live_events_created_at", "live_events", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_live_events_created_at", table_name="live_events")
    op.drop_table("live_events")
