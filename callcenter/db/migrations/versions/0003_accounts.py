"""web panel: accounts, sessions, login throttling, call notes; ledger indexes

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-28 21:30:00

A branch of its own beside the cases module (0002): ``upgrade`` applies every head.
No project imports: this file must describe the schema as it was when written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=True),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("password_changed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_extension"), "users", ["extension"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"], unique=False)

    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", TS, nullable=False),
        sa.Column("locked_until", TS, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )

    op.create_table(
        "call_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("caller_name", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("called_back_at", TS, nullable=True),
        sa.Column("called_back_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_notes_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_notes")),
        sa.UniqueConstraint("call_id", name=op.f("uq_call_notes_call_id")),
    )

    # The ledger pages newest-first by (started_at, id) under each filter: one index per
    # filter column, then the sort key, so a page is an index range scan at any size.
    op.create_index("ix_calls_number_started_id", "calls", ["caller_number", "started_at", "id"])
    op.create_index("ix_calls_answered_by_started_id", "calls", ["answered_by", "started_at", "id"])
    op.create_index("ix_calls_disposition_started_id", "calls", ["disposition", "started_at", "id"])
    op.create_index(
        "ix_calls_voicemail_started_id",
        "calls",
        ["started_at", "id"],
        sqlite_where=sa.text("voicemail_path IS NOT NULL"),
        postgresql_where=sa.text("voicemail_path IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_calls_voicemail_started_id", table_name="calls")
    op.drop_index("ix_calls_disposition_started_id", table_name="calls")
    op.drop_index("ix_calls_answered_by_started_id", table_name="calls")
    op.drop_index("ix_calls_number_started_id", table_name="calls")
    op.drop_table("call_notes")
    op.drop_table("login_failures")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index(op.f("ix_users_extension"), table_name="users")
    op.drop_table("users")
