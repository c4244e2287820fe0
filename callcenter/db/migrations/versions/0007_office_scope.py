"""office scope: office-head accounts linked to their heating office; units can be deactivated

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-30 10:00:00

On the panel's (accounts) branch after 0005. ``users.office_code`` links an office-head
account to its heating management office (``units.code``), as ``station_code`` links a
station account. ``units.active`` lets the administrator retire an office or station that
cases still refer to (it is never deleted then); the table is the cases module's (0002),
hence ``depends_on``. Deliberately independent of 0006 (another branch's revision).
No project imports: this file must describe the schema as it was when written.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = ("0002",)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_code", sa.String(length=64), nullable=True))
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("active")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("office_code")
