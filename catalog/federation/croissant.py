"""A dataset as MLCommons Croissant 1.1 JSON-LD, for AI tools (``mlcroissant``, HF, Kaggle).

The record's metadata (name, description, keywords, publisher, dates, licences,
responsible-AI facts the record carries) plus, when the dataset has a Parquet sample:

* one ``cr:RecordSet`` built from the sample's real schema (one ``cr:Field`` per column
  whose type Croissant can express), each field's ``source`` pointing at the file;
* the sample file as a ``cr:FileObject`` (``contentUrl`` = the sample file endpoint,
  ``application/x-parquet``, ``contentSize``), for every caller, so every document is
  valid Croissant. Its ``sha256`` only for callers who may read the sample's rows
  (:class:`catalog.samples.service.Decision`): a checksum confirms a guessed file, so a
  non-public sample's is never published to others (docs/security.md). Downloading the
  file stays gated like its rows.

While the dataset's steward serves a synthetic preview (:mod:`catalog.samples.synthetic`),
it is described as a second file (``synthetic-preview.json``, the preview's JSON) and record
set (``synthetic-preview``), each saying "Synthetic preview — not real data" and carrying
``sc:additionalProperty`` ``synthetic: true``; the sample's own file and records are unchanged.

The sample file's URL always serves the sample's current version, which a steward may
replace: the document says so with ``isLiveDataset`` (Croissant 1.1, "Live datasets"),
which is also what lets a file be described without a checksum.

Never in the document: sample rows (no ``examples``), statistics, row counts. The labs'
offers travel as ODRL JSON-LD in ``usageInfo`` (only offers a lab may make).

The ``@context`` is inline (Croissant's own, as in the spec's examples), so no consumer
fetches a context.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from catalog.facts.read import record_facts
from catalog.federation.schema_org import common_fields
from catalog.labs import ensure_registry
from catalog.model import Dataset
from catalog.offers import offers_for
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
FILE_ID = "sample.parquet"
RECORD_SET_ID = "sample"
PARQUET = "application/x-parquet"
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
#: Sample column kinds (:func:`catalog.samples.stats.kind_of`) → Croissant data types.
DATA_TYPES = {
    "boolean": "sc:Boolean",
    "integer": "sc:Integer",
    "float": "sc:Float",
    "decimal": "sc:Float",
    "date": "sc:Date",
    "timestamp": "sc:DateTime",
    "string": "sc:Text",
}
_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


@dataclass(frozen=True)
class SampleView:
    """What the caller may know of the dataset's sample."""

    columns: list[dict[str, Any]]
    content_url: str
    byte_size: int | None = None
    rows_visible: bool = False
    sha256: str | None = None  # set only for entitled callers
    synthetic: SyntheticView | None = None  # while a synthetic preview is served


@dataclass(frozen=True)
class SyntheticView:
    """The sample's synthetic preview (:mod:`catalog.samples.synthetic_service`), served as
    JSON at ``content_url``: described as its own file and record set, marked synthetic."""

    content_url: str
    min_count: int


def croissant_document(
    cat: Catalogue, dataset_id: str, url: str, sample: SampleView | None
) -> dict[str, Any]:
    """The Croissant 1.1 JSON-LD of one dataset; ``url`` is its page."""
    ensure_registry(cat)
    record = cat.get(dataset_id)
    model = Dataset.from_graph(to_rdflib_graph(record.triples), record.ref.iri)
    terms = record_facts(cat, dataset_id)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": model.title.best(["en"]) or dataset_id,
        "description": model.description.best(["en"]) or "",
        "url": url,
        "sameAs": record.ref.iri,
    }
    doc.update(common_fields(model, organisation_type="sc:Organization"))
    if terms.licences:
        doc["license"] = sorted(terms.licences)
    doc.update(_rai(model, terms.personal_data, terms.health.purposes if terms.health else ()))
    offers = offers_for(cat, dataset_id).odrl()
    if offers:
        doc["usageInfo"] = offers
    doc["distribution"] = []
    if sample is not None:
        doc.update(_sample_parts(sample))
    return doc


def _rai(model: Dataset, personal: bool, purposes: tuple[str, ...]) -> dict[str, Any]:
    """Responsible-AI facts the record states (Croissant RAI vocabulary)."""
    out: dict[str, Any] = {}
    provenance = [p.label.best(["en"]) for p in model.provenance]
    if any(provenance):
        out["rai:dataCollection"] = " ".join(p for p in provenance if p)
    if personal:
        out["rai:personalSensitiveInformation"] = [
            "The record states that the dataset holds personal data (dpv:hasPersonalData)."
        ]
    if purposes:
        out["rai:dataUseCases"] = sorted(p.rsplit("#", 1)[-1] for p in purposes)
    return out


def _sample_parts(sample: SampleView) -> dict[str, Any]:
    file_object: dict[str, Any] = {
        "@type": "cr:FileObject",
        "@id": FILE_ID,
        "name": FILE_ID,
        "description": "The dataset's Parquet sample."
        if sample.rows_visible
        else "The dataset's Parquet sample; downloading it needs a grant for this dataset "
        "(send your API token, as Bearer or as the Basic password).",
        "contentUrl": sample.content_url,
        "encodingFormat": PARQUET,
    }
    if sample.sha256 is not None:
        file_object["sha256"] = sample.sha256
    if sample.byte_size:
        file_object["contentSize"] = f"{sample.byte_size} B"
    parts: dict[str, Any] = {"isLiveDataset": True, "distribution": [file_object]}
    fields = []
    for index, column in enumerate(sample.columns):
        data_type = DATA_TYPES.get(column["kind"])
        if data_type is None:
            continue  # nested, binary or exotic types have no Croissant data type here
        name = column["name"]
        local = name if _SAFE.match(name) else f"column-{index}"
        fields.append(
            {
                "@type": "cr:Field",
                "@id": f"{RECORD_SET_ID}/{local}",
                "name": name,
                "description": f"Column {name!r} ({column['arrow_type']}).",
                "dataType": data_type,
                "source": {"fileObject": {"@id": FILE_ID}, "extract": {"column": name}},
            }
        )
    if fields:
        parts["recordSet"] = [
            {
                "@type": "cr:RecordSet",
                "@id": RECORD_SET_ID,
                "name": RECORD_SET_ID,
                "description": "Records of the dataset's sample, one per row."
                if sample.rows_visible
                else "Records of the dataset's sample, one per row; its rows are not open "
                "to you without a grant.",
                "field": fields,
            }
        ]
    if sample.synthetic is not None and fields:
        parts["distribution"].append(_synthetic_file(sample.synthetic))
        parts["recordSet"].append(_synthetic_record_set(fields))
    return parts


SYNTHETIC_ID = "synthetic-preview"
SYNTHETIC_FILE_ID = "synthetic-preview.json"
#: Marks the preview's file and records as synthetic for tools that read properties, not prose.
SYNTHETIC_MARK = {"@type": "sc:PropertyValue", "name": "synthetic", "value": True}


def _synthetic_file(view: SyntheticView) -> dict[str, Any]:
    return {
        "@type": "cr:FileObject",
        "@id": SYNTHETIC_FILE_ID,
        "name": SYNTHETIC_FILE_ID,
        "description": "Synthetic preview — not real data: rows drawn from the real sample's "
        "column statistics, each column on its own; values occurring fewer than "
        f"{view.min_count} times never appear, numbers and dates are rounded to coarse "
        "quantile bins, and no row equals a real row.",
        "contentUrl": view.content_url,
        "encodingFormat": "application/json",
        "sc:additionalProperty": [
            SYNTHETIC_MARK,
            {"@type": "sc:PropertyValue", "name": "min_count", "value": view.min_count},
        ],
    }


def _synthetic_record_set(fields: list[dict[str, Any]]) -> dict[str, Any]:
    """The sample's fields again, read from the synthetic preview's JSON rows."""
    synthetic_fields = [
        {
            "@type": "cr:Field",
            "@id": f"{SYNTHETIC_ID}/{f['@id'].split('/', 1)[1]}",
            "name": f["name"],
            "description": f"Synthetic values of column {f['name']!r} (not real data).",
            "dataType": f["dataType"],
            "source": {
                "fileObject": {"@id": SYNTHETIC_FILE_ID},
                "extract": {"jsonPath": f"$.rows[*][{json.dumps(f['name'])}]"},
            },
        }
        for f in fields
    ]
    return {
        "@type": "cr:RecordSet",
        "@id": SYNTHETIC_ID,
        "name": SYNTHETIC_ID,
        "description": "Synthetic preview — not real data: records generated from the "
        "sample's column statistics, for a first look at data whose rows are not open.",
        "sc:additionalProperty": [SYNTHETIC_MARK],
        "field": synthetic_fields,
    }


_DIGESTS: dict[tuple[str, str, str], str] = {}
_DIGESTS_LOCK = threading.Lock()


def sha256_of(key: tuple[str, str, str], data_reader: Any) -> str:
    """The SHA-256 of a sample version, computed once (sample versions are immutable)."""
    with _DIGESTS_LOCK:
        known = _DIGESTS.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256(data_reader()).hexdigest()
    with _DIGESTS_LOCK:
        if len(_DIGESTS) > 1024:
            _DIGESTS.clear()
        _DIGESTS[key] = digest
    return digest
