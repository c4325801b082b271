"""referral letters with their outcome; enterprises' shortlists and requests to refer

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(40), nullable=False, unique=True),
        sa.Column("worker_id", sa.Integer(), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("county", sa.String(16), nullable=True),
        sa.Column("principal_id", sa.Integer(), sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("demand_line_id", sa.Integer(), sa.ForeignKey("demand_lines.id"), nullable=True),
        sa.Column("programme_id", sa.Integer(), sa.ForeignKey("programmes.id"), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=True),
        sa.Column("outcome_by", sa.Integer(), sa.ForeignKey("principals.id"), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_referrals_worker_id", "referrals", ["worker_id"])
    op.create_index("ix_referrals_county", "referrals", ["county"])
    op.create_index("ix_referrals_demand_line_id", "referrals", ["demand_line_id"])
    op.create_table(
        "shortlists",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("demand_line_id", sa.Integer(), sa.ForeignKey("demand_lines.id"), nullable=False),
        sa.Column("worker_id", sa.Integer(), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("principal_id", sa.Integer(), sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referrals.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("demand_line_id", "worker_id"),
    )
    op.create_index("ix_shortlists_demand_line_id", "shortlists", ["demand_line_id"])
    op.create_index("ix_shortlists_worker_id", "shortlists", ["worker_id"])


def downgrade() -> None:
    op.drop_table("shortlists")
    op.drop_table("referrals")
