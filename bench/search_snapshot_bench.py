"""Search snapshots: how soon a new replica answers searches, building its index from the
graph or starting from a snapshot in S3 and catching up from the change feed.

One catalogue's store and database, several search indexes (each in its own folder, as
each replica's home would hold it; in one process here, as in ``search_replica_bench``):

1. ``--datasets`` generated datasets (``bench.search_bench.turtle``) are loaded;
2. a worker's index is built from the graph (timed: what a new replica did before);
3. it publishes a snapshot to a SeaweedFS S3 server started for the run (timed: catch up,
   SQLite backup and Tantivy copy, zstd tar, upload);
4. ``--after`` more datasets are loaded (published after the snapshot);
5. a new replica opens with an empty folder: it restores the snapshot (download, checks,
   unpack, move into place) and applies the feed from the snapshot's position (timed, then
   its first search).

Run: ``.venv/bin/python -m bench.search_snapshot_bench --datasets 100000``. Writes the
"Search snapshots" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.results import write_section
from bench.search_bench import N_RARE, turtle
from catalog.search import SearchService, snapshots
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from tests.s3_server import ACCESS_KEY, SECRET_KEY, running_seaweedfs

SOURCE = "bench-0"


def _settings(home: Path, endpoint: str) -> Settings:
    return get_settings(
        home=home,
        max_document_bytes=1 << 31,
        max_triples=50_000_000,
        search_snapshot_s3_endpoint=endpoint,
        search_snapshot_s3_bucket="bench-snapshots",
        search_snapshot_s3_access_key=ACCESS_KEY,
        search_snapshot_s3_secret_key=SECRET_KEY,
        samples_s3_use_ssl=False,
    )


def _timed_open(catalogue: Catalogue, folder: Path) -> tuple[SearchService, float]:
    t0 = time.perf_counter()
    service = SearchService.open(catalogue, attach=False, folder=folder)
    return service, time.perf_counter() - t0


def run(n: int, after: int) -> str:
    N_RARE[0] = max(1, n // 5)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_seaweedfs(Path(tmp), volume_mb=4096) as endpoint,
    ):
        settings = _settings(Path(tmp) / "home", endpoint)
        storage = snapshots.storage_for(settings)
        assert storage is not None
        cat = Catalogue.open(settings)
        try:
            t0 = time.perf_counter()
            cat.load(turtle(0, n, seed=0), fmt="turtle", source=SOURCE, replace=True)
            load_s = time.perf_counter() - t0
            worker, build_s = _timed_open(cat, Path(tmp) / "worker")
            assert worker.origin == "build"
            t0 = time.perf_counter()
            published = snapshots.publish(worker, storage, keep=3)
            publish_s = time.perf_counter() - t0
            worker.close()
            cat.load(turtle(n, after, seed=1), fmt="turtle", source=SOURCE)
            replica, open_s = _timed_open(cat, Path(tmp) / "replica")
            t0 = time.perf_counter()
            total = replica.search("").total
            first_s = time.perf_counter() - t0
            assert replica.origin == "snapshot", replica.origin
            assert total == n + after, total
            ((source, ids),) = replica.projected  # one projection: the datasets after it
            assert source == SOURCE, source
            assert ids is not None, "the whole source was re-projected"
            assert len(ids) == after, len(ids)
            replica.close()
        finally:
            cat.close()
    m = published.manifest
    return (
        "Command: `.venv/bin/python -m bench.search_snapshot_bench "
        f"--datasets {n} --after {after}`\n\n"
        f"One source of {n:,} generated datasets on the embedded store (loaded in "
        f"{load_s:.0f} s), Tantivy engine, no facet providers, a local SeaweedFS S3 server. "
        f"The snapshot holds {m.files} files, {m.unpacked_size / 1e6:,.0f} MB unpacked, "
        f"{m.size / 1e6:,.0f} MB as zstd tar. {after} datasets are published after it.\n\n"
        "| a new replica's index | seconds |\n|---|---|\n"
        f"| built from the graph (before) | {build_s:.1f} |\n"
        f"| restored from the snapshot + {after} feed rows applied | {open_s:.1f} |\n"
        f"| its first search (all datasets, facets) | {first_s:.2f} |\n"
        f"| publishing the snapshot (catch-up, backup, pack, upload) | {publish_s:.1f} |\n\n"
        f"Speed-up {build_s / open_s:,.0f}x; the replica re-projected exactly the {after} "
        "datasets published after the snapshot, nothing else.\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=int, default=20_000)
    ap.add_argument("--after", type=int, default=100)
    args = ap.parse_args()
    body = run(args.datasets, args.after)
    write_section("Search snapshots", body)
    print(body)


if __name__ == "__main__":
    main()
