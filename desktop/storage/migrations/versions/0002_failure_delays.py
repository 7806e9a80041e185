"""Record when verification and sign-in last failed; fold user names for search.

Folded copies of display names and e-mail addresses let support find users
case-insensitively in SQL, since SQLite's lower() folds ASCII only.

Revision ID: 0002
Revises: 0001
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _fold(text: str | None) -> str:
    # A copy of desktop.domain.text.fold: a migration must not change when that does.
    return unicodedata.normalize("NFKC", text or "").casefold()


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("display_name_key", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("email_key", sa.String(length=320), nullable=False, server_default="")
        )
    connection = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("display_name", sa.String),
        sa.column("email", sa.String),
        sa.column("display_name_key", sa.String),
        sa.column("email_key", sa.String),
    )
    for row in connection.execute(sa.select(users.c.id, users.c.display_name, users.c.email)):
        connection.execute(
            users.update()
            .where(users.c.id == row.id)
            .values(display_name_key=_fold(row.display_name), email_key=_fold(row.email))
        )
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
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_key")
        batch.drop_column("display_name_key")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("mfa_enrolments") as batch:
        batch.drop_column("last_failure_at")
