"""panel: indexes for the case list, the overdue filter and supervision

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-29 12:00:00

After the panel's own revision (0003); the tables indexed here are the cases module's
(0002), hence ``depends_on``. No project imports: this file must describe the schema as it
was when written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = ("0002",)

# The case list's default filter ("open": in the workflow, not a draft, not archived). The
# query names the same states, so the planner can use this partial index (SQLite and PostgreSQL).
WORKING = "state IN ('accepted', 'assigned', 'feedback_received', 'resolved', 'called_back', 'suspended')"


def upgrade() -> None:
    # newest first among the open cases: a backward scan of a small index at any table size
    op.create_index("ix_cases_open_id", "cases", ["id"], sqlite_where=sa.text(WORKING),
                    postgresql_where=sa.text(WORKING))
    # a station's cases newest first (and every query of a station account)
    op.create_index("ix_cases_station_id_id", "cases", ["station_id", "id"])
    # a caller's cases newest first (the pop-up, the phone filter)
    op.create_index("ix_cases_caller_phone_id", "cases", ["caller_phone", "id"])
    # running clocks by due time: the overdue filter, due-soon, supervision by station/person
    op.create_index("ix_case_deadlines_running_due", "case_deadlines", ["due_at", "case_id"],
                    sqlite_where=sa.text("stopped_at IS NULL"), postgresql_where=sa.text("stopped_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_case_deadlines_running_due", table_name="case_deadlines")
    op.drop_index("ix_cases_caller_phone_id", table_name="cases")
    op.drop_index("ix_cases_station_id_id", table_name="cases")
    op.drop_index("ix_cases_open_id", table_name="cases")
