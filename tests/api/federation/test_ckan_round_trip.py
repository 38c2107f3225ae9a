"""A CKAN round trip: the CKAN API's packages harvested back by the project's CKAN connector
keep the records' descriptions; incremental harvests follow the records' change time here."""

from __future__ import annotations

import time

import ckanapi
import httpx
from typer.testing import CliRunner

from catalog import records
from catalog.harvest import Harvester
from catalog.namespaces import DLAB, INTERNAL_PREDICATES
from cli.app import app as cli
from tests.api.federation.conftest import free_port
from tests.api.federation.test_ckan_actions import PACKAGE, tokens

#: Of the demo's 41 records, 34 come back identical; the others lose ODRL policies on
#: distributions or a second rdf:type (docs/mapping-ckan.md, "What a round trip loses").
MIN_IDENTICAL = 34
#: Predicates of context nodes (not owned by the record) that the round trip carries.
AGENT_PROPS = {
    "http://xmlns.com/foaf/0.1/name",
    "http://xmlns.com/foaf/0.1/mbox",
    "http://xmlns.com/foaf/0.1/homepage",
}


def description(cat, ident: str) -> set[tuple]:
    """A record's description as comparable facts: every statement of the record (but the
    data spaces this catalogue files it under, its own classification), blank
    nodes and distributions named by their path from the dataset (a distribution without
    an IRI comes back with one minted from the CKAN resource), agents by name."""
    ref = cat.find(ident)
    triples = [
        t
        for t in records.describe(cat.store, ref)
        if t.predicate.value not in INTERNAL_PREDICATES and t.predicate.value != str(DLAB.dataSpace)
    ]
    by_subject: dict[str, list] = {}
    for t in triples:
        by_subject.setdefault(t.subject.value, []).append(t)
    out: set[tuple] = set()

    def walk(node: str, path: tuple, depth: int) -> None:
        for t in by_subject.get(node, []):
            p, o = t.predicate.value, t.object
            owned = o.value in by_subject and (
                "genid" in o.value or p == "http://www.w3.org/ns/dcat#distribution"
            )
            if owned and depth < 4:
                walk(o.value, (*path, p), depth + 1)
                continue
            value = (o.value, getattr(o, "language", None), str(getattr(o, "datatype", "")))
            out.add((*path, p, value))
            if p in (
                "http://purl.org/dc/terms/publisher",
                "http://healthdataportal.eu/ns/health#hdab",
            ):
                for a in by_subject.get(o.value, []):
                    if a.predicate.value in AGENT_PROPS:
                        out.add((*path, p, a.predicate.value, a.object.value))

    walk(ref.iri, (), 0)
    return {f for f in out if not any("genid" in str(x) for x in f)}


def _peer(instance_factory, *, incremental: bool = False):
    pa = free_port()
    a = instance_factory("a", port=pa, demo=True)
    b = instance_factory("b", peers=(pa,))
    args = ["source", "add", "peer-a", "--type", "ckan", "--url", a.url]
    result = CliRunner().invoke(
        cli,
        args + (["--incremental"] if incremental else []),
        env={"DATALAB_HOME": str(b.settings.home)},
    )
    assert result.exit_code == 0, result.output
    return a, b


def test_ckan_round_trip_keeps_the_records(instance_factory) -> None:
    a, b = _peer(instance_factory)
    job = Harvester(b.catalogue, validate=False).run("peer-a")
    assert job.status == "succeeded", (job.message, job.errors[:3])
    ids = sorted(i.id for i in a.catalogue.datasets(limit=500).items)
    identical, differences = 0, {}
    for ident in ids:
        mine, theirs = description(a.catalogue, ident), description(b.catalogue, ident)
        if mine == theirs:
            identical += 1
        else:
            differences[ident] = (sorted(mine - theirs)[:3], sorted(theirs - mine)[:3])
    print(f"identical after the CKAN round trip: {identical}/{len(ids)}")
    assert identical >= MIN_IDENTICAL, differences


def test_incremental_harvest_sees_records_edited_here(instance_factory) -> None:
    a, b = _peer(instance_factory, incremental=True)
    keys = tokens(a)
    with ckanapi.RemoteCKAN(a.url, apikey=keys["stew-a"]) as api:
        made = api.action.package_create(**PACKAGE)
    first = Harvester(b.catalogue, validate=False).run("peer-a")
    assert first.status == "succeeded" and first.counts["new"] == 42
    time.sleep(1.1)  # the cursor has seconds: the edit must be in a later second
    before = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    with ckanapi.RemoteCKAN(a.url, apikey=keys["stew-a"]) as api:
        patched = api.action.package_patch(id=made["id"], notes="Corrected units.")
    # the publisher's date did not move; the record's change time here did
    modified = {e["key"]: e["value"] for e in patched["extras"]}["modified"]
    assert modified == "2024-06-01"
    again = Harvester(b.catalogue, validate=False).run("peer-a")
    assert again.status == "succeeded", again.errors[:3]
    assert again.counts["updated"] == 1 and again.counts["new"] == 0
    harvested = records.describe(b.catalogue.store, b.catalogue.find(made["id"]))
    assert any(t.object.value == "Corrected units." for t in harvested)
    # /catalog?modified_since follows the same change time
    page = httpx.get(f"{a.url}/catalog", params={"modified_since": before, "format": "ttl"})
    assert page.status_code == 200
    assert "Corrected units." in page.text
    assert page.headers["X-Total-Count"] == "1"
