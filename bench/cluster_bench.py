"""Cluster benchmark (issue 17): the shared engines a deployment of many machines runs on.

Every server is real and started here: PostgreSQL (Debian's binaries, as the tests start
it), Oxigraph server and Virtuoso 7. Parts (``--parts``, all by default):

* ``ingest``: ``Catalogue.load`` of one generated catalogue (``bench.ingest_bench.generate``,
  30-40 triples per dataset) into the embedded store, into Oxigraph server and into
  Virtuoso, each into an empty store, in a fresh subprocess; each server's throughput is
  printed as a ratio to the embedded store's, measured in the same run.
* ``offers``: the first computation of every dataset's offers by a worker: ``--datasets``
  generated datasets on Oxigraph server with the operational state in PostgreSQL, one
  ``offers`` job queued, ``datalab worker --once`` timed from its start to its exit, beside
  the baseline of resolving the same datasets' offers one request at a time (a sample,
  extrapolated).

Run: ``.venv/bin/python -m bench.cluster_bench --datasets 100000``. Writes the "Cluster"
section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.results import write_section

REPO = Path(__file__).resolve().parents[1]
LIMITS: dict[str, Any] = {"max_document_bytes": 1 << 34, "max_triples": 10**9}


# -- servers -------------------------------------------------------------------------------


@contextmanager
def oxigraph_server(root: Path) -> Iterator[Any]:
    from tests.catalog.store.conftest import OxigraphServer

    (root / "oxigraph").mkdir(parents=True, exist_ok=True)
    server = OxigraphServer(root / "oxigraph" / "db")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@contextmanager
def virtuoso_server() -> Iterator[Any]:
    from tests.virtuoso_server import VirtuosoServer

    server = VirtuosoServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def server_settings(server: Any, home: Path) -> dict[str, Any]:
    """The settings of a catalogue on ``server`` (as the tests configure them)."""
    from tests.virtuoso_server import VirtuosoServer

    values: dict[str, Any] = {
        "home": str(home),
        "store_backend": "sparql",
        "sparql_query_url": server.query_url,
        "sparql_update_url": server.update_url,
        "sparql_gsp_url": server.gsp_url,
        "sparql_snapshot_reads": not isinstance(server, VirtuosoServer),
        "sparql_timeout_s": 600.0,
    }
    if isinstance(server, VirtuosoServer):
        values["store_sparql_page_rows"] = server.row_cap // 2
    return values


# -- ingest --------------------------------------------------------------------------------


def _ingest_child(settings_json: str, file: str) -> dict[str, Any]:
    """Load ``file`` into an empty catalogue of these settings; its figures."""
    from catalog.service import Catalogue
    from catalog.settings import get_settings

    settings = get_settings(**{**json.loads(settings_json), **LIMITS})
    data = Path(file).read_bytes()
    with Catalogue.open(settings) as cat:
        start = time.perf_counter()
        report = cat.load(data, fmt="turtle", source="bench", replace=True)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "triples": report.triples, "datasets": report.datasets}


def _in_child(function: str, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.cluster_bench", "--child", function, *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def ingest(n: int, root: Path) -> list[str]:
    from bench.ingest_bench import generate

    file = root / f"ingest-{n}.ttl"
    generate(file, n)
    rows: list[tuple[str, dict[str, Any]]] = []
    embedded = {"home": str(root / "embedded")}
    rows.append(("embedded Oxigraph", _in_child("ingest", json.dumps(embedded), str(file))))
    with oxigraph_server(root) as server:
        settings = server_settings(server, root / "on-oxigraph")
        rows.append(("Oxigraph server", _in_child("ingest", json.dumps(settings), str(file))))
    with virtuoso_server() as server:
        settings = server_settings(server, root / "on-virtuoso")
        try:
            figures = _in_child("ingest", json.dumps(settings), str(file))
        except subprocess.CalledProcessError as exc:
            figures = {"error": (exc.stderr or "").strip().splitlines()[-1:]}
        rows.append(("Virtuoso 7", figures))
    base = rows[0][1]["triples"] / rows[0][1]["seconds"]
    lines = [
        f"Ingest of {n:,} generated datasets ({rows[0][1]['triples']:,} triples) into an "
        "empty store, `Catalogue.load` (replace), each in its own process:",
        "",
        "| graph store | seconds | triples/s | ratio to the embedded store |",
        "|---|---|---|---|",
    ]
    for name, figures in rows:
        if "error" in figures:
            lines.append(f"| {name} | failed: {' '.join(figures['error'])} | | |")
            continue
        tps = figures["triples"] / figures["seconds"]
        lines.append(f"| {name} | {figures['seconds']:.1f} | {tps:,.0f} | {tps / base:.2f} |")
        sys.stderr.write(f"ingest {name}: {figures['seconds']:.1f} s, {tps / base:.2f}×\n")
    return lines


# -- offers by workers ---------------------------------------------------------------------


def environment(settings: dict[str, Any]) -> dict[str, str]:
    """The environment of a ``datalab`` process with these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATALAB_")}
    env.update({f"DATALAB_{k.upper()}": str(v) for k, v in settings.items()})
    env["PYTHONPATH"] = str(REPO)
    return env


def run_worker(settings: dict[str, Any]) -> None:
    """``datalab worker --once``: run what is due, then exit."""
    subprocess.run(
        [sys.executable, "-m", "cli", "worker", "--once"],
        env=environment(settings),
        check=True,
        capture_output=True,
        cwd=REPO,
    )


def _offers_child(settings_json: str, file: str, samples: str) -> dict[str, Any]:
    """Load ``file`` and the labs, queue the first offers build, time ``datalab worker
    --once``; then the naive per-request baseline on ``samples`` datasets."""
    import random

    import sqlalchemy as sa

    from catalog.db.feed import ChangeFeed
    from catalog.db.schema import offer_terms
    from catalog.jobs.queue import JobQueue
    from catalog.jobs.worker import OFFERS
    from catalog.labs import load_registry
    from catalog.offers import RequesterProfile, offers_for
    from catalog.offers.stored import OfferStore
    from catalog.service import Catalogue
    from catalog.settings import get_settings

    values = {**json.loads(settings_json), **LIMITS}
    settings = get_settings(**values)
    with Catalogue.open(settings) as cat:
        t0 = time.perf_counter()
        report = cat.load(Path(file).read_bytes(), fmt="turtle", source="bench", replace=True)
        load_s = time.perf_counter() - t0
        load_registry(cat)
        JobQueue(cat.database).enqueue(OFFERS, {}, dedupe_key=OFFERS)
        t0 = time.perf_counter()
        run_worker(values)
        worker_s = time.perf_counter() - t0
        state = OfferStore(cat.database).state()
        head = ChangeFeed(cat.database).head()
        with cat.database.transaction() as conn:
            stored = conn.execute(sa.select(sa.func.count()).select_from(offer_terms)).scalar()
        profile = RequesterProfile.parse("SME", "DE", "commercial-ai-training")
        ids = random.Random(7).sample(report.dataset_ids, int(samples))
        t0 = time.perf_counter()
        for ident in ids:
            offers_for(cat, ident, profile)
        naive_s = (time.perf_counter() - t0) / len(ids) * report.datasets
    return {
        "datasets": report.datasets,
        "load_s": load_s,
        "worker_s": worker_s,
        "stored": stored,
        "current": state is not None and state.position == head,
        "naive_s": naive_s,
    }


def offers(n: int, root: Path) -> list[str]:
    from bench.ingest_bench import generate
    from catalog.db import Database, upgrade
    from tests.pg_server import running_postgres

    file = root / f"offers-{n}.ttl"
    generate(file, n, seed=11)
    with running_postgres() as pg, oxigraph_server(root / "offers") as server:
        url = pg.new_database()
        with Database.postgresql(url) as fresh:
            upgrade(fresh)
        settings = {**server_settings(server, root / "offers-home"), "database_url": url}
        figures = _in_child("offers", json.dumps(settings), str(file), "200")
    sys.stderr.write(f"offers by a worker: {json.dumps(figures)}\n")
    return [
        f"Offers of {figures['datasets']:,} generated datasets (`bench.ingest_bench.generate`: "
        "distributions with their own licences and access rights) on Oxigraph server, the "
        "operational state in PostgreSQL; the first build queued as one `offers` job:",
        "",
        "| what | seconds | ratio to the naive baseline |",
        "|---|---|---|",
        f"| `datalab worker --once` (process start to exit; {figures['stored']:,} datasets' "
        f"terms stored, position current: {figures['current']}) | {figures['worker_s']:.1f} "
        f"| {figures['naive_s'] / figures['worker_s']:.1f}× faster |",
        f"| baseline: each dataset's offers resolved per request (200 sampled, extrapolated) "
        f"| {figures['naive_s']:.1f} | 1 |",
        f"| (for scale) loading the datasets into Oxigraph server | {figures['load_s']:.1f} | |",
    ]


# -- replicas: first start, feed lag -------------------------------------------------------


class Replica:
    """One ``datalab serve`` process (an API replica) with a home folder of its own."""

    def __init__(self, settings: dict[str, Any], home: Path) -> None:
        from tests.pg_server import free_port

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        home.mkdir(parents=True, exist_ok=True)
        self.log = (home / "serve.log").open("wb")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(self.port)],
            env=environment({**settings, "home": str(home), "public_url": self.base}),
            cwd=REPO,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def hits(self, q: str) -> int:
        """The total of a search, 0 while the replica cannot answer yet."""
        import httpx

        try:
            answer = httpx.get(f"{self.base}/search", params={"q": q}, timeout=30)
        except httpx.TransportError:
            return 0
        if answer.status_code != 200:
            return 0
        return int(answer.json()["total"])

    def health(self) -> dict[str, Any]:
        import httpx

        return dict(httpx.get(f"{self.base}/health", timeout=30).json())

    def until_health(self, deadline_s: float = 120) -> None:
        import httpx

        end = time.perf_counter() + deadline_s
        while time.perf_counter() < end:
            try:
                if httpx.get(f"{self.base}/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        raise TimeoutError("the replica never answered /health")

    def until_found(self, q: str, deadline_s: float = 900) -> float:
        """Seconds until a search for ``q`` finds something (polled every 20 ms)."""
        start = time.perf_counter()
        while self.hits(q) == 0:
            if self.process.poll() is not None:
                raise RuntimeError(f"the replica exited ({self.process.returncode})")
            if time.perf_counter() - start > deadline_s:
                raise TimeoutError(f"{q!r} was not found in {deadline_s} s")
            time.sleep(0.02)
        return time.perf_counter() - start

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        self.log.close()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def replicas(n: int, root: Path, rounds: int = 20) -> list[str]:
    from bench.search_bench import N_RARE, rare, turtle
    from catalog.db import Database, upgrade
    from catalog.jobs.queue import JobQueue
    from catalog.jobs.worker import OFFERS
    from catalog.labs import load_registry
    from catalog.service import Catalogue
    from catalog.settings import get_settings
    from tests.pg_server import running_postgres
    from tests.s3_server import ACCESS_KEY, SECRET_KEY, running_seaweedfs

    N_RARE[0] = max(1, n // 5)
    (root / "s3").mkdir()
    with (
        running_postgres() as pg,
        oxigraph_server(root / "replicas") as server,
        running_seaweedfs(root / "s3", volume_mb=1024) as s3,
    ):
        url = pg.new_database()
        with Database.postgresql(url) as fresh:
            upgrade(fresh)
        shared = {**server_settings(server, root / "writer"), "database_url": url}
        shared.update(
            workers="queue",
            samples_s3_endpoint=s3,
            samples_s3_access_key=ACCESS_KEY,
            samples_s3_secret_key=SECRET_KEY,
            samples_s3_use_ssl="false",
            base_iri="https://cluster.bench.example/",
        )
        with Catalogue.open(get_settings(**{**shared, "workers": "inline", **LIMITS})) as writer:
            t0 = time.perf_counter()
            writer.load(turtle(0, n, seed=1), fmt="turtle", source="bench-0", replace=True)
            load_registry(writer)
            load_s = time.perf_counter() - t0
            # as deployed: a worker computes the offers the replicas' search facets read
            # (its snapshot publishing off here: B must build from the graph, the baseline)
            JobQueue(writer.database).enqueue(OFFERS, {}, dedupe_key=OFFERS)
            run_worker({**shared, "search_snapshot_every_s": 0})
            b = Replica({**shared, "search_snapshot_restore": "false"}, root / "replica-b")
            try:
                b.until_health()
                health_s = time.perf_counter() - b.started
                b.until_found(rare(n // 2))
                first_s = time.perf_counter() - b.started
                lags = []
                for r in range(rounds):
                    k = (r * 7919) % n
                    writer.load(
                        turtle(k, 1, seed=1000 + r, tag=f"lag{r}r"), fmt="turtle", source="bench-0"
                    )
                    lags.append(b.until_found(f"lag{r}r{k}", deadline_s=120))
            finally:
                b.stop()
            # B's index (stopped) is published as a snapshot (workers do it with their own
            # index: tests/catalog/jobs/test_search_snapshot_job.py); then one more change
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "cli", "search-snapshot", "publish"],
                env=environment({**shared, "home": str(root / "replica-b")}),
                check=True,
                capture_output=True,
                cwd=REPO,
            )
            snapshot_s = time.perf_counter() - t0
            k = n // 3
            writer.load(turtle(k, 1, seed=99, tag="after"), fmt="turtle", source="bench-0")
            c = Replica(shared, root / "replica-c")
            try:
                c.until_found(f"after{k}")  # a change made after the snapshot: from the feed
                snap_first_s = time.perf_counter() - c.started
                origin = c.health()["search"].get("origin")
            finally:
                c.stop()
    sys.stderr.write(
        f"replicas: load {load_s:.1f} s, health {health_s:.1f} s, first {first_s:.1f} s, "
        f"lags {lags}\n"
    )
    return [
        f"Two replicas over Oxigraph server and PostgreSQL, {n:,} datasets "
        f"(`bench.search_bench.turtle`; loaded in {load_s:.1f} s). Replica B is a "
        "`datalab serve` process with its own search index; the writer publishes one changed "
        f"dataset at a time ({rounds} rounds) and B's `/search` is polled every 20 ms:",
        "",
        "| what | seconds |",
        "|---|---|",
        f"| B's start to its first `/health` answer | {health_s:.1f} |",
        f"| B's start (empty index, snapshots off: built from the graph) to its first "
        "correct search "
        f"| {first_s:.1f} |",
        f"| change feed lag, publish to searchable on B: p50 | {statistics.median(lags):.2f} |",
        f"| change feed lag: p95 (target ≤ 5 s) | {_p95(lags):.2f} |",
        f"| B's index published as a snapshot to S3 (SeaweedFS), "
        f"`datalab search-snapshot publish` | {snapshot_s:.1f} |",
        f"| replica C's start (empty home) to its first correct search, from the snapshot "
        f"plus the feed (target ≤ 10 s; origin: {origin}) | {snap_first_s:.1f} |",
        f"| ratio: B's build from the graph / C's start from the snapshot "
        f"| {first_s / snap_first_s:.1f}× |",
    ]


# -- main ----------------------------------------------------------------------------------

CHILDREN = {"ingest": _ingest_child, "offers": _offers_child}
PARTS = {"ingest": ingest, "offers": offers, "replicas": replicas}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--ingest-datasets", type=int, default=20_000)
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=list(PARTS))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, *rest = args.child
        sys.stdout.write(json.dumps(CHILDREN[name](*rest)) + "\n")
        return
    command = "python -m bench.cluster_bench " + " ".join(sys.argv[1:])
    body = [f"Command: `{command.strip()}`", ""]
    with tempfile.TemporaryDirectory(prefix="datalab-cluster-bench-") as tmp:
        root = Path(tmp)
        os.chmod(root, 0o755)
        for part in args.parts:
            size = args.ingest_datasets if part == "ingest" else args.datasets
            body += [*PARTS[part](size, root), ""]
    write_section("Cluster", "\n".join(body))


if __name__ == "__main__":
    main()
