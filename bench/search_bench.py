"""Search benchmark: the search index against SPARQL FILTER queries on the same graph.

Generates a multilingual DCAT-AP catalogue (titles, descriptions, keywords in two of seven
languages; theme, data space, access rights, country, format, publisher, licence, dates),
loads it into a real on-disk catalogue, then measures in the same run:

* index build (``SearchService.rebuild``) throughput, index size, process peak RSS;
* p50/p95 of rare-term, common-term, common-term + five facets, and facet-only queries
  (each answer includes the first page, the total and all facet counts);
* the SPARQL baseline on the same graph: a FILTER(CONTAINS) text query (first page and
  count, no facet counts) and a facet-only query with the same constraints;
* incremental update: upsert of 1,000 datasets into a big source (partial re-projection)
  and replacement of a 1,000-dataset source;
* with ``--engines``: SQLite FTS5 vs DuckDB FTS vs Tantivy on the same generated texts.

Run: ``.venv/bin/python -m bench.search_bench --datasets 100000 [--engines]``;
``--million`` runs 1,000,000 datasets. Writes the "Search" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.results import write_section
from catalog.graphs import CURRENT_GRAPHS
from catalog.namespaces import DCAT, DCT, DLAB
from catalog.search import SearchService
from catalog.service import Catalogue
from catalog.settings import get_settings

LANGS = ["en", "de", "fr", "pl", "el", "it", "es"]
WORDS = {
    "en": [
        "hospital",
        "admissions",
        "air",
        "quality",
        "corpus",
        "speech",
        "forest",
        "soil",
        "river",
        "traffic",
        "energy",
        "school",
        "census",
        "crop",
        "weather",
        "patient",
        "cancer",
        "registry",
    ],
    "de": [
        "Krankenhäuser",
        "Aufnahmen",
        "Luftqualität",
        "Sprachkorpus",
        "Wald",
        "Boden",
        "Verkehr",
        "Energie",
        "Schule",
        "Volkszählung",
        "Wetter",
        "Patienten",
        "Krebsregister",
    ],
    "fr": [
        "hôpitaux",
        "admissions",
        "qualité",
        "corpus",
        "forêt",
        "sols",
        "rivière",
        "trafic",
        "énergie",
        "école",
        "recensement",
        "météo",
        "patients",
    ],
    "pl": [
        "szpitale",
        "przyjęcia",
        "jakość",
        "powietrza",
        "korpus",
        "lasy",
        "gleba",
        "rzeka",
        "ruch",
        "energia",
        "szkoła",
        "pogoda",
        "pacjenci",
    ],
    "el": [
        "νοσοκομεία",
        "εισαγωγές",
        "ποιότητα",
        "αέρα",
        "δάση",
        "έδαφος",
        "ποτάμι",
        "κυκλοφορία",
        "ενέργεια",
        "σχολείο",
        "καιρός",
        "ασθενείς",
    ],
    "it": [
        "ospedali",
        "ricoveri",
        "qualità",
        "aria",
        "foreste",
        "suolo",
        "fiume",
        "traffico",
        "energia",
        "scuola",
        "meteo",
        "pazienti",
    ],
    "es": [
        "hospitales",
        "ingresos",
        "calidad",
        "aire",
        "bosques",
        "suelo",
        "río",
        "tráfico",
        "energía",
        "escuela",
        "tiempo",
        "pacientes",
    ],
}
THEMES = ["HEAL", "ENVI", "EDUC", "TECH", "AGRI", "ECON", "SOCI", "TRAN"]
SPACES = ["health", "language", "earth-observation", "research"]
RIGHTS = ["PUBLIC", "PUBLIC", "RESTRICTED", "NON_PUBLIC"]
COUNTRIES = ["DEU", "FRA", "POL", "GRC", "ITA", "ESP", "NLD", "AUT", "BEL", "IRL"]
FORMATS = ["CSV", "JSON", "PARQUET", "XML", "GEOJSON"]
HEAD = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix dlab: <https://w3id.org/datalab/ns#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix th: <http://publications.europa.eu/resource/authority/data-theme/> .
@prefix ar: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix co: <http://publications.europa.eu/resource/authority/country/> .
@prefix ft: <http://publications.europa.eu/resource/authority/file-type/> .
@prefix lic: <http://publications.europa.eu/resource/authority/licence/> .
"""


def rare(i: int) -> str:
    """A rare term: shared by about five datasets."""
    return f"zq{(i * 7919) % max(1, N_RARE[0])}x"


N_RARE = [20_000]


def turtle(start: int, count: int, seed: int, tag: str = "") -> bytes:
    rng = random.Random(seed)
    out = [HEAD]
    for i in range(start, start + count):
        langs = rng.sample(LANGS, 2)
        parts = [f"<https://bench.example/ds/{i}> a dcat:Dataset"]
        for lang in langs:
            words = WORDS[lang]
            title = " ".join(rng.choice(words) for _ in range(4))
            desc = " ".join(rng.choice(words) for _ in range(18))
            parts.append(f'dct:title "{title} {tag}{i}"@{lang}')
            parts.append(f'dct:description "{desc} {rare(i)}"@{lang}')
            parts.append(f'dcat:keyword "{rng.choice(words)}"@{lang}')
        parts += [
            f"dcat:theme th:{rng.choice(THEMES)}",
            f"dlab:dataSpace <https://w3id.org/datalab/dataspace/{rng.choice(SPACES)}>",
            f"dct:accessRights ar:{rng.choice(RIGHTS)}",
            f"dct:spatial co:{rng.choice(COUNTRIES)}",
            f"dct:publisher <https://bench.example/agent/{rng.randrange(500)}>",
            "dct:license lic:CC_BY_4_0",
            f'dct:modified "20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}"^^xsd:date',
            f"dcat:distribution [ a dcat:Distribution ; dct:format ft:{rng.choice(FORMATS)} ]",
        ]
        out.append(" ;\n  ".join(parts) + " .\n")
    return "".join(out).encode()


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * q))] * 1000


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def rss_mb() -> float:
    """Peak RSS of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    """Peak RSS of the largest finished child process (the build's writer), MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def current_rss_mb() -> float:
    """RSS of this process now, MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sparql_text(cat: Catalogue, term: str, facets: dict[str, str]) -> None:
    pats = "".join(f" ; <{p}> <{v}>" for p, v in facets.items())
    where = (
        f"{CURRENT_GRAPHS} GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id{pats} . "
        f"VALUES ?p {{ <{DCT.title}> <{DCT.description}> <{DCAT.keyword}> }} ?d ?p ?t "
        f'FILTER(CONTAINS(LCASE(STR(?t)), "{term}")) }}'
    )
    cat.store.select(f"SELECT DISTINCT ?id WHERE {{ {where} }} ORDER BY ?id LIMIT 20")
    cat.store.select(f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ {where} }}")


def sparql_facets(cat: Catalogue, facets: dict[str, str]) -> None:
    pats = "".join(f" ; <{p}> <{v}>" for p, v in facets.items())
    where = f"{CURRENT_GRAPHS} GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id{pats} }}"
    cat.store.select(f"SELECT ?id WHERE {{ {where} }} ORDER BY ?id LIMIT 20")
    cat.store.select(f"SELECT (COUNT(?d) AS ?n) WHERE {{ {where} }}")


def five_facets(rng: random.Random) -> tuple[dict[str, list[str]], dict[str, str]]:
    space, theme, country = rng.choice(SPACES), rng.choice(THEMES), rng.choice(COUNTRIES)
    right = rng.choice(["PUBLIC", "RESTRICTED"])
    ours = {
        "data_space": [space],
        "theme": [theme],
        "country": [country],
        "access": [right.lower()],
        "licence": ["CC_BY_4_0"],
    }
    eu = "http://publications.europa.eu/resource/authority/"
    sparql = {
        str(DLAB.dataSpace): f"https://w3id.org/datalab/dataspace/{space}",
        str(DCAT.theme): f"{eu}data-theme/{theme}",
        str(DCT.spatial): f"{eu}country/{country}",
        str(DCT.accessRights): f"{eu}access-right/{right}",
        str(DCT.license): f"{eu}licence/CC_BY_4_0",
    }
    return ours, sparql


def load_graph(n: int, home: str, chunk: int) -> None:
    """Generate and load the catalogue (run in a child process, so the measuring process's
    peak memory is the search's own, not the graph load's)."""
    N_RARE[0] = max(1, n // 5)
    settings = get_settings(home=home, max_document_bytes=1 << 31, max_triples=50_000_000)
    with Catalogue.open(settings) as cat:
        for k, start in enumerate(range(0, n, chunk)):
            data = turtle(start, min(chunk, n - start), seed=k)
            cat.load(data, fmt="turtle", source=f"bench-{k}", replace=True)


def run(n: int, runs: int, sparql_runs: int, chunk: int, text_engine: str | None) -> list[str]:
    """Load ``n`` datasets in one child process, measure in another (so each figure of
    memory is the search's own: no graph load, no other size in the same process)."""
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bench.search_bench", "--load-only", str(n), home,
             "--chunk", str(chunk)],
            check=True,
        )  # fmt: skip
        load_s = time.perf_counter() - t0
        out = subprocess.run(
            [sys.executable, "-m", "bench.search_bench", "--measure", str(n), home,
             "--chunk", str(chunk), "--runs", str(runs), "--sparql-runs", str(sparql_runs),
             *(["--text-engine", text_engine] if text_engine else [])],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    lines = json.loads(out.stdout.strip().splitlines()[-1])
    lines[0] += f"; loading the graph took {load_s:.0f} s (not part of the targets)."
    return lines


def measure(
    n: int, home: str, runs: int, sparql_runs: int, chunk: int, text_engine: str | None
) -> list[str]:
    N_RARE[0] = max(1, n // 5)
    lines: list[str] = []
    extra = {"search_text_engine": text_engine} if text_engine else {}
    settings = get_settings(home=home, max_document_bytes=1 << 31, max_triples=50_000_000, **extra)
    with Catalogue.open(settings) as cat:
        rss_before = current_rss_mb()
        service = SearchService(cat)
        t0 = time.perf_counter()
        built = service.rebuild()
        build_s = time.perf_counter() - t0
        service.sync()
        cat.on_publish.append(service.on_publish)
        size_mb = service.index.path.stat().st_size / 1e6
        peak_build, writer_peak = rss_mb(), children_peak_mb()
        tantivy_mb = (
            sum(f.stat().st_size for f in service.text.path.rglob("*") if f.is_file()) / 1e6
            if service.text is not None
            else 0.0
        )
        rng = random.Random(11)
        common = ["hospital", "qualite", "szpitale", "energia", "patients"]
        cases: dict[str, Callable[[], object]] = {}
        cases["rare term"] = lambda: service.search(rare(rng.randrange(n)), fresh=False)
        cases["common term"] = lambda: service.search(rng.choice(common), fresh=False)
        cases["common term + 5 facets"] = lambda: service.search(
            rng.choice(common), filters=five_facets(rng)[0], fresh=False
        )
        # what people type: a part of a German compound, French words without accents
        german = ["Krebs", "Krankenhaus", "Luftqualitat", "Sprachkorpora", "Klinik"]
        french = ["hopitaux", "foret", "riviere", "ecole", "meteo", "energie"]
        cases["German compound part"] = lambda: service.search(rng.choice(german), fresh=False)
        cases["French without accents"] = lambda: service.search(rng.choice(french), fresh=False)
        cases["facet-only (5 facets)"] = lambda: service.search(
            "", filters=five_facets(rng)[0], fresh=False
        )
        cases["freshness check (sync)"] = service.sync
        base: dict[str, Callable[[], object]] = {
            "rare term": lambda: sparql_text(cat, rare(rng.randrange(n)), {}),
            "common term": lambda: sparql_text(cat, rng.choice(common), {}),
            "common term + 5 facets": lambda: sparql_text(
                cat, rng.choice(common), five_facets(rng)[1]
            ),
            "facet-only (5 facets)": lambda: sparql_facets(cat, five_facets(rng)[1]),
        }
        table = [
            "| query | search p50 ms | search p95 ms | SPARQL p50 ms | SPARQL p95 ms "
            "| speed-up (p50) |",
            "|---|---|---|---|---|---|",
        ]
        ours_by_case = {name: timed(fn, runs) for name, fn in cases.items()}
        serving_rss = current_rss_mb()  # columns loaded, every query kind run once
        for name, ours in ours_by_case.items():
            if name in base:
                theirs = timed(base[name], sparql_runs)
                table.append(
                    f"| {name} | {pct(ours, 0.5):.1f} | {pct(ours, 0.95):.1f} | "
                    f"{pct(theirs, 0.5):.0f} | {pct(theirs, 0.95):.0f} | "
                    f"{pct(theirs, 0.5) / max(pct(ours, 0.5), 1e-3):.0f}x |"
                )
            else:
                table.append(
                    f"| {name} | {pct(ours, 0.5):.1f} | {pct(ours, 0.95):.1f} | n/a | n/a | |"
                )
        # incremental: 1,000 datasets of the first (big) source re-projected, the path
        # an upsert or delete of 1,000 datasets takes through the publish hook
        rows = service.index.db().execute("SELECT id FROM docs WHERE source = 'bench-0' LIMIT 1000")
        changed = [r[0] for r in rows]
        t0 = time.perf_counter()
        service.refresh(changed)
        upsert_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        cat.load(turtle(n, 1000, seed=5), fmt="turtle", source="bench-small", replace=True)
        small_s = time.perf_counter() - t0
        assert service.search(f"{n}", fresh=False).total >= 1
        columns_mb = service.columns.stats()["bytes"] / 1e6
        service.close()
    lines += [
        f"**{n:,} datasets**, text engine {settings.search_text_engine} "
        f"({-(-n // chunk)} sources of up to {chunk:,}, SPARQL baseline {sparql_runs} "
        f"run(s) per query kind)",
        "",
        f"- index build: {built:,} datasets in {build_s:.1f} s "
        f"({built / build_s:,.0f} datasets/s); SQLite file {size_mb:.0f} MB, Tantivy "
        f"{tantivy_mb:.0f} MB on disk; in-memory facet columns {columns_mb:.0f} MB",
        f"- memory (the graph was loaded by another process): the serving process holds "
        f"{rss_before:.0f} MB with the store open and **{serving_rss:.0f} MB** once the index "
        f"is open and every query kind has run (index memory: {serving_rss - rss_before:.0f} "
        f"MB); during the build its peak was {peak_build:.0f} MB and the build's writer "
        f"process peaked at {writer_peak:.0f} MB; peak {rss_mb():.0f} MB at the end, after "
        f"the SPARQL baseline and the updates",
        f"- index update for 1,000 changed datasets of a {min(chunk, n):,}-dataset source "
        f"(the publish hook's partial path): {upsert_s:.2f} s",
        f"- new 1,000-dataset source, load + index through the publish hook: {small_s:.1f} s",
        "",
        *table,
        "",
    ]
    return lines


def engines(n: int, runs: int) -> list[str]:
    """Text-only comparison of the three candidate engines on the same generated texts."""
    import sqlite3

    import duckdb
    import tantivy

    N_RARE[0] = max(1, n // 5)
    rng = random.Random(3)
    docs = []
    for i in range(n):
        lang = rng.choice(LANGS)
        words = WORDS[lang]
        text = " ".join(rng.choice(words) for _ in range(22))
        docs.append((i, " ".join(rng.choice(words) for _ in range(4)), f"{text} {rare(i)}"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # SQLite FTS5
        t0 = time.perf_counter()
        db = sqlite3.connect(Path(tmp) / "s.db")
        db.execute("CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize='unicode61')")
        db.executemany("INSERT INTO f(rowid, title, body) VALUES (?,?,?)", docs)
        db.commit()
        build = time.perf_counter() - t0

        def sq(term: str) -> None:
            q = f'"{term}"'
            db.execute(
                "SELECT rowid FROM f WHERE f MATCH ? ORDER BY rank LIMIT 20", (q,)
            ).fetchall()
            db.execute("SELECT count(*) FROM f WHERE f MATCH ?", (q,)).fetchone()

        rows.append(("SQLite FTS5 (stdlib)", build, sq))
        # DuckDB FTS, extension from its PyPI package
        t0 = time.perf_counter()
        import duckdb_extension_fts as fts_pkg

        con = duckdb.connect(str(Path(tmp) / "d.duckdb"))
        ext = next((Path(fts_pkg.__file__).parent / "extensions").rglob("fts.duckdb_extension"))
        con.execute(f"LOAD '{ext}'")
        import pyarrow as pa

        cols = list(zip(*docs, strict=True))
        arrow = pa.table({"id": cols[0], "title": cols[1], "body": cols[2]})
        con.register("arrow_docs", arrow)
        con.execute("CREATE TABLE docs AS SELECT * FROM arrow_docs")
        con.execute("PRAGMA create_fts_index('docs', 'id', 'title', 'body', stemmer='none')")
        build = time.perf_counter() - t0

        def dq(term: str) -> None:
            con.execute(
                "SELECT id FROM (SELECT id, fts_main_docs.match_bm25(id, ?) AS s FROM docs) "
                "WHERE s IS NOT NULL ORDER BY s DESC LIMIT 20",
                [term],
            ).fetchall()
            con.execute(
                "SELECT count(*) FROM (SELECT fts_main_docs.match_bm25(id, ?) AS s FROM docs) "
                "WHERE s IS NOT NULL",
                [term],
            ).fetchone()

        rows.append(("DuckDB FTS 1.5.5", build, dq))
        # Tantivy
        t0 = time.perf_counter()
        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("id", stored=True)
        sb.add_text_field("title", stored=False)
        sb.add_text_field("body", stored=False)
        schema = sb.build()
        index = tantivy.Index(schema, path=str(Path(tmp)))
        writer = index.writer()
        for i, title, body in docs:
            writer.add_document(tantivy.Document(id=i, title=title, body=body))
        writer.commit()
        index.reload()
        build = time.perf_counter() - t0
        searcher = index.searcher()

        def tq(term: str) -> None:
            query = index.parse_query(term, ["title", "body"])
            searcher.search(query, 20)
            searcher.search(query, 1, count=True).count  # noqa: B018

        rows.append(("Tantivy 0.27", build, tq))
        out = [
            f"Engines on the same {n:,} generated texts (title + description, no facets):",
            "",
            "| engine | build s | rare p50 / p95 ms | common p50 / p95 ms |",
            "|---|---|---|---|",
        ]
        for name, build, fn in rows:
            r = timed(lambda fn=fn: fn(rare(rng.randrange(n))), runs)
            c = timed(lambda fn=fn: fn(rng.choice(["hospital", "qualité", "energia"])), runs)
            out.append(
                f"| {name} | {build:.1f} | {pct(r, 0.5):.2f} / {pct(r, 0.95):.2f} | "
                f"{pct(c, 0.5):.2f} / {pct(c, 0.95):.2f} |"
            )
        con.close()
        db.close()
    return [*out, ""]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=int, default=100_000)
    ap.add_argument("--million", action="store_true", help="also run 1,000,000 datasets")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--sparql-runs", type=int, default=5)
    ap.add_argument("--load-only", nargs=2, metavar=("N", "HOME"), help=argparse.SUPPRESS)
    ap.add_argument("--measure", nargs=2, metavar=("N", "HOME"), help=argparse.SUPPRESS)
    ap.add_argument("--chunk", type=int, default=50_000, help="datasets per source")
    ap.add_argument(
        "--engines", type=int, default=0, help="compare FTS5, DuckDB FTS, Tantivy on N docs"
    )
    ap.add_argument(
        "--text-engine", choices=["fts5", "tantivy"], help="search_text_engine (default: settings)"
    )
    args = ap.parse_args()
    if args.load_only:
        load_graph(int(args.load_only[0]), args.load_only[1], args.chunk)
        return
    if args.measure:
        n, home = int(args.measure[0]), args.measure[1]
        got = measure(n, home, args.runs, args.sparql_runs, args.chunk, args.text_engine)
        print(json.dumps(got))
        return
    sizes = [args.datasets] + ([1_000_000] if args.million else [])
    cmd = (
        f"`.venv/bin/python -m bench.search_bench --datasets {args.datasets}"
        + (" --million" if args.million else "")
        + (f" --engines {args.engines}" if args.engines else "")
        + (f" --text-engine {args.text_engine}" if args.text_engine else "")
        + "`"
    )
    body = [f"Command: {cmd}", ""]
    if args.engines:
        body += engines(args.engines, args.runs)
    for n in sizes:
        # a SPARQL text query takes minutes at a million datasets: one run each there
        sparql_runs = args.sparql_runs if n <= 100_000 else 1
        body += run(n, args.runs, sparql_runs, args.chunk, args.text_engine)
    text = "\n".join(body)
    print(text)
    write_section("Search", text)


if __name__ == "__main__":
    main()
