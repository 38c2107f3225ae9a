"""Harvest throughput: a loopback CKAN-style portal and a DCAT-AP endpoint serving N
generated datasets, harvested end to end, against the store's raw load of the same triples.

    python -m bench.harvest_bench --datasets 100000

Both servers run in this process on 127.0.0.1 (allow-listed for the fetcher) and build each
page when asked, so the servers hold no pages. Memory is sampled after every page: it
should stay flat in the number of pages.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from catalog.harvest import Harvester, SourceRegistry
from catalog.service import Catalogue
from catalog.settings import get_settings

log = logging.getLogger("bench.harvest")
HYDRA = "http://www.w3.org/ns/hydra/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
EU = "http://publications.europa.eu/resource/authority/"
ROWS = 1000


def package(i: int) -> dict[str, Any]:
    """A CKAN package dictionary like demo.ckan.org's, numbered ``i``."""
    return {
        "id": f"pkg-{i:07d}",
        "name": f"dataset-{i}",
        "title": f"Generated dataset {i}",
        "notes": f"Measurements of series {i % 97} collected by station {i % 13}.",
        "metadata_created": "2024-01-01T00:00:00.000000",
        "metadata_modified": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00.000000",
        "license_id": "cc-by",
        "license_url": "http://www.opendefinition.org/licenses/cc-by",
        "state": "active",
        "private": False,
        "version": "1.0",
        "organization": {"name": f"org-{i % 50}", "title": f"Organisation {i % 50}"},
        "tags": [{"name": f"tag{i % 30}"}, {"name": f"topic{i % 7}"}],
        "groups": [{"name": f"group-{i % 5}"}],
        "extras": [{"key": "frequency", "value": "http://purl.org/cld/freq/monthly"}],
        "resources": [
            {
                "id": f"res-{i:07d}-{k}",
                "url": f"https://data.example.org/files/{i}/{k}.csv",
                "format": "CSV",
                "name": f"file {k}",
            }
            for k in range(2)
        ],
    }


def dcat_page(base: str, number: int, total: int) -> bytes:
    """Page ``number`` of the DCAT-AP endpoint as N-Triples, linked by hydra:next."""
    dct, dcat = "http://purl.org/dc/terms/", "http://www.w3.org/ns/dcat#"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    lines = []
    first = (number - 1) * ROWS
    for i in range(first, min(first + ROWS, total)):
        d = f"<https://dcat.example.org/dataset/{i}>"
        dist = f"<https://dcat.example.org/dataset/{i}/csv>"
        lines += [
            f"{d} {rdf_type} <{dcat}Dataset> .",
            f'{d} <{dct}identifier> "ds-{i}" .',
            f'{d} <{dct}title> "Generated dataset {i}"@en .',
            f'{d} <{dct}description> "Series {i % 97} from station {i % 13}."@en .',
            f'{d} <{dct}modified> "2024-03-0{1 + i % 9}"^^<{XSD}date> .',
            f"{d} <{dct}publisher> <https://dcat.example.org/org/{i % 50}> .",
            f'{d} <{dcat}keyword> "tag{i % 30}"@en .',
            f"{d} <{dcat}theme> <{EU}data-theme/ENVI> .",
            f"{d} <{dcat}distribution> {dist} .",
            f"{dist} {rdf_type} <{dcat}Distribution> .",
            f"{dist} <{dcat}accessURL> <https://dcat.example.org/files/{i}.csv> .",
            f"{dist} <{dct}format> <{EU}file-type/CSV> .",
        ]
    view = f"<{base}/catalog?page={number}>"
    lines.append(f"{view} {rdf_type} <{HYDRA}PartialCollectionView> .")
    lines.append(f'{view} <{HYDRA}totalItems> "{total}"^^<{XSD}integer> .')
    if number * ROWS < total:
        lines.append(f"{view} <{HYDRA}next> <{base}/catalog?page={number + 1}> .")
    return ("\n".join(lines) + "\n").encode()


class Portal:
    """Both sources on one loopback server; pages are generated per request."""

    def __init__(self, total: int) -> None:
        self.total = total
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/api/action/package_search":
                    start, rows = int(q.get("start", 0)), int(q.get("rows", 10))
                    results = [package(i) for i in range(start, min(start + rows, outer.total))]
                    body = json.dumps(
                        {"success": True, "result": {"count": outer.total, "results": results}}
                    ).encode()
                    ctype = "application/json"
                else:
                    body = dcat_page(outer.base, int(q.get("page", 1)), outer.total)
                    ctype = "application/n-triples"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Portal:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def harvest(home: Path, portal: Portal, kind: str, url: str) -> dict[str, Any]:
    settings = get_settings(
        home=home,
        fetch_allow_hosts=[f"127.0.0.1:{portal.port}"],
        fetch_host_delay_s=0,
        harvest_max_pages=portal.total // ROWS + 10,
    )
    SourceRegistry(settings).add(kind, kind, url, options={"rows": ROWS})
    memory: list[float] = []

    def progress(_job: Any, _page: Any) -> None:
        memory.append(rss_mb())

    with Catalogue.open(settings) as cat:
        start = time.perf_counter()
        job = Harvester(cat, validate=False).run(kind, progress=progress)
        seconds = time.perf_counter() - start
        if job.status != "succeeded":
            raise SystemExit(f"{kind} harvest {job.status}: {job.message}")
        dump = cat.export("ntriples", source=kind)
    raw = raw_load(dump)
    n = job.counts["new"]
    tenth = memory[len(memory) // 10] if memory else 0.0
    return {
        "kind": kind,
        "datasets": n,
        "seconds": seconds,
        "rate": n / seconds,
        "raw_seconds": raw["seconds"],
        "raw_triples": raw["triples"],
        "raw_rate": n / raw["seconds"],
        "pages": job.pages,
        "rss_tenth": tenth,
        "rss_last": memory[-1] if memory else 0.0,
    }


def raw_load(ntriples: bytes) -> dict[str, Any]:
    """``Store.bulk_load`` of the same triples into a fresh on-disk store."""
    with tempfile.TemporaryDirectory() as tmp:
        store = ox.Store(str(Path(tmp) / "raw"))
        start = time.perf_counter()
        store.bulk_load(ntriples, ox.RdfFormat.N_TRIPLES)
        store.flush()
        seconds = time.perf_counter() - start
        triples = len(store)
        del store  # closes the on-disk store before its folder is removed
        gc.collect()
        return {"seconds": seconds, "triples": triples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="Do not update RESULTS.md.")
    args = parser.parse_args()
    logging.basicConfig(level="INFO", format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    rows = []
    with Portal(args.datasets) as portal, tempfile.TemporaryDirectory() as tmp:
        for kind, url in (
            ("ckan", portal.base),
            ("dcat", f"{portal.base}/catalog?page=1"),
        ):
            result = harvest(Path(tmp) / kind, portal, kind, url)
            rows.append(result)
            log.info(
                "%s: %d datasets in %.1f s = %.0f datasets/s (raw load %.0f datasets/s), "
                "RSS %.0f → %.0f MB over %d pages",
                kind,
                result["datasets"],
                result["seconds"],
                result["rate"],
                result["raw_rate"],
                result["rss_tenth"],
                result["rss_last"],
                result["pages"],
            )
    body = [
        f"Command: `python -m bench.harvest_bench --datasets {args.datasets}`",
        "",
        "| source | datasets | pages | end to end (datasets/s) | raw store load of the "
        "same triples (datasets/s) | ratio | RSS at 10 % of pages → at the end |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        body.append(
            f"| {r['kind']} | {r['datasets']:,} | {r['pages']:,} | {r['rate']:,.0f} | "
            f"{r['raw_rate']:,.0f} ({r['raw_triples']:,} triples in {r['raw_seconds']:.1f} s) | "
            f"{r['rate'] / r['raw_rate']:.0%} | {r['rss_tenth']:,.0f} → {r['rss_last']:,.0f} MB |"
        )
    body += [
        "",
        f"Target (issue 9): ≥ 1,000 datasets/s end to end from loopback, {ROWS} datasets per "
        "page, memory flat in the number of pages. End to end means HTTP fetch through the "
        "shared fetcher (SSRF checks, caps), JSON or RDF parsing, CKAN → DCAT-AP mapping, "
        "record hashing and provenance, streaming into an unpublished graph and the atomic "
        "publish; SHACL validation runs afterwards, off this path.",
    ]
    if not args.no_write:
        from bench.results import write_section

        write_section("Harvest", "\n".join(body))


if __name__ == "__main__":
    main()
