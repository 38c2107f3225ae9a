"""Alembic revisions, oldest first; each one a frozen step, never edited once released."""
