"""What the steward pages check before saving: format, SHACL, and the organisation owns it.

A steward may only register or update datasets whose ``dct:publisher`` is their own
organisation (by IRI or ``foaf:name``); an IRI that already exists under another
organisation is refused. The publisher of a form-built record is always the steward's
organisation: the form has no owner field to tamper with.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from api.auth import Principal
from catalog import records
from catalog.errors import DatalabError, Forbidden, InvalidInput
from catalog.graphs import CURRENT_GRAPHS
from catalog.namespaces import DCAT, DCT, DLAB, FOAF
from catalog.rdf_bridge import to_rdflib_graph
from catalog.rdf_input import format_from_name
from catalog.record_scope import foreign_statements
from catalog.service import Catalogue
from catalog.validation import ValidationReport, validate_document

EU = "http://publications.europa.eu/resource/authority/"
FORMATS = {"turtle": "Turtle", "jsonld": "JSON-LD", "xml": "RDF/XML"}
LICENCES = ("CC_BY_4_0", "CC0", "CC_BYSA_4_0", "CC_BYNC_4_0", "ODC_BY", "PDDL")
ACCESS = ("PUBLIC", "RESTRICTED", "NON_PUBLIC")
THEMES = ("HEAL", "EDUC", "ENVI", "TECH", "SOCI", "ECON", "GOVE", "TRAN", "AGRI", "ENER")
LANGUAGES = ("ENG", "DEU", "FRA", "ITA", "SPA", "POL", "NLD", "ELL", "SWE", "FIN")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class Review:
    """The outcome of checking a document: SHACL report, ownership problems, datasets."""

    document: str
    fmt: str
    report: ValidationReport | None = None
    problems: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.report is not None and self.report.conforms


def steward_source(principal: Principal) -> str:
    """The source a steward's datasets are stored in: one per organisation."""
    key = principal.organisation or principal.name or "admin"
    return "steward-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def may_change(principal: Principal, source: str) -> bool:
    """Whether ``principal`` may change or delete a record stored under ``source``: its own
    organisation's steward source, or (an administrator) any steward source."""
    return source == steward_source(principal) or (
        principal.role == "admin" and source.startswith("steward-")
    )


def require_steward(principal: Principal) -> Principal:
    from catalog.errors import Unauthorized

    if principal.anonymous:
        raise Unauthorized("sign in as a data steward", where="session")
    if principal.role == "admin" or (principal.role == "steward" and principal.organisation):
        return principal
    raise Forbidden("only data stewards of an organisation may do this", where="role")


def _existing_publishers(cat: Catalogue, iris: list[str]) -> dict[str, set[str]]:
    """IRIs and names of the publishers of those dataset IRIs already stored (one query)."""
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in iris)
    rows = cat.store.select(
        f"SELECT ?d ?p ?n WHERE {{ {CURRENT_GRAPHS} VALUES ?d {{ {values} }} "
        f"GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id OPTIONAL {{ ?d <{DCT.publisher}> ?p "
        f"OPTIONAL {{ ?p <{FOAF.name}> ?n }} }} }} }}"
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        bucket = out.setdefault(r["d"].value, set())
        for key in ("p", "n"):
            if key in r:
                bucket.add(r[key].value)
    return out


def check_document(cat: Catalogue, principal: Principal, text: str, fmt: str) -> Review:
    """Validate and check ownership, without storing anything."""
    review = Review(text, fmt if fmt in FORMATS else "turtle")
    data = text.encode("utf-8")
    try:
        rdf_format = format_from_name(review.fmt)
        from catalog.rdf_input import iter_triples

        triples = list(iter_triples(data, rdf_format, cat.limits))
        graph = to_rdflib_graph(triples)
        # validated as it will be exported: with the catalogue's description of the agents
        # it cites by IRI (the steward's organisation)
        plain = [ox.Triple(q.subject, q.predicate, q.object) for q in triples]
        known = records.known_agents(cat.store, records.unnamed_agents(plain))
        if known:
            data = ox.serialize(plain + known, format=ox.RdfFormat.N_TRIPLES) or b""
            rdf_format = ox.RdfFormat.N_TRIPLES
        review.report = validate_document(data, rdf_format, cat.settings)
    except DatalabError as exc:
        review.problems.append(str(exc))
        return review
    review.problems.extend(foreign_statements(cat.store, triples, steward_source(principal)))
    subjects = [s for s in graph.subjects(RDF.type, DCAT.Dataset) if isinstance(s, URIRef)]
    review.datasets = [str(s) for s in subjects]
    if not subjects:
        review.problems.append("the document describes no dcat:Dataset with an IRI")
    if principal.role == "admin":
        return review
    org = principal.organisation or ""
    existing = _existing_publishers(cat, review.datasets)
    for s in subjects:
        pubs = {str(p) for p in graph.objects(s, DCT.publisher)}
        pubs |= {
            str(n) for p in graph.objects(s, DCT.publisher) for n in graph.objects(p, FOAF.name)
        }
        if org not in pubs:
            review.problems.append(f"{s}: its publisher must be your organisation ({org})")
        if str(s) in existing and org not in existing[str(s)]:
            review.problems.append(f"{s}: this dataset belongs to another organisation")
    return review


def save_document(cat: Catalogue, principal: Principal, text: str, fmt: str) -> Review:
    """Check again, then store in the steward's source (nothing stored on any problem)."""
    review = check_document(cat, principal, text, fmt)
    if review.ok:
        report = cat.load(text.encode("utf-8"), fmt=review.fmt, source=steward_source(principal))
        review.saved = report.dataset_ids
        if report.errors:
            review.problems.extend(str(e) for e in report.errors)
    return review


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:40] or "dataset"


def document_from_form(cat: Catalogue, principal: Principal, form: dict[str, str]) -> str:
    """Turtle for a dataset described in the form; only whitelisted fields are read."""
    title = form.get("title", "").strip()
    lang = form.get("language", "ENG")
    if lang not in LANGUAGES:
        raise InvalidInput("unknown language", where="language")
    tag = {
        "ENG": "en",
        "DEU": "de",
        "FRA": "fr",
        "ITA": "it",
        "SPA": "es",
        "POL": "pl",
        "NLD": "nl",
        "ELL": "el",
        "SWE": "sv",
        "FIN": "fi",
    }[lang]
    base = cat.settings.base_iri.rstrip("/")
    s = URIRef(f"{base}/dataset/{_slug(title)}-{secrets.token_hex(3)}")
    g = Graph()
    g.add((s, RDF.type, DCAT.Dataset))
    if title:
        g.add((s, DCT.title, Literal(title, lang=tag)))
    if form.get("description", "").strip():
        g.add((s, DCT.description, Literal(form["description"].strip(), lang=tag)))
    for kw in form.get("keywords", "").split(","):
        if kw.strip():
            g.add((s, DCAT.keyword, Literal(kw.strip()[:200], lang=tag)))
    g.add((s, DCT.language, URIRef(f"{EU}language/{lang}")))
    if form.get("theme") in THEMES:
        g.add((s, DCAT.theme, URIRef(f"{EU}data-theme/{form['theme']}")))
    if form.get("access") in ACCESS:
        g.add((s, DCT.accessRights, URIRef(f"{EU}access-right/{form['access']}")))
    org = principal.organisation or principal.name or ""
    if org.startswith(("http://", "https://")):
        g.add((s, DCT.publisher, URIRef(org)))
    else:
        agent = URIRef(f"{base}/agent/{_slug(org)}")
        g.add((s, DCT.publisher, agent))
        g.add((agent, RDF.type, FOAF.Agent))
        g.add((agent, FOAF.name, Literal(org)))
    if form.get("licence") in LICENCES:
        dist = BNode()
        g.add((s, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCT.license, URIRef(f"{EU}licence/{form['licence']}")))
        url = form.get("access_url", "").strip()
        if url.startswith(("http://", "https://")):
            g.add((dist, DCAT.accessURL, URIRef(url)))
    g.bind("dcat", DCAT)
    g.bind("dct", DCT)
    g.bind("foaf", FOAF)
    return g.serialize(format="turtle")


def steward_datasets(
    cat: Catalogue, principal: Principal, limit: int = 200
) -> list[dict[str, Any]]:
    """The datasets published by the steward's organisation (one query), with their source."""
    org = principal.organisation or ""
    cond = (
        "true"
        if principal.role == "admin"
        else (
            f"(?p = {ox.NamedNode(org) if org.startswith('http') else '<urn:x-none>'} "
            f"|| STR(?n) = {ox.Literal(org)})"
        )
    )
    rows = cat.store.select(
        f"SELECT DISTINCT ?id ?d ?source WHERE {{ {CURRENT_GRAPHS} GRAPH ?g {{ "
        f"?d <{DLAB.datasetId}> ?id ; <{DCT.publisher}> ?p OPTIONAL {{ ?p <{FOAF.name}> ?n }} }} "
        f"FILTER({cond}) }} ORDER BY ?id LIMIT {int(limit)}"
    )
    return [{"id": r["id"].value, "iri": r["d"].value, "source": r["source"].value} for r in rows]
