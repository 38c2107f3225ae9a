"""Offers benchmark: materialise every dataset x demo lab; one dataset's offers for a profile.

Run: .venv/bin/python -m bench.offers_bench [--datasets 100000]
Stores the offers through :class:`catalog.offers.live.LiveOffers` (what the API runs), publishes
one changed dataset and counts what the listener recomputed; then times the offers follower
(:mod:`catalog.offers.follower`) alone applying one changed dataset and one lab edit, and a
cold replica's first answer from the stored offers. Compares with a naive
per-request evaluation (SPARQL reads of the dataset record and of
every lab for each request) measured in the same run, and appends the figures to
bench/RESULTS.md under "Offers".
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

import sqlalchemy as sa

from bench.results import write_section
from catalog import lifeline
from catalog.facts.derive import FACT_PREDICATES
from catalog.facts.read import catalogue_facts, gc_paused
from catalog.ids import dataset_id
from catalog.labs import edit_lab, list_labs, load_registry
from catalog.offers import RequesterProfile, offers_for
from catalog.offers.live import LiveOffers
from catalog.service import Catalogue
from catalog.settings import get_settings

LICENCES = ["CC_BY_4_0", "CC0", "CC_BYNC_4_0", "CC_BYND_4_0", "ODC_BL", "COPERNICUS"]
RIGHTS = ["PUBLIC", "PUBLIC", "RESTRICTED", "NON_PUBLIC"]
SPACES = ["health", "language", "earth-observation", "research"]
HEAD = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix dlab: <https://w3id.org/datalab/ns#> .
@prefix lic: <http://publications.europa.eu/resource/authority/licence/> .
@prefix ar: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix dcatap: <http://data.europa.eu/r5r/> . @prefix dpv: <https://w3id.org/dpv#> .
@prefix hdcat: <http://healthdataportal.eu/ns/health#> .
@prefix ft: <http://publications.europa.eu/resource/authority/file-type/> .
"""
#: The two shapes of generated records (``--shape``).
SHAPES = ("simple", "corpus")
PURPOSES = ["https://w3id.org/dpv#AcademicResearch", "https://w3id.org/dpv#CommercialResearch"]


def corpus(n: int) -> bytes:
    rnd = random.Random(4)
    lines = [HEAD]
    for i in range(n):
        lines.append(
            f'<https://bench.example/ds/{i}> a dcat:Dataset ; dct:title "d{i}" ; '
            f"dct:license lic:{rnd.choice(LICENCES)} ; dct:accessRights ar:{rnd.choice(RIGHTS)} ; "
            f"dlab:dataSpace <https://w3id.org/datalab/dataspace/{rnd.choice(SPACES)}>"
            + (" ; dlab:tdmReservation true" if i % 17 == 0 else "")
            + " .\n"
        )
    return "".join(lines).encode()


def corpus_shaped(n: int, start: int = 0, seed: int = 4) -> bytes:
    """Records shaped like the corpus's (HealthDCAT-AP, DCAT-AP and ODRL examples in
    /work/shared/corpus; generated, nothing copied): two or three distributions each with
    its own licence statement (the dataset's licence; one in ten another), access URL and
    format (blank nodes, skolemised on load), the licence on the dataset itself on two in
    three; a publisher agent; an ODRL offer with a permission under a purpose constraint
    and a prohibition on a third of them (half on a named node of their own, half
    anonymous); HealthDCAT-AP fields (health data access body, legal basis, EHDS
    legislation, purposes, personal data) on the
    health datasets; a TDM reservation on some."""
    rnd = random.Random(seed)
    out = [HEAD]
    for i in range(start, start + n):
        space = rnd.choice(SPACES)
        policies: list[str] = []
        parts = [
            f'<https://bench.example/ds/{i}> a dcat:Dataset ; dct:title "d{i}"@en',
            f"dct:accessRights ar:{rnd.choice(RIGHTS)}",
            f"dlab:dataSpace <https://w3id.org/datalab/dataspace/{space}>",
            f'dct:publisher [ a foaf:Organization ; foaf:name "Publisher {i % 300}"@en ]',
        ]
        licence = rnd.choice(LICENCES)
        if i % 3:
            parts.append(f"dct:license lic:{licence}")
        for k in range(2 + i % 2):
            own = rnd.choice(LICENCES) if rnd.random() < 0.1 else licence
            parts.append(
                f"dcat:distribution [ a dcat:Distribution ; dct:license lic:{own}"
                f" ; dcat:accessURL <https://files.bench.example/{i}/{k}> ; dct:format ft:CSV ]"
            )
        if i % 3 == 0:  # half on a node of the record's own, named, half anonymous
            policy = (
                "a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; "
                "odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; "
                f"odrl:rightOperand <{rnd.choice(PURPOSES)}> ] ] ; "
                "odrl:prohibition [ odrl:action odrl:commercialize ]"
            )
            if i % 6 == 0:
                node = f"<https://bench.example/policy/{i}>"
                parts.append(f"odrl:hasPolicy {node}")
                policies.append(f"{node} {policy} .")
            else:
                parts.append(f"odrl:hasPolicy [ {policy} ]")
        if space == "health":
            parts += [
                f'hdcat:hdab [ a foaf:Organization ; foaf:name "HDAB {i % 27}"@en ]',
                "dpv:hasLegalBasis <https://w3id.org/dpv#Consent>",
                "dcatap:applicableLegislation <http://data.europa.eu/eli/reg/2025/327/oj>",
                f"dpv:hasPurpose <{rnd.choice(PURPOSES)}>",
                'dpv:hasPersonalData "true"',
            ]
        if i % 17 == 0:
            parts.append("dlab:tdmReservation true")
        out.append(" ;\n  ".join(parts) + " .\n")
        out.extend(p + "\n" for p in policies)
    return "".join(out).encode()


def changed_index(ids: list[str], n: int) -> int:
    """The bench number of the first sampled dataset id."""
    by_id = {dataset_id(f"https://bench.example/ds/{i}"): i for i in range(n)}
    return by_id[ids[0]]


def changed_record(iri: str) -> bytes:
    """A new version of one bench dataset with different terms (NON_PUBLIC, CC BY-NC)."""
    return (
        HEAD + f'<{iri}> a dcat:Dataset ; dct:title "changed" ; dct:license lic:CC_BYNC_4_0 ; '
        "dct:accessRights ar:NON_PUBLIC ; "
        "dlab:dataSpace <https://w3id.org/datalab/dataspace/health> .\n"
    ).encode()


def reading_figures(cat: Catalogue) -> tuple[float, float, int]:
    """CPU seconds of reading every dataset's facts from the store (what a first build
    reads), and of its floor: Oxigraph decoding the subject and object of every triple the
    reading's predicate scans return, inside one SPARQL aggregate (no Python object per
    triple; strings are decoded from the store as any read must). The policy closure's
    lookups are not in the floor."""
    c0 = time.process_time()
    with gc_paused():
        for _ in catalogue_facts(cat):
            pass
    read_cpu = time.process_time() - c0
    graph = cat.graphs.current("bench")
    values = " ".join(f"<{p}>" for p in sorted(FACT_PREDICATES))
    c0 = time.process_time()
    rows = cat.store.select(
        "SELECT (COUNT(*) AS ?n) (SUM(STRLEN(STR(?s)) + STRLEN(STR(?o))) AS ?chars) "
        f"WHERE {{ GRAPH <{graph}> {{ VALUES ?p {{ {values} }} ?s ?p ?o }} }}"
    )
    floor_cpu = time.process_time() - c0
    return read_cpu, floor_cpu, int(rows[0]["n"].value)


def copied_build(cat: Catalogue) -> tuple[float, float, float, float, int]:
    """CPU seconds of the search projection of the bench source without and with storing
    its facts (each the least of two, run alternately: the first read of a graph warms the
    store's caches), then a first offers build from nothing stored that copies them: its
    seconds, this process's CPU seconds, and its distinct terms. Its stored rows are as
    many as the first build's."""
    import catalog.search.project as project
    from catalog.db.schema import offer_labs, offer_resolutions, offer_state, offer_terms
    from catalog.offers.follower import OffersFollower

    graph = cat.graphs.current("bench")
    assert graph is not None
    storing = project.storing_facts

    def projected(store: bool) -> float:
        project.storing_facts = storing if store else (lambda *_: None)  # type: ignore[assignment]
        try:
            c0 = time.process_time()
            for _ in project.project_graph(cat, "bench", graph):
                pass
            return time.process_time() - c0
        finally:
            project.storing_facts = storing

    times: dict[bool, list[float]] = {False: [], True: []}
    for store in (False, True, False, True):  # the last one leaves the facts stored
        times[store].append(projected(store))
    with cat.database.read() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(offer_terms)).scalar()
        distinct = conn.execute(sa.select(sa.func.count(sa.distinct(offer_terms.c.signature))))
        signatures = int(distinct.scalar() or 0)
    with cat.database.transaction() as conn:
        for table in (offer_terms, offer_resolutions, offer_labs, offer_state):
            conn.execute(table.delete())
    follower = OffersFollower(cat)
    t0, c0 = time.perf_counter(), time.process_time()
    assert follower.rebuild()
    copy_s, copy_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert follower.records_read == 0, "the stored facts were not usable"
    with cat.database.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(offer_terms)).scalar() == stored
    return min(times[False]), min(times[True]), copy_s, copy_cpu, signatures


def many_sources(datasets: int, sources: int, samples: int) -> str:
    """The full offers build at scale, as a server's first start runs it after the search
    build: ``sources`` sources of corpus-shaped records (each its own seed, so the distinct
    terms grow as they would), each projected once as the search build does (storing its
    facts), then a first offers build from nothing stored, which copies the facts. The
    baseline is the naive per-request evaluation, extrapolated from ``samples`` datasets;
    each of them is also checked: its stored offers equal the direct evaluation."""
    import catalog.search.project as project
    from bench.scale_bench import cpu_s
    from catalog.db.schema import (
        dataset_facts,
        offer_labs,
        offer_resolutions,
        offer_state,
        offer_terms,
    )
    from catalog.offers.follower import OffersFollower

    per = datasets // sources
    with tempfile.TemporaryDirectory() as home:
        settings = get_settings(home=home, max_document_bytes=1 << 31, max_triples=100_000_000)
        with Catalogue.open(settings) as cat:
            load_registry(cat)  # as a deployment has them before its first build
            load_s = project_cpu = 0.0
            for k in range(sources):
                source = f"bench-{k}"
                t0 = time.perf_counter()
                data = corpus_shaped(per, start=k * per, seed=4 + k)
                cat.load(data, fmt="turtle", source=source, replace=True)
                load_s += time.perf_counter() - t0
                del data
                graph = cat.graphs.current(source)
                assert graph is not None
                c0 = time.process_time()
                with gc_paused():
                    for _ in project.project_graph(cat, source, graph):
                        pass
                project_cpu += time.process_time() - c0
            with cat.database.read() as conn:
                stored = conn.execute(sa.select(sa.func.count()).select_from(dataset_facts))
                n_stored = int(stored.scalar() or 0)
            with cat.database.transaction() as conn:
                for table in (offer_terms, offer_resolutions, offer_labs, offer_state):
                    conn.execute(table.delete())
            follower = OffersFollower(cat)
            t0, c0, w0 = time.perf_counter(), time.process_time(), cpu_s(children=True)
            assert follower.rebuild()
            copy_s, copy_cpu = time.perf_counter() - t0, time.process_time() - c0
            worker_cpu = cpu_s(children=True) - w0
            assert follower.records_read == 0, "the stored facts were not usable"
            with cat.database.read() as conn:
                built = conn.execute(sa.select(sa.func.count()).select_from(offer_terms))
                distinct = conn.execute(
                    sa.select(sa.func.count(sa.distinct(offer_terms.c.signature)))
                )
                n_built, signatures = int(built.scalar() or 0), int(distinct.scalar() or 0)
            assert n_built == n_stored == datasets, (n_built, n_stored)
            pairs = n_stored * len(list_labs(cat))
            rng = random.Random(7)
            ids = [
                dataset_id(f"https://bench.example/ds/{i}")
                for i in rng.sample(range(datasets), samples)
            ]
            cold = LiveOffers(cat, follow=False)  # answers from the stored tables
            naive = []
            for ds in ids:
                t0 = time.perf_counter()
                direct = offers_for(cat, ds)
                naive.append(time.perf_counter() - t0)
                assert cold.dataset_offers(ds).to_dict() == direct.to_dict(), ds
            cold.close()
    naive_all_s = statistics.mean(naive) * datasets
    return "\n".join(
        [
            f"Command: `.venv/bin/python -m bench.offers_bench --datasets {datasets} "
            f"--sources {sources} --shape corpus --samples {samples}`",
            "",
            f"- {datasets:,} corpus-shaped datasets in {sources} sources of {per:,} (each "
            f"source its own seed); load into Oxigraph {load_s:.0f} s, the search projection "
            f"of every source storing its facts {project_cpu:.0f} s CPU (not part of the "
            "target)",
            f"- facts stored for {n_stored:,} datasets; {signatures:,} distinct sets of terms",
            f"- **full offers build** from nothing stored, copying the stored facts (no record "
            f"read from the graph store), every dataset x lab ({pairs:,} offers) resolved and "
            "stored: "
            f"**{copy_s:.1f} s** (CPU: this process {copy_cpu:.1f} s, worker processes "
            f"{worker_cpu:.1f} s); target <= 60 s",
            f"- naive per-request evaluation of every dataset, extrapolated from {samples}: "
            f"{naive_all_s:.0f} s; ratio {naive_all_s / copy_s:.0f}x; each sampled dataset's "
            "stored offers equal its direct evaluation",
        ]
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=int, default=100_000)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--section", default="Offers", help="the RESULTS.md section to write")
    ap.add_argument(
        "--no-write", action="store_true", help="print the figures; leave bench/RESULTS.md alone"
    )
    ap.add_argument(
        "--shape",
        choices=SHAPES,
        default="simple",
        help="simple: licence, access and data space on the dataset; corpus: records shaped "
        "like the corpus's (distributions with their own licences, policies, HealthDCAT-AP)",
    )
    ap.add_argument(
        "--sources",
        type=int,
        default=1,
        help="more than 1: only the full offers build at scale, over this many sources of "
        "corpus-shaped records (written to the section 'Offers at scale' unless --section)",
    )
    args = ap.parse_args()
    if args.sources > 1:
        body = many_sources(args.datasets, args.sources, args.samples)
        print(body)
        if not args.no_write:
            section = args.section if args.section != "Offers" else "Offers at scale"
            write_section(section, body)
        return
    with tempfile.TemporaryDirectory() as home:
        settings = get_settings(home=home, max_document_bytes=1 << 31, max_triples=10_000_000)
        with Catalogue.open(settings) as cat:
            t0 = time.perf_counter()
            records = corpus_shaped if args.shape == "corpus" else corpus
            cat.load(records(args.datasets), fmt="turtle", source="bench", replace=True)
            load_s = time.perf_counter() - t0
            load_registry(cat)
            t0, c0 = time.perf_counter(), time.process_time()
            live = LiveOffers.start(cat, background=False)  # what the API runs
            materialise_s = time.perf_counter() - t0
            materialise_cpu = time.process_time() - c0
            index = live.index
            pairs = args.datasets * len(index.labs)
            read_cpu, floor_cpu, fact_triples = reading_figures(cat)
            ids = [
                dataset_id(f"https://bench.example/ds/{i}")
                for i in random.Random(7).sample(range(args.datasets), args.samples)
            ]
            profile = RequesterProfile.parse("SME", "DE", "commercial-ai-training")
            fast, naive = [], []
            for ds in ids:
                t0 = time.perf_counter()
                live.dataset_offers(ds, profile)  # incl. the freshness check of each request
                fast.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                offers_for(cat, ds, profile)
                naive.append(time.perf_counter() - t0)
            iri = f"https://bench.example/ds/{int(changed_index(ids, args.datasets))}"
            before = index.recomputed
            t0 = time.perf_counter()
            cat.load(changed_record(iri), fmt="turtle", source="bench")  # publish -> listener
            publish_s = time.perf_counter() - t0
            delta = index.recomputed - before
            live.close()  # from here the follower runs alone, as an offers job would
            follower = live.follower
            cat.load(changed_record(iri).replace(b"health", b"language"), fmt="turtle",
                     source="bench")  # fmt: skip
            t0 = time.perf_counter()
            follower.catch_up(sources=False)
            follow_ds_ms = (time.perf_counter() - t0) * 1000
            edit_lab(cat, "brain-datalab", {"data_spaces": ["language"]}, staff_factory="brain")
            read, before = follower.records_read, follower.recomputed
            t0 = time.perf_counter()
            follower.catch_up(sources=False)
            follow_lab_s = time.perf_counter() - t0
            lab_read, lab_delta = follower.records_read - read, follower.recomputed - before
            t0 = time.perf_counter()
            cold = LiveOffers(cat, follow=False)  # a replica that starts: its mirror loads
            assert cold.ready  # on a thread; meanwhile answers come from the tables
            first = cold.dataset_offers(ids[1])
            cold_ms = (time.perf_counter() - t0) * 1000
            cold_from_tables = not cold.mirror.loaded
            t1 = time.perf_counter()
            cold.lab_datasets("brain-datalab", limit=100)
            cold_lab_ms = (time.perf_counter() - t1) * 1000
            assert cold.mirror.wait_loaded(600)
            mirror_s = time.perf_counter() - t0
            assert first.to_dict() == offers_for(cat, ids[1]).to_dict()
            cold.close()
            project_cpu, storing_cpu, copy_s, copy_cpu, signatures = copied_build(cat)
    fast_ms = statistics.median(fast) * 1000
    fast_p95 = sorted(fast)[int(len(fast) * 0.95)] * 1000
    naive_ms = statistics.median(naive) * 1000
    naive_all_s = statistics.mean(naive) * args.datasets
    body = "\n".join(
        [
            f"Command: `.venv/bin/python -m bench.offers_bench --datasets {args.datasets} "
            f"--shape {args.shape} --samples {args.samples} --section '{args.section}'`",
            "",
            f"Records: {args.shape}"
            + (
                " (" + corpus_shaped.__doc__.split(":", 1)[1].strip().replace("\n    ", " ") + ")"
                if args.shape == "corpus" and corpus_shaped.__doc__
                else ""
            ),
            "",
            f"- datasets: {args.datasets}, labs: {pairs // max(args.datasets, 1)}, "
            f"offers materialised: {pairs}",
            f"- load into Oxigraph: {load_s:.1f} s (not part of the target)",
            f"- store all offers (first build, into SQLite): {materialise_s:.2f} s "
            f"({materialise_cpu:.2f} s CPU; target <= 20 s)",
            f"- of which reading the facts from the store (`catalogue_facts` again after the "
            f"build, alone): {read_cpu:.2f} s CPU; its floor, Oxigraph decoding the "
            f"{fact_triples} triples of the fact predicates its scans return (one SPARQL "
            f"aggregate: no Python object made): {floor_cpu:.2f} s CPU",
            f"- per dataset: build {materialise_cpu / args.datasets * 1e6:.0f} us CPU, reading "
            f"{read_cpu / args.datasets * 1e6:.0f} us, floor {floor_cpu / args.datasets * 1e6:.0f}"
            f" us; at 2,000,000 datasets, linearly (target 60 s): build "
            f"{materialise_cpu / args.datasets * 2e6:.0f} s CPU, reading alone "
            f"{read_cpu / args.datasets * 2e6:.0f} s, floor alone "
            f"{floor_cpu / args.datasets * 2e6:.0f} s",
            f"- the same first build once the search projection stored the facts "
            f"(catalog/facts/table.py; the facts copied, each of the {signatures:,} distinct "
            f"terms decoded and resolved once, beside this process on "
            f"{lifeline.worker_count(settings.offers_build_workers)} worker process(es), no "
            f"record read): {copy_s:.2f} s (this process {copy_cpu:.2f} s CPU); storing the "
            f"facts costs the search projection of the source "
            f"{(storing_cpu - project_cpu) / args.datasets * 1e6:.0f} us CPU per dataset "
            f"({project_cpu:.2f} s CPU without, {storing_cpu:.2f} s with; least of two each)",
            f"- naive per-request evaluation of every dataset (SPARQL reads of record and labs "
            f"per request; extrapolated from {args.samples}): {naive_all_s:.1f} s; "
            f"ratio {naive_all_s / materialise_s:.1f}x",
            f"- one changed dataset published into the {args.datasets}-dataset source: {delta} "
            "offers recomputed "
            f"(its row only); upsert into the source, publish and listener {publish_s:.1f} s "
            "(an in-place update of the current version)",
            f"- offers follower alone: one changed dataset {follow_ds_ms:.1f} ms; one lab edit "
            f"{follow_lab_s:.2f} s ({lab_delta} offers re-resolved from the stored facts, "
            f"{lab_read} records read)",
            f"- a cold replica (reads the stored state and labs; its mirror loads the tables on "
            "a thread, no resolution): ready and first dataset's offers "
            f"{cold_ms:.1f} ms ({'from the tables' if cold_from_tables else 'from the mirror'}); "
            f"first lab's datasets (100) {cold_lab_ms:.1f} ms; mirror loaded {mirror_s:.2f} s "
            "after the start",
            f"- one dataset's offers for a profile (API path, from the mirror; freshness "
            f"checked at most once per {settings.offers_freshness_s:g} s): median "
            f"{fast_ms:.2f} ms, p95 "
            f"{fast_p95:.2f} ms (target <= 10 ms); naive median {naive_ms:.2f} ms; "
            f"ratio {naive_ms / fast_ms:.1f}x",
        ]
    )
    print(body)
    if not args.no_write:
        write_section(args.section, body)


if __name__ == "__main__":
    main()
