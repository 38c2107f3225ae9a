"""Where the time of a search goes inside the Tantivy mirror, at sizes the catalogue takes
too long to build here (issue 18: 2,000,000 datasets).

A seed index of ``--seed`` generated datasets (the records of :mod:`bench.scale_bench`,
one in four with a bounding box) is built through the catalogue once; its rows (the
``fts`` texts, facet pairs and sort keys exactly as the build wrote them) are then copied
into a Tantivy mirror of ``--datasets`` documents, each copy with its own id, title
number, rare word and date, so every common word and facet value keeps the distribution
of the generated records. The bench then times, per query kind of
``bench.scale_bench.query_cases``, :meth:`TantivyText.ranked` / :meth:`TantivyText.leading`
with their parts (top-k, aggregation, conversion), cold (counts not kept) and as served,
against a plain baseline measured in the same run: every match handed to Python
(:meth:`TantivyText.match`, what the numpy plan starts from).

Run: ``.venv/bin/python -m bench.text_engine_bench --datasets 2000000 --work /tmp/teb``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from catalog.search import facet_rows, mirror_layout
from catalog.search.mirror_build import FTS_DOCS, MirrorBuilder
from catalog.search.tantivy_text import TantivyText

_RARE = re.compile(r"zq\d+x")
_NUMBER = "SEEDNUMBER"


def seed_index(work: Path, n: int) -> Path:
    """The SQLite index of ``n`` generated datasets, built through the catalogue (once)."""
    from bench.scale_bench import _settings, source_turtle
    from bench.search_bench import N_RARE
    from catalog.search import SearchService
    from catalog.service import Catalogue

    home = work / f"seed-{n}"
    path = home / "search" / "index.sqlite"
    if (home / "seed.done").exists():
        return path
    N_RARE[0] = max(1, n // 5)
    with Catalogue.open(_settings(str(home))) as cat:
        cat.load(source_turtle(0, n), fmt="turtle", source="bench-0", replace=True)
        SearchService.open(cat).close()
    (home / "seed.done").write_text("ok")
    return path


def seed_rows(path: Path) -> list[tuple[Any, ...]]:
    """The seed's rows: (dataset number, fts texts, facet pairs, keys)."""
    db = sqlite3.connect(path)
    facets = dict(facet_rows.pairs_since(db, 0))
    out = []
    sql = FTS_DOCS.replace("FROM fts f", ", d.display FROM fts f")
    for rowid, title, kw, body, stems, ident, _mod, sort_title, *rest in db.execute(sql):
        *box, display = rest
        i = int(json.loads(display)["iri"].rsplit("/", 1)[1])
        mark = re.compile(rf"\b{i}\b")
        texts = tuple(mark.sub(_NUMBER, t or "") for t in (title, kw, body, stems))
        out.append((i, texts, facets.get(rowid, []), ident, mark.sub(_NUMBER, sort_title), box))
    db.close()
    return out


def copies(rows: list[tuple[Any, ...]], n: int) -> Iterator[tuple[Any, ...]]:
    """``n`` mirror rows made from the seed's: copy ``c`` of seed dataset ``i`` is dataset
    ``c * seed + i`` with that number in its title, its own rare word and date."""
    from bench.search_bench import rare

    per = len(rows)
    for rowid in range(1, n + 1):
        c, j = divmod(rowid - 1, per)
        i0, texts, facets, ident, sort_title, box = rows[j]
        i = c * per + i0
        num, word = str(i), rare(i)
        t = tuple(_RARE.sub(word, x.replace(_NUMBER, num)) for x in texts)
        modified = f"20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        keys = (f"{ident}-{c:04d}", modified, sort_title.replace(_NUMBER, num), *box)
        yield rowid, *t, facets, keys


def build_mirror(work: Path, rows: list[tuple[Any, ...]], n: int) -> tuple[Path, float]:
    """A Tantivy mirror of ``n`` documents (kept for the next run); build seconds."""
    from bench.search_bench import N_RARE

    N_RARE[0] = max(1, n // 5)
    path = work / f"mirror-L{mirror_layout.LAYOUT}-{len(rows)}-{n}"
    if (path / "bench.done").exists():
        return path, float((path / "bench.done").read_text())
    t0 = time.perf_counter()
    builder = MirrorBuilder(path)
    for row in copies(rows, n):
        builder.writer.add_document(mirror_layout.document(*row))
    builder.writer.commit()
    builder.writer.wait_merging_threads()
    spent = time.perf_counter() - t0
    (path / "bench.done").write_text(str(spent))
    return path, spent


def open_text(path: Path) -> TantivyText:
    text = TantivyText(path)
    text.index = text._open(fresh=False)
    text.index.reload()
    return text


def expressions(seed: Path, words: list[str]) -> dict[str, str]:
    """The FTS5 expression of each query word, expanded against the vocabulary of the
    seed's mirror (the copies have the same words)."""
    from catalog.search import query as qparse
    from catalog.search.request import SearchQuery
    from catalog.settings import get_settings

    settings = get_settings()
    vocab = open_text(seed.parent / "tantivy").vocabulary()
    out = {}
    for w in words:
        expression = qparse.expand(vocab, SearchQuery.parse(settings, w).terms).expression
        assert expression, w
        out[w] = expression
    return out


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], float]:
    """Wall ms of each run, and the CPU ms per run (every thread of the process)."""
    out = []
    c0 = time.process_time()
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out, (time.process_time() - c0) * 1000 / runs


def cases(
    text: TantivyText, exprs: dict[str, str], rng: random.Random, max_values: int
) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """Each query kind as (the served call, the plain baseline)."""
    from bench.scale_bench import COMMON
    from bench.search_bench import five_facets

    def common() -> str:
        return exprs[rng.choice(COMMON)]

    def pick(words: list[str]) -> Callable[[], str]:
        return lambda: exprs[rng.choice(words)]

    german = pick(["Krankenhaus", "Krebsregister", "Luftqualität"])
    french = pick(["hôpital", "qualité", "forêt"])
    days = mirror_layout.day_bounds("2015-01-01", "2018-12-31")
    box = (0.0, 40.0, 10.0, 50.0)
    health = {"data_space": ["health"]}
    k = 21  # a page of 20 and one more: is there a next page

    def ranked(e: Callable[[], str], f: Callable[[], dict[str, list[str]]], **kw: Any) -> Any:
        return lambda: text.ranked(e(), f(), k, max_values, **kw)

    def lead(e: Callable[[], str], sort: str) -> Any:
        return lambda: text.leading(e(), {}, None, sort, k, max_values)

    def plain(e: Callable[[], str], f: Callable[[], dict[str, list[str]]]) -> Any:
        return lambda: text.match(e(), f())

    none: Callable[[], dict[str, list[str]]] = dict
    facets5 = lambda: five_facets(rng)[0]  # noqa: E731
    return {
        "common word (+ data space)": (
            ranked(common, lambda: health),
            plain(common, lambda: health),
        ),
        "common word + 5 facets": (ranked(common, facets5), plain(common, facets5)),
        "facets only (5)": (
            lambda: text.leading("", five_facets(rng)[0], None, "modified", k, max_values),
            lambda: text.match("", five_facets(rng)[0], scored=False),
        ),
        "bare common word": (ranked(common, none), plain(common, none)),
        "common word sorted by date": (lead(common, "modified"), plain(common, none)),
        "common word sorted by title": (lead(common, "title"), plain(common, none)),
        "common word + date range": (ranked(common, none, days=days), plain(common, none)),
        "bounding box": (
            lambda: text.leading("", {}, None, "modified", k, max_values, box),
            lambda: text.match("", {}, scored=False),
        ),
        "German (Krankenhaus, compound)": (ranked(german, none), plain(german, none)),
        "French (accents)": (ranked(french, none), plain(french, none)),
    }


def parts(text: TantivyText, expression: str, max_values: int, runs: int) -> dict[str, float]:
    """p50 ms of the parts of a bare query: top-k, total alone, the aggregation, and the
    conversion of its buckets."""
    query = text.query(expression)
    searcher = text._idx().searcher()
    try:
        from catalog.search import counted

        spec = counted.spec(max_values)
    except ImportError:  # layout 4, before per-facet columns
        spec = {
            "f": {"terms": {"field": "facet", "size": max_values}},
            "n": {"value_count": {"field": "rowid"}},
        }
    out = {}
    for name, fn in {
        "top-21": lambda: searcher.search(query, limit=21, count=False),
        "count only": lambda: searcher.search(query, limit=1, count=True),
        "aggregation": lambda: searcher.aggregate(query, spec),
        "value_count only": lambda: searcher.aggregate(
            query, {"n": {"value_count": {"field": "rowid"}}}
        ),
    }.items():
        out[name] = round(pct(timed(fn, runs)[0], 0.5), 2)
    out["ranked hits (ties)"] = len(text.ranked(expression, {}, 21, max_values)[0])
    return out


def measure(text: TantivyText, exprs: dict[str, str], runs: int, max_values: int) -> list[str]:
    rng = random.Random(11)
    table = [
        "| query kind | cold p50 / p95 ms | cold CPU ms/query | served p50 / p95 ms "
        "| served CPU ms/query | plain p50 ms | plain / served (p50) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, (ours, base) in cases(text, exprs, rng, max_values).items():

        def cold(ours: Callable[[], object] = ours) -> None:
            kept = getattr(text, "counts", None)  # this version's cache, or layout 4's
            (kept if kept is not None else text._counted).clear()
            ours()

        cold_ms, cold_cpu = timed(cold, runs)
        served, cpu = timed(ours, runs)
        plain, _ = timed(base, max(3, runs // 4))
        table.append(
            f"| {name} | {pct(cold_ms, 0.5):.1f} / {pct(cold_ms, 0.95):.1f} | {cold_cpu:.1f} "
            f"| {pct(served, 0.5):.1f} / {pct(served, 0.95):.1f} | {cpu:.1f} "
            f"| {pct(plain, 0.5):.1f} | {pct(plain, 0.5) / max(pct(served, 0.5), 1e-3):.0f}x |"
        )
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", type=int, default=500_000)
    ap.add_argument("--seed", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--work", type=Path, default=Path("/tmp/text-engine-bench"))
    ap.add_argument("--build-only", action="store_true", help="build the mirror, no timing")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    from bench.scale_bench import COMMON

    seed = seed_index(args.work, args.seed)
    rows = seed_rows(seed)
    path, build_s = build_mirror(args.work, rows, args.datasets)
    if args.build_only:
        return
    text = open_text(path)
    searcher = text._idx().searcher()
    max_values = len({v for r in rows for v in r[2]})
    words = [*COMMON, "Krankenhaus", "Krebsregister", "Luftqualität", "hôpital", "qualité"]
    exprs = expressions(seed, [*words, "forêt"])
    print(
        f"{args.datasets:,} documents from a seed of {len(rows):,}; mirror built in "
        f"{build_s:.0f} s; {searcher.num_segments} segments; {max_values} facet values"
    )
    for w in COMMON[:2]:
        hits = searcher.search(text.query(exprs[w]), limit=1, count=True).count
        print(f"'{w}': {hits:,} matches; parts (p50 ms):", parts(text, exprs[w], max_values, 15))
    print("\n".join(measure(text, exprs, args.runs, max_values)))


if __name__ == "__main__":
    main()
