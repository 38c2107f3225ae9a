"""Samples benchmark: first rows, a filtered page and statistics, against a full pyarrow read.

Generates a Parquet file (~200 MB by default, ``--size-mb 1024`` for the issue's 1 GB),
uploads it through the sample store (schema checks and statistics computed once), then
times, through the sandboxed DuckDB path:

- first rows (100 rows, no filter);
- a filtered page (two filters and a sort, 100 rows), read from the sorted copy of the
  sort column made at upload (see catalog/samples/sorted_copies.py);
- statistics as served (read from the stored JSON, cache cleared each time);

and, in the same run, the naive alternative: a full ``pyarrow.parquet.read_table`` (then
filter / first rows in memory). Writes the figures to bench/RESULTS.md under "Samples".

    .venv/bin/python -m bench.samples_bench [--size-mb 200] [--runs 30]
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.results import write_section
from catalog.errors import QueryTimeout
from catalog.samples import SampleStore, Upload
from catalog.settings import get_settings

BATCH_ROWS = 1_000_000
CATEGORIES = [f"category-{i:02d}" for i in range(50)]


def _batch(start: int, rows: int) -> pa.Table:
    ids = pa.array(range(start, start + rows), pa.int64())
    rand = pc.random(rows)
    value = pc.multiply(rand, 1000.0)
    cat_idx = pc.cast(pc.floor(pc.multiply(pc.random(rows), len(CATEGORIES))), pa.int32())
    category = pc.take(pa.array(CATEGORIES), cat_idx)
    seconds = pc.cast(pc.floor(pc.multiply(pc.random(rows), 3.0e8)), pa.int64())
    ts = pc.cast(pc.add(seconds, 1_400_000_000), pa.timestamp("s"))
    text = pc.binary_join_element_wise(
        pc.cast(ids, pa.string()), pc.cast(value, pa.string()), category, " "
    )
    return pa.table({"id": ids, "category": category, "value": value, "ts": ts, "text": text})


def generate(path: Path, size_mb: int) -> int:
    """Write batches until the file reaches ``size_mb``; the number of rows written."""
    target = size_mb * 1024 * 1024
    rows = 0
    with pq.ParquetWriter(path, _batch(0, 1).schema, compression="snappy") as writer:
        while True:
            writer.write_table(_batch(rows, BATCH_ROWS), row_group_size=BATCH_ROWS)
            rows += BATCH_ROWS
            if path.stat().st_size >= target:
                break
    return rows


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per run; a run stopped by the sample deadline counts as infinite."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        try:
            fn()
        except QueryTimeout:
            out.append(math.inf)
            continue
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="Size of the generated file.")
    parser.add_argument("--runs", type=int, default=30, help="Timed runs per measurement.")
    parser.add_argument("--pyarrow-runs", type=int, default=3, help="Runs of the full read.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="samples-bench-") as tmp:
        home = Path(tmp)
        path = home / "big.parquet"
        t0 = time.perf_counter()
        rows = generate(path, args.size_mb)
        gen_s = time.perf_counter() - t0
        size = path.stat().st_size
        settings = get_settings(home=home / "home")
        store = SampleStore(settings)
        t0 = time.perf_counter()
        store.add("bench", Upload(path=path), uploaded_by=None)
        upload_s = time.perf_counter() - t0

        filters = ["category:eq:category-07", "value:gt:500"]
        first = timed(lambda: store.rows("bench", limit=100), args.runs)
        filtered = timed(
            lambda: store.rows("bench", limit=100, filters=filters, sort="-ts"), args.runs
        )
        filtered_asc = timed(
            lambda: store.rows("bench", limit=100, filters=filters, sort="value"), args.runs
        )
        filtered_deep = timed(
            lambda: store.rows("bench", offset=5000, limit=100, filters=filters, sort="-ts"),
            args.runs,
        )
        filtered_nosort = timed(lambda: store.rows("bench", limit=100, filters=filters), args.runs)
        copies = store.meta("bench")["sorted_copies"]

        def served_stats() -> object:
            store._cache.clear()  # measure the read of the stored JSON, not a memory hit
            return store.statistics("bench")

        stats = timed(served_stats, args.runs)

        def full_read_first() -> object:
            return pq.read_table(path).slice(0, 100).to_pylist()

        def full_read_filtered() -> object:
            table = pq.read_table(path)
            mask = pc.and_(
                pc.equal(table["category"], "category-07"), pc.greater(table["value"], 500)
            )
            kept = table.filter(mask)
            order = pc.sort_indices(kept, sort_keys=[("ts", "descending")])
            return kept.take(order[:100]).to_pylist()

        arrow_first = timed(full_read_first, args.pyarrow_runs)
        arrow_filtered = timed(full_read_filtered, args.pyarrow_runs)

    def row(name: str, ours: list[float], target: str, base: list[float] | None) -> str:
        versus = f"{statistics.median(base):.0f} ms" if base else "n/a"
        ratio = f"{statistics.median(base) / statistics.median(ours):.0f}x" if base else "n/a"
        timeouts = sum(1 for v in ours if math.isinf(v))
        note = f" ({timeouts}/{len(ours)} runs hit the 5 s deadline)" if timeouts else ""
        return (
            f"| {name}{note} | {statistics.median(ours):.1f} | {p95(ours):.1f} | {target} "
            f"| {versus} | {ratio} |"
        )

    body = "\n".join(
        [
            f"Command: `.venv/bin/python -m bench.samples_bench --size-mb {args.size_mb} "
            f"--runs {args.runs}`",
            "",
            f"- file: {size / 1024**2:.0f} MB Parquet (snappy), {rows:,} rows, 5 columns; "
            f"generated in {gen_s:.1f} s",
            f"- upload (structural checks + schema + statistics + {len(copies)} sorted copies "
            f"({', '.join(copies)}), once): {upload_s:.1f} s",
            "",
            "| measurement | median ms | p95 ms | target p95 | full pyarrow read (median) "
            "| speed-up |",
            "|---|---|---|---|---|---|",
            row("first rows (100)", first, "≤ 50 ms", arrow_first),
            row("filtered page (2 filters + sort -ts)", filtered, "≤ 300 ms", arrow_filtered),
            row("filtered page (2 filters + sort value)", filtered_asc, "≤ 300 ms", None),
            row("filtered page at offset 5000 (sort -ts)", filtered_deep, "≤ 300 ms", None),
            row("filtered page (2 filters, no sort)", filtered_nosort, "≤ 300 ms", None),
            row("statistics served", stats, "≤ 20 ms", None),
            "",
            "Each DuckDB measurement takes a cursor on the sample's sandboxed, locked "
            "database (threads=2, memory_limit=1GB, 5 s deadline; the database is opened "
            "once per sample version and cached). The pyarrow baseline reads the whole file "
            "into memory, then slices or filters and sorts. The machine is shared with other "
            "test runs, so figures are noisy. A sorted page runs on the sort column's sorted "
            "copy in growing windows (the rows up to the k-th row group's bound), so DuckDB "
            "prunes the other row groups by their statistics; without the copies (before this "
            "change) the same page was a full top-N scan: p95 2.5 s on this file."
            + (" The issue's 1 GB file: `--size-mb 1024`." if args.size_mb < 1024 else ""),
        ]
    )
    write_section("Samples", body)
    print(body)


if __name__ == "__main__":
    main()
