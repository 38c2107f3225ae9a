"""Language-resource metadata (META-SHARE, CMDI, OLAC, Dublin Core) → DCAT-AP 3 triples.

Elements are found by local name, so META-SHARE XML, META-SHARE wrapped in CMDI
(``CMD/Components/resourceInfo``), other CMDI profiles and OLAC/oai_dc all map with one set
of rules. Kept: title, description, identifiers, languages (ISO 639-1/2/3 → EU language
authority IRIs), linguality, resource type, size and unit, licence, availability (META-SHARE
availability and CLARIN PUB/ACA/RES → EU access rights). See ``docs/mapping-data-spaces.md``.
"""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph as ox

from catalog.errors import MappingError
from catalog.namespaces import DATASPACE, DLAB, EU_ACCESS_RIGHT, EU_LANGUAGE

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

_ISO1 = (
    "bg:bul cs:ces da:dan de:deu el:ell en:eng es:spa et:est fi:fin fr:fra ga:gle hr:hrv "
    "hu:hun it:ita lt:lit lv:lav mt:mlt nl:nld pl:pol pt:por ro:ron sk:slk sl:slv sv:swe "
    "is:isl no:nor nb:nob nn:nno ru:rus uk:ukr tr:tur ar:ara zh:zho ja:jpn ko:kor th:tha "
    "ca:cat eu:eus gl:glg cy:cym sq:sqi mk:mkd sr:srp bs:bos he:heb hi:hin fa:fas la:lat "
    "lb:ltz be:bel ka:kat hy:hye"
)
_ISO2B = (
    "chi:zho ger:deu fre:fra dut:nld gre:ell cze:ces per:fas arm:hye baq:eus bur:mya "
    "geo:kat ice:isl mac:mkd mao:mri may:msa rum:ron slo:slk tib:bod wel:cym alb:sqi"
)
#: ISO 639-1 → ISO 639-2/T (the EU language authority table's codes).
ISO1_TO_3 = dict(pair.split(":", 1) for pair in _ISO1.split())
#: ISO 639-2/B → 639-2/T where they differ.
ISO2B_TO_T = dict(pair.split(":", 1) for pair in _ISO2B.split())
ACCESS = {
    "available-unrestricteduse": "PUBLIC",
    "available-restricteduse": "RESTRICTED",
    "undernegotiation": "RESTRICTED",
    "notavailablethroughmetashare": "NON_PUBLIC",
    "free": "PUBLIC",
    "pub": "PUBLIC",
    "public": "PUBLIC",
    "aca": "RESTRICTED",
    "academic": "RESTRICTED",
    "res": "NON_PUBLIC",
    "restricted": "NON_PUBLIC",
}
SPDX = {"cc0": "CC0-1.0", "lgpl": "LGPL-3.0-only", "gpl": "GPL-3.0-only", "apache": "Apache-2.0"}
_CODE = re.compile(r"^[a-z]{2,3}$")


def language_iri(code: str) -> str | None:
    """The EU language IRI for an ISO 639 code (``en``, ``eng``, ``ger/deu``), or None."""
    for part in code.strip().lower().replace("_", "-").split("/"):
        part = part.split("-")[0]
        if not _CODE.match(part):
            continue
        three = ISO1_TO_3.get(part) if len(part) == 2 else ISO2B_TO_T.get(part, part)
        if three:
            return str(EU_LANGUAGE) + three.upper()
    return None


def _local(el: Any) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _all(root: Any, *names: str) -> list[Any]:
    wanted = set(names)
    return [el for el in root.iter() if isinstance(el.tag, str) and _local(el) in wanted]


def _texts(root: Any, *names: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for el in _all(root, *names):
        text = (el.text or "").strip()
        if text:
            out.append((text, el.get(XML_LANG)))
    return out


def detect_format(root: Any) -> str:
    """``metashare``, ``cmdi``, ``olac`` or ``dc`` from the metadata element."""
    name = _local(root)
    ns = root.tag.split("}")[0].lstrip("{") if root.tag.startswith("{") else ""
    if name == "resourceInfo" or _all(root, "resourceInfo"):
        return "metashare"
    if name == "CMD" or "clarin.eu/cmd" in ns:
        return "cmdi"
    if name == "olac" or "language-archives.org/OLAC" in ns:
        return "olac"
    return "dc"


class LanguageRecordMapper:
    """Maps one metadata element to a dataset IRI and its triples (language data space)."""

    def __init__(self, data_space: str = "language") -> None:
        self.space = ox.NamedNode(str(DATASPACE) + data_space)

    def map(self, iri: str, metadata: Any) -> list[ox.Triple]:
        fmt = detect_format(metadata)
        node = ox.NamedNode(iri)
        t: list[ox.Triple] = [ox.Triple(node, RDF_TYPE, ox.NamedNode(DCAT + "Dataset"))]

        def add(p: str, o: ox.NamedNode | ox.Literal | ox.BlankNode) -> None:
            t.append(ox.Triple(node, ox.NamedNode(p), o))

        def lit(text: str, lang: str | None) -> ox.Literal:
            if lang and re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", lang):
                return ox.Literal(text, language=lang)
            return ox.Literal(text)

        titles = _texts(
            metadata, "resourceName", "ResourceName", "ResourceTitle", "title", "Title", "Name"
        )
        if not titles:
            raise MappingError(f"{fmt} record has no resource name or title")
        descriptions = _texts(metadata, "description", "Description")
        for text, lang in titles[:5]:
            add(DCT + "title", lit(text, lang))
        for text, lang in (descriptions or titles[:1])[:5]:
            add(DCT + "description", lit(text, lang))
        for text, _ in _texts(metadata, "identifier", "Identifier")[:10]:
            add(DCT + "identifier", ox.Literal(text))
        add(str(DLAB.dataSpace), self.space)
        add(str(DLAB.metadataFormat), ox.Literal(fmt))
        self._languages(metadata, add)
        self._kind(metadata, add)
        self._sizes(metadata, t, node)
        self._terms(metadata, add, t)
        return t

    def _languages(self, md: Any, add: Any) -> None:
        codes = [
            c
            for c, _ in _texts(
                md, "languageId", "iso639-3", "iso-639-3-code", "LanguageCode", "language"
            )
        ]
        codes += [
            el.get("{http://www.language-archives.org/OLAC/1.1/}code") or ""
            for el in _all(md, "language", "subject")
        ]
        seen: set[str] = set()
        for code in codes:
            iri = language_iri(code.replace("ISO639-3:", "")) if code else None
            if iri and iri not in seen:
                seen.add(iri)
                add(DCT + "language", ox.NamedNode(iri))

    def _kind(self, md: Any, add: Any) -> None:
        for text, _ in _texts(md, "lingualityType", "multilingualityType", "NoLanguages")[:3]:
            add(str(DLAB.linguality), ox.Literal(text))
        kinds = [t for t, _ in _texts(md, "resourceType", "ResourceClass", "type")]
        kinds += [t for t, _ in _texts(md, "lexicalConceptualResourceType", "corpusMediaType")]
        for text in dict.fromkeys(kinds[:5]):
            add(str(DLAB.languageResourceType), ox.Literal(text))
            add(DCAT + "keyword", ox.Literal(text))

    def _sizes(self, md: Any, t: list[ox.Triple], node: ox.NamedNode) -> None:
        for info in _all(md, "sizeInfo", "sizePerLanguage", "sizePerLanguageVariety")[:10]:
            size = _texts(info, "size")
            unit = _texts(info, "sizeUnit")
            if not size:
                continue
            b = ox.BlankNode()
            t.append(ox.Triple(node, ox.NamedNode(str(DLAB.sizeInfo)), b))
            value = size[0][0]
            dtype = XSD + "decimal" if re.fullmatch(r"\d+(\.\d+)?", value) else XSD + "string"
            t.append(
                ox.Triple(
                    b, ox.NamedNode(str(DLAB.size)), ox.Literal(value, datatype=ox.NamedNode(dtype))
                )
            )
            if unit:
                t.append(ox.Triple(b, ox.NamedNode(str(DLAB.sizeUnit)), ox.Literal(unit[0][0])))

    def _terms(self, md: Any, add: Any, t: list[ox.Triple]) -> None:
        availability = [a for a, _ in _texts(md, "availability", "Availability", "AccessType")]
        availability += [
            a for a, _ in _texts(md, "accessRights", "rights") if a.upper() in {"PUB", "ACA", "RES"}
        ]
        for text in availability[:1]:
            add(str(DLAB.availability), ox.Literal(text))
            code = ACCESS.get(text.strip().lower())
            if code:
                add(DCT + "accessRights", ox.NamedNode(str(EU_ACCESS_RIGHT) + code))
        for el in _all(md, "Licence", "License", "licence", "license")[:5]:
            src = el.get("src") or ""
            if src.startswith(("http://", "https://")):
                add(DCT + "license", ox.NamedNode(src))
        for text, _ in list(dict.fromkeys(_texts(md, "licence", "license", "License", "Licence")))[
            :5
        ]:
            key = text.strip().lower()
            if key in SPDX:
                add(DCT + "license", ox.NamedNode(f"http://spdx.org/licenses/{SPDX[key]}"))
                continue
            doc = ox.BlankNode()
            add(DCT + "license", doc)
            t.append(ox.Triple(doc, RDF_TYPE, ox.NamedNode(DCT + "LicenseDocument")))
            t.append(ox.Triple(doc, ox.NamedNode(RDFS + "label"), ox.Literal(text)))
