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

With ``--lab-edit``, a second round on a new pair of replicas with the demo labs, stored
offers and the offer facet provider: A edits a lab (``bsc-datalab`` gains, then loses, the
data space ``earth-observation``: thousands of datasets move), a worker's offers follower
applies it, and B's next search applies the lab's row (the offer facets of the datasets it
moved, nothing re-projected). Timed: the edit itself (what the request waits for), the
offers follow, B's search that applies it (end to end: from the edit to the facet
searchable on B), and, for comparison, B re-projecting its whole index, which a lab's row
cost before.

Run: ``.venv/bin/python -m bench.search_replica_bench --datasets 20000 --lab-edit``.
Writes the "Search replicas" section of bench/RESULTS.md.
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
from catalog.labs import edit_lab, load_registry
from catalog.offers.follower import OffersFollower
from catalog.offers.live import LiveOffers
from catalog.search import SearchService
from catalog.search.index import IndexFile
from catalog.search.providers import OfferFacets
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings

SOURCE = "bench-0"
LAB = "bsc-datalab"
#: The lab's data spaces, alternately: one more space, then back (edits of the bench).
SPACES = (
    ["health", "language", "research", "earth-observation"],
    ["health", "language", "research"],
)
#: One lab edit: edit, offers follow and B's apply (seconds), datasets moved, offered.
Round = tuple[float, float, float, int, int]
LIMITS = {"max_document_bytes": 1 << 31, "max_triples": 50_000_000}


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
        limits = LIMITS
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


def _lab_round(
    a: Catalogue,
    b: SearchService,
    worker: OffersFollower,
    live_b: LiveOffers,
    changes: dict[str, object],
) -> Round:
    """A edits the lab, the worker follows, B's next search applies it: the seconds of
    each, how many datasets' facets moved, and how many the lab now offers."""
    t0 = time.perf_counter()
    edit_lab(a, LAB, changes, staff_factory="bsc")
    edit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    worker.catch_up()
    follow_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    total = b.search("", filters={"lab": [LAB]}, limit=1).total
    apply_s = time.perf_counter() - t0
    edited, moved = b.lab_updates[-1]
    assert edited == (LAB,), b.lab_updates
    assert total == len(live_b.mirror.lab_members(LAB)), (total, changes)
    return edit_s, follow_s, apply_s, len(moved), total


def run_lab_edit(n: int, rounds: int) -> str:
    """The ``--lab-edit`` round (see the module)."""
    N_RARE[0] = max(1, n // 5)
    with tempfile.TemporaryDirectory() as tmp:
        a = Catalogue.open(get_settings(home=Path(tmp) / "a", **LIMITS))
        try:
            a.load(turtle(0, n, seed=0), fmt="turtle", source=SOURCE, replace=True)
            load_registry(a)
            worker = OffersFollower(a)  # the workers' `offers` job (another machine)
            worker.catch_up()
            b_settings = get_settings(home=Path(tmp) / "b", **LIMITS)
            return _lab_rounds(a, b_settings, worker, n, rounds)
        finally:
            a.close()


def _lab_rounds(
    a: Catalogue, settings: Settings, worker: OffersFollower, n: int, rounds: int
) -> str:
    b_cat = Catalogue(settings, a.store, a.database)
    live_b = LiveOffers(b_cat, follow=False)  # reads what the workers store
    t0 = time.perf_counter()
    b = SearchService.open(b_cat, (OfferFacets(live_b),), attach=False)
    build_s = time.perf_counter() - t0
    try:
        spaces: list[dict[str, object]] = [{"data_spaces": SPACES[k % 2]} for k in range(rounds)]
        edits = [_lab_round(a, b, worker, live_b, changes) for changes in spaces]
        fees = _lab_round(a, b, worker, live_b, {"fees": "10 EUR a day"})
        position = IndexFile.feed_position(b.index.db())
        assert position is not None
        t0 = time.perf_counter()
        b.reproject_all(position)
        whole_s = time.perf_counter() - t0
    finally:
        b.close()
        live_b.close()
    return _lab_report(n, build_s, edits, fees, whole_s)


def _lab_report(n: int, build_s: float, edits: list[Round], fees: Round, whole_s: float) -> str:
    edit_s, follow_s, apply_s = (statistics.median(e[i] for e in edits) for i in range(3))
    moved = statistics.median(e[3] for e in edits)
    end_s = statistics.median(e[0] + e[1] + e[2] for e in edits)
    return (
        "\n### A lab edit\n\n"
        f"Command: `.venv/bin/python -m bench.search_replica_bench --datasets {n} "
        f"--rounds {len(edits)} --lab-edit`\n\n"
        f"The same {n:,} datasets, with the demo labs, offers stored and followed by a worker "
        f"(B's index with offer facets built in {build_s:.1f} s). Replica A edits `{LAB}` (it "
        "gains, then loses, the data space `earth-observation`: a median of "
        f"{moved:,.0f} datasets' facets move), a worker's `offers` job follows it, and B's "
        f"next search applies it (median of {len(edits)}):\n\n"
        "| step | seconds |\n|---|---|\n"
        f"| the edit request (writes the lab and its feed row) | {edit_s:.2f} |\n"
        f"| the worker's offers follow (every signature against that lab) | {follow_s:.2f} |\n"
        f"| B's search that applies the lab's row (those datasets' facets) | {apply_s:.2f} |\n"
        f"| end to end: from the edit to the facet searchable on B | {end_s:.2f} |\n"
        f"| before: B re-projects its whole index for the lab's row | {whole_s:.2f} |\n\n"
        f"An edit of the lab's fees (no offer moves: {fees[3]} datasets rewritten) is "
        f"searchable on B {fees[0] + fees[1] + fees[2]:.2f} s after the edit (B's search "
        f"{fees[2]:.2f} s: the facets of the {fees[4]:,} datasets it offers compared).\n\n"
        f"B applies a lab edit {whole_s / apply_s:,.0f}x faster than the whole re-projection "
        f"it replaced (end to end {whole_s / end_s:,.1f}x, with the offers follow); the edit "
        "request waits for neither (before, the API's request re-projected the whole index "
        "after following the offers).\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--lab-edit", action="store_true", help="also time a lab edit")
    args = ap.parse_args()
    body = run(args.datasets, args.rounds)
    if args.lab_edit:
        body += run_lab_edit(args.datasets, args.rounds)
    write_section("Search replicas", body)
    print(body)


if __name__ == "__main__":
    main()
