"""Staging entries of killed uploads (hostile-inputs K77): a real process killed with SIGKILL
mid-upload leaves its entry; the next sample store or API start removes it, and never the
entry of an upload another live process is running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.samples import SampleStore, Upload
from catalog.samples.staging import Staging, host_tag, process_start
from catalog.settings import Settings
from tests.catalog.samples.builders import write_parquet

ROOT = Path(__file__).resolve().parents[3]
BODY = 4 * 1024 * 1024

#: Starts an upload whose body arrives slowly: 4 MB, then nothing for ten minutes.
SLOW_UPLOAD = f"""
import sys, time
from pathlib import Path
from catalog.samples import SampleStore, Upload
from catalog.settings import get_settings

store = SampleStore(get_settings(home=Path(sys.argv[1])))

def body():
    yield b"PAR1" + bytes({BODY})
    Path(sys.argv[2]).touch()
    time.sleep(600)
    yield b""

store.add("ds", Upload(chunks=body(), media_type="application/vnd.apache.parquet"),
          uploaded_by=None)
"""


@pytest.fixture
def uploading(settings: Settings, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path]]:
    """A live process in the middle of an upload, and its staging entry."""
    marker = tmp_path / "started"
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_UPLOAD, str(settings.home), str(marker)], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the uploading process ended early"
            assert time.monotonic() < deadline, "the upload did not start"
            time.sleep(0.05)
        entries = list((settings.home / "samples" / ".staging").iterdir())
        assert len(entries) == 1
        yield proc, entries[0]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


def test_k77_upload_killed_mid_body_is_cleaned_by_the_next_store(
    settings: Settings, tmp_path: Path, uploading: tuple[subprocess.Popen, Path]
) -> None:
    proc, entry = uploading
    assert entry.name.startswith(f"up-{host_tag()}-{proc.pid}-")
    assert (entry / "upload.bin").stat().st_size >= BODY
    store = SampleStore(settings)  # starts while the other process still uploads
    assert entry.exists(), "a live upload of another process was removed"
    store.add("other", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)
    assert entry.exists()

    _kill(proc)
    assert entry.exists()  # what the kill leaves behind
    restarted = SampleStore(settings)
    assert list(restarted.staging.iterdir()) == []
    assert not restarted.has_sample("ds")
    assert len(restarted.rows("other")["rows"]) == 100  # the other sample is untouched


def test_k77_api_start_up_removes_what_a_killed_upload_left(
    settings: Settings, uploading: tuple[subprocess.Popen, Path]
) -> None:
    proc, entry = uploading
    _kill(proc)
    legacy = entry.parent / "body-kept-from-an-old-version"
    legacy.write_bytes(b"x" * 1000)
    old = time.time() - settings.sample_staging_max_age_s - 60
    os.utime(legacy, (old, old))
    with TestClient(create_app(settings)) as client:
        assert not entry.exists()  # at start-up, before any request
        assert not legacy.exists()
        assert client.get("/datasets/none/sample").status_code == 404


@pytest.fixture
def staging(tmp_path: Path) -> Staging:
    return Staging(tmp_path / "staging", max_age_s=3600)


def _entry(staging: Staging, pid: int, start: int, age_s: float = 0, host: str = "") -> Path:
    created = int(time.time() - age_s)
    path = staging.root / f"up-{host or host_tag()}-{pid}-{start}-{created}-0a1b2c"
    path.mkdir()
    (path / "upload.bin").write_bytes(b"x" * 100)
    return path


def test_entries_of_dead_processes_are_removed(staging: Staging) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    gone = _entry(staging, child.pid, 12345)
    swept = staging.sweep()
    assert not gone.exists()
    assert (swept.entries, swept.bytes) == (1, 100)


def test_a_reused_pid_is_told_apart_by_its_start_time(staging: Staging) -> None:
    me = os.getpid()
    start = process_start(me)
    if start is None:
        pytest.skip("no /proc here: a reused pid cannot be told apart")
    reused = _entry(staging, me, start + 1)
    mine = _entry(staging, me, start)
    staging.sweep()
    assert not reused.exists()
    assert mine.exists()


def test_live_processes_keep_their_entries_until_the_age_limit(staging: Staging) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        start = process_start(sleeper.pid) or 0
        live = _entry(staging, sleeper.pid, start)
        stuck = _entry(staging, sleeper.pid, start, age_s=3700)
        staging.sweep()
        assert live.exists()
        assert not stuck.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_other_hosts_and_old_names_go_by_age_only(staging: Staging) -> None:
    fresh_remote = _entry(staging, 1, 1, host="ffffffff")
    old_remote = _entry(staging, 1, 1, age_s=3700, host="ffffffff")
    fresh_legacy = staging.root / "up-abc123"
    fresh_legacy.mkdir()
    old_legacy = staging.root / "web-def456"
    old_legacy.write_bytes(b"x")
    old = time.time() - 3700
    os.utime(old_legacy, (old, old))
    staging.sweep()
    assert fresh_remote.exists()
    assert fresh_legacy.exists()
    assert not old_remote.exists()
    assert not old_legacy.exists()


def test_new_entries_name_their_owner(staging: Staging) -> None:
    folder = staging.folder("up")
    fd, file = staging.file("body")
    os.close(fd)
    for path in (folder, file):
        _kind, host, pid, start, created, _random = path.name.split("-")
        assert (host, int(pid)) == (host_tag(), os.getpid())
        assert int(start) == (process_start(os.getpid()) or 0)
        assert abs(int(created) - time.time()) < 5
        assert not staging.is_stale(path)
    assert {folder.name.split("-")[0], file.name.split("-")[0]} == {"up", "body"}
