"""audit chain keyed: each row names the HMAC key that sealed it

Revision ID: audit_key
Revises: 0008
Create Date: 2026-12-06 10:20:00

Until now ``hash = sha256(prev_hash + row)``: anyone who could write the database could
change a row and recompute the chain. From here ``hash = HMAC-SHA256(key, prev_hash + row)``
with a key kept in a file the database does not hold (``audit_key_file``), and
``audit_log.key_id`` names the key. Rows already written are checked against their old
unkeyed chain and then sealed with the current key, once, here: a chain that is already
broken is not sealed (the upgrade stops and says where), and an upgrade of a database that
has audit rows needs the keys (``callcenter db upgrade`` and ``serve`` pass them).
No project imports: this file must describe the schema as it was when written.
"""
import datetime as dt
import hashlib
import json
from typing import Any, Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "audit_key"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

GENESIS = "0" * 64
FIELDS = ("seq", "at", "actor", "entity", "entity_id", "field", "before", "after", "reason")
audit_log = sa.table(
    "audit_log", *(sa.column(c) for c in FIELDS if c != "at"), sa.column("at", sa.DateTime(timezone=True)),
    sa.column("key_id"), sa.column("prev_hash"), sa.column("hash"),
)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _body(row: Any) -> dict[str, Any]:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=dt.timezone.utc)
    body = {c: getattr(row, c) for c in FIELDS}
    body["at"] = at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
    return body


def _append_only(dialect: str, on: bool) -> None:
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{verb.lower()}")
            if on:
                op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                           "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log " + ("ENABLE" if on else "DISABLE") + " TRIGGER audit_log_append_only")


def _seal(keys: Any) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(audit_log).order_by(audit_log.c.seq)).all()
    old_prev, new_prev, updates = GENESIS, GENESIS, []
    for expected, row in enumerate(rows, start=1):
        body = _body(row)
        unkeyed = hashlib.sha256((old_prev + _canonical(body)).encode("utf-8")).hexdigest()
        if row.seq != expected or row.prev_hash != old_prev or row.hash != unkeyed:
            raise RuntimeError(f"audit chain already broken at row {expected}: not sealing it with the key; "
                               "keep this database for investigation and restore one whose chain verifies")
        old_prev = row.hash
        body["key_id"] = keys.current
        keyed = keys.mac(keys.current, new_prev + _canonical(body))
        updates.append({"s": row.seq, "k": keys.current, "p": new_prev, "h": keyed})
        new_prev = keyed
    dialect = bind.dialect.name
    _append_only(dialect, on=False)
    bind.execute(sa.text("UPDATE audit_log SET key_id = :k, prev_hash = :p, hash = :h WHERE seq = :s"), updates)
    bind.execute(sa.text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": new_prev})
    _append_only(dialect, on=True)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("key_id", sa.String(length=16), nullable=True))
    count = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()
    if not count:
        return
    keys = op.get_context().config.attributes.get("audit_keys")
    if keys is None:
        raise RuntimeError(f"the audit log has {count} rows to seal with the audit key: upgrade with "
                           "`callcenter db upgrade` (it reads audit_key_file)")  # fmt: skip
    _seal(keys)


def downgrade() -> None:
    # The keyed hashes stay (an unkeyed chain cannot be rebuilt without rewriting history).
    dialect = op.get_bind().dialect.name
    _append_only(dialect, on=False)  # SQLite's batch mode copies the table; PostgreSQL keeps it
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.drop_column("key_id")
    if dialect == "sqlite":
        _append_only(dialect, on=True)
    else:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
