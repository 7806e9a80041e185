"""Record when verification and sign-in last failed, for growing delays.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mfa_enrolments") as batch:
        batch.add_column(sa.Column("last_failure_at", sa.DateTime(), nullable=True))
    op.create_table(
        "sign_in_failures",
        sa.Column("username_key", sa.String(length=100), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username_key", name=op.f("pk_sign_in_failures")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("mfa_enrolments") as batch:
        batch.drop_column("last_failure_at")
