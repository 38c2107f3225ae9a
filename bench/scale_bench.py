"""The whole-portal benchmark of issue 18: many sources of generated datasets on one machine.

Generates ``--sources`` sources of ``--per-source`` datasets (the multilingual records of
:mod:`bench.search_bench`: titles, descriptions and keywords in two of seven languages, the
demo's four data spaces in equal shares, themes, access rights, countries, formats,
publishers, dates; a bounding box on one in four), then measures, each figure beside its
baseline from the same run:

* graph load (the catalogue's ingest) against a raw pyoxigraph ``bulk_load`` of the same
  Turtle, and the search index build; index memory; disk per dataset against the 1M
  figures of the "Search" section;
* p50/p95 of every query kind (rare word, common word, common word + 5 facets, facets
  only, bare common word, text sorted by date and by title, date range, bounding box, a
  German and a French query) against SPARQL ``FILTER(CONTAINS)`` (text) or triple patterns
  (facets) on the same graph;
* process start to the first correct search and offers answer after a clean restart,
  against a restart without the integrity stamp (the whole-file check, columns read);
* one changed dataset searchable and its offers current after its publish;
* a full offers build (every dataset x lab resolved and stored) against the naive
  per-request evaluation extrapolated from a sample.

Each stage runs in a process of its own (the measuring process's memory is the search's
own, the restart is a real process start). Run:
``.venv/bin/python -m bench.scale_bench --sources 20 --per-source 100000``.
Writes the "Scale" section of bench/RESULTS.md.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # the restart stage measures from here

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

#: The 1M figures of the "Search" section (SQLite + Tantivy MB per million datasets).
DISK_1M_MB = 3239 + 241
PROFILE = ("SME", "DE", "commercial-ai-training")


def _settings(home: str) -> Any:
    from catalog.settings import get_settings

    return get_settings(home=home, max_document_bytes=1 << 31, max_triples=100_000_000)


def source_turtle(k: int, per: int) -> bytes:
    """Source ``k``: the search benchmark's records, one in four with a bounding box."""
    from bench.search_bench import turtle

    start = k * per
    boxes = "".join(
        f"<https://bench.example/ds/{i}> <http://purl.org/dc/terms/spatial> "
        f'[ <http://www.w3.org/ns/dcat#bbox> "POLYGON(({x} {y}, {x + 2} {y}, {x + 2} {y + 2}, '
        f'{x} {y + 2}, {x} {y}))" ] .\n'
        for i in range(start, start + per, 4)
        for x, y in [(-10 + (i * 7) % 40, 35 + (i * 3) % 30)]
    )
    return turtle(start, per, seed=k) + boxes.encode()


# -- stage: load ------------------------------------------------------------------------------
def stage_load(home: str, sources: int, per: int) -> dict[str, Any]:
    import pyoxigraph as ox

    from bench.search_bench import N_RARE
    from catalog.service import Catalogue

    N_RARE[0] = max(1, sources * per // 5)
    spent = {k: [0.0, 0.0] for k in ("ingest", "raw", "raw_named")}  # wall, CPU

    @contextmanager
    def measure(kind: str) -> Iterator[None]:
        t0, c0 = time.perf_counter(), cpu_s()
        yield
        spent[kind][0] += time.perf_counter() - t0
        spent[kind][1] += cpu_s() - c0

    with tempfile.TemporaryDirectory() as rawdir, tempfile.TemporaryDirectory() as nameddir:
        store, named = ox.Store(rawdir), ox.Store(nameddir)
        with Catalogue.open(_settings(home)) as cat:
            for k in range(sources):
                data = source_turtle(k, per)
                with measure("ingest"):
                    cat.load(data, fmt="turtle", source=f"bench-{k}", replace=True)
                with measure("raw"):
                    store.bulk_load(data, ox.RdfFormat.TURTLE)
                # the same quads as the catalogue stores them: in a named graph per source
                with measure("raw_named"):
                    named.bulk_load(
                        data, ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f"urn:bench:g:{k}")
                    )
        triples = len(store)
        del store, named
    out: dict[str, Any] = {"triples": triples}
    for kind, (wall, cpu) in spent.items():
        out[f"{kind}_s"], out[f"{kind}_cpu_s"] = wall, cpu
    return out


def cpu_s(children: bool = False) -> float:
    """CPU seconds (user + system) of this process, or of its ended child processes (the
    search build's writer process): the machine may be shared, wall time alone misleads."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


# -- stage: measure ---------------------------------------------------------------------------
COMMON = ["hospital", "qualite", "szpitale", "energia", "patients"]


def query_cases(service: Any, n: int, rng: random.Random) -> dict[str, Callable[[], object]]:
    """Every query kind of issue 18, each a call drawing its words from ``rng``."""
    from bench.search_bench import five_facets, rare

    common = COMMON

    def common_facets() -> dict[str, list[str]]:
        return five_facets(rng)[0]

    return {
        "rare word": lambda: service.search(rare(rng.randrange(n)), fresh=False),
        "common word (+ data space)": lambda: service.search(
            rng.choice(common), filters={"data_space": ["health"]}, fresh=False
        ),
        "common word + 5 facets": lambda: service.search(
            rng.choice(common), filters=common_facets(), fresh=False
        ),
        "facets only (5)": lambda: service.search("", filters=common_facets(), fresh=False),
        "bare common word": lambda: service.search(rng.choice(common), fresh=False),
        "common word sorted by date": lambda: service.search(
            rng.choice(common), sort="modified", fresh=False
        ),
        "common word sorted by title": lambda: service.search(
            rng.choice(common), sort="title", fresh=False
        ),
        "common word + date range": lambda: service.search(
            rng.choice(common),
            modified_from="2015-01-01",
            modified_to="2018-12-31",
            fresh=False,
        ),
        "bounding box": lambda: service.search("", bbox=(0.0, 40.0, 10.0, 50.0), fresh=False),
        "German (Krankenhaus, compound)": lambda: service.search(
            rng.choice(["Krankenhaus", "Krebsregister", "Luftqualität"]), fresh=False
        ),
        "French (accents)": lambda: service.search(
            rng.choice(["hôpital", "qualité", "forêt"]), fresh=False
        ),
    }


# -- stage: memory ----------------------------------------------------------------------------
def stage_memory(home: str, n: int, per: int, runs: int, offers_id: str) -> dict[str, Any]:
    """The index memory of a serving process that opens the built index (no build in it:
    a build leaves its projection's garbage in the process that ran it), after ``runs`` of
    every query kind (timed: the queries as a restarted server answers them); then the
    first change such a process makes searchable, and what a restart must answer after
    it (:func:`restart_answer`, with ``offers_id``'s offers)."""
    from bench.search_bench import N_RARE, current_rss_mb, pct, timed, turtle
    from catalog.long_lived import freeze_long_lived
    from catalog.offers.live import LiveOffers
    from catalog.search import SearchService
    from catalog.service import Catalogue

    N_RARE[0] = max(1, n // 5)
    with Catalogue.open(_settings(home)) as cat:
        freeze_long_lived()  # as the API's start-up does (api/app.py), before its index opens
        before = current_rss_mb()
        service = SearchService.open(cat)
        opened = current_rss_mb()
        rng = random.Random(12)
        served = {}
        for name, fn in query_cases(service, n, rng).items():
            first = timed(fn, 1)[0] * 1000
            ours = timed(fn, runs)
            served[name] = [pct(ours, 0.5), pct(ours, 0.95), first]
        after = current_rss_mb()
        # the first change of a restarted process (its facet columns mapped from disk)
        i = rng.randrange(n)
        tag = f"zzrestarted{os.getpid()}x"  # a change on a kept catalogue's every rerun too
        t0 = time.perf_counter()
        cat.load(turtle(i, 1, seed=98, tag=tag), fmt="turtle", source=f"bench-{i // per}")
        published_s = time.perf_counter() - t0
        found = service.search(f"{tag}{i}", fresh=True).total
        change_s = time.perf_counter() - t0
        live = LiveOffers(cat, follow=False)
        expected = restart_answer(service, live, offers_id)
        live.close()
        service.close()
    return {
        "open_mb": opened - before,
        "serving_mb": after - before,
        "served": served,
        "restart_change_s": change_s,
        "restart_change_published_s": published_s,
        "restart_change_ok": found == 1,
        "expected": expected,
    }


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def stage_measure(home: str, n: int, per: int, runs: int, sparql_runs: int) -> dict[str, Any]:
    from bench.search_bench import (
        N_RARE,
        current_rss_mb,
        five_facets,
        pct,
        rare,
        sparql_facets,
        sparql_text,
        timed,
        turtle,
    )
    from catalog.ids import dataset_id
    from catalog.labs import load_registry
    from catalog.long_lived import freeze_long_lived
    from catalog.offers import RequesterProfile, offers_for
    from catalog.offers.live import LiveOffers
    from catalog.offers.stored import OfferStore
    from catalog.search import SearchService
    from catalog.search.providers import OfferFacets, sample_facets
    from catalog.service import Catalogue

    N_RARE[0] = max(1, n // 5)
    out: dict[str, Any] = {}
    with Catalogue.open(_settings(home)) as cat:
        load_registry(cat)  # as a deployment has them: the build gives each dataset's labs
        rss_before = current_rss_mb()
        t0, c0, w0 = time.perf_counter(), cpu_s(), cpu_s(children=True)
        service = SearchService.open(cat, (sample_facets, OfferFacets()))  # as the API's
        out["build_s"] = time.perf_counter() - t0
        out["build_cpu_s"] = cpu_s() - c0
        out["build_writer_cpu_s"] = cpu_s(children=True) - w0
        freeze_long_lived(collect=True)  # as the API does after its first build (api/services.py)
        folder = service.folder
        rng = random.Random(11)
        common = COMMON

        cases = query_cases(service, n, rng)
        base: dict[str, Callable[[], object]] = {
            "rare word": lambda: sparql_text(cat, rare(rng.randrange(n)), {}),
            "common word (+ data space)": lambda: sparql_text(
                cat, rng.choice(common), {str(_DS): "https://w3id.org/datalab/dataspace/health"}
            ),
            "common word + 5 facets": lambda: sparql_text(
                cat, rng.choice(common), five_facets(rng)[1]
            ),
            "facets only (5)": lambda: sparql_facets(cat, five_facets(rng)[1]),
            "bare common word": lambda: sparql_text(cat, rng.choice(common), {}),
            "German (Krankenhaus, compound)": lambda: sparql_text(cat, "krankenh", {}),
            "French (accents)": lambda: sparql_text(cat, "qualit", {}),
        }
        for name in ("sorted by date", "sorted by title", "+ date range"):
            base[f"common word {name}"] = base["bare common word"]
        base["bounding box"] = base["facets only (5)"]
        rows = []
        for name, fn in cases.items():
            first = timed(fn, 1)[0] * 1000  # after the build: ranks, postings made once
            ours = timed(fn, runs)
            theirs = timed(base[name], sparql_runs) if sparql_runs else []
            sparql = pct(theirs, 0.5) if theirs else float("nan")  # --sparql-runs 0: not run
            rows.append([name, pct(ours, 0.5), pct(ours, 0.95), sparql, first])
        out["queries"] = rows
        out["index_mb"] = current_rss_mb() - rss_before
        out["sqlite_mb"] = service.index.path.stat().st_size / 1e6
        out["tantivy_mb"] = folder_mb(folder / "tantivy")
        # offers: every dataset x lab resolved and stored, then the naive per-request path;
        # on a kept home rerun by hand the offers of an earlier run are stored already, and
        # starting only catches up with the feed: not a build, and reported as such
        out["offers_built"] = OfferStore(cat.database).state() is None
        t0 = time.perf_counter()
        live = LiveOffers.start(cat, background=False)
        out["offers_build_s"] = time.perf_counter() - t0
        out["offers_pairs"] = len(live.index.terms) * len(live.index.labs)
        out["offers_records_read"] = live.follower.records_read
        profile = RequesterProfile.parse(*PROFILE)
        sample = [dataset_id(f"https://bench.example/ds/{i}") for i in rng.sample(range(n), 20)]
        naive = timed(lambda: offers_for(cat, sample[rng.randrange(20)], profile), 20)
        out["offers_naive_s"] = sum(naive) / len(naive) * n
        # one change: searchable and its offers current after the publish
        i = rng.randrange(per)  # a dataset of source bench-0 (its first ``per``)
        ident = dataset_id(f"https://bench.example/ds/{i}")
        changed = (
            turtle(i, 1, seed=99, tag="zzchanged")
            .replace(b"access-right/PUBLIC", b"access-right/NON_PUBLIC")
            .replace(b"ar:PUBLIC", b"ar:NON_PUBLIC")
        )
        changed = changed.replace(b"ar:RESTRICTED", b"ar:NON_PUBLIC")
        t0 = time.perf_counter()
        cat.load(changed, fmt="turtle", source="bench-0")  # publish: both listeners run
        found = service.search(f"zzchanged{i}", fresh=True).total
        after = [(o.lab.id, o.verdict) for o in live.dataset_offers(ident).offers]
        out["change_s"] = time.perf_counter() - t0
        truth = [(o.lab.id, o.verdict) for o in offers_for(cat, ident).offers]  # direct
        out["change_ok"] = found == 1 and after == truth
        out["expected"] = restart_answer(service, live, ident)
        live.close()
        service.close()
    out["columns_mb"] = folder_mb(folder / "columns")
    return out


_DS = "https://w3id.org/datalab/ns#dataSpace"


# -- stage: restart ---------------------------------------------------------------------------
def restart_answer(service: Any, live: Any, ident: str) -> dict[str, Any]:
    """What a restart must answer (:func:`stage_restart`): a search and ``ident``'s offers."""
    probe = service.search("hospital", filters={"data_space": ["health"]}, fresh=True)
    return {
        "total": probe.total,
        "ids": [h.id for h in probe.items],
        "offers_id": ident,
        "offers": [o.verdict for o in live.dataset_offers(ident).offers],
    }


def stage_restart(home: str, expected: dict[str, Any]) -> dict[str, Any]:
    from catalog.offers.live import LiveOffers
    from catalog.search import SearchService
    from catalog.service import Catalogue

    with Catalogue.open(_settings(home)) as cat:
        service = SearchService.open(cat)
        got = service.search("hospital", filters={"data_space": ["health"]}, fresh=True)
        search_s = time.perf_counter() - STARTED
        ok = got.total == expected["total"] and [h.id for h in got.items] == expected["ids"]
        verified = service.index.verified
        live = LiveOffers(cat, follow=False)
        offers = [o.verdict for o in live.dataset_offers(expected["offers_id"]).offers]
        offers_s = time.perf_counter() - STARTED
        ok = ok and offers == expected["offers"]
        live.close()
        service.close()
    return {"search_s": search_s, "offers_s": offers_s, "ok": ok, "verified": verified}


def _run(stage: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale_bench", "--stage", stage, *args],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@contextmanager
def _home(keep: str | None) -> Iterator[str]:
    if keep is None:
        with tempfile.TemporaryDirectory() as home:
            yield home
        return
    folder = Path(keep)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise SystemExit(f"--keep {keep}: the folder is not empty")
    yield str(folder)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, default=20)
    ap.add_argument("--per-source", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--sparql-runs", type=int, default=1)
    ap.add_argument("--stage", choices=["load", "measure", "restart", "memory"])
    ap.add_argument("--home")
    ap.add_argument("--expected", help="the restart stage: what it must answer (JSON)")
    ap.add_argument("--offers-id", help="the memory stage: the dataset whose offers it probes")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument(
        "--keep",
        metavar="FOLDER",
        help="build the catalogue in FOLDER (new or empty) and leave it there, to profile "
        "against afterwards (default: a temporary folder, removed)",
    )
    args = ap.parse_args()
    n = args.sources * args.per_source
    if args.stage == "load":
        print(json.dumps(stage_load(args.home, args.sources, args.per_source)))
        return
    if args.stage == "measure":
        measured = stage_measure(args.home, n, args.per_source, args.runs, args.sparql_runs)
        print(json.dumps(measured))
        return
    if args.stage == "memory":
        print(json.dumps(stage_memory(args.home, n, args.per_source, args.runs, args.offers_id)))
        return
    if args.stage == "restart":
        print(json.dumps(stage_restart(args.home, json.loads(args.expected))))
        return
    common = ["--sources", str(args.sources), "--per-source", str(args.per_source)]
    with _home(args.keep) as home:
        t0 = time.perf_counter()
        load = _run("load", "--home", home, *common)
        load_wall = time.perf_counter() - t0
        measured = _run(
            "measure", "--home", home, *common, "--runs", str(args.runs),
            "--sparql-runs", str(args.sparql_runs),
        )  # fmt: skip
        expected = measured["expected"]
        fast = _run("restart", "--home", home, "--expected", json.dumps(expected))
        # the serving process before the plain restart, whose whole-file check would push
        # the index out of the page cache; its change moves what a restart must answer
        memory = _run(
            "memory", "--home", home, *common, "--runs", str(args.runs),
            "--offers-id", expected["offers_id"],
        )  # fmt: skip
        search = Path(home) / "search"
        (search / "index.sqlite.stamp").unlink(missing_ok=True)  # the plain restart
        plain = _run("restart", "--home", home, "--expected", json.dumps(memory.pop("expected")))
    measured.update(memory)
    body = report(args, n, load, load_wall, measured, fast, plain)
    print(body)
    if not args.no_write:
        from bench.results import write_section

        write_section("Scale", body)


#: Said of the offers figure when the stage found offers stored (a kept home rerun).
CAUGHT_UP = " (NOT a build: the offers of an earlier run were stored, only caught up)"


def report(
    args: argparse.Namespace,
    n: int,
    load: dict[str, Any],
    load_wall: float,
    m: dict[str, Any],
    fast: dict[str, Any],
    plain: dict[str, Any],
) -> str:
    disk_mb = m["sqlite_mb"] + m["tantivy_mb"]
    per_ds = disk_mb / n * 1e6 / 1e3  # kB per dataset
    per_ds_1m = DISK_1M_MB / 1e6 * 1e6 / 1e3
    lines = [
        f"Command: `.venv/bin/python -m bench.scale_bench --sources {args.sources} "
        f"--per-source {args.per_source} --runs {args.runs}`",
        "",
        f"**{n:,} datasets** in {args.sources} sources of {args.per_source:,} "
        f"({load['triples']:,} triples); each query kind {args.runs} runs, SPARQL "
        f"{args.sparql_runs} run(s).",
        "",
        "| measurement | figure | baseline (same run) | ratio |",
        "|---|---|---|---|",
        f"| graph load (catalogue ingest; CPU {load['ingest_cpu_s']:.1f} s) | "
        f"{load['ingest_s']:.1f} s | raw `bulk_load` into the default graph "
        f"{load['raw_s']:.1f} s (CPU {load['raw_cpu_s']:.1f} s) | "
        f"{load['raw_s'] / load['ingest_s']:.0%} of raw speed (CPU "
        f"{load['raw_cpu_s'] / load['ingest_cpu_s']:.0%}) |",
        f"| graph load, against the same quads (a named graph per source, as stored) | "
        f"{load['ingest_s']:.1f} s | raw `bulk_load(to_graph=...)` "
        f"{load['raw_named_s']:.1f} s (CPU {load['raw_named_cpu_s']:.1f} s) | "
        f"{load['raw_named_s'] / load['ingest_s']:.0%} of raw speed (CPU "
        f"{load['raw_named_cpu_s'] / load['ingest_cpu_s']:.0%}) |",
        f"| index build (CPU: this process {m['build_cpu_s']:.1f} s, writer process "
        f"{m['build_writer_cpu_s']:.1f} s) | {m['build_s']:.1f} s | | |",
        f"| graph load + index build | {(load['ingest_s'] + m['build_s']) / 60:.1f} min "
        "| target ≤ 15 min at 2M | |",
        f"| index memory (the process that built the index, after every query kind) | "
        f"{m['index_mb']:.0f} MB | target ≤ 2 GB | |",
        f"| index memory (a serving process opening the built index, after every query "
        f"kind; {m['open_mb']:.0f} MB at open) | {m['serving_mb']:.0f} MB | target ≤ 2 GB | |",
        f"| disk per dataset (SQLite {m['sqlite_mb']:.0f} MB + Tantivy {m['tantivy_mb']:.0f} "
        f"MB; columns saved at close {m['columns_mb']:.0f} MB more) | {per_ds:.2f} kB | 1M "
        f"figures {per_ds_1m:.2f} kB | {per_ds / per_ds_1m:.2f}x |",
        f"| first correct search after a clean restart (process start) | "
        f"{fast['search_s']:.2f} s ({fast['verified']}) | without the stamp "
        f"{plain['search_s']:.2f} s ({plain['verified']}) | "
        f"{plain['search_s'] / fast['search_s']:.1f}x faster |",
        f"| first correct offers answer after the restart (process start) | "
        f"{fast['offers_s']:.2f} s | without the stamp {plain['offers_s']:.2f} s | |",
        f"| answers after restart correct | {fast['ok'] and plain['ok']} | | |",
        f"| one changed dataset searchable and its offers current after publish | "
        f"{m['change_s']:.2f} s ({'ok' if m['change_ok'] else 'NOT current'}) | target ≤ 1 s "
        "| |",
        f"| the first change of a restarted process (its facet columns mapped from disk), "
        f"searchable after publish | {m['restart_change_s']:.2f} s "
        f"({'ok' if m['restart_change_ok'] else 'NOT found'}; the publish "
        f"{m['restart_change_published_s']:.2f} s of it) | target ≤ 1 s | |",
        f"| full offers build ({m['offers_pairs']:,} dataset x lab offers resolved and "
        f"stored; {m.get('offers_records_read', 'n/a')} records read from the RDF store, the "
        f"rest copied from the facts the search build stored) | {m['offers_build_s']:.1f} s"
        f"{'' if m.get('offers_built', True) else CAUGHT_UP} "
        "| naive per request "
        f"{m['offers_naive_s']:.0f} s (extrapolated from 20) | "
        f"{m['offers_naive_s'] / m['offers_build_s']:.0f}x |",
        "",
        "Query times in two processes: a serving process that opened the built index (as a "
        "server does after a restart: what users meet) and the process that built it, "
        "right after the build (its heap still holds the build's).",
        "",
        "| query kind | serving: first run ms | serving: p50 ms | serving: p95 ms | "
        "building process: first run ms | p50 ms | p95 ms | SPARQL p50 ms | speed-up (p50, "
        "serving) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    served = m.get("served", {})
    for name, p50, p95, sparql, first in m["queries"]:
        s50, s95, sfirst = served.get(name, [float("nan")] * 3)
        baseline = "not run" if sparql != sparql else f"{sparql:.0f}"  # NaN: not run
        ratio = "" if sparql != sparql else f"{sparql / max(s50, 1e-3):.0f}x"
        lines.append(
            f"| {name} | {sfirst:.0f} | {s50:.1f} | {s95:.1f} | {first:.0f} | {p50:.1f} | "
            f"{p95:.1f} | {baseline} | {ratio} |"
        )
    lines += [
        "",
        f"Wall time of the load stage {load_wall:.0f} s. The SPARQL baseline of the sorted, "
        "date-range and bounding-box kinds is the unsorted text (or facet) query: SPARQL "
        "answers none of them faster than that. The first run of each kind is reported "
        "apart: after an index change the first query of a kind builds the sort ranks or "
        "the postings by facet value once. p50/p95 include repeats of the same few words, "
        "whose total and facet counts are kept between requests "
        "(catalog/search/tantivy_text.py, `counting`; catalog/search/counted.py).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
