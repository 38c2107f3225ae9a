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
import multiprocessing as mp
import os
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from catalog.harvest import Harvester, HarvestSources
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


def _handler(total: int, base: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/api/action/package_search":
                start, rows = int(q.get("start", 0)), int(q.get("rows", 10))
                results = [package(i) for i in range(start, min(start + rows, total))]
                body = json.dumps(
                    {"success": True, "result": {"count": total, "results": results}}
                ).encode()
                ctype = "application/json"
            else:
                body = dcat_page(base, int(q.get("page", 1)), total)
                ctype = "application/n-triples"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _serve(total: int, ready: Any) -> None:
    """The portal process: serve both sources on a free loopback port until terminated."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = httpd.server_address[1]
    httpd.RequestHandlerClass = _handler(total, f"http://127.0.0.1:{port}")
    httpd.daemon_threads = True
    ready.send(port)
    ready.close()
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()


class Portal:
    """Both sources on one loopback server in its own process; pages are generated per
    request. A separate process, like a real remote portal: building its answers does not
    take the harvester's interpreter lock."""

    def __init__(self, total: int) -> None:
        self.total = total
        ctx = mp.get_context("spawn")
        self._ready, child = ctx.Pipe(duplex=False)
        self._child_end = child
        self.process = ctx.Process(target=_serve, args=(total, child), daemon=True)
        self.port = 0
        self.base = ""

    def __enter__(self) -> Portal:
        self.process.start()
        self._child_end.close()
        if not self._ready.poll(30):
            self.__exit__()
            raise SystemExit("the loopback portal did not start")
        self.port = self._ready.recv()
        self.base = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self._ready.close()


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def checkpoints(memory: list[float]) -> list[tuple[int, float]]:
    """RSS after page 1 and after 10 %, 25 %, 50 % and 100 % of the pages."""
    if not memory:
        return []
    marks = sorted({1, *(max(1, round(len(memory) * f)) for f in (0.1, 0.25, 0.5, 1.0))})
    return [(page, memory[page - 1]) for page in marks]


def harvest(home: Path, port: int, total: int, kind: str, url: str) -> dict[str, Any]:
    """One full harvest of ``kind`` into a fresh catalogue, then the raw-load baseline."""
    settings = get_settings(
        home=home,
        fetch_allow_hosts=[f"127.0.0.1:{port}"],
        fetch_host_delay_s=0,
        harvest_max_pages=total // ROWS + 10,
    )
    HarvestSources(settings).add(kind, kind, url, options={"rows": ROWS})
    memory: list[float] = []

    def progress(_job: Any, page: Any) -> None:
        memory.append(rss_mb())
        if page.number % 10 == 0:
            log.info("%s: page %d, RSS %.0f MB", kind, page.number, memory[-1])

    gc.collect()
    before = rss_mb()
    with Catalogue.open(settings) as cat:
        cpu = time.process_time()
        start = time.perf_counter()
        job = Harvester(cat, validate=False).run(kind, progress=progress)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        if job.status != "succeeded":
            raise SystemExit(f"{kind} harvest {job.status}: {job.message}")
        graph = cat.graphs.current(kind)
        assert graph is not None
        dump = home / "stored.nq"
        # the very quads the harvest stored (records, provenance, ids), streamed to a file
        ox.serialize(cat.store.quads(graph), str(dump), ox.RdfFormat.N_QUADS)
        stored = cat.count(source=kind)
    try:
        raw = raw_load(dump)
    finally:
        dump.unlink()
    n = job.counts["new"]
    if n != total or stored != total:
        raise SystemExit(f"{kind}: {n} new, {stored} served; expected {total}")
    return {
        "kind": kind,
        "datasets": n,
        "seconds": seconds,
        "cpu": cpu,
        "rate": n / seconds,
        "raw_seconds": raw["seconds"],
        "raw_cpu": raw["cpu"],
        "raw_triples": raw["triples"],
        "raw_rate": n / raw["seconds"],
        "pages": job.pages,
        "rss_before": before,
        "rss_peak": max(memory, default=0.0),
        "rss_at": checkpoints(memory),
    }


def _harvest_child(conn: Any, *args: Any) -> None:
    logging.basicConfig(level="INFO", format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        conn.send(("ok", harvest(*args)))
    except BaseException as exc:  # reported by the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def in_own_process(home: Path, port: int, total: int, kind: str, url: str) -> dict[str, Any]:
    """:func:`harvest` in a fresh process, so each source's memory figures start clean."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_harvest_child, args=(child, home, port, total, kind, url))
    proc.start()
    child.close()
    try:
        status, value = parent.recv()
    except EOFError:
        status, value = "error", f"the {kind} harvest process died (exit code {proc.exitcode})"
    finally:
        proc.join()
        parent.close()
    if status != "ok":
        raise SystemExit(f"{kind}: {value}")
    return value  # type: ignore[no-any-return]


def raw_load(dump: Path) -> dict[str, Any]:
    """``Store.bulk_load`` of the same quads into a fresh on-disk store."""
    with tempfile.TemporaryDirectory() as tmp:
        store = ox.Store(str(Path(tmp) / "raw"))
        cpu = time.process_time()
        start = time.perf_counter()
        store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
        store.flush()
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        triples = len(store)
        del store  # closes the on-disk store before its folder is removed
        gc.collect()
        return {"seconds": seconds, "cpu": cpu, "triples": triples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="Do not update RESULTS.md.")
    args = parser.parse_args()
    logging.basicConfig(level="INFO", format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    rows = []
    load = os.getloadavg()[0]
    with Portal(args.datasets) as portal, tempfile.TemporaryDirectory() as tmp:
        for kind, url in (
            ("ckan", portal.base),
            ("dcat", f"{portal.base}/catalog?page=1"),
        ):
            result = in_own_process(Path(tmp) / kind, portal.port, portal.total, kind, url)
            rows.append(result)
            log.info(
                "%s: %d datasets in %.1f s = %.0f datasets/s (%.1f CPU s; raw load %.0f "
                "datasets/s, %.1f CPU s), RSS peak %.0f MB over %d pages",
                kind,
                result["datasets"],
                result["seconds"],
                result["rate"],
                result["cpu"],
                result["raw_rate"],
                result["raw_cpu"],
                result["rss_peak"],
                result["pages"],
            )
    load = max(load, os.getloadavg()[0])
    exe = Path(sys.executable)
    if exe.is_relative_to(Path.cwd()):  # e.g. .venv/bin/python, as it was typed
        exe = exe.relative_to(Path.cwd())
    command = " ".join([str(exe), "-m bench.harvest_bench", *sys.argv[1:]])
    body = [
        f"Command: `{command}`",
        "",
        "| source | datasets | pages | end to end (datasets/s) | harvester CPU | raw store "
        "load of the same quads (datasets/s) | end to end / raw | CPU: raw / harvester |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        body.append(
            f"| {r['kind']} | {r['datasets']:,} | {r['pages']:,} | **{r['rate']:,.0f}** "
            f"({r['seconds']:.1f} s) | {r['cpu']:.1f} s ({r['datasets'] / r['cpu']:,.0f} "
            f"datasets per CPU-second) | {r['raw_rate']:,.0f} ({r['raw_triples']:,} quads, "
            f"{r['raw_triples'] / r['datasets']:.0f} per dataset, in {r['raw_seconds']:.1f} s, "
            f"{r['raw_cpu']:.1f} CPU s) | {r['rate'] / r['raw_rate']:.0%} | "
            f"{r['raw_cpu'] / r['cpu']:.0%} |"
        )
    body += [
        "",
        "Memory (RSS of the harvesting process, MB) by pages harvested:",
        "",
        "| source | before | "
        + " | ".join(f"page {p:,}" for p, _ in rows[0]["rss_at"])
        + " | peak |",
        "|---|---|" + "---|" * len(rows[0]["rss_at"]) + "---|",
    ]
    for r in rows:
        cells = " | ".join(f"{mb:,.0f}" for _, mb in r["rss_at"])
        body.append(f"| {r['kind']} | {r['rss_before']:,.0f} | {cells} | {r['rss_peak']:,.0f} |")
    body += [
        "",
        f"Target (issue 9): ≥ 1,000 datasets/s end to end from loopback, {ROWS} datasets per "
        "page, memory flat in the number of pages. End to end means HTTP fetch through the "
        "shared fetcher (SSRF checks, caps), JSON or RDF parsing, CKAN → DCAT-AP mapping, "
        "record hashing and provenance, streaming into an unpublished graph, dataset ids and "
        "the atomic publish; SHACL validation runs afterwards, off this path. Page N+1 is "
        "fetched and mapped by a prefetch thread while page N is stored. The portal runs in "
        "its own process on 127.0.0.1 and builds each page when asked. The raw baseline is "
        "`Store.bulk_load` of the very quads the harvest stored (records, provenance, ids), "
        "from an N-Quads file, into a fresh on-disk store (7 of each dataset's quads are "
        "bookkeeping: provenance, record hash, dataset id). The machine "
        f"is shared with other sessions (1-minute load average up to {load:.1f} on "
        f"{os.cpu_count()} cores during this run), so wall-clock figures are pessimistic; "
        "the CPU column is the harvesting process's own time, and the last column compares "
        "it with the raw load's CPU time (every thread of the process, as the harvester's): "
        "the ratio a loaded machine disturbs least.",
    ]
    if args.no_write:
        log.info("%s", "\n".join(body))
    else:
        from bench.results import write_section

        write_section("Harvest", "\n".join(body))


if __name__ == "__main__":
    main()
