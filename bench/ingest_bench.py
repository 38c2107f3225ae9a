"""Ingest benchmark: the project's whole ingest path against pyoxigraph's raw load.

Generates a realistic synthetic DCAT-AP catalogue (multilingual titles, descriptions and
keywords, publishers, distributions: 30-40 triples per dataset), then measures in the same
run, each in a fresh subprocess so peak memory is its own:

* raw: ``pyoxigraph.Store.bulk_load`` of the file into an empty on-disk store;
* ingest: ``Catalogue.load`` (safe parse with caps, skolemisation, store, id index, atomic
  publish) into an empty catalogue; on the embedded store it bulk-loads guarded, skolemised
  N-Triples chunks on a loader thread (see catalog/store/fast_load.py);
* get: ``Catalogue.get(id)`` for random datasets, server-side latency.

Run: ``python -m bench.ingest_bench --datasets 10000 100000``. Writes bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LANGS = ["en", "de", "fr", "pl", "el", "it", "es"]
WORDS = {
    "en": ["hospital", "admissions", "air", "quality", "corpus", "speech", "forest", "soil"],
    "de": ["Krankenhäuser", "Aufnahmen", "Luftqualität", "Sprachkorpus", "Wald", "Boden"],
    "fr": ["hôpitaux", "admissions", "qualité", "corpus", "forêt", "sols"],
    "pl": ["szpitale", "przyjęcia", "jakość", "powietrza", "korpus", "lasy"],
    "el": ["νοσοκομεία", "εισαγωγές", "ποιότητα", "αέρα", "δάση"],
    "it": ["ospedali", "ricoveri", "qualità", "aria", "foreste"],
    "es": ["hospitales", "ingresos", "calidad", "aire", "bosques"],
}
THEMES = ["HEAL", "ENVI", "EDUC", "TECH", "AGRI", "ECON", "SOCI", "TRAN"]
FORMATS = ["CSV", "JSON", "PARQUET", "XML", "GEOJSON"]
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://bench.datalab.example.eu/> .
@prefix theme: <http://publications.europa.eu/resource/authority/data-theme/> .
@prefix ft: <http://publications.europa.eu/resource/authority/file-type/> .
@prefix ar: <http://publications.europa.eu/resource/authority/access-right/> .
"""


def phrase(rng: random.Random, lang: str, n: int) -> str:
    return " ".join(rng.choice(WORDS[lang]) for _ in range(n))


def generate(path: Path, datasets: int, seed: int = 7) -> int:
    """Write a Turtle catalogue; returns the number of triples."""
    rng = random.Random(seed)
    triples = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(PREFIXES)
        out.write('ex:catalog a dcat:Catalog ; dct:title "Bench catalogue"@en .\n')
        triples += 2
        for i in range(datasets):
            langs = rng.sample(LANGS, 2)
            base = f"https://bench.datalab.example.eu/dataset/{i}"
            d = f"<{base}>"
            lines = [f"{d} a dcat:Dataset"]
            for lang in langs:
                lines.append(f'dct:title "{phrase(rng, lang, 4)} {i}"@{lang}')
                lines.append(f'dct:description "{phrase(rng, lang, 20)}"@{lang}')
                for _ in range(3):
                    lines.append(f'dcat:keyword "{rng.choice(WORDS[lang])}"@{lang}')
            lines += [
                f'dct:identifier "bench-{i}"',
                f"dcat:theme theme:{rng.choice(THEMES)}",
                f"dct:publisher <https://bench.datalab.example.eu/agent/{i % 500}>",
                f"dct:accessRights ar:{rng.choice(['PUBLIC', 'RESTRICTED', 'NON_PUBLIC'])}",
                f'dct:issued "2024-{1 + i % 12:02d}-{1 + i % 28:02d}"^^xsd:date',
                f'dct:modified "2025-{1 + i % 12:02d}-{1 + i % 28:02d}"^^xsd:date',
                f'dcat:contactPoint [ a vcard:Organization ; vcard:fn "Desk {i % 500}" ; '
                f"vcard:hasEmail <mailto:desk{i % 500}@bench.example.eu> ]",
            ]
            n_dist = 1 + i % 2
            for k in range(n_dist):
                lines.append(f"dcat:distribution <{base}/dist/{k}>")
            out.write(" ;\n  ".join(lines) + " .\n")
            triples += len(lines) + 3 - 1 + 1  # the contact point adds 3, "a" counted
            for k in range(n_dist):
                out.write(
                    f"<{base}/dist/{k}> a dcat:Distribution ; "
                    f"dcat:accessURL <https://bench.datalab.example.eu/files/{i}/{k}> ; "
                    f"dct:format ft:{rng.choice(FORMATS)} ; "
                    f'dcat:byteSize "{rng.randint(1000, 10**9)}"^^xsd:nonNegativeInteger ; '
                    "dct:license <http://publications.europa.eu/resource/authority/licence/"
                    "CC_BY_4_0> .\n"
                )
                triples += 5
        for a in range(min(500, datasets)):
            agent = f"<https://bench.datalab.example.eu/agent/{a}>"
            out.write(f'{agent} a foaf:Agent ; foaf:name "Publisher {a}"@en .\n')
            triples += 2
    return triples


def _child(kind: str, file: str, workdir: str) -> dict:
    """Run one measurement in this process and return its figures."""
    import pyoxigraph as ox

    data = Path(file).read_bytes()
    result: dict = {}
    if kind in ("raw", "raw-named"):
        store = ox.Store(str(Path(workdir) / "raw"))
        start = time.perf_counter()
        if kind == "raw":
            store.bulk_load(data, ox.RdfFormat.TURTLE)
        else:  # like for like: the catalogue keeps each source in a named graph
            store.bulk_load(data, ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:bench:g"))
        store.flush()
        result["seconds"] = time.perf_counter() - start
        result["triples"] = len(store)
    else:
        from catalog.service import Catalogue
        from catalog.settings import get_settings

        settings = get_settings(
            home=Path(workdir) / "cat", max_triples=10**8, max_document_bytes=2**40
        )
        with Catalogue.open(settings) as cat:
            start = time.perf_counter()
            report = cat.load(data, fmt="turtle", source="bench", replace=True)
            result["seconds"] = time.perf_counter() - start
            result["triples"] = report.triples
            result["datasets"] = report.datasets
            ids = random.Random(1).sample(report.dataset_ids, min(500, report.datasets))
            for ident in ids[:20]:
                cat.get(ident)  # warm up
            latencies = []
            for ident in ids:
                t0 = time.perf_counter()
                cat.get(ident)
                latencies.append((time.perf_counter() - t0) * 1000)
            latencies.sort()
            result["get_ms_p50"] = statistics.median(latencies)
            result["get_ms_p95"] = latencies[int(len(latencies) * 0.95) - 1]
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def measure(kind: str, file: Path) -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        out = subprocess.run(
            [sys.executable, "-m", "bench.ingest_bench", "--child", kind, str(file), workdir],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.stdout.write(json.dumps(_child(*args.child)) + "\n")
        return
    rows = []
    for n in args.datasets:
        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp) / f"catalogue-{n}.ttl"
            generate(file, n)
            raw = measure("raw", file)
            named = measure("raw-named", file)
            ours = measure("ingest", file)
        raw_tps = raw["triples"] / raw["seconds"]
        named_tps = named["triples"] / named["seconds"]
        our_tps = ours["triples"] / ours["seconds"]
        rows.append((n, raw, ours, raw_tps, our_tps, named_tps))
        sys.stderr.write(
            f"{n} datasets: raw {raw_tps:,.0f} triples/s, raw into a named graph "
            f"{named_tps:,.0f}, ingest {our_tps:,.0f} triples/s "
            f"({our_tps / raw_tps:.0%} / {our_tps / named_tps:.0%}), "
            f"peak {ours['peak_rss_mb']:.0f} MB, "
            f"get p50 {ours['get_ms_p50']:.2f} ms p95 {ours['get_ms_p95']:.2f} ms\n"
        )
    body = [
        "Command: `python -m bench.ingest_bench --datasets "
        + " ".join(str(n) for n in args.datasets)
        + "`",
        "",
        "| datasets | triples | raw load, default graph (triples/s) | raw load, named graph "
        "| project ingest (triples/s) | ratio to default / named | ingest peak RSS "
        "| raw peak RSS | get by id p50 / p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, raw, ours, raw_tps, our_tps, named_tps in rows:
        body.append(
            f"| {n:,} | {ours['triples']:,} | {raw_tps:,.0f} | {named_tps:,.0f} | "
            f"{our_tps:,.0f} | {our_tps / raw_tps:.0%} / {our_tps / named_tps:.0%} | "
            f"{ours['peak_rss_mb']:,.0f} MB | "
            f"{raw['peak_rss_mb']:,.0f} MB | {ours['get_ms_p50']:.2f} / "
            f"{ours['get_ms_p95']:.2f} ms |"
        )
    body += [
        "",
        "Targets (issue 2): ingest ≥ 50 % of raw pyoxigraph throughput, peak memory ≤ 1.5 GB at "
        "100k datasets, get by id ≤ 5 ms server-side. Two baselines: pyoxigraph's "
        "`bulk_load` into the default graph (the issue's figure), and into a named graph, "
        "which is what the catalogue must do (one named graph per source, six indexes "
        "instead of three). The ingest path parses with the "
        "catalogue's guards (caps, no entity expansion), skolemises blank nodes, writes an "
        "unpublished version graph, indexes dataset ids and publishes atomically; SHACL "
        "validation is not on this path.",
        "",
        "How the ingest path works on the embedded store: pyoxigraph parses the document once, "
        "with every guard; `ox.serialize` turns chunks of 200k triples into canonical "
        "N-Triples in Rust; blank nodes and derived integer datatypes are rewritten by "
        "line-anchored regular expressions (C, not per triple in Python); the triple cap "
        "counts lines and the literal cap re-parses only over-long lines; each chunk is "
        "`bulk_load`ed (`lenient`, the terms were validated by the first parse) into the "
        "unpublished version graph on a loader thread, which overlaps with building the "
        "next chunk since `bulk_load` releases the GIL. Dataset nodes are picked up while "
        "skolemising, so indexing ids needs no scan of the graph.",
    ]
    from bench.results import write_section

    write_section("Ingest", "\n".join(body))


if __name__ == "__main__":
    main()
