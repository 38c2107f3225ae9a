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
from rdflib.namespace import RDF, XSD

from api.auth import Principal
from catalog import records
from catalog.errors import DatalabError, Forbidden
from catalog.graphs import CURRENT_GRAPHS
from catalog.namespaces import DCAT, DCT, DLAB, FOAF, VCARD
from catalog.rdf_bridge import to_rdflib_graph
from catalog.rdf_input import format_from_name
from catalog.record_scope import foreign_statements
from catalog.search.vocab import THEMES as THEME_LABELS
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


#: The form's language codes (EU authority) and the tags of the literals written in them.
LANGUAGE_TAGS = {
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
}
#: File types a distribution may declare (EU file-type authority codes).
FILE_TYPES = ("CSV", "JSON", "PARQUET", "XLSX", "XML", "ZIP", "RDF_TURTLE", "GEOJSON")
#: The form's fields; lists are sent as repeated values.
FORM_TEXT = (
    "title",
    "description",
    "keywords",
    "access",
    "licence",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
    "access_url",
    "file_type",
)
FORM_LISTS = ("languages", "themes")
#: dct:format (``DCT.format`` would be ``str.format`` to a type checker).
DCT_FORMAT = URIRef(f"{DCT}format")
_EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: A SHACL finding's property (or the node it is found on) -> the form field it is shown at.
FIELD_OF_PATH = {
    "dct:title": "title",
    "dct:description": "description",
    "dcat:keyword": "keywords",
    "dct:language": "languages",
    "dcat:theme": "themes",
    "dct:accessRights": "access",
    "dct:license": "licence",
    "dct:temporal": "temporal_start",
    "dcat:startDate": "temporal_start",
    "dcat:endDate": "temporal_end",
    "dcat:contactPoint": "contact_name",
    "vcard:fn": "contact_name",
    "vcard:hasEmail": "contact_email",
    "dcat:distribution": "access_url",
    "dcat:accessURL": "access_url",
    "dct:format": "file_type",
}
_LABEL_OF = {
    "title": "the title",
    "description": "the description",
    "keywords": "the keywords",
    "languages": "the languages",
    "themes": "the themes",
    "access": "the access rights",
    "licence": "the licence",
    "temporal_start": "the temporal coverage",
    "temporal_end": "the temporal coverage",
    "contact_name": "the contact point",
    "contact_email": "the contact point's e-mail",
    "access_url": "the distribution's access URL",
    "file_type": "the distribution's format",
}


#: What the form's choices read as (codes are never shown raw); themes from the search
#: vocabulary, which indexes them in every language.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "languages": {
        "ENG": "English",
        "DEU": "German",
        "FRA": "French",
        "ITA": "Italian",
        "SPA": "Spanish",
        "POL": "Polish",
        "NLD": "Dutch",
        "ELL": "Greek",
        "SWE": "Swedish",
        "FIN": "Finnish",
    },
    "themes": {code: THEME_LABELS[code]["en"] for code in THEMES},
    "access": {"PUBLIC": "Public", "RESTRICTED": "Restricted", "NON_PUBLIC": "Non-public"},
    "licences": {
        "CC_BY_4_0": "Creative Commons Attribution 4.0",
        "CC0": "Creative Commons Zero (public domain)",
        "CC_BYSA_4_0": "Creative Commons Attribution-ShareAlike 4.0",
        "CC_BYNC_4_0": "Creative Commons Attribution-NonCommercial 4.0",
        "ODC_BY": "Open Data Commons Attribution",
        "PDDL": "Open Data Commons Public Domain Dedication",
    },
    "file_types": {
        "CSV": "CSV",
        "JSON": "JSON",
        "PARQUET": "Parquet",
        "XLSX": "Excel (XLSX)",
        "XML": "XML",
        "ZIP": "ZIP archive",
        "RDF_TURTLE": "RDF Turtle",
        "GEOJSON": "GeoJSON",
    },
}


def publisher_of(principal: Principal) -> str:
    """The publisher a steward's form records name: their organisation, never a choice."""
    return principal.organisation or principal.name or ""


def organisation_name(cat: Catalogue, organisation: str) -> str:
    """The name the catalogue knows for an organisation IRI (``foaf:name``), else as given."""
    if not organisation.startswith(("http://", "https://")):
        return organisation
    rows = cat.store.select(
        f"SELECT ?n WHERE {{ {CURRENT_GRAPHS} GRAPH ?g {{ {ox.NamedNode(organisation)} "
        f"<{FOAF.name}> ?n }} }} LIMIT 1"
    )
    return next((str(r["n"].value) for r in rows), organisation)


def form_fields(
    principal: Principal, sent: dict[str, Any] | None = None, publisher_name: str = ""
) -> dict[str, Any]:
    """The dataset form's values: defaults (English, public, CC BY 4.0, the steward's
    organisation as publisher), overlaid with what was sent."""
    values: dict[str, Any] = {k: "" for k in FORM_TEXT}
    values.update(
        languages=["ENG"], themes=[], access="PUBLIC", licence="CC_BY_4_0", file_type="CSV"
    )
    values.update({k: v for k, v in (sent or {}).items() if k in FORM_TEXT + FORM_LISTS})
    values["publisher"] = publisher_of(principal)
    values["publisher_name"] = publisher_name or values["publisher"]
    return values


def sent_form(form: Any) -> dict[str, Any]:
    """The dataset form's fields from a posted form (only these are read)."""
    out: dict[str, Any] = {k: str(form.get(k) or "") for k in FORM_TEXT}
    for k in FORM_LISTS:
        out[k] = [v for v in form.getlist(k) if isinstance(v, str)]
    if not out["languages"] and form.get("language"):  # the form before issue 15
        out["languages"] = [str(form.get("language"))]
    if not out["themes"] and form.get("theme"):
        out["themes"] = [str(form.get("theme"))]
    return out


def check_form(values: dict[str, Any]) -> dict[str, str]:
    """Problems a record cannot be built with, field by field (SHACL checks the rest)."""
    errors: dict[str, str] = {}
    if not values["title"].strip():
        errors["title"] = "enter a title"
    if not values["description"].strip():
        errors["description"] = "describe the dataset in a sentence or more"
    bad = [v for v in values["languages"] if v not in LANGUAGE_TAGS]
    if bad or not values["languages"]:
        errors["languages"] = "choose at least one of the listed languages"
    if any(v not in THEMES for v in values["themes"]):
        errors["themes"] = "choose themes from the list"
    if values["access"] not in ACCESS:
        errors["access"] = "choose the access rights from the list"
    if values["licence"] not in LICENCES:
        errors["licence"] = "choose a licence from the list"
    if values["file_type"] not in FILE_TYPES:
        errors["file_type"] = "choose the format from the list"
    url = values["access_url"].strip()
    if not url.startswith(("https://", "http://")) or re.search(r"[\s<>\"{}|\\^`]", url):
        errors["access_url"] = "enter the web address (https://…) where the data can be obtained"
    email = values["contact_email"].strip()
    if email and not _EMAIL.fullmatch(email):
        errors["contact_email"] = f"{email!r} is not an e-mail address (name@example.org)"
    if email and not values["contact_name"].strip():
        errors["contact_name"] = "name the contact point (a person or a team) for that e-mail"
    start, end = values["temporal_start"].strip(), values["temporal_end"].strip()
    for key, day in (("temporal_start", start), ("temporal_end", end)):
        if day and not _DATE.fullmatch(day):
            errors[key] = f"{day!r} is not a date: write it as YYYY-MM-DD"
    dates_read = "temporal_start" not in errors and "temporal_end" not in errors
    if start and end and dates_read and end < start:
        errors["temporal_end"] = "the end of the coverage is before its start"
    return errors


def document_from_form(
    cat: Catalogue, principal: Principal, form: dict[str, Any]
) -> tuple[str, str]:
    """Turtle for a dataset described in the form, and the dataset's IRI.

    Only the form's fields are read; the publisher is always the steward's organisation.
    The distribution has an IRI under the dataset's; the contact point and the period are
    blank nodes used once, which Turtle writes inline (``[ … ]``, never an ``_:`` id) and
    the store skolemises as parts of the record (:mod:`catalog.ownership`)."""
    values = {**form_fields(principal), **form}
    title = values["title"].strip()
    langs = [v for v in values["languages"] if v in LANGUAGE_TAGS] or ["ENG"]
    tag = LANGUAGE_TAGS[langs[0]]
    base = cat.settings.base_iri.rstrip("/")
    s = URIRef(f"{base}/dataset/{_slug(title)}-{secrets.token_hex(3)}")
    g = Graph()
    g.add((s, RDF.type, DCAT.Dataset))
    if title:
        g.add((s, DCT.title, Literal(title, lang=tag)))
    if values["description"].strip():
        g.add((s, DCT.description, Literal(values["description"].strip(), lang=tag)))
    for kw in values["keywords"].split(","):
        if kw.strip():
            g.add((s, DCAT.keyword, Literal(kw.strip()[:200], lang=tag)))
    for lang in langs:
        g.add((s, DCT.language, URIRef(f"{EU}language/{lang}")))
    for theme in values["themes"]:
        if theme in THEMES:
            g.add((s, DCAT.theme, URIRef(f"{EU}data-theme/{theme}")))
    if values["access"] in ACCESS:
        g.add((s, DCT.accessRights, URIRef(f"{EU}access-right/{values['access']}")))
    org = publisher_of(principal)
    if org.startswith(("http://", "https://")):
        g.add((s, DCT.publisher, URIRef(org)))
    else:
        agent = URIRef(f"{base}/agent/{_slug(org)}")
        g.add((s, DCT.publisher, agent))
        g.add((agent, RDF.type, FOAF.Agent))
        g.add((agent, FOAF.name, Literal(org)))
    start, end = values["temporal_start"].strip(), values["temporal_end"].strip()
    if start or end:
        period = BNode()
        g.add((s, DCT.temporal, period))
        g.add((period, RDF.type, DCT.PeriodOfTime))
        if start:
            g.add((period, DCAT.startDate, Literal(start, datatype=XSD.date)))
        if end:
            g.add((period, DCAT.endDate, Literal(end, datatype=XSD.date)))
    if values["contact_name"].strip() or values["contact_email"].strip():
        contact = BNode()
        g.add((s, DCAT.contactPoint, contact))
        g.add((contact, RDF.type, VCARD.Kind))
        if values["contact_name"].strip():
            g.add((contact, VCARD.fn, Literal(values["contact_name"].strip())))
        if values["contact_email"].strip():
            g.add((contact, VCARD.hasEmail, URIRef("mailto:" + values["contact_email"].strip())))
    dist = URIRef(f"{s}/distribution")
    g.add((s, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    if values["licence"] in LICENCES:
        g.add((dist, DCT.license, URIRef(f"{EU}licence/{values['licence']}")))
    url = values["access_url"].strip()
    if url.startswith(("http://", "https://")):
        g.add((dist, DCAT.accessURL, URIRef(url)))
    if values["file_type"] in FILE_TYPES:
        g.add((dist, DCT_FORMAT, URIRef(f"{EU}file-type/{values['file_type']}")))
    for prefix, ns in (("dcat", DCAT), ("dct", DCT), ("foaf", FOAF), ("vcard", VCARD)):
        g.bind(prefix, ns)
    return g.serialize(format="turtle"), str(s)


def form_findings(review: Review) -> dict[str, str]:
    """The review's violations, problems included, as form field -> message (each field
    its first message); what maps to no field is kept under ``record``."""
    out: dict[str, str] = {}
    if review.report is not None:
        for f in review.report.violations():
            field = FIELD_OF_PATH.get(f.path or "", "record")
            what = _LABEL_OF.get(field, f.path or "the record")
            out.setdefault(field, f"{what}: {f.message}")
    for problem in review.problems:
        out.setdefault("record", problem)
    return out


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
