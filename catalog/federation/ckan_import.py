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
from catalog.rdf_terms import OxTerms, Terms, TextTerms

log = logging.getLogger(__name__)

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
ADMS = "http://www.w3.org/ns/adms#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
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


def _segment(value: str) -> str:
    """``value`` percent-encoded as one path segment."""
    return value if _SAFE_SEGMENT.fullmatch(value) else quote(value, safe="")


def _nn(t: Terms, value: Any) -> Any:
    """An IRI for an http(s) or urn value, or None when it is not a usable IRI."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value[:8].lower().startswith(("http://", "https://", "urn:")):
        return None
    if _NOT_IN_IRI.search(value):
        return None
    try:
        return t.iri(value)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    """A value's text as a literal holds it, or None for nothing or blanks."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _lit(t: Terms, value: Any) -> Any:
    text = _text(value)
    return None if text is None else t.literal(text)


def _date(t: Terms, value: Any) -> Any:
    if not isinstance(value, str) or len(value) < 10:
        return None
    kind = "dateTime" if "T" in value else "date"
    try:
        return t.typed(value, XSD + kind)
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
    """Maps CKAN package dicts of one portal (``site``) to DCAT-AP 3 triples.

    The mapping is written once over :class:`catalog.rdf_terms.Terms`: :meth:`map` builds
    pyoxigraph triples (the CKAN API's writes), :meth:`lines` writes the same statements as
    canonical N-Triples lines without building a term (the harvest, issue 18).
    """

    def __init__(self, site: str) -> None:
        self.site = site.rstrip("/")
        self._ox = OxTerms()
        self._text = TextTerms()

    def dataset_iri(
        self, pkg: dict[str, Any], extras: dict[str, Any] | None = None
    ) -> ox.NamedNode:
        """The package's own ``uri`` (top level or extra), else one under the portal's site."""
        return self._dataset(self._ox, pkg, self.extras(pkg) if extras is None else extras)  # type: ignore[no-any-return]

    def _dataset(self, t: Terms, pkg: dict[str, Any], extras: dict[str, Any]) -> Any:
        node = _nn(t, pkg.get("uri")) or _nn(t, extras.get("uri"))
        if node:
            return node
        return t.iri(f"{self.site}/dataset/{_segment(str(pkg['id']))}")

    @staticmethod
    def extras(pkg: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in pkg.get("extras") or []:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                out[item["key"]] = item.get("value")
        return out

    def map(self, pkg: Any) -> tuple[ox.NamedNode, list[ox.Triple]]:
        """The dataset IRI and its triples; :class:`MappingError` when it cannot be mapped."""
        return self._map(self._ox, pkg)

    def lines(self, pkg: Any) -> tuple[str, list[str]]:
        """The dataset IRI and :meth:`map`'s triples as canonical N-Triples lines (``str``
        of each ``ox.Triple``, in the same order; blank node labels of their own)."""
        node, lines = self._map(self._text, pkg)
        return node[1:-1], lines

    def _map(self, t: Terms, pkg: Any) -> tuple[Any, list[Any]]:
        if not isinstance(pkg, dict):
            raise MappingError(f"a package must be a JSON object, got {type(pkg).__name__}")
        if not isinstance(pkg.get("id"), str) or not pkg["id"]:
            raise MappingError("the package has no id")
        extras = self.extras(pkg)

        def field(key: str) -> Any:
            value = pkg.get(key)
            return value if value not in (None, "", []) else extras.get(key)

        ds = self._dataset(t, pkg, extras)
        out: list[Any] = []
        triple = t.triple

        def add(s: Any, p: str, o: Any) -> None:
            if o is not None:
                out.append(triple(s, p, o))

        kind = DCAT + ("DatasetSeries" if pkg.get("type") == "dataset_series" else "Dataset")
        out.append(triple(ds, RDF_TYPE, t.vocab(kind)))
        for key, prop in (("title", DCT + "title"), ("notes", DCT + "description")):
            plain = pkg.get(key) or (pkg.get("name") if key == "title" else None)
            for lit in _texts(t, plain, field(key + "_translated")):
                add(ds, prop, lit)
        ident = field("identifier") or field("guid") or pkg["id"]
        for value in (
            _as_list(ident) if isinstance(ident, str) and ident.startswith("[") else [ident]
        ):
            add(ds, DCT + "identifier", _lit(t, value))
        add(ds, DCT + "issued", _date(t, field("issued") or pkg.get("metadata_created")))
        add(ds, DCT + "modified", _date(t, field("modified") or pkg.get("metadata_modified")))
        add(ds, DCAT + "landingPage", _nn(t, pkg.get("url")))
        translated_tags = field("tags_translated")
        if translated_tags:
            for lit in _texts(t, None, translated_tags):
                add(ds, DCAT + "keyword", lit)
        else:
            for tag in pkg.get("tags") or []:
                name = tag.get("display_name") or tag.get("name") if isinstance(tag, dict) else tag
                add(ds, DCAT + "keyword", _lit(t, name))
        skip = {"identifier", "issued", "modified"}
        for f in cf.DATASET_FIELDS:
            # a key in neither the package nor its extras has no value: skip the call
            if f.key not in skip and (f.key in pkg or f.key in extras):
                for obj in _field_values(t, f, field):
                    add(ds, f.prop, obj)
        has_themes = bool(_as_list(field("theme")))
        for group in [] if has_themes else pkg.get("groups") or []:
            if isinstance(group, dict) and group.get("name"):
                add(ds, DCAT + "theme", _nn(t, f"{self.site}/group/{_segment(group['name'])}"))
        self._provenance(t, ds, field, out)
        self._periods(t, ds, field, out)
        self._spatial(t, ds, field, out)
        self._contact(t, ds, pkg, field, out)
        self._publisher(t, ds, pkg, field, out)
        for key in ("creator", "hdab"):
            self._agents(
                t,
                ds,
                cf.AGENT_FIELDS[key],
                [a for a in _as_list(field(key)) if isinstance(a, dict)],
                out,
            )
        licence = _nn(t, pkg.get("license_url")) or _nn(t, LICENCES.get(str(pkg.get("license_id"))))
        for res in pkg.get("resources") or []:
            if isinstance(res, dict):
                self._distribution(t, ds, pkg, res, licence, out)
        return ds, out

    def _provenance(self, t: Terms, ds: Any, field: Any, out: list[Any]) -> None:
        """``provenance`` as ckanext-dcat writes it: a ``dct:ProvenanceStatement`` label."""
        labels = _texts(t, field("provenance"), field("provenance_translated"))
        if labels:
            node = t.blank()
            out.append(t.triple(ds, DCT + "provenance", node))
            out.append(t.triple(node, RDF_TYPE, t.vocab(DCT + "ProvenanceStatement")))
            for lit in labels:
                out.append(t.triple(node, cf.RDFS + "label", lit))

    def _spatial(self, t: Terms, ds: Any, field: Any, out: list[Any]) -> None:
        """``spatial_coverage`` items with a box, centroid or geometry: a ``dct:Location``."""
        for item in _as_list(field("spatial_coverage")):
            if not isinstance(item, dict):
                continue
            node = _nn(t, item.get("uri")) or t.blank()
            values = []
            for key, prop in (("bbox", "bbox"), ("centroid", "centroid"), ("geom", "geometry")):
                text = item.get(key)
                if isinstance(text, str) and text:
                    kind = item.get(key + "_datatype")
                    ns = cf.LOCN if key == "geom" else DCAT
                    values.append(
                        (
                            ns + prop,
                            t.typed(text, kind)
                            if isinstance(kind, str) and _nn(t, kind)
                            else t.literal(text),
                        )
                    )
            if not values:
                continue
            out.append(t.triple(ds, DCT + "spatial", node))
            out.append(t.triple(node, RDF_TYPE, t.vocab(DCT + "Location")))
            out.extend(t.triple(node, prop, lit) for prop, lit in values)

    def _periods(self, t: Terms, ds: Any, field: Any, out: list[Any]) -> None:
        for key, prop in cf.PERIOD_FIELDS.items():
            periods = _as_list(field(key))
            if key == "temporal_coverage":
                start, end = field("temporal_start"), field("temporal_end")
                if start or end:
                    periods.append({"start": start, "end": end})
            for period in periods:
                if not isinstance(period, dict):
                    continue
                node = t.blank()
                out.append(t.triple(ds, prop, node))
                out.append(t.triple(node, RDF_TYPE, t.vocab(DCT + "PeriodOfTime")))
                for name, date_prop in (("start", "startDate"), ("end", "endDate")):
                    value = _date(t, period.get(name))
                    if value is not None:
                        out.append(t.triple(node, DCAT + date_prop, value))

    def _contact(self, t: Terms, ds: Any, pkg: dict[str, Any], field: Any, out: list[Any]) -> None:
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
            node = _nn(t, c.get("uri")) or t.blank()
            out.append(t.triple(ds, DCAT + "contactPoint", node))
            out.append(t.triple(node, RDF_TYPE, t.vocab(VCARD + "Kind")))
            name = _lit(t, c.get("name"))
            if name is not None:
                out.append(t.triple(node, VCARD + "fn", name))
            email = c.get("email")
            if isinstance(email, str) and "@" in email:
                mail = _nn_mail(t, email)
                if mail:
                    out.append(t.triple(node, VCARD + "hasEmail", mail))

    def _publisher(
        self, t: Terms, ds: Any, pkg: dict[str, Any], field: Any, out: list[Any]
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
        self._agents(t, ds, DCT + "publisher", pubs, out)

    def _agents(
        self, t: Terms, ds: Any, prop: str, agents: list[dict[str, Any]], out: list[Any]
    ) -> None:
        """Agents (``{uri, name, name_translated, email, url, type}``) as ``foaf:Agent``s."""
        for a in agents:
            node = _nn(t, a.get("uri")) or t.blank()
            out.append(t.triple(ds, prop, node))
            out.append(t.triple(node, RDF_TYPE, t.vocab(FOAF + "Agent")))
            for name in _texts(t, a.get("name"), a.get("name_translated")):
                out.append(t.triple(node, FOAF + "name", name))
            mail = _nn_mail(t, a.get("email"))
            if mail:
                out.append(t.triple(node, FOAF + "mbox", mail))
            home = _nn(t, a.get("url")) or _nn(t, a.get("homepage"))
            if home:
                out.append(t.triple(node, FOAF + "homepage", home))
            kind = _nn(t, a.get("type"))
            if kind:
                out.append(t.triple(node, DCT + "type", kind))

    def _distribution(
        self,
        t: Terms,
        ds: Any,
        pkg: dict[str, Any],
        res: dict[str, Any],
        licence: Any,
        out: list[Any],
    ) -> None:
        rid = str(res.get("id") or "")
        node = _nn(t, res.get("uri")) or (
            t.iri(f"{self.site}/dataset/{_segment(pkg['id'])}/resource/{_segment(rid)}")
            if rid
            else t.blank()
        )
        triple = t.triple

        def add(p: str, o: Any) -> None:
            if o is not None:
                out.append(triple(node, p, o))

        out.append(triple(ds, DCAT + "distribution", node))
        add(RDF_TYPE, t.vocab(DCAT + "Distribution"))
        for lit in _texts(t, res.get("name"), res.get("name_translated")):
            add(DCT + "title", lit)
        for lit in _texts(t, res.get("description"), res.get("description_translated")):
            add(DCT + "description", lit)
        url = _nn(t, res.get("access_url")) or _nn(t, res.get("url"))
        if url is None and res.get("url"):
            log.info(
                "resource %s of %s: url %.80r is not an http(s) IRI; dropped",
                rid,
                pkg["id"],
                res["url"],
            )
        add(DCAT + "accessURL", url)
        download = _nn(t, res.get("download_url")) or (
            url if res.get("url_type") == "upload" else None
        )
        add(DCAT + "downloadURL", download)
        add(DCT + "format", _format(t, res.get("format"), out))
        mime = res.get("mimetype")
        if isinstance(mime, str) and "/" in mime:
            # a bare media type (text/csv) is IANA's; an IRI is kept as it is
            add(DCAT + "mediaType", _nn(t, mime) or _nn(t, IANA + mime.strip()))
        size = res.get("size")
        if isinstance(size, int) and size >= 0:
            add(DCAT + "byteSize", t.typed(str(size), XSD + "nonNegativeInteger"))
        add(DCT + "issued", _date(t, res.get("issued") or res.get("created")))
        add(DCT + "modified", _date(t, res.get("modified") or res.get("last_modified")))
        add(DCT + "license", _nn(t, res.get("license")) or licence)
        rights = _nn(t, res.get("rights"))
        add(DCT + "rights", rights or _lit(t, res.get("rights")))
        for f in cf.RESOURCE_FIELDS:
            if f.key in res and f.key not in ("issued", "modified"):
                for obj in _field_values(t, f, lambda key: res.get(key)):
                    add(f.prop, obj)


def _texts(t: Terms, plain: Any, translated: Any) -> list[Any]:
    """Literals of a text field: each translation with its language, and the plain value
    when no translation repeats it (ckanext-dcat's ``*_translated`` fields)."""
    if isinstance(translated, str) and translated.startswith("{"):
        try:
            translated = json.loads(translated)
        except ValueError:
            translated = None
    out: list[Any] = []
    seen: set[str] = set()
    if isinstance(translated, dict):
        for lang, values in sorted(translated.items()):
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str) and value.strip() and isinstance(lang, str):
                    try:
                        out.append(t.lang(value, lang))
                    except ValueError:
                        out.append(t.literal(value))
                    seen.add(value)
    for value in (
        _as_list(plain) if not (isinstance(plain, str) and not plain.startswith("[")) else [plain]
    ):
        text = _text(value)
        if text is not None and text not in seen:
            out.append(t.literal(text))
    return out


def _field_values(t: Terms, f: cf.Field, field: Any) -> list[Any]:
    """The objects of one table field (``field(key)`` reads the package or resource)."""
    value = field(f.key)
    if value in (None, "", []):
        return []
    out: list[Any] = []
    if f.kind == "iri":
        for item in _as_list(value):
            node = _nn(t, item)
            if node is not None:
                out.append(node)
            elif f.key == "access_rights" and _text(item) is not None:
                out.append(_lit(t, item))  # a statement, not an IRI
    elif f.kind == "text":
        out.extend(_texts(t, value, field(f.key + "_translated")))
    elif f.kind == "date":
        out.extend(d for d in (_date(t, v) for v in _as_list(value)) if d is not None)
    else:
        text = value[0] if isinstance(value, list) and value else value
        with contextlib.suppress(ValueError):
            out.append(t.typed(str(text), f.datatype or cf.XSD + "string"))
    return out


def _format(t: Terms, label: Any, out: list[Any]) -> Any:
    """``dct:format`` for a CKAN format label: an IRI as it is; an EU file-type code (or a
    usual spelling of one) as its EU IRI; a media type as its IANA IRI; anything else as a
    described ``dct:MediaTypeOrExtent`` labelled with the text (DCAT-AP's range: a format
    is never a bare literal)."""
    if not isinstance(label, str) or not label.strip():
        return None
    iri = _nn(t, label)
    if iri is not None:
        return iri
    text = label.strip()
    if _MEDIA_TYPE.match(text.lower()):
        return t.iri(IANA_MEDIA_TYPES + text.lower())
    code = re.sub(r"[-\s/]+", "_", text.lstrip(".").upper())
    code = FILE_TYPE_ALIASES.get(code, code)
    if code in FILE_TYPES:
        return t.vocab(EU_FILE_TYPE + code)
    node = t.blank()
    out.append(t.triple(node, RDF_TYPE, t.vocab(DCT + "MediaTypeOrExtent")))
    out.append(t.triple(node, RDFS_LABEL, t.literal(text)))
    return node


def _nn_mail(t: Terms, email: Any) -> Any:
    if not isinstance(email, str) or "@" not in email or any(c in email for c in ' <>"\n'):
        return None
    address = email.strip().removeprefix("mailto:")
    try:
        return t.iri("mailto:" + address)
    except ValueError:
        return None
