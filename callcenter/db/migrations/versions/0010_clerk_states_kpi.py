"""clerk states and KPI indexes: the wallboard's clerk table; indexes for the queue figures

Revision ID: 0010_clerk_states_kpi
Revises: 0008
Create Date: 2026-12-06 10:00:00

``clerk_states``: one row per clerk phone, written by the listener's clerk board, read by
every panel process (stands alone, no foreign keys). ``ix_calls_kpi`` covers what the queue
figures read of a call (callcenter.analytics.kpi), so a period's figures are read from the
index alone (``id`` in it for the fingerprint of callcenter.analytics.kpi.PastCache);
``ix_call_legs_rang_at`` finds the ring attempts of a period (missed rings).
No project imports: this file must describe the schema as it was when written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0010_clerk_states_kpi"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KPI_COLUMNS = ["started_at", "status", "disposition", "abandon_stage", "ring_seconds", "talk_seconds", "answered_by",
               "id"]


def upgrade() -> None:
    op.create_table(
        "clerk_states",
        sa.Column("extension", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("extension", name=op.f("pk_clerk_states")),
    )
    op.create_index("ix_calls_kpi", "calls", KPI_COLUMNS, unique=False)
    op.create_index("ix_call_legs_rang_at", "call_legs", ["rang_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_call_legs_rang_at", table_name="call_legs")
    op.drop_index("ix_calls_kpi", table_name="calls")
    op.drop_table("clerk_states")
