"""``kill -9`` of a real ``datalab harvest`` process (hostile-inputs.md K77): before it
publishes, right after it publishes, during validation, and at random points. Each run
harvests a paged DCAT endpoint on a loopback HTTP server. Afterwards the store serves one
whole version, the job says truthfully what was published, and a later CLI or server run
finishes the validation that was queued."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.harvest import Harvester, HarvestSources, JobStore
from catalog.harvest.jobs import Job
from catalog.harvest.queue import ValidationQueue
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.connectors.dcat_server import DcatEndpoint
from tests.connectors.loopback import Answer, Loopback, serve

N = 200
PER_PAGE = 20
DCT_TITLE = "http://purl.org/dc/terms/title"
REPO = Path(__file__).resolve().parents[3]


def version(tag: str, padding: int = 0) -> list[ox.Triple]:
    """N datasets titled with ``tag``; "v2" drops dataset 0 and adds dataset N. ``padding``
    lengthens each description by that many characters."""
    numbers = range(N) if tag == "v1" else range(1, N + 1)
    pad = " x" * (padding // 2)
    lines = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
    ]
    for i in numbers:
        d = f"<https://portal.example.org/dataset/{i}>"
        lines.append(
            f'{d} a dcat:Dataset ; dct:title "{tag} dataset {i}"@en ; '
            f'dct:description "Dataset {i} of the portal{pad}"@en ; dct:identifier "ds-{i}" ; '
            f"dcat:distribution <https://portal.example.org/dataset/{i}/csv> ."
        )
        lines.append(
            f"<https://portal.example.org/dataset/{i}/csv> a dcat:Distribution ; "
            f"dcat:accessURL <https://portal.example.org/files/{i}.csv> ."
        )
    doc = "\n".join(lines).encode()
    return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(doc, ox.RdfFormat.TURTLE)]


V1 = {f"v1 dataset {i}" for i in range(N)}
V2 = {f"v2 dataset {i}" for i in range(1, N + 1)}


class Portal:
    """The paged endpoint; a request for page ``gate`` waits until ``release`` is set."""

    def __init__(self, server: Loopback) -> None:
        self.server = server
        self.gate: int | None = None
        #: Seconds each page takes, so that a listing lasts long enough to be killed in.
        self.page_delay = 0.0
        self.reached = threading.Event()
        self.release = threading.Event()

    def serve(self, tag: str, padding: int = 0) -> str:
        endpoint = DcatEndpoint(self.server, version(tag, padding), per_page=PER_PAGE)
        inner = self.server.routes["/catalog"]

        def gated(path: str, query: dict[str, list[str]]) -> Answer:
            if self.gate is not None and query.get("page") == [str(self.gate)]:
                self.reached.set()
                self.release.wait(60)
            time.sleep(self.page_delay)
            return inner(path, query)

        self.server.routes["/catalog"] = gated
        return endpoint.url


@pytest.fixture
def portal() -> Iterator[Portal]:
    with serve() as server:
        p = Portal(server)
        yield p
        p.release.set()


@pytest.fixture
def settings(portal: Portal, tmp_path: Path) -> Settings:
    return portal.server.settings(tmp_path / "home", validation_batch_datasets=10)


def environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "DATALAB_HOME": str(settings.home),
        "DATALAB_FETCH_ALLOW_HOSTS": ",".join(settings.fetch_allow_hosts),
        "DATALAB_FETCH_HOST_DELAY_S": "0",
        "DATALAB_FETCH_READ_TIMEOUT_S": "5",
        "DATALAB_VALIDATION_BATCH_DATASETS": "10",
    }


def first_version(settings: Settings, portal: Portal) -> str:
    """Harvest v1 (in this process, without validation), then serve v2; returns v1's job."""
    HarvestSources(settings).add("portal", "dcat", portal.serve("v1"))
    with Catalogue.open(settings) as cat:
        job = Harvester(cat, validate=False).run("portal")
    assert job.status == "succeeded", job.message
    portal.serve("v2")
    return job.id


def datalab(settings: Settings, *args: str, point: str | None = None) -> subprocess.Popen:
    command = (
        [sys.executable, "-m", "tests.catalog.security.kill_harness", point, *args]
        if point
        else [sys.executable, "-m", "cli", *args]
    )
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    if proc.stderr is not None:
        proc.stderr.close()


def finished(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    assert proc.stderr is not None
    with proc.stderr:
        err = proc.stderr.read().decode()
    return proc.wait(timeout), err


def served(cat: Catalogue) -> set[str]:
    triples = ox.parse(cat.export("ntriples", source="portal"), ox.RdfFormat.N_TRIPLES)
    return {t.object.value for t in triples if t.predicate.value == DCT_TITLE}


def latest(jobs: JobStore, after: str | None = None) -> Job:
    """The newest job of the source (that is not ``after``, the first version's job)."""
    found = [j for j in jobs.list("portal", limit=5) if j.id != after]
    assert found, "no job of the killed run"
    return found[0]


def queued(settings: Settings, state: str) -> int:
    return ValidationQueue(settings).count(state)


def test_killed_before_publishing_serves_the_old_version_and_says_so(settings, portal) -> None:
    v1 = first_version(settings, portal)
    portal.gate = 4
    proc = datalab(settings, "harvest", "portal")
    assert portal.reached.wait(60), "the run never reached page 4"
    kill(proc)
    job = latest(JobStore(settings), v1)  # without the store: it died before its pending step
    assert job.status == "failed" and job.interrupted and not job.published
    with Catalogue.open(settings) as cat:
        assert served(cat) == V1
        job = latest(JobStore(settings, cat), v1)
        assert job.status == "failed", job
        assert "before its version was published" in (job.message or "")
        assert "nothing was published" in (job.message or "")
    assert queued(settings, "waiting") == 0  # nothing was queued: nothing to validate


def test_killed_right_after_publishing_is_published_and_validated_later(settings, portal):
    v1 = first_version(settings, portal)
    proc = datalab(settings, "harvest", "portal", point="after-publish")
    code, err = finished(proc)
    assert code == -signal.SIGKILL, err
    # The job file still says "running"; without the store nobody can say more than that.
    on_disk = latest(JobStore(settings), v1)
    assert on_disk.status == "interrupted" and not on_disk.published
    with Catalogue.open(settings) as cat:
        assert served(cat) == V2
        job = latest(JobStore(settings, cat), v1)
        assert job.status == "succeeded", job
        assert job.published and job.interrupted
        assert job.graph == cat.graphs.current("portal")
        assert "after publishing this version, which is served" in (job.message or "")
        assert job.counts["new"] == 1 and job.counts["updated"] == N - 1
        assert job.counts["deleted"] == 1
    assert latest(JobStore(settings), v1).status == "succeeded"  # settled once, for every reader
    assert queued(settings, "waiting") == N  # queued before the publish, still there
    code, err = finished(datalab(settings, "validation"))
    assert code == 0, err
    validation = latest(JobStore(settings), v1).validation
    assert validation["waiting"] == 0 and validation["done"] == N, validation


def test_killed_during_validation_the_server_finishes_it(settings, portal) -> None:
    v1 = first_version(settings, portal)
    proc = datalab(settings, "harvest", "portal")
    deadline = time.monotonic() + 120
    while not (queued(settings, "done") >= 20 and queued(settings, "waiting") > 0):
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "validation never started"
        time.sleep(0.02)
    kill(proc)
    with Catalogue.open(settings) as cat:
        assert served(cat) == V2
        job = latest(JobStore(settings, cat), v1)
        assert job.status == "succeeded" and job.published and not job.interrupted
        assert 0 < job.validation["waiting"] < N
    with TestClient(create_app(settings)):  # its background worker drains the queue
        deadline = time.monotonic() + 120
        while ValidationQueue(settings).waiting():
            assert time.monotonic() < deadline, "the server did not finish the validation"
            time.sleep(0.2)
    validation = latest(JobStore(settings), v1).validation
    assert validation["waiting"] == 0 and validation["done"] == N, validation


#: Kill points are drawn from an independent generator in four spans of a run, measured
#: here as: start-up until 0.5 s, listing until 2.2 s, publishing, validation from 2.5 s
#: until the end at 4.1 s (a slower machine shifts them; any point must hold).
_SPANS = [(0.05, 0.6), (0.6, 2.1), (2.1, 2.5), (2.5, 4.2)]
_RANDOM = random.Random(int.from_bytes(os.urandom(8), "big"))


@pytest.mark.parametrize("span", _SPANS)
def test_killed_at_a_random_point_the_store_and_the_job_agree(
    portal, tmp_path: Path, span: tuple[float, float]
) -> None:
    settings = portal.server.settings(tmp_path / "home", validation_batch_datasets=10)
    v1_job = first_version(settings, portal)
    portal.page_delay = 0.15  # ten pages: the listing takes about 1.5 s
    delay = _RANDOM.uniform(*span)
    proc = datalab(settings, "harvest", "portal")
    time.sleep(delay)
    kill(proc)
    with Catalogue.open(settings) as cat:
        titles = served(cat)
        assert titles in (V1, V2), f"a mixed version after a kill at {delay:.2f} s"
        jobs = [j for j in JobStore(settings, cat).list("portal") if j.id != v1_job]
        if titles == V2:
            job = jobs[0]
            assert job.published and job.status == "succeeded", (delay, job)
            assert job.graph == cat.graphs.current("portal")
        elif jobs:  # (none: killed before the run had even recorded its job)
            job = jobs[0]
            assert job.status == "failed" and not job.published, (delay, job)
            assert "nothing was published" in (job.message or "")
    code, err = finished(datalab(settings, "validation"))
    assert code == 0, err
    assert ValidationQueue(settings).waiting() == 0
    validation = latest(JobStore(settings), v1_job).validation if jobs else {}
    if titles == V2:  # every queued record validated; a run never published has none done
        assert validation["done"] == N, (delay, validation)
    else:
        assert validation.get("done", 0) == 0, (delay, validation)
