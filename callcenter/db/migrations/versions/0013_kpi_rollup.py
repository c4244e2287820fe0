"""KPI rollup: the queue figures of past days per UTC day and hour, kept exact by day counters

Revision ID: 0013_kpi_rollup
Revises: 0009_notice_inbox_duty_rota
Create Date: 2026-12-06 13:00:00

``kpi_rollup_days``: a UTC day rolled up for a pair of thresholds (service level, short
abandon), with the ``kpi_day_versions`` counter it was computed at. ``kpi_rollup_hours``: the
additive figures of the ended calls started in a UTC hour (answered, abandoned by stage, short
abandons, voicemail, busy, failed, answered within the service level, the sums of waits and
talk, the longest wait, the five wait buckets). ``kpi_rollup_clerks``: per UTC hour and clerk,
answered calls and talk (by the call's start) and missed rings (by the hour the phone rang);
``kpi_rollup_clerk_days``: the same summed per UTC day (whole days of a period are read there).
A period's figures are then a sum over at most 367 × 24 rows (callcenter.analytics.rollup).

The day counters of migration 0010 are raised by writes of ended calls on the day they
started; the missed rings are counted on the day the phone rang, so triggers here also raise
the counter of the day a ring attempt rang when the attempt (of an ended call) is written, and
of the days its ring attempts rang when an ended call is changed or deleted.

The rollup is backfilled from the existing calls for the default thresholds (20 s, 5 s): the
same definitions as callcenter.analytics.kpi, written out in SQL because a migration must not
import the project (tests/analytics/test_rollup.py checks the two agree).
No project imports: this file must describe the schema as it was when written.
"""
from typing import Sequence, Union
import datetime as dt

from alembic import op
import sqlalchemy as sa

revision: str = "0013_kpi_rollup"
down_revision: Union[str, Sequence[str], None] = "0009_notice_inbox_duty_rota"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SL, SHORT = 20.0, 5.0


def _key() -> list[sa.Column]:
    return [sa.Column("service_level_seconds", sa.Float(), nullable=False),
            sa.Column("short_abandon_seconds", sa.Float(), nullable=False),
            sa.Column("day", sa.String(length=10), nullable=False)]


SUMS = ("answered", "abandoned_queue", "abandoned_ringing", "abandoned_voicemail", "short_abandons", "voicemail",
        "busy", "failed", "answered_in_sl")
WAITS = ("waits_0", "waits_1", "waits_2", "waits_3", "waits_4")

_BUMP_SQLITE = ("INSERT INTO kpi_day_versions (day, version) SELECT substr({row}.rang_at, 1, 10), 1 "
                "WHERE {row}.rang_at IS NOT NULL ON CONFLICT (day) DO UPDATE SET version = version + 1;")
_LEG_DAYS_SQLITE = ("INSERT INTO kpi_day_versions (day, version) SELECT DISTINCT substr(rang_at, 1, 10), 1 "
                    "FROM call_legs WHERE call_id = OLD.id AND rang_at IS NOT NULL "
                    "ON CONFLICT (day) DO UPDATE SET version = version + 1;")
_ENDED = "EXISTS (SELECT 1 FROM calls WHERE id = {row}.call_id AND status = 'ended')"
_NOT_OPEN = "NOT EXISTS (SELECT 1 FROM calls WHERE id = {row}.call_id AND status <> 'ended')"
SQLITE_TRIGGERS = {
    "kpi_legs_insert": (f"AFTER INSERT ON call_legs WHEN NEW.rang_at IS NOT NULL AND {_ENDED.format(row='NEW')} "
                        f"BEGIN {_BUMP_SQLITE.format(row='NEW')} END"),
    "kpi_legs_update": (f"AFTER UPDATE ON call_legs WHEN {_ENDED.format(row='NEW')} OR {_ENDED.format(row='OLD')} "
                        f"BEGIN {_BUMP_SQLITE.format(row='NEW')} {_BUMP_SQLITE.format(row='OLD')} END"),
    "kpi_legs_delete": (f"AFTER DELETE ON call_legs WHEN OLD.rang_at IS NOT NULL AND {_NOT_OPEN.format(row='OLD')} "
                        f"BEGIN {_BUMP_SQLITE.format(row='OLD')} END"),
    "kpi_calls_legs_update": (f"AFTER UPDATE ON calls WHEN NEW.status = 'ended' OR OLD.status = 'ended' "
                              f"BEGIN {_LEG_DAYS_SQLITE} END"),
    "kpi_calls_legs_delete": f"AFTER DELETE ON calls WHEN OLD.status = 'ended' BEGIN {_LEG_DAYS_SQLITE} END",
}
_BUMP_PG = ("INSERT INTO kpi_day_versions (day, version) VALUES (to_char({row}.rang_at AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD'), 1) ON CONFLICT (day) DO UPDATE SET version = kpi_day_versions.version + 1;")
PG_FUNCTIONS = {
    "kpi_legs_bump": f"""
CREATE FUNCTION kpi_legs_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' AND NEW.rang_at IS NOT NULL AND {_ENDED.format(row='NEW')} THEN
    {_BUMP_PG.format(row="NEW")}
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.rang_at IS NOT NULL AND {_NOT_OPEN.format(row='OLD')} THEN
    {_BUMP_PG.format(row="OLD")}
  END IF;
  RETURN NULL;
END $$""",
    "kpi_calls_legs_bump": """
CREATE FUNCTION kpi_calls_legs_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'ended' OR TG_OP = 'UPDATE' AND NEW.status = 'ended' THEN
    INSERT INTO kpi_day_versions (day, version)
      SELECT DISTINCT to_char(rang_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 1 FROM call_legs
      WHERE call_id = OLD.id AND rang_at IS NOT NULL
      ON CONFLICT (day) DO UPDATE SET version = kpi_day_versions.version + 1;
  END IF;
  RETURN NULL;
END $$""",
}
PG_TRIGGERS = {"kpi_legs_bump": "AFTER INSERT OR UPDATE OR DELETE ON call_legs",
               "kpi_calls_legs_bump": "AFTER UPDATE OR DELETE ON calls"}


def _day_hour(pg: bool, column: str) -> tuple[str, str]:
    if pg:
        return (f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
                f"CAST(extract(hour FROM {column} AT TIME ZONE 'UTC') AS INTEGER)")
    return f"substr({column}, 1, 10)", f"CAST(substr({column}, 12, 2) AS INTEGER)"


def _backfill() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    day, hour = _day_hour(pg, "started_at")
    wait = "COALESCE(ring_seconds, 0.0)"
    ans = "disposition = 'answered'"
    ab = "disposition = 'abandoned'"
    reached = "disposition IN ('answered', 'abandoned', 'voicemail', 'busy')"

    def count(cond: str) -> str:
        return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"

    figures = {
        "answered": count(ans),
        "abandoned_queue": f"{count(ab)} - {count(f'{ab} AND abandon_stage = ' + chr(39) + 'ringing' + chr(39))}"
                           f" - {count(f'{ab} AND abandon_stage = ' + chr(39) + 'voicemail' + chr(39))}",
        "abandoned_ringing": count(f"{ab} AND abandon_stage = 'ringing'"),
        "abandoned_voicemail": count(f"{ab} AND abandon_stage = 'voicemail'"),
        "short_abandons": count(f"{ab} AND {wait} < {SHORT}"),
        "voicemail": count("disposition = 'voicemail'"),
        "busy": count("disposition = 'busy'"),
        "failed": count(f"disposition IS NULL OR NOT ({reached})"),
        "answered_in_sl": count(f"{ans} AND {wait} <= {SL}"),
        "wait_answered": f"SUM(CASE WHEN {ans} THEN {wait} ELSE 0.0 END)",
        "talk": f"SUM(CASE WHEN {ans} THEN COALESCE(talk_seconds, 0.0) ELSE 0.0 END)",
        "longest_wait": f"MAX(CASE WHEN {reached} THEN {wait} ELSE NULL END)",
        "waits_0": count(f"{ans} AND {wait} < 5.0"),
        "waits_1": count(f"{ans} AND {wait} >= 5.0 AND {wait} < 10.0"),
        "waits_2": count(f"{ans} AND {wait} >= 10.0 AND {wait} < 15.0"),
        "waits_3": count(f"{ans} AND {wait} >= 15.0 AND {wait} < 30.0"),
        "waits_4": count(f"{ans} AND {wait} >= 30.0"),
    }
    epoch = (f"CAST(extract(epoch FROM to_date({day}, 'YYYY-MM-DD')) AS INTEGER) / 3600 + {hour}" if pg
             else f"CAST(strftime('%s', {day}) AS INTEGER) / 3600 + {hour}")
    op.execute(
        f"INSERT INTO kpi_rollup_hours (service_level_seconds, short_abandon_seconds, day, hour, epoch_hour, "
        f"{', '.join(figures)}) SELECT {SL}, {SHORT}, {day}, {hour}, {epoch}, {', '.join(figures.values())} "
        f"FROM calls WHERE status = 'ended' GROUP BY {day}, {hour}"
    )
    clerks: dict[tuple[str, int, str], list[float]] = {}
    for d, h, ext, n, talk in bind.execute(sa.text(
            f"SELECT {day}, {hour}, answered_by, COUNT(*), SUM(COALESCE(talk_seconds, 0.0)) FROM calls "
            f"WHERE status = 'ended' AND {ans} AND answered_by IS NOT NULL GROUP BY {day}, {hour}, answered_by")):
        clerks[(d, int(h), ext)] = [int(n), float(talk or 0.0), 0]
    rday, rhour = _day_hour(pg, "l.rang_at")
    for d, h, ext, n in bind.execute(sa.text(
            f"SELECT {rday}, {rhour}, l.extension, COUNT(*) FROM call_legs l JOIN calls c ON c.id = l.call_id "
            f"WHERE l.rang_at IS NOT NULL AND l.role = 'agent' AND l.extension IS NOT NULL AND l.up_at IS NULL "
            f"AND c.status = 'ended' AND NOT COALESCE(c.disposition = 'answered' AND c.answered_by <> l.extension, "
            f"{'false' if pg else '0'}) GROUP BY {rday}, {rhour}, l.extension")):
        clerks.setdefault((d, int(h), ext), [0, 0.0, 0])[2] = int(n)
    table = sa.table("kpi_rollup_clerks", *(sa.column(c) for c in (
        "service_level_seconds", "short_abandon_seconds", "day", "hour", "extension", "answered", "talk",
        "missed_rings")))
    rows = [{"service_level_seconds": SL, "short_abandon_seconds": SHORT, "day": d, "hour": h, "extension": ext,
             "answered": v[0], "talk": v[1], "missed_rings": v[2]} for (d, h, ext), v in clerks.items()]
    for i in range(0, len(rows), 5000):
        bind.execute(table.insert(), rows[i : i + 5000])
    op.execute("INSERT INTO kpi_rollup_clerk_days (service_level_seconds, short_abandon_seconds, day, extension, "
               "answered, talk, missed_rings) SELECT service_level_seconds, short_abandon_seconds, day, extension, "
               "SUM(answered), SUM(talk), SUM(missed_rings) FROM kpi_rollup_clerks "
               "GROUP BY service_level_seconds, short_abandon_seconds, day, extension")
    first = [r for r in bind.execute(sa.text(
        f"SELECT MIN({day}), MAX({day}) FROM calls WHERE status = 'ended' UNION ALL "
        f"SELECT MIN({rday}), MAX({rday}) FROM call_legs l")) if r[0] is not None]
    if not first:
        return
    lo = dt.date.fromisoformat(min(r[0] for r in first))
    hi = dt.date.fromisoformat(max(r[1] for r in first))
    versions = dict(bind.execute(sa.text("SELECT day, version FROM kpi_day_versions")).all())
    days = sa.table("kpi_rollup_days", *(sa.column(c) for c in (
        "service_level_seconds", "short_abandon_seconds", "day", "version")))
    names = [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]
    bind.execute(days.insert(), [{"service_level_seconds": SL, "short_abandon_seconds": SHORT, "day": d,
                                  "version": versions.get(d, 0)} for d in names])


def upgrade() -> None:
    op.create_table(
        "kpi_rollup_days", *_key(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_level_seconds", "short_abandon_seconds", "day",
                                name=op.f("pk_kpi_rollup_days")),
    )
    op.create_table(
        "kpi_rollup_hours", *_key(),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("epoch_hour", sa.Integer(), nullable=False),
        *(sa.Column(n, sa.Integer(), nullable=False) for n in SUMS),
        sa.Column("wait_answered", sa.Float(), nullable=False),
        sa.Column("talk", sa.Float(), nullable=False),
        sa.Column("longest_wait", sa.Float(), nullable=True),
        *(sa.Column(n, sa.Integer(), nullable=False) for n in WAITS),
        sa.PrimaryKeyConstraint("service_level_seconds", "short_abandon_seconds", "day", "hour",
                                name=op.f("pk_kpi_rollup_hours")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "kpi_rollup_clerks", *_key(),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("extension", sa.String(length=128), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("talk", sa.Float(), nullable=False),
        sa.Column("missed_rings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_level_seconds", "short_abandon_seconds", "day", "hour", "extension",
                                name=op.f("pk_kpi_rollup_clerks")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "kpi_rollup_clerk_days", *_key(),
        sa.Column("extension", sa.String(length=128), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("talk", sa.Float(), nullable=False),
        sa.Column("missed_rings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_level_seconds", "short_abandon_seconds", "day", "extension",
                                name=op.f("pk_kpi_rollup_clerk_days")),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        for name, body in PG_FUNCTIONS.items():
            op.execute(body)
            op.execute(f"CREATE TRIGGER {name} {PG_TRIGGERS[name]} FOR EACH ROW EXECUTE FUNCTION {name}()")
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    _backfill()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, on in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {on.rsplit(' ', 1)[1]}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("kpi_rollup_clerk_days")
    op.drop_table("kpi_rollup_clerks")
    op.drop_table("kpi_rollup_hours")
    op.drop_table("kpi_rollup_days")
