"""Migrations on both dialects: tables created once, schema equal to the code's, start-up check."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from catalog.db import Database, head_revision, mask_url, require_current, revisions, upgrade
from catalog.db.database import embedded_path
from catalog.db.schema import metadata
from catalog.errors import ConfigurationError, DatabaseUnavailable, QueryTimeout
from catalog.settings import Settings, get_settings
from tests.pg_server import PASSWORD

TABLES = {"users", "tokens", "grants", "audit", "change_feed", "jobs_queue", "alembic_version"}
TABLES |= {"web_sessions", "access_requests", "access_request_comments", "operator_documents"}
TABLES |= {"harvest_sources", "harvest_jobs", "harvest_validation"}
TABLES |= {"source_schedules"}  # revision 0002_job_queue
TABLES |= {"offer_terms", "offer_resolutions", "offer_labs", "offer_state"}  # 0003_offers
TABLES |= {"dsp_negotiations", "dsp_transfers", "dsp_outbox"}  # 0005_dsp
TABLES |= {"passwords", "oidc_identities", "oidc_logins"}  # 0006_passwords
TABLES |= {"baskets", "basket_requests"}  # 0007_baskets
TABLES |= {"synthetic_previews"}  # 0008_synthetic
TABLES |= {"dataset_facts", "facts_sources"}  # 0010_dataset_facts


def _tables(database: Database) -> set[str]:
    with database.read() as conn:
        return set(sa.inspect(conn).get_table_names())


def test_upgrade_creates_every_table_once_on_both_dialects(db_settings: Settings) -> None:
    with Database.open(db_settings, check=False) as database:
        first = upgrade(database)
        assert first.current == first.head == head_revision()
        assert _tables(database) == TABLES
        again = upgrade(database)  # idempotent: nothing left to do, nothing fails
        assert again == first
        assert _tables(database) == TABLES
        with database.read() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_the_migrated_schema_is_the_code_schema(database: Database) -> None:
    """Revision 0001 and catalog/db/schema.py describe the same tables, columns and indexes."""
    with database.read() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_the_embedded_database_is_created_and_upgraded_on_open(settings: Settings) -> None:
    assert not embedded_path(settings.home).exists()
    with Database.open(settings) as database:
        assert database.dialect == "sqlite"
        assert revisions(database).current == head_revision()
    assert embedded_path(settings.home).exists()
    with Database.open(settings) as database:  # a second open finds it current
        require_current(database)


def test_a_postgresql_database_behind_head_is_refused_until_upgraded(
    pg_url: str, settings: Settings
) -> None:
    configured = get_settings(home=settings.home, database_url=pg_url)
    with pytest.raises(ConfigurationError, match="datalab db upgrade") as refused:
        Database.open(configured)
    message = str(refused.value)
    assert "behind" in message and "none (an empty database)" in message
    assert PASSWORD not in message and "***" in message
    with Database.open(configured, check=False) as database:
        assert _tables(database) == set()  # refusing never migrates behind the operator's back
        upgrade(database)
    Database.open(configured).close()


def test_a_database_from_a_newer_catalogue_is_refused(pg_url: str, settings: Settings) -> None:
    configured = get_settings(home=settings.home, database_url=pg_url)
    with Database.open(configured, check=False) as database:
        upgrade(database)
        with database.transaction() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(ConfigurationError, match="does not know"):
        Database.open(configured)


@pytest.mark.parametrize("statement", ["UPDATE audit SET outcome = 'x'", "DELETE FROM audit"])
def test_the_audit_log_refuses_update_and_delete(database: Database, statement: str) -> None:
    with database.transaction() as conn:
        conn.execute(
            sa.text("INSERT INTO audit (at, action, outcome, detail) VALUES ('t', 'a', 'ok', '{}')")
        )
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), database.transaction() as conn:
        conn.execute(sa.text(statement))
    with database.read() as conn:
        assert conn.execute(sa.text("SELECT outcome FROM audit")).scalars().all() == ["ok"]


def test_postgresql_refuses_truncating_the_audit_log(pg_url: str) -> None:
    with Database.postgresql(pg_url) as database:
        upgrade(database)
        with (
            pytest.raises(sa.exc.IntegrityError, match="append-only"),
            database.transaction() as conn,
        ):
            conn.execute(sa.text("TRUNCATE audit"))


def test_the_change_feed_takes_only_upserts_and_deletes(database: Database) -> None:
    insert = sa.text(
        "INSERT INTO change_feed (source, dataset_id, version, kind, at) "
        "VALUES ('s', 'd', 'urn:g', :kind, CURRENT_TIMESTAMP)"
    )
    with database.transaction() as conn:
        conn.execute(insert, {"kind": "upsert"})
        conn.execute(insert, {"kind": "delete"})
    with pytest.raises(sa.exc.IntegrityError), database.transaction() as conn:
        conn.execute(insert, {"kind": "rename"})
    with database.read() as conn:
        seqs = conn.execute(sa.text("SELECT seq FROM change_feed ORDER BY seq")).scalars().all()
    assert len(seqs) == 2 and seqs[0] < seqs[1]


def test_a_non_postgresql_url_is_refused_with_the_password_masked(settings: Settings) -> None:
    configured = get_settings(home=settings.home, database_url="mysql://u:hunter2@db/x")
    with pytest.raises(ConfigurationError, match="postgresql://") as refused:
        Database.open(configured)
    assert "hunter2" not in str(refused.value)


def test_settings_never_show_the_database_password(pg_url: str) -> None:
    assert PASSWORD not in repr(get_settings(database_url=pg_url))
    assert mask_url(pg_url).count("***") == 1 and PASSWORD not in mask_url(pg_url)
    assert "hunter2" not in mask_url("postgresql://u:hunter2@[bad")


def test_an_unreachable_database_is_a_clear_error_with_the_password_masked(
    settings: Settings,
) -> None:
    from tests.pg_server import free_port

    url = f"postgresql://u:{PASSWORD}@127.0.0.1:{free_port()}/nothing"
    with pytest.raises(DatabaseUnavailable, match=r"postgresql\+psycopg://u:\*\*\*@") as failed:
        Database.open(get_settings(home=settings.home, database_url=url))
    assert PASSWORD not in str(failed.value)


def test_a_statement_past_its_deadline_is_stopped(pg_url: str) -> None:
    with (
        Database.postgresql(pg_url, timeout_s=0.3) as database,
        pytest.raises(QueryTimeout),
        database.read() as conn,
    ):
        conn.execute(sa.text("SELECT pg_sleep(5)"))
