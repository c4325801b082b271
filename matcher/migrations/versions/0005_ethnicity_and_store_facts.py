"""workers record their ethnicity (民族, GB/T 3304), for the fairness audit; the store keeps the day it stands on

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ethnicity", sa.String(length=16), nullable=True))
    op.create_table(
        "store_facts",
        sa.Column("key", sa.String(length=40), primary_key=True),
        sa.Column("value", sa.String(length=200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("store_facts")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_column("ethnicity")
