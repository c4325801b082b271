"""a worker registration's idempotency key keeps only the worker's id

Keys stored before kept the whole answer, the worker's groups, household registration and birth date among
it. Each such answer is cut down to the id; a replay reads the worker again, checking it is still visible,
and is audited.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PERSONAL = {"id_masked", "birth_date", "groups", "hukou_type", "hukou_region"}

keys = sa.table(
    "idempotency_keys",
    sa.column("principal_id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("response", sa.JSON),
)


def upgrade() -> None:
    conn = op.get_bind()
    for principal_id, key, response in conn.execute(sa.select(keys)).all():
        body = (response or {}).get("body")
        if isinstance(body, dict) and PERSONAL & body.keys():
            conn.execute(
                keys.update()
                .where(keys.c.principal_id == principal_id, keys.c.key == key)
                .values(response={"id": body["id"]})
            )


def downgrade() -> None:
    """The answers cut down cannot be restored; nothing to undo in the schema."""
