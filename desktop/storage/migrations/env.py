"""Alembic environment: runs on the connection that StepDesk hands over."""

from alembic import context
from sqlalchemy import Connection

from desktop.storage.models import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("StepDesk runs migrations with config.attributes['connection'] set.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
