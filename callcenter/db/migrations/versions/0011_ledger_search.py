"""ledger search: partial caller numbers and names served by trigram indexes

Revision ID: 0009_ledger_search
Revises: 0010_clerk_states_kpi
Create Date: 2026-12-06 09:30:00

Clerks search the ledger by part of a number (``1390951``, ``1234``) and by name. ``LIKE
'%1234%'`` cannot use a B-tree, so each database gets a trigram index, which serves any
substring of 3 characters or more (the ledger asks for at least 4 digits):

- PostgreSQL: the ``pg_trgm`` extension and GIN indexes (``gin_trgm_ops``) on the caller
  number and name of ``calls`` and on the names in ``call_notes`` and ``cases``; ``LIKE`` and
  ``ILIKE`` use them.
- SQLite: an FTS5 table with the ``trigram`` tokenizer (SQLite 3.34+) over ``calls``'
  number and name, external content (no second copy of the text), kept in step by
  triggers. The notes' and cases' names are searched in their own (much smaller) tables.

Why trigrams rather than a reversed-number column: a reversed column serves suffixes only,
and a digits column would need every writer of ``calls`` (live, CDR recovery, imports) to
fill it; the stored caller numbers already hold the searched digits contiguously whatever
prefix the carrier added (``+86``, ``0``, ``0951``), so the index is over them as they are.
No project imports: this file must describe the schema as it was when written.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0009_ledger_search"
down_revision: Union[str, Sequence[str], None] = "0010_clerk_states_kpi"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PG_INDEXES = (
    ("ix_calls_caller_number_trgm", "calls", "caller_number"),
    ("ix_calls_caller_name_trgm", "calls", "caller_name"),
    ("ix_call_notes_caller_name_trgm", "call_notes", "caller_name"),
    ("ix_cases_caller_name_trgm", "cases", "caller_name"),
)
SQLITE_TRIGGERS = {
    "calls_search_ai": "AFTER INSERT ON calls BEGIN "
    "INSERT INTO calls_search(rowid, caller_number, caller_name) "
    "VALUES (new.id, new.caller_number, new.caller_name); END",
    "calls_search_ad": "AFTER DELETE ON calls BEGIN "
    "INSERT INTO calls_search(calls_search, rowid, caller_number, caller_name) "
    "VALUES ('delete', old.id, old.caller_number, old.caller_name); END",
    "calls_search_au": "AFTER UPDATE OF caller_number, caller_name ON calls BEGIN "
    "INSERT INTO calls_search(calls_search, rowid, caller_number, caller_name) "
    "VALUES ('delete', old.id, old.caller_number, old.caller_name); "
    "INSERT INTO calls_search(rowid, caller_number, caller_name) "
    "VALUES (new.id, new.caller_number, new.caller_name); END",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in PG_INDEXES:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
        return
    op.execute("CREATE VIRTUAL TABLE calls_search USING fts5(caller_number, caller_name, "
               "content='calls', content_rowid='id', tokenize='trigram')")  # fmt: skip
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO calls_search(calls_search) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _, _ in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS calls_search")
