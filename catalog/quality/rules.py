"""The quality rules: one small function per check, in the order reports list them.

Each rule reads a :class:`Subject` (one dataset's model, its facts and what was computed
once for every rule: distributions, licence terms, format codes, language tags) and gives
its :class:`~catalog.quality.report.Check`. :data:`RULES` is the order of the checks, which
:func:`~catalog.quality.report.mean_report` relies on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from catalog.facts import DatasetFacts
from catalog.model import Dataset, Distribution
from catalog.offers.licences import LicenceTerms
from catalog.quality.report import Check

EU_VOCAB = "http://publications.europa.eu/resource/authority/"
#: Formats that are open and machine-readable (EU file-type codes and common media types).
OPEN_FORMATS = {
    "CSV",
    "JSON",
    "JSON_LD",
    "XML",
    "RDF_XML",
    "RDF_TURTLE",
    "PARQUET",
    "TSV",
    "GEOJSON",
    "NETCDF",
    "TIFF",
    "GEOTIFF",
    "TXT",
    "N_TRIPLES",
    "HDF5",
    "JSONL",
}


@dataclass(frozen=True)
class Subject:
    """What the rules read of one dataset; derived values computed once."""

    ds: Dataset
    facts: DatasetFacts
    dists: tuple[Distribution, ...]
    terms: tuple[LicenceTerms | None, ...]
    formats: tuple[str, ...]
    lang_tags: frozenset[str]
    has_sample: bool = False
    sample_columns: int = 0
    conforms: bool | None = None


def _vocab(values: Iterable[object], kind: str) -> bool:
    vals = [str(v) for v in values if v]
    return bool(vals) and all(v.startswith(EU_VOCAB + kind + "/") for v in vals)


def format_code(value: object) -> str:
    """The upper-case code of a format IRI or name (``.../file-type/CSV`` -> ``CSV``)."""
    s = str(value or "")
    return s.rsplit("/", 1)[-1].upper().replace("-", "_") if s else ""


def _check(dim: str, name: str, points: int, passed: object, fix: str) -> Check:
    return Check(dim, name, points, bool(passed), fix)


# -- findability ---------------------------------------------------------------------------


def keywords(s: Subject) -> Check:
    return _check(
        "findability", "keywords", 30, len(s.ds.keyword) > 0, "Add keywords (dcat:keyword)."
    )


def themes(s: Subject) -> Check:
    return _check(
        "findability", "themes", 30, s.ds.theme, "Add a theme from the EU data-theme list."
    )


def spatial_coverage(s: Subject) -> Check:
    return _check(
        "findability", "spatial coverage", 20, s.ds.spatial, "State the place (dct:spatial)."
    )


def temporal_coverage(s: Subject) -> Check:
    return _check(
        "findability", "temporal coverage", 20, s.ds.temporal,
        "State the period covered (dct:temporal).",
    )  # fmt: skip


# -- accessibility -------------------------------------------------------------------------


def access_url(s: Subject) -> Check:
    return _check(
        "accessibility", "access URL", 50, bool(s.dists) and all(d.access_url for d in s.dists),
        "Give every distribution an access URL (dcat:accessURL).",
    )  # fmt: skip


def download_url(s: Subject) -> Check:
    return _check(
        "accessibility", "download URL", 30, any(d.download_url for d in s.dists),
        "Give a download URL (dcat:downloadURL) where the data can be fetched directly.",
    )  # fmt: skip


def access_service(s: Subject) -> Check:
    return _check(
        "accessibility", "access service", 20, any(d.access_service for d in s.dists),
        "Describe the API that serves the data (dcat:accessService).",
    )  # fmt: skip


# -- interoperability ----------------------------------------------------------------------


def format_stated(s: Subject) -> Check:
    return _check(
        "interoperability", "format", 20, bool(s.formats) and len(s.formats) == len(s.dists),
        "State each distribution's format (dct:format).",
    )  # fmt: skip


def media_type(s: Subject) -> Check:
    return _check(
        "interoperability", "media type", 10, any(d.media_type for d in s.dists),
        "State the IANA media type (dcat:mediaType).",
    )  # fmt: skip


def format_from_vocabulary(s: Subject) -> Check:
    return _check(
        "interoperability", "format from vocabulary", 10,
        _vocab((d.format for d in s.dists if d.format), "file-type"),
        "Use the EU file-type vocabulary for dct:format.",
    )  # fmt: skip


def open_format(s: Subject) -> Check:
    return _check(
        "interoperability", "open, machine-readable format", 30,
        any(f in OPEN_FORMATS for f in s.formats),
        "Offer at least one open, machine-readable format (CSV, JSON, Parquet, RDF, ...).",
    )  # fmt: skip


def dcat_ap_compliance(s: Subject) -> Check:
    return _check(
        "interoperability", "DCAT-AP compliance", 30, s.conforms is not False,
        "Fix the violations in the validation report.",
    )  # fmt: skip


# -- reusability ---------------------------------------------------------------------------


def licence(s: Subject) -> Check:
    return _check(
        "reusability", "licence", 20, s.facts.licences, "Attach a licence to each distribution."
    )


def licence_from_vocabulary(s: Subject) -> Check:
    return _check(
        "reusability", "licence from vocabulary", 10, bool(s.terms) and all(s.terms),
        "Use a licence the catalogue knows (EU licence list or SPDX).",
    )  # fmt: skip


def access_rights(s: Subject) -> Check:
    return _check(
        "reusability", "access rights", 10, s.facts.access_values,
        "State the access rights (dct:accessRights).",
    )  # fmt: skip


def access_rights_from_vocabulary(s: Subject) -> Check:
    return _check(
        "reusability", "access rights from vocabulary", 5,
        s.facts.access_level != "unknown" and not s.facts.access_conflict,
        "Use one value of the EU access-right vocabulary (PUBLIC, RESTRICTED, NON_PUBLIC).",
    )  # fmt: skip


def contact_point(s: Subject) -> Check:
    return _check(
        "reusability", "contact point", 20, s.ds.contact_point,
        "Add a contact point (dcat:contactPoint).",
    )  # fmt: skip


def publisher(s: Subject) -> Check:
    return _check("reusability", "publisher", 10, s.ds.publisher is not None, "Name the publisher.")


# -- contextuality -------------------------------------------------------------------------


def rights(s: Subject) -> Check:
    return _check(
        "contextuality", "rights", 5, any(d.rights for d in s.dists),
        "Add a rights statement (dct:rights).",
    )  # fmt: skip


def byte_size(s: Subject) -> Check:
    return _check(
        "contextuality", "byte size", 5, any(d.byte_size for d in s.dists),
        "State the size in bytes (dcat:byteSize).",
    )  # fmt: skip


def issued(s: Subject) -> Check:
    return _check(
        "contextuality", "issued", 5, s.ds.issued is not None, "State when it was issued."
    )


def modified(s: Subject) -> Check:
    return _check(
        "contextuality", "modified", 5, s.ds.modified is not None, "State when it last changed."
    )


# -- AI-readiness --------------------------------------------------------------------------


def licence_clear_for_training(s: Subject) -> Check:
    trainable = bool(s.terms) and all(
        t is not None and {"ai-training", "commercial"} <= t.permits for t in s.terms
    )
    return _check(
        "ai_readiness", "licence clear for training", 40, trainable,
        "Use a licence that clearly permits AI training, commercial included (e.g. CC BY 4.0).",
    )  # fmt: skip


def sample_present(s: Subject) -> Check:
    return _check(
        "ai_readiness", "sample present", 25, s.has_sample, "Upload a sample (Parquet or CSV)."
    )


def schema_described(s: Subject) -> Check:
    described = (
        s.sample_columns > 0 or bool(s.ds.conforms_to) or any(d.conforms_to for d in s.dists)
    )
    return _check(
        "ai_readiness", "schema described", 20, described,
        "Describe the schema: upload a sample or link it with dct:conformsTo.",
    )  # fmt: skip


def languages_tagged(s: Subject) -> Check:
    tagged = bool(s.ds.language) and bool(s.lang_tags) and "" not in s.lang_tags
    return _check(
        "ai_readiness", "languages tagged", 15, tagged,
        "Tag titles and descriptions with languages and state dct:language.",
    )  # fmt: skip


Rule = Callable[[Subject], Check]

#: Every rule, in the order of the report's checks.
RULES: tuple[Rule, ...] = (
    keywords,
    themes,
    spatial_coverage,
    temporal_coverage,
    access_url,
    download_url,
    access_service,
    format_stated,
    media_type,
    format_from_vocabulary,
    open_format,
    dcat_ap_compliance,
    licence,
    licence_from_vocabulary,
    access_rights,
    access_rights_from_vocabulary,
    contact_point,
    publisher,
    rights,
    byte_size,
    issued,
    modified,
    licence_clear_for_training,
    sample_present,
    schema_described,
    languages_tagged,
)
