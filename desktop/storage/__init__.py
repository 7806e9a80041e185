"""SQLAlchemy models, engine set-up, migrations and the demo seed."""
