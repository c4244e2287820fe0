"""voicemail drafts and their transcription jobs

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-29 10:00:00

A branch of its own after the cases module (0002): ``upgrade`` applies every head.
No project imports: this file must describe the schema as it was when written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "voicemail_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("message_path", sa.String(length=1024), nullable=True),
        sa.Column("audio_path", sa.String(length=1024), nullable=True),
        sa.Column("message_info", sa.JSON(), nullable=False),
        sa.Column("callerid", sa.String(length=1024), nullable=True),
        sa.Column("origtime", TS, nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("words", sa.JSON(), nullable=True),
        sa.Column("extracted", sa.JSON(), nullable=True),
        sa.Column("filled", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("transcribed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_voicemail_drafts_call_id_calls")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_voicemail_drafts_case_id_cases"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voicemail_drafts")),
        sa.UniqueConstraint("call_id", name=op.f("uq_voicemail_drafts_call_id")),
    )
    op.create_index(op.f("ix_voicemail_drafts_case_id"), "voicemail_drafts", ["case_id"], unique=False)
    op.create_index(op.f("ix_voicemail_drafts_status"), "voicemail_drafts", ["status"], unique=False)

    op.create_table(
        "transcription_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["voicemail_drafts.id"], name=op.f("fk_transcription_jobs_draft_id_voicemail_drafts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcription_jobs")),
        sa.UniqueConstraint("draft_id", name=op.f("uq_transcription_jobs_draft_id")),
    )
    op.create_index("ix_transcription_jobs_due", "transcription_jobs", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_transcription_jobs_due", table_name="transcription_jobs")
    op.drop_table("transcription_jobs")
    op.drop_index(op.f("ix_voicemail_drafts_status"), table_name="voicemail_drafts")
    op.drop_index(op.f("ix_voicemail_drafts_case_id"), table_name="voicemail_drafts")
    op.drop_table("voicemail_drafts")
