"""the change log the serving processes keep their matching view current from; plan jobs name the
process running them and its last sign of life

Every insert, update and delete of a table matching reads writes one row here, in the same transaction, by
a trigger: whatever wrote it (the API, an upload, an import, a script). On PostgreSQL the row also holds the
writing transaction's id, so that a reader can tell when no earlier transaction can still commit.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("workers", "demand_lines", "enterprises", "programmes", "institutions", "enrolments", "placements")

PG_FUNCTION = """
CREATE FUNCTION matching_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO matching_changes (table_name, row_id) SELECT TG_TABLE_NAME, id FROM changed_rows;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "matching_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("table_name", sa.String(20), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("tx", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE matching_changes ALTER COLUMN tx SET DEFAULT pg_current_xact_id()::text::bigint"
        )
        op.create_index("ix_matching_changes_tx", "matching_changes", ["tx"])
        op.execute(PG_FUNCTION)
        for table in TABLES:
            for event, rows in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
                op.execute(
                    f"CREATE TRIGGER {table}_matching_{event.lower()} AFTER {event} ON {table} "
                    f"REFERENCING {rows} TABLE AS changed_rows "
                    "FOR EACH STATEMENT EXECUTE FUNCTION matching_change()"
                )
    else:
        for table in TABLES:
            for event, rows in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
                op.execute(
                    f"CREATE TRIGGER {table}_matching_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN INSERT INTO matching_changes (table_name, row_id) VALUES ('{table}', {rows}.id); END"
                )
    op.create_index("ix_matching_changes_at", "matching_changes", ["at"])
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("claimed_by")
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(
                f"DROP TRIGGER {table}_matching_{event}"
                + (f" ON {table}" if op.get_bind().dialect.name == "postgresql" else "")
            )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION matching_change()")
    op.drop_table("matching_changes")
