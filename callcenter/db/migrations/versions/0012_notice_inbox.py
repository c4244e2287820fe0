"""notice inbox and duty rota: who has read which notice; who is on duty when

Revision ID: 0009_notice_inbox_duty_rota
Revises: 0009_ledger_search
Create Date: 2026-12-06 10:00:00

``notice_reads``: one row per notice (``outbox``) and person who read it in the panel's inbox.
``duty_rota``: shifts (a panel account, from, to; UTC) naming the addressee of duty notices.
No project imports: this file must describe the schema as it was when written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0009_notice_inbox_duty_rota"
down_revision: Union[str, Sequence[str], None] = "0009_ledger_search"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "notice_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_notice_reads_outbox_id_outbox"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_reads")),
        sa.UniqueConstraint("outbox_id", "username", name="uq_notice_reads_outbox_id_username"),
    )
    op.create_index(op.f("ix_notice_reads_outbox_id"), "notice_reads", ["outbox_id"])
    op.create_index(op.f("ix_notice_reads_username"), "notice_reads", ["username"])
    op.create_table(
        "duty_rota",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_rota")),
    )
    op.create_index(op.f("ix_duty_rota_starts_at"), "duty_rota", ["starts_at"])
    op.create_index(op.f("ix_duty_rota_ends_at"), "duty_rota", ["ends_at"])


def downgrade() -> None:
    op.drop_table("duty_rota")
    op.drop_table("notice_reads")
