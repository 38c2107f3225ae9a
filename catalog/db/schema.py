"""The tables of the operational database, in SQLAlchemy Core (one schema, both dialects).

The migrations in ``catalog/db/migrations`` create exactly these tables (a test compares
them); change both together, through a new revision. Timestamps of the accounts tables are
ISO 8601 text in UTC, as they were in the old ``accounts.sqlite3``.

- ``users``, ``tokens``, ``grants``: accounts, API tokens (SHA-256 of the secret only) and
  per-dataset grants (:mod:`catalog.accounts`).
- ``audit``: the append-only audit log; triggers created by the migration refuse UPDATE and
  DELETE (and TRUNCATE on PostgreSQL).
- ``change_feed``: one row per published change of a dataset, in commit order of ``seq``.
- ``jobs_queue``: background jobs for the worker (leased, retried, delayed).
"""

from __future__ import annotations

import sqlalchemy as sa

#: Constraint names that are stable across dialects (needed to alter them later).
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

#: A 64-bit identity on PostgreSQL, SQLite's rowid (AUTOINCREMENT: never reused) on SQLite.
Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: The message both dialects' triggers give when the audit log is changed.
AUDIT_APPEND_ONLY = "the audit log is append-only"

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("organisation", sa.Text),
    sa.Column("factory", sa.Text),
    sa.Column("created", sa.Text, nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("user", sa.Text, sa.ForeignKey("users.name"), nullable=False, index=True),
    sa.Column("digest", sa.Text, nullable=False),
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("expires", sa.Text, nullable=False),
    sa.Column("revoked", sa.Text),
)

grants = sa.Table(
    "grants",
    metadata,
    sa.Column("user", sa.Text, sa.ForeignKey("users.name"), primary_key=True),
    sa.Column("dataset_id", sa.Text, primary_key=True),
    sa.Column("granted", sa.Text, nullable=False),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("seq", Seq, sa.Identity(), primary_key=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("actor", sa.Text),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("dataset_id", sa.Text, index=True),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("detail", sa.Text),
    sqlite_autoincrement=True,
)

change_feed = sa.Table(
    "change_feed",
    metadata,
    sa.Column("seq", Seq, sa.Identity(), primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("dataset_id", sa.Text, nullable=False, index=True),
    sa.Column("version", sa.Text),  # the named graph IRI of the version; none for a delete
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('upsert', 'delete')", name="kind"),
    sqlite_autoincrement=True,
)

jobs_queue = sa.Table(
    "jobs_queue",
    metadata,
    sa.Column("id", Seq, sa.Identity(), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # JSON text
    # queued, running, done, failed: the worker's states, not constrained here yet
    sa.Column("state", sa.Text, nullable=False, server_default="queued"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default=sa.text("3")),
    sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lease_owner", sa.Text),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished", sa.DateTime(timezone=True)),
    sa.Column("error", sa.Text),
    sa.Index("ix_jobs_queue_state_run_after", "state", "run_after"),
    sqlite_autoincrement=True,
)

# -- job queue -------------------------------------------------------------------------------
# Added by revision 0002_job_queue (catalog/jobs/): two columns of ``jobs_queue``, the index
# that keeps one active job per dedupe key, and the per-source harvest schedules.

#: A job is active (it holds its dedupe key) while queued or running.
ACTIVE_JOB = sa.text("state IN ('queued', 'running')")

jobs_queue.append_column(sa.Column("dedupe_key", sa.Text))  # e.g. harvest:<source>
jobs_queue.append_column(sa.Column("result", sa.Text))  # JSON text: what the job produced
sa.Index(
    "uq_jobs_queue_dedupe_key_active",
    jobs_queue.c.dedupe_key,
    unique=True,
    sqlite_where=ACTIVE_JOB,
    postgresql_where=ACTIVE_JOB,
)

source_schedules = sa.Table(
    "source_schedules",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("every_s", sa.Integer, nullable=False),
    sa.Column("next_run", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.CheckConstraint("every_s >= 300", name="every_s"),
)
