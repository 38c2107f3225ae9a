"""A full disk during a harvest or a load (hostile-inputs.md K78): a clear message naming
what was kept, exit status 2, no traceback, the previous version still served, and a job
that tells the truth. The disk is filled with a real file-size limit (``RLIMIT_FSIZE``:
writes past it fail with EFBIG, as RocksDB, SQLite and Python see a full disk)."""

from __future__ import annotations

import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.errors import DatabaseUnavailable, InsufficientStorage
from catalog.harvest import Harvester, JobStore
from catalog.harvest import jobs as jobs_module
from catalog.service import Catalogue
from catalog.settings import get_settings
from tests.catalog.samples.builders import fill, tmpfs
from tests.catalog.security.test_harvest_kill import (
    REPO,
    V1,
    Portal,
    environment,
    first_version,
    latest,
    served,
)
from tests.connectors.loopback import serve

#: Big enough for the store's small files, too small for the new version's table files.
LIMIT = 200_000
#: Characters added to each description of the new version: its 200 records then hold
#: 800 kB of text, four times the limit, so the harvest never fits, however its writes
#: are cut into files.
PADDING = 4_000


def _small_disk() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


@pytest.fixture
def portal():
    with serve() as server:
        p = Portal(server)
        yield p
        p.release.set()


def _run(settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO,
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_small_disk,
        check=False,
    )


def test_a_harvest_on_a_full_disk_fails_cleanly_and_keeps_the_old_version(portal, tmp_path):
    settings = portal.server.settings(tmp_path / "home")
    v1 = first_version(settings, portal)
    portal.serve("v2", padding=PADDING)
    done = _run(settings, "harvest", "portal")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "portal: failed" in done.stdout
    assert "the disk is full" in done.stdout
    assert "nothing was published; the previous version is still served" in done.stdout
    assert "error: the disk is full" in done.stderr
    with Catalogue.open(settings) as cat:
        assert served(cat) == V1
        job = latest(JobStore(settings, cat), v1)
        assert job.status == "failed" and not job.published
        assert "the disk is full" in (job.message or "")


def test_a_load_on_a_full_disk_fails_cleanly_and_keeps_the_old_version(tmp_path: Path):
    home = tmp_path / "home"
    doc = tmp_path / "big.nt"
    doc.write_bytes(
        b"".join(
            b"<https://e.org/d%d> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
            b"<http://www.w3.org/ns/dcat#Dataset> .\n"
            b'<https://e.org/d%d> <http://purl.org/dc/terms/title> "t %d" .\n' % (i, i, i)
            for i in range(20_000)
        )
    )
    settings = get_settings(home=home)
    with Catalogue.open(settings) as cat:
        cat.load(b"<https://e.org/kept> a <http://www.w3.org/ns/dcat#Dataset> .", fmt="turtle")
        before = cat.export("ntriples")
    done = _run(settings, "load", "--no-validate", "--replace", str(doc))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "error: the disk is full" in done.stderr
    with Catalogue.open(settings) as cat:
        assert cat.export("ntriples") == before


def test_a_job_file_that_cannot_be_written_after_publishing_is_settled_as_published(
    portal, tmp_path, monkeypatch
):
    """The disk fills between the publish and the job's last write: the error says the
    new version is served, and the job, read with the store, says it was published."""
    settings = portal.server.settings(tmp_path / "home")
    v1 = first_version(settings, portal)
    real = jobs_module.JobStore.save

    def full_at_the_end(self, job):  # type: ignore[no-untyped-def]
        if job.published:  # as Database wraps SQLite's error on a full disk
            full = sqlite3.OperationalError("database or disk is full")
            raise DatabaseUnavailable(f"the database failed: {full}") from full
        real(self, job)

    monkeypatch.setattr(jobs_module.JobStore, "save", full_at_the_end)
    with Catalogue.open(settings) as cat:
        with pytest.raises(InsufficientStorage) as info:
            Harvester(cat, validate=False).run("portal")
        assert "new version had been published and is served" in info.value.message
        monkeypatch.setattr(jobs_module.JobStore, "save", real)
        job = latest(JobStore(settings, cat), v1)
        assert job.status == "succeeded" and job.published, job
        assert job.graph == cat.graphs.current("portal")
        assert "could not record how the run ended" in (job.message or "")


def test_a_harvest_on_a_really_full_tmpfs_fails_cleanly(portal, tmp_path) -> None:
    """The same with ENOSPC from a real 16 MB tmpfs filled to its last 400 kB: enough to
    open the store and list the source, not to store the new version. Whether the job's
    last write still fits varies: either the job says the disk is full (exit 1), or the
    command does and the job is settled from the store (exit 2)."""
    with tmpfs(tmp_path / "fs", "16m") as mounted:
        settings = portal.server.settings(mounted / "home")
        v1 = first_version(settings, portal)
        filler = fill(mounted, leave=400 * 1024)
        done = subprocess.run(
            [sys.executable, "-m", "cli", "harvest", "portal"],
            cwd=REPO,
            env=environment(settings),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        said = done.stdout + done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (1, 2), said
        assert "the disk is full" in said
        # the cause as the engine that hit it put it: the OS (store, files) or SQLite (jobs)
        assert "No space left on device" in said or "database or disk is full" in said, said
        assert "nothing was published; the previous version is still served" in said
        filler.unlink()
        with Catalogue.open(settings) as cat:
            assert served(cat) == V1
            job = latest(JobStore(settings, cat), v1)
            assert job.status == "failed" and not job.published, job
