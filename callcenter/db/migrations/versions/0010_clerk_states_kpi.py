"""clerk states and KPI indexes: the wallboard's clerk table; indexes for the queue figures

Revision ID: 0010_clerk_states_kpi
Revises: audit_key
Create Date: 2026-12-06 10:00:00

``clerk_states``: one row per clerk phone, written by the listener's clerk board, read by
every panel process (stands alone, no foreign keys). ``ix_calls_kpi`` covers what the queue
figures read of a call (callcenter.analytics.kpi), so a period's figures are read from the
index alone (``id`` in it for the fingerprint of callcenter.analytics.kpi.PastCache);
``ix_call_legs_rang_at`` finds the ring attempts of a period (missed rings).
``kpi_day_versions``: a counter per UTC day, raised by a trigger whenever an ended call of that
day is inserted, changed or deleted (or a call of that day ends); the queue reports keep past
days' figures while the counters of their days stay the same (callcenter.analytics.kpi.PastCache).
No project imports: this file must describe the schema as it was when written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0010_clerk_states_kpi"
down_revision: Union[str, Sequence[str], None] = "audit_key"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KPI_COLUMNS = ["started_at", "status", "disposition", "abandon_stage", "ring_seconds", "talk_seconds", "answered_by",
               "id"]


_BUMP_SQLITE = ("INSERT INTO kpi_day_versions (day, version) VALUES (substr({row}.started_at, 1, 10), 1) "
                "ON CONFLICT (day) DO UPDATE SET version = version + 1;")
SQLITE_TRIGGERS = {
    "kpi_calls_insert": "AFTER INSERT ON calls WHEN NEW.status = 'ended' BEGIN " + _BUMP_SQLITE.format(row="NEW") + " END",
    "kpi_calls_update": ("AFTER UPDATE ON calls WHEN NEW.status = 'ended' OR OLD.status = 'ended' BEGIN "
                         + _BUMP_SQLITE.format(row="NEW") + " " + _BUMP_SQLITE.format(row="OLD") + " END"),
    "kpi_calls_delete": "AFTER DELETE ON calls WHEN OLD.status = 'ended' BEGIN " + _BUMP_SQLITE.format(row="OLD") + " END",
}
_BUMP_PG = ("INSERT INTO kpi_day_versions (day, version) VALUES (to_char({row}.started_at AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD'), 1) ON CONFLICT (day) DO UPDATE SET version = kpi_day_versions.version + 1;")
PG_FUNCTION = f"""
CREATE FUNCTION kpi_calls_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' AND NEW.status = 'ended' OR TG_OP = 'UPDATE' AND OLD.status = 'ended' THEN
    {_BUMP_PG.format(row="NEW")}
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.status = 'ended' THEN
    {_BUMP_PG.format(row="OLD")}
  END IF;
  RETURN NULL;
END $$"""


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
    op.create_table(
        "kpi_day_versions",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_kpi_day_versions")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER kpi_calls_bump AFTER INSERT OR UPDATE OR DELETE ON calls "
                   "FOR EACH ROW EXECUTE FUNCTION kpi_calls_bump()")
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS kpi_calls_bump ON calls")
        op.execute("DROP FUNCTION IF EXISTS kpi_calls_bump()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("kpi_day_versions")
    op.drop_index("ix_call_legs_rang_at", table_name="call_legs")
    op.drop_index("ix_calls_kpi", table_name="calls")
    op.drop_table("clerk_states")
