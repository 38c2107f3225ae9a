"""The Alembic environment (``env.py``) and revisions (``versions/``) of the database."""
