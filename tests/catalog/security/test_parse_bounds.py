"""Caps applied while parsing (hostile-inputs.md A6, A7): a hostile document is refused
within seconds, with flat memory, naming what was exceeded and where, and nothing stored
before is lost. Each document is generated here and loaded in a fresh interpreter whose
time and peak-RSS growth are measured."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalog.errors import LimitExceeded
from catalog.harvest import Harvester, HarvestSources
from catalog.rdf_input import ParseLimits, iter_triples
from catalog.service import Catalogue
from tests.catalog.security.measured import measure
from tests.connectors.loopback import Loopback, serve

GOOD = (
    b"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
    b'<https://e.org/d1> a dcat:Dataset ; dct:title "kept" .\n'
)

# Opens a catalogue with one good version of source "portal", then leaves ``DOC`` to load.
SETUP = """
from pathlib import Path
from catalog.service import Catalogue
from catalog.settings import get_settings
home = Path({home!r})
settings = get_settings(home=home, **{overrides!r})
cat = Catalogue.open(settings)
cat.load({good!r}, fmt="turtle", source="portal", replace=True)
before = cat.export("ntriples")
graphs_before = sorted(cat.store.named_graphs())
DOC = {make_doc}
"""
LOAD = """
try:
    cat.load(DOC, fmt={fmt!r}, source="portal", replace=True)
finally:
    _out["kept"] = cat.export("ntriples") == before
    _out["same_graphs"] = sorted(cat.store.named_graphs()) == graphs_before
"""

A_MILLION_ITEM_LIST = (
    "b'@prefix ex: <http://e.org/> .\\nex:s ex:p (' "
    "+ b''.join(b' \"%d\"' % i for i in range(1_000_000)) + b' ) .\\n'"
)
THIRTY_MB_NTRIPLES = (
    "b''.join(b'<http://e.org/s%d> <http://e.org/p> \"value number %d with some padding\" .\\n'"
    " % (i, i) for i in range(400_000))"
)


def _load(tmp_path: Path, make_doc: str, fmt: str, **overrides: object) -> dict:
    setup = SETUP.format(
        home=str(tmp_path / "home"), overrides=overrides, good=GOOD, make_doc=make_doc
    )
    return measure(setup, LOAD.format(fmt=fmt))


def _refused(run: dict, fragment: str) -> dict:
    error = run["error"]
    assert error is not None, "the document was accepted"
    assert error["type"] == "LimitExceeded", error
    assert fragment in error["text"], error
    assert error["body"]["error"]["code"] == "limit_exceeded"
    assert run["kept"] and run["same_graphs"], "the previous version was disturbed"
    return error["body"]["error"]  # type: ignore[no-any-return]


def test_a_million_item_turtle_list_is_refused_in_seconds_with_flat_memory(tmp_path) -> None:
    run = _load(tmp_path, A_MILLION_ITEM_LIST, "turtle")
    body = _refused(run, "RDF list (rdf:rest chain) longer than 10000 items")
    assert body["where"].startswith("line 2, column ")
    assert body["details"] == {"limit": "max_rdf_list_items", "cap": 10_000}
    # before: 2 minutes and 1.9 GB (a million triples loaded, then dropped)
    assert run["seconds"] < 5, run
    assert run["rss_growth_mb"] < 100, run


def test_30_mb_of_ntriples_over_a_low_triple_cap_is_refused_at_once(tmp_path) -> None:
    run = _load(tmp_path, THIRTY_MB_NTRIPLES, "ntriples", max_triples=50_000)
    body = _refused(run, "more than 50000 triples")
    first, last = (int(n) for n in body["where"].removeprefix("lines ").split("-"))
    assert first <= 50_001 <= last <= first + 12, body  # the 50,001st line, a few at most
    assert run["seconds"] < 5, run
    assert run["rss_growth_mb"] < 100, run


def test_a_document_just_past_the_cap_writes_nothing_before_refusing(tmp_path) -> None:
    """Past the cap only after 300,000 triples: the checking pass refuses it before the
    first chunk is bulk-loaded, so no graph of a few hundred thousand triples has to be
    dropped again (which alone took 5 s and 300 MB per 200,000 triples)."""
    run = _load(tmp_path, THIRTY_MB_NTRIPLES, "ntriples", max_triples=300_000)
    _refused(run, "more than 300000 triples")
    assert run["seconds"] < 5, run
    assert run["rss_growth_mb"] < 150, run


def test_a_million_deep_nesting_is_refused_before_the_parser_builds_it(tmp_path) -> None:
    deep = "b'@prefix ex: <http://e.org/> . ex:a ex:p ' + b'[ ex:p ' * 1_000_000 + b'1 ] .'"
    run = _load(tmp_path, deep, "turtle")
    body = _refused(run, "nesting deeper than 128 levels")
    assert body["where"] == "line 1, column 937"
    assert run["seconds"] < 5, run
    assert run["rss_growth_mb"] < 60, run


def test_deep_rdfxml_nesting_is_refused_with_its_line() -> None:
    levels = 200
    inner = "".join(
        '<rdf:Description><ex:p rdf:parseType="Resource">\n' for _ in range(levels // 2)
    )
    closing = "</ex:p></rdf:Description>" * (levels // 2)
    doc = (
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        f' xmlns:ex="http://e.org/">\n{inner}{closing}</rdf:RDF>'
    ).encode()
    with pytest.raises(LimitExceeded, match="nesting deeper than 128") as info:
        list(iter_triples(doc, ox.RdfFormat.RDF_XML, ParseLimits()))
    assert info.value.where == "line 66, column 18"  # the 129th element: <ex:p …>


def test_lists_are_measured_in_any_order_and_cycles_end() -> None:
    rest = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>"
    first = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#first>"
    nil = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#nil>"

    def chain(n: int, order: list[int]) -> bytes:
        lines = [f'_:c{i} {first} "{i}" .\n' for i in range(n)]
        links = [f"_:c{i} {rest} {f'_:c{i + 1}' if i + 1 < n else nil} .\n" for i in range(n)]
        return "".join(lines + [links[i] for i in order]).encode()

    limits = ParseLimits(max_list_items=100)
    nt = ox.RdfFormat.N_TRIPLES
    backwards, shuffled = list(range(100))[::-1], [i for p in (1, 0) for i in range(p, 100, 2)]
    for order in (backwards, shuffled):
        assert len(list(iter_triples(chain(100, order), nt, limits))) == 200  # at the cap
    for order in (list(range(101))[::-1], [i for p in (1, 0) for i in range(p, 101, 2)]):
        with pytest.raises(LimitExceeded, match="longer than 100 items"):
            list(iter_triples(chain(101, order), nt, limits))
        with pytest.raises(LimitExceeded, match="longer than 100 items"):
            iter_triples(chain(101, order), nt, limits).check()
    cycle = f"_:a {rest} _:b .\n_:b {rest} _:a .\n".encode()
    assert len(list(iter_triples(cycle, nt, limits))) == 2


def test_the_checking_pass_and_iteration_give_the_same_location() -> None:
    doc = "".join(f'<https://e.org/s{i}> <https://e.org/p> "{i}" .\n' for i in range(2_000))
    limits = ParseLimits(max_triples=1_500)
    with pytest.raises(LimitExceeded) as checked:
        iter_triples(doc.encode(), ox.RdfFormat.N_TRIPLES, limits).check()
    with pytest.raises(LimitExceeded) as iterated:
        list(iter_triples(doc.encode(), ox.RdfFormat.N_TRIPLES, limits))
    assert checked.value.where == iterated.value.where
    first, last = (int(n) for n in checked.value.where.removeprefix("lines ").split("-"))
    assert first <= 1_501 <= last <= first + 12


def _writer(pipe, total: int) -> None:
    block = b'<https://e.org/s> <https://e.org/p> "' + b"x" * 65_000 + b'" .\n'
    sent = 0
    try:
        while sent < total:
            pipe.write(block)
            sent += len(block)
    except (BrokenPipeError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError):
            pipe.close()


def test_datalab_load_from_stdin_stops_at_the_byte_cap(tmp_path: Path) -> None:
    """An endless pipe is refused once it passes max_document_bytes, not read whole."""
    env = {
        **os.environ,
        "DATALAB_HOME": str(tmp_path / "home"),
        "DATALAB_MAX_DOCUMENT_BYTES": str(1024 * 1024),
    }
    cli = [sys.executable, "-m", "cli", "load", "-", "--format", "ntriples"]
    # A small launcher runs the command and reports its peak RSS: measured on a child of
    # this (large) test process, the peak would include the pages a fork copies before exec.
    launcher = (
        "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
        "print('PEAK_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
        "file=sys.stderr); sys.exit(r.returncode)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", launcher, *cli],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    feeder = threading.Thread(target=_writer, args=(proc.stdin, 2 * 1024**3), daemon=True)
    feeder.start()
    assert proc.stderr is not None
    with proc.stderr:
        err = proc.stderr.read().decode()
    proc.wait(60)
    feeder.join(10)
    assert not feeder.is_alive(), "the command kept reading"
    assert proc.returncode == 2, err
    assert "standard input passed the cap of 1048576 bytes" in err
    peak_kb = int(err.rsplit("PEAK_KB", 1)[1].split()[0])
    assert peak_kb / 1024 < 400, "peak RSS of the command, MB"


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


def test_a_harvested_hostile_document_fails_the_job_and_keeps_the_catalogue(
    server: Loopback, tmp_path: Path
) -> None:
    settings = server.settings(tmp_path / "home")
    server.static("/catalog.ttl", GOOD, "text/turtle")
    HarvestSources(settings).add("portal", "dcat", f"{server.base}/catalog.ttl")
    with Catalogue.open(settings) as cat:
        assert Harvester(cat, validate=False).run("portal").status == "succeeded"
        before = cat.export("ntriples")
        hostile = b"@prefix ex: <http://e.org/> .\nex:s ex:p (" + b" 1" * 20_000 + b" ) .\n"
        server.static("/catalog.ttl", hostile, "text/turtle")
        job = Harvester(cat, validate=False).run("portal")
        assert job.status == "failed"
        assert "longer than 10000 items" in (job.message or "")
        assert "line 2" in (job.message or "")
        assert "nothing was published" in (job.message or "")
        assert cat.export("ntriples") == before
