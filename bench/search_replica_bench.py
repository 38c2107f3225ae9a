"""Search replicas: how long replica B takes to apply one dataset changed on replica A.

Two catalogues share one graph store and one operational database (in one process here:
B's catalogue is built on A's store and database, with its own home folder, so its own
index; B's search service hears no publish of A, as on another machine). A source of
``--datasets`` generated datasets (``bench.search_bench.turtle``) is loaded, B builds its
index, then A changes one dataset (an upsert load) and B's next ``sync()`` is timed:

* **before** (the per-source stamps, as every index did before it followed the feed): B's
  index is told it has no feed position, so ``sync()`` compares each source's version and
  re-indexes the changed source whole;
* **after** (following the change feed): ``sync()`` reads the rows after its position and
  re-projects the one dataset they name.

Run: ``.venv/bin/python -m bench.search_replica_bench --datasets 20000``. Writes the
"Search replicas" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

from bench.results import write_section
from bench.search_bench import N_RARE, turtle
from catalog.search import SearchService
from catalog.search.index import IndexFile
from catalog.service import Catalogue
from catalog.settings import get_settings

SOURCE = "bench-0"


def _next_second() -> None:
    """The stamps compare ``dlab:loadedAt`` (one-second resolution): start a new second."""
    now = time.time()
    time.sleep(math.ceil(now) - now + 0.01)


def _change(a: Catalogue, n: int, k: int) -> None:
    a.load(turtle(k * 97 % n, 1, seed=1000 + k, tag="changed"), fmt="turtle", source=SOURCE)


def _timed_sync(b: SearchService) -> tuple[float, list[tuple[str, frozenset[str] | None]]]:
    mark = len(b.projected)
    t0 = time.perf_counter()
    b.sync()
    return time.perf_counter() - t0, list(b.projected)[mark:]


def run(n: int, rounds: int) -> str:
    N_RARE[0] = max(1, n // 5)
    with tempfile.TemporaryDirectory() as tmp:
        limits = {"max_document_bytes": 1 << 31, "max_triples": 50_000_000}
        a = Catalogue.open(get_settings(home=Path(tmp) / "a", **limits))
        try:
            t0 = time.perf_counter()
            a.load(turtle(0, n, seed=0), fmt="turtle", source=SOURCE, replace=True)
            load_s = time.perf_counter() - t0
            b_cat = Catalogue(get_settings(home=Path(tmp) / "b", **limits), a.store, a.database)
            t0 = time.perf_counter()
            b = SearchService.open(b_cat, attach=False)
            build_s = time.perf_counter() - t0
            try:
                before, after = [], []
                for k in range(rounds):
                    _next_second()
                    _change(a, n, 2 * k)
                    db = b.index.db()
                    db.execute("BEGIN")
                    IndexFile.set_feed_position(db, None)  # an index that follows no feed
                    db.execute("COMMIT")
                    took, projected = _timed_sync(b)
                    assert projected == [(SOURCE, None)], projected
                    before.append(took)
                    _change(a, n, 2 * k + 1)
                    took, projected = _timed_sync(b)
                    ((_source, ids),) = projected
                    assert ids is not None, projected
                    assert len(ids) == 1, projected
                    after.append(took)
            finally:
                b.close()
        finally:
            a.close()
    b_s, a_s = statistics.median(before), statistics.median(after)
    return (
        "Command: `.venv/bin/python -m bench.search_replica_bench "
        f"--datasets {n} --rounds {rounds}`\n\n"
        f"One source of {n:,} generated datasets on the embedded store (loaded in "
        f"{load_s:.0f} s; B's index built in {build_s:.1f} s), no facet providers. Replica A "
        "changes one dataset (an upsert load); replica B's next `sync()` applies it "
        f"(median of {rounds}):\n\n"
        "| B applies one changed dataset | seconds |\n|---|---|\n"
        f"| before: per-source stamps, the source re-indexed whole | {b_s:.2f} |\n"
        f"| after: the change feed, that dataset re-projected | {a_s:.3f} |\n\n"
        f"Speed-up {b_s / a_s:,.0f}x; every `after` round re-projected exactly one dataset.\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    body = run(args.datasets, args.rounds)
    write_section("Search replicas", body)
    print(body)


if __name__ == "__main__":
    main()
