"""CKAN package dictionaries to DCAT-AP 3, following ckanext-dcat's ``euro_dcat_ap`` profiles.

Used by the CKAN connector (harvests) and by the CKAN API's writes (``package_create``…).
The fields ckanext-dcat defines beyond CKAN's core come from one table shared with the
export (:mod:`catalog.federation.ckan_fields`), so an exported package maps back to the
same record: translations (``*_translated``), agents, periods, HealthDCAT-AP fields.

Both shapes of a package are read: classic ``extras`` (``[{"key", "value"}]``) and the
scheming fields ckanext-dcat 2 writes at the top level (``contact``, ``publisher``…). The
table is in ``docs/mapping-ckan.md``. Blank nodes (contact points, publishers, periods)
belong to their dataset's record; values that are not usable IRIs are dropped, never
stored as links.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from catalog.errors import MappingError
from catalog.federation import ckan_fields as cf
from catalog.namespaces import IANA_MEDIA_TYPES

log = logging.getLogger(__name__)

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
ADMS = "http://www.w3.org/ns/adms#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
#: IANA's media types (DCAT-AP's form, ``http://``): one spelling everywhere.
IANA = IANA_MEDIA_TYPES
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
#: CKAN format labels that name an EU file type (the code, once upper-cased with "-", " "
#: and "/" as "_"), and the usual other spellings of some.
# fmt: off
FILE_TYPES = frozenset({
    "CSV", "TSV", "JSON", "JSON_LD", "XML", "HTML", "PDF", "TXT", "RTF", "ZIP", "GZIP", "TAR",
    "TAR_GZ", "RAR", "XLS", "XLSX", "ODS", "ODT", "DOC", "DOCX", "PPT", "PPTX", "GEOJSON",
    "GML", "KML", "KMZ", "SHP", "NETCDF", "TIFF", "JPEG", "PNG", "GIF", "SVG", "RDF",
    "RDF_XML", "RDF_TURTLE", "RDF_N_TRIPLES", "RDF_N_QUADS", "RDF_TRIG", "N3", "SPARQLQ",
    "SQL", "WMS_SRVC", "WFS_SRVC", "ATOM", "RSS", "PARQUET",
})
# fmt: on
FILE_TYPE_ALIASES = {
    "TURTLE": "RDF_TURTLE",
    "TTL": "RDF_TURTLE",
    "N_TRIPLES": "RDF_N_TRIPLES",
    "NT": "RDF_N_TRIPLES",
    "JSONLD": "JSON_LD",
    "GZ": "GZIP",
    "TIF": "TIFF",
    "JPG": "JPEG",
    "WMS": "WMS_SRVC",
    "WFS": "WFS_SRVC",
    "SHAPEFILE": "SHP",
}
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
_MEDIA_TYPE = re.compile(r"^[a-z]+/[A-Za-z0-9][A-Za-z0-9.+_-]*$")

#: CKAN licence ids (CKAN's default register) to licence IRIs, when no license_url is given.
LICENCES = {
    "cc-by": "http://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa": "http://creativecommons.org/licenses/by-sa/4.0/",
    "cc-zero": "http://creativecommons.org/publicdomain/zero/1.0/",
    "cc-nc": "http://creativecommons.org/licenses/by-nc/4.0/",
    "odc-by": "http://opendatacommons.org/licenses/by/1.0/",
    "odc-odbl": "http://opendatacommons.org/licenses/odbl/1.0/",
    "odc-pddl": "http://opendatacommons.org/licenses/pddl/1.0/",
    "gfdl": "http://www.gnu.org/licenses/fdl-1.3.html",
    "uk-ogl": "http://reference.data.gov.uk/id/open-government-licence",
}

_NOT_IN_IRI = re.compile(r'[ <>"{}|\\^`\n\r\t\x00]')
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+")
#: Predicate IRIs to their (immutable, shareable) NamedNodes.
_PREDICATES: dict[str, ox.NamedNode] = {}


def _p(iri: str) -> ox.NamedNode:
    node = _PREDICATES.get(iri)
    if node is None:
        node = _PREDICATES[iri] = ox.NamedNode(iri)
    return node


def _segment(value: str) -> str:
    """``value`` percent-encoded as one path segment."""
    return value if _SAFE_SEGMENT.fullmatch(value) else quote(value, safe="")


def _nn(value: Any) -> ox.NamedNode | None:
    """A NamedNode for an http(s) or urn value, or None when it is not a usable IRI."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value[:8].lower().startswith(("http://", "https://", "urn:")):
        return None
    if _NOT_IN_IRI.search(value):
        return None
    try:
        return ox.NamedNode(value)
    except ValueError:
        return None


def _lit(value: Any, datatype: str | None = None) -> ox.Literal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value)
        if isinstance(value, (list, dict))
        else str(value)
    )
    return ox.Literal(text, datatype=_p(datatype)) if datatype else ox.Literal(text)


def _date(value: Any) -> ox.Literal | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    kind = "dateTime" if "T" in value else "date"
    try:
        return ox.Literal(value, datatype=_p(XSD + kind))
    except ValueError:
        return None


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return value if isinstance(value, list) else [value]


class PackageMapper:
    """Maps CKAN package dicts of one portal (``site``) to DCAT-AP 3 triples."""

    def __init__(self, site: str) -> None:
        self.site = site.rstrip("/")

    def dataset_iri(
        self, pkg: dict[str, Any], extras: dict[str, Any] | None = None
    ) -> ox.NamedNode:
        """The package's own ``uri`` (top level or extra), else one under the portal's site."""
        if extras is None:
            extras = self.extras(pkg)
        node = _nn(pkg.get("uri")) or _nn(extras.get("uri"))
        if node:
            return node
        return ox.NamedNode(f"{self.site}/dataset/{_segment(str(pkg['id']))}")

    @staticmethod
    def extras(pkg: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in pkg.get("extras") or []:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                out[item["key"]] = item.get("value")
        return out

    def map(self, pkg: Any) -> tuple[ox.NamedNode, list[ox.Triple]]:
        """The dataset IRI and its triples; :class:`MappingError` when it cannot be mapped."""
        if not isinstance(pkg, dict):
            raise MappingError(f"a package must be a JSON object, got {type(pkg).__name__}")
        if not isinstance(pkg.get("id"), str) or not pkg["id"]:
            raise MappingError("the package has no id")
        extras = self.extras(pkg)

        def field(key: str) -> Any:
            value = pkg.get(key)
            return value if value not in (None, "", []) else extras.get(key)

        ds = self.dataset_iri(pkg, extras)
        out: list[ox.Triple] = []

        def add(s: Any, p: str, o: Any) -> None:
            if o is not None:
                out.append(ox.Triple(s, _p(p), o))

        kind = DCAT + ("DatasetSeries" if pkg.get("type") == "dataset_series" else "Dataset")
        out.append(ox.Triple(ds, RDF_TYPE, _p(kind)))
        for key, prop in (("title", DCT + "title"), ("notes", DCT + "description")):
            plain = pkg.get(key) or (pkg.get("name") if key == "title" else None)
            for lit in _texts(plain, field(key + "_translated")):
                add(ds, prop, lit)
        ident = field("identifier") or field("guid") or pkg["id"]
        for value in (
            _as_list(ident) if isinstance(ident, str) and ident.startswith("[") else [ident]
        ):
            add(ds, DCT + "identifier", _lit(value))
        add(ds, DCT + "issued", _date(field("issued") or pkg.get("metadata_created")))
        add(ds, DCT + "modified", _date(field("modified") or pkg.get("metadata_modified")))
        add(ds, DCAT + "landingPage", _nn(pkg.get("url")))
        translated_tags = field("tags_translated")
        if translated_tags:
            for lit in _texts(None, translated_tags):
                add(ds, DCAT + "keyword", lit)
        else:
            for tag in pkg.get("tags") or []:
                name = tag.get("display_name") or tag.get("name") if isinstance(tag, dict) else tag
                add(ds, DCAT + "keyword", _lit(name))
        skip = {"identifier", "issued", "modified"}
        for f in cf.DATASET_FIELDS:
            # a key in neither the package nor its extras has no value: skip the call
            if f.key not in skip and (f.key in pkg or f.key in extras):
                for obj in _field_values(f, field):
                    add(ds, f.prop, obj)
        has_themes = bool(_as_list(field("theme")))
        for group in [] if has_themes else pkg.get("groups") or []:
            if isinstance(group, dict) and group.get("name"):
                add(ds, DCAT + "theme", _nn(f"{self.site}/group/{_segment(group['name'])}"))
        self._provenance(ds, field, out)
        self._periods(ds, field, out)
        self._spatial(ds, field, out)
        self._contact(ds, pkg, field, out)
        self._publisher(ds, pkg, field, out)
        for key in ("creator", "hdab"):
            self._agents(
                ds,
                cf.AGENT_FIELDS[key],
                [a for a in _as_list(field(key)) if isinstance(a, dict)],
                out,
            )
        licence = _nn(pkg.get("license_url")) or _nn(LICENCES.get(str(pkg.get("license_id"))))
        for res in pkg.get("resources") or []:
            if isinstance(res, dict):
                self._distribution(ds, pkg, res, licence, out)
        return ds, out

    def _provenance(self, ds: ox.NamedNode, field: Any, out: list[ox.Triple]) -> None:
        """``provenance`` as ckanext-dcat writes it: a ``dct:ProvenanceStatement`` label."""
        labels = _texts(field("provenance"), field("provenance_translated"))
        if labels:
            node = ox.BlankNode()
            out.append(ox.Triple(ds, _p(DCT + "provenance"), node))
            out.append(ox.Triple(node, RDF_TYPE, _p(DCT + "ProvenanceStatement")))
            for lit in labels:
                out.append(ox.Triple(node, _p(cf.RDFS + "label"), lit))

    def _spatial(self, ds: ox.NamedNode, field: Any, out: list[ox.Triple]) -> None:
        """``spatial_coverage`` items with a box, centroid or geometry: a ``dct:Location``."""
        for item in _as_list(field("spatial_coverage")):
            if not isinstance(item, dict):
                continue
            node = _nn(item.get("uri")) or ox.BlankNode()
            values = []
            for key, prop in (("bbox", "bbox"), ("centroid", "centroid"), ("geom", "geometry")):
                text = item.get(key)
                if isinstance(text, str) and text:
                    kind = item.get(key + "_datatype")
                    ns = cf.LOCN if key == "geom" else DCAT
                    values.append(
                        (
                            ns + prop,
                            ox.Literal(text, datatype=_p(kind))
                            if isinstance(kind, str) and _nn(kind)
                            else ox.Literal(text),
                        )
                    )
            if not values:
                continue
            out.append(ox.Triple(ds, _p(DCT + "spatial"), node))
            out.append(ox.Triple(node, RDF_TYPE, _p(DCT + "Location")))
            out.extend(ox.Triple(node, _p(prop), lit) for prop, lit in values)

    def _periods(self, ds: ox.NamedNode, field: Any, out: list[ox.Triple]) -> None:
        for key, prop in cf.PERIOD_FIELDS.items():
            periods = _as_list(field(key))
            if key == "temporal_coverage":
                start, end = field("temporal_start"), field("temporal_end")
                if start or end:
                    periods.append({"start": start, "end": end})
            for period in periods:
                if not isinstance(period, dict):
                    continue
                node = ox.BlankNode()
                out.append(ox.Triple(ds, _p(prop), node))
                out.append(ox.Triple(node, RDF_TYPE, _p(DCT + "PeriodOfTime")))
                for name, date_prop in (("start", "startDate"), ("end", "endDate")):
                    value = _date(period.get(name))
                    if value is not None:
                        out.append(ox.Triple(node, _p(DCAT + date_prop), value))

    def _contact(
        self, ds: ox.NamedNode, pkg: dict[str, Any], field: Any, out: list[ox.Triple]
    ) -> None:
        contacts = [c for c in _as_list(field("contact")) if isinstance(c, dict)]
        if not contacts and (field("contact_name") or field("contact_email")):
            contacts = [
                {
                    "name": field("contact_name"),
                    "email": field("contact_email"),
                    "uri": field("contact_uri"),
                }
            ]
        if not contacts:
            name = pkg.get("maintainer") or pkg.get("author")
            email = pkg.get("maintainer_email") or pkg.get("author_email")
            if name or email:
                contacts = [{"name": name, "email": email}]
        for c in contacts:
            node = _nn(c.get("uri")) or ox.BlankNode()
            out.append(ox.Triple(ds, _p(DCAT + "contactPoint"), node))
            out.append(ox.Triple(node, RDF_TYPE, _p(VCARD + "Kind")))
            if _lit(c.get("name")):
                out.append(ox.Triple(node, _p(VCARD + "fn"), _lit(c["name"])))  # type: ignore[arg-type]
            email = c.get("email")
            if isinstance(email, str) and "@" in email:
                mail = _nn_mail(email)
                if mail:
                    out.append(ox.Triple(node, _p(VCARD + "hasEmail"), mail))

    def _publisher(
        self, ds: ox.NamedNode, pkg: dict[str, Any], field: Any, out: list[ox.Triple]
    ) -> None:
        pubs = [p for p in _as_list(field("publisher")) if isinstance(p, dict)]
        if not pubs and (field("publisher_name") or field("publisher_uri")):
            pubs = [
                {
                    "name": field("publisher_name"),
                    "uri": field("publisher_uri"),
                    "email": field("publisher_email"),
                    "url": field("publisher_url"),
                    "type": field("publisher_type"),
                }
            ]
        org = pkg.get("organization")
        if not pubs and isinstance(org, dict) and (org.get("title") or org.get("name")):
            pubs = [
                {
                    "name": org.get("title") or org.get("name"),
                    "uri": f"{self.site}/organization/"
                    + _segment(str(org.get("name") or org.get("id"))),
                }
            ]
        self._agents(ds, DCT + "publisher", pubs, out)

    def _agents(
        self, ds: ox.NamedNode, prop: str, agents: list[dict[str, Any]], out: list[ox.Triple]
    ) -> None:
        """Agents (``{uri, name, name_translated, email, url, type}``) as ``foaf:Agent``s."""
        for a in agents:
            node = _nn(a.get("uri")) or ox.BlankNode()
            out.append(ox.Triple(ds, _p(prop), node))
            out.append(ox.Triple(node, RDF_TYPE, _p(FOAF + "Agent")))
            for name in _texts(a.get("name"), a.get("name_translated")):
                out.append(ox.Triple(node, _p(FOAF + "name"), name))
            mail = _nn_mail(a.get("email"))
            if mail:
                out.append(ox.Triple(node, _p(FOAF + "mbox"), mail))
            home = _nn(a.get("url")) or _nn(a.get("homepage"))
            if home:
                out.append(ox.Triple(node, _p(FOAF + "homepage"), home))
            kind = _nn(a.get("type"))
            if kind:
                out.append(ox.Triple(node, _p(DCT + "type"), kind))

    def _distribution(
        self,
        ds: ox.NamedNode,
        pkg: dict[str, Any],
        res: dict[str, Any],
        licence: ox.NamedNode | None,
        out: list[ox.Triple],
    ) -> None:
        rid = str(res.get("id") or "")
        node = _nn(res.get("uri")) or (
            ox.NamedNode(f"{self.site}/dataset/{_segment(pkg['id'])}/resource/{_segment(rid)}")
            if rid
            else ox.BlankNode()
        )

        def add(p: str, o: Any) -> None:
            if o is not None:
                out.append(ox.Triple(node, _p(p), o))

        out.append(ox.Triple(ds, _p(DCAT + "distribution"), node))
        add(str(RDF_TYPE.value), _p(DCAT + "Distribution"))
        for lit in _texts(res.get("name"), res.get("name_translated")):
            add(DCT + "title", lit)
        for lit in _texts(res.get("description"), res.get("description_translated")):
            add(DCT + "description", lit)
        url = _nn(res.get("access_url")) or _nn(res.get("url"))
        if url is None and res.get("url"):
            log.info(
                "resource %s of %s: url %.80r is not an http(s) IRI; dropped",
                rid,
                pkg["id"],
                res["url"],
            )
        add(DCAT + "accessURL", url)
        download = _nn(res.get("download_url")) or (
            url if res.get("url_type") == "upload" else None
        )
        add(DCAT + "downloadURL", download)
        add(DCT + "format", _format(res.get("format"), out))
        mime = res.get("mimetype")
        if isinstance(mime, str) and "/" in mime:
            # a bare media type (text/csv) is IANA's; an IRI is kept as it is
            add(DCAT + "mediaType", _nn(mime) or _nn(IANA + mime.strip()))
        size = res.get("size")
        if isinstance(size, int) and size >= 0:
            add(
                DCAT + "byteSize",
                ox.Literal(str(size), datatype=_p(XSD + "nonNegativeInteger")),
            )
        add(DCT + "issued", _date(res.get("issued") or res.get("created")))
        add(DCT + "modified", _date(res.get("modified") or res.get("last_modified")))
        add(DCT + "license", _nn(res.get("license")) or licence)
        add(
            DCT + "rights",
            _lit(res.get("rights")) if not _nn(res.get("rights")) else _nn(res.get("rights")),
        )
        for f in cf.RESOURCE_FIELDS:
            if f.key in res and f.key not in ("issued", "modified"):
                for obj in _field_values(f, lambda key: res.get(key)):
                    add(f.prop, obj)


def _texts(plain: Any, translated: Any) -> list[ox.Literal]:
    """Literals of a text field: each translation with its language, and the plain value
    when no translation repeats it (ckanext-dcat's ``*_translated`` fields)."""
    if isinstance(translated, str) and translated.startswith("{"):
        try:
            translated = json.loads(translated)
        except ValueError:
            translated = None
    out: list[ox.Literal] = []
    seen: set[str] = set()
    if isinstance(translated, dict):
        for lang, values in sorted(translated.items()):
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str) and value.strip() and isinstance(lang, str):
                    try:
                        out.append(ox.Literal(value, language=lang))
                    except ValueError:
                        out.append(ox.Literal(value))
                    seen.add(value)
    for value in (
        _as_list(plain) if not (isinstance(plain, str) and not plain.startswith("[")) else [plain]
    ):
        lit = _lit(value)
        if lit is not None and lit.value not in seen:
            out.append(lit)
    return out


def _field_values(f: cf.Field, field: Any) -> list[ox.NamedNode | ox.Literal]:
    """The objects of one table field (``field(key)`` reads the package or resource)."""
    value = field(f.key)
    if value in (None, "", []):
        return []
    out: list[ox.NamedNode | ox.Literal] = []
    if f.kind == "iri":
        for item in _as_list(value):
            node = _nn(item)
            if node is not None:
                out.append(node)
            elif f.key == "access_rights" and _lit(item) is not None:
                out.append(_lit(item))  # type: ignore[arg-type]  # a statement, not an IRI
    elif f.kind == "text":
        out.extend(_texts(value, field(f.key + "_translated")))
    elif f.kind == "date":
        out.extend(d for d in (_date(v) for v in _as_list(value)) if d is not None)
    else:
        text = value[0] if isinstance(value, list) and value else value
        with contextlib.suppress(ValueError):
            out.append(ox.Literal(str(text), datatype=_p(f.datatype or cf.XSD + "string")))
    return out


def _format(label: Any, out: list[ox.Triple]) -> ox.NamedNode | ox.BlankNode | None:
    """``dct:format`` for a CKAN format label: an IRI as it is; an EU file-type code (or a
    usual spelling of one) as its EU IRI; a media type as its IANA IRI; anything else as a
    described ``dct:MediaTypeOrExtent`` labelled with the text (DCAT-AP's range: a format
    is never a bare literal)."""
    if not isinstance(label, str) or not label.strip():
        return None
    iri = _nn(label)
    if iri is not None:
        return iri
    text = label.strip()
    if _MEDIA_TYPE.match(text.lower()):
        return ox.NamedNode(IANA_MEDIA_TYPES + text.lower())
    code = re.sub(r"[-\s/]+", "_", text.lstrip(".").upper())
    code = FILE_TYPE_ALIASES.get(code, code)
    if code in FILE_TYPES:
        return ox.NamedNode(EU_FILE_TYPE + code)
    node = ox.BlankNode()
    out.append(ox.Triple(node, RDF_TYPE, _p(DCT + "MediaTypeOrExtent")))
    out.append(ox.Triple(node, _p(RDFS_LABEL), ox.Literal(text)))
    return node


def _nn_mail(email: Any) -> ox.NamedNode | None:
    if not isinstance(email, str) or "@" not in email or any(c in email for c in ' <>"\n'):
        return None
    address = email.strip().removeprefix("mailto:")
    try:
        return ox.NamedNode("mailto:" + address)
    except ValueError:
        return None
