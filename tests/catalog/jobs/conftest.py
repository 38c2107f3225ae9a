"""Fixtures of the job queue tests: the database tests' real PostgreSQL and both dialects."""

from __future__ import annotations

from tests.catalog.db.conftest import database, db_settings, pg_url

__all__ = ["database", "db_settings", "pg_url"]
