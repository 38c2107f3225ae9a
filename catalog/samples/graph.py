"""A dataset's sample as a DCAT-AP ``adms:sample`` distribution in the catalogue's graph.

The distribution is public metadata (its rows, statistics and file stay gated). It is
written as a steward override of the dataset's ``adms:sample`` field in the dataset's own
source (:mod:`catalog.harvest.overrides`), with the distribution's description stored
alongside, so the next harvest of that source re-applies it instead of dropping it. While
the catalogue's sample is attached it takes the field over: ``adms:sample`` values the
source itself declares return when the sample is deleted.

The record is public, so it carries only what everyone may know: the file's SHA-256
(``spdx:checksum``, a fingerprint that confirms a guessed file) only when the dataset's
access level is PUBLIC (:func:`catalog.facts.read.record_facts`); entitled callers get it
from the sample API and Croissant. The choice is made when the distribution is written;
:func:`follow_access` re-writes it after any publish that changed the access level (a
harvest, a steward edit) in a process that follows the catalogue (the API does).

Its access and download URLs point at this catalogue's API, whose public URL may change
(it follows the port when unset). They are stored relative to it
(:func:`catalog.skolem.public_url_iri`) and built on the way out with the public URL of the
process answering, so every export (record, ``/catalog``, CKAN, DSP, ``/sparql``) and
Croissant carry the current one. Distributions written before, with absolute URLs, or
minted under an earlier base IRI, are re-written once when the API starts
(:func:`reconcile_all`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from catalog.errors import DatalabError
from catalog.facts.read import record_facts
from catalog.harvest import overrides as steward
from catalog.namespaces import ADMS, DCAT, DCT, DLAB, EU_FILE_TYPE, IANA_MEDIA_TYPES, RDF, SPDX
from catalog.service import Catalogue
from catalog.skolem import DATATYPE_WRAPPER, GENID, public_url_iri

XSD = "http://www.w3.org/2001/XMLSchema#"
SAMPLE = str(ADMS.sample)
log = logging.getLogger("datalab.samples")

if TYPE_CHECKING:
    from catalog.samples.store import SampleStore


def distribution_iri(catalogue: Catalogue, dataset_id: str) -> str:
    return f"{catalogue.settings.base_iri.rstrip('/')}/datasets/{dataset_id}/sample"


def sample_paths(dataset_id: str) -> tuple[str, str]:
    """The paths, on the catalogue's API, of the sample's overview and of its file."""
    base = f"/datasets/{dataset_id}/sample"
    return base, base + "/file"


def sample_urls(catalogue: Catalogue, dataset_id: str) -> tuple[str, str]:
    """The sample's access URL (its overview) and download URL (its Parquet file), on the
    public URL of this process."""
    public = catalogue.settings.public_url.rstrip("/")
    access, download = sample_paths(dataset_id)
    return public + access, public + download


def stored_urls(dataset_id: str) -> tuple[str, str]:
    """The access and download URLs as the graph holds them: relative to the public URL,
    which every export puts in front (:func:`catalog.skolem.unskolemise`)."""
    access, download = sample_paths(dataset_id)
    return public_url_iri(access), public_url_iri(download)


def media_type_iri(meta: dict[str, Any]) -> str:
    """The sample's IANA media type IRI (``http://``, as every other IANA IRI here)."""
    return IANA_MEDIA_TYPES + str(meta["media_type"])


def _typed(value: str, datatype: str) -> ox.Literal:
    # stored as skolemise() stores it: Oxigraph would turn xsd:nonNegativeInteger into
    # xsd:integer, so it is wrapped here and restored on the way out
    wrapped = DATATYPE_WRAPPER + datatype if datatype == XSD + "nonNegativeInteger" else datatype
    return ox.Literal(value, datatype=ox.NamedNode(wrapped))


def distribution_triples(
    catalogue: Catalogue, dataset_id: str, meta: dict[str, Any], *, public: bool
) -> tuple[ox.NamedNode, list[ox.Triple]]:
    """The distribution node and its description; the checksum (an owned blank node) only
    when the dataset is ``public``."""
    dist = ox.NamedNode(distribution_iri(catalogue, dataset_id))
    access, download = stored_urls(dataset_id)
    label = hashlib.sha256(f"{dataset_id}/{meta['version']}".encode()).hexdigest()[:32]
    checksum = ox.NamedNode(f"{GENID}sample{label}")
    n = ox.NamedNode

    def t(s: ox.NamedNode, p: object, o: ox.NamedNode | ox.Literal) -> ox.Triple:
        return ox.Triple(s, n(str(p)), o)

    triples = [
        t(dist, RDF.type, n(str(DCAT.Distribution))),
        t(dist, DCT.title, ox.Literal("Sample (Parquet)", language="en")),
        t(
            dist,
            DCT.description,
            ox.Literal(
                "A sample of the dataset kept by this catalogue: schema and size for everyone; "
                "rows, statistics and the file as the dataset's access rights allow.",
                language="en",
            ),
        ),
        t(dist, DCAT.accessURL, n(access)),
        t(dist, DCAT.downloadURL, n(download)),
        t(dist, DCAT.mediaType, n(media_type_iri(meta))),
        t(dist, DCT.format, n(str(EU_FILE_TYPE.PARQUET))),
        t(dist, DCAT.byteSize, _typed(str(int(meta["byte_size"])), XSD + "nonNegativeInteger")),
        t(dist, DCT.issued, _typed(meta["uploaded_at"], XSD + "dateTime")),
    ]
    if public and meta.get("sha256"):
        triples += [
            t(dist, SPDX.checksum, checksum),
            t(checksum, RDF.type, n(str(SPDX.Checksum))),
            t(checksum, SPDX.algorithm, n(str(SPDX.checksumAlgorithm_sha256))),
            t(checksum, SPDX.checksumValue, _typed(meta["sha256"], XSD + "hexBinary")),
        ]
    return dist, triples


def publish(catalogue: Catalogue, dataset_id: str, meta: dict[str, Any]) -> str:
    """Put the sample distribution in the dataset's record; it survives later harvests.

    The checksum is published only if the dataset's access level is PUBLIC now."""
    ref = catalogue.find(dataset_id)
    public = record_facts(catalogue, dataset_id).rows_public
    dist, triples = distribution_triples(catalogue, dataset_id, meta, public=public)
    steward.set_field(catalogue, ref.source, ref.iri, SAMPLE, [dist], described=triples)
    catalogue._published(ref.source, {ref.id})  # search index, SPARQL snapshot, offers
    return dist.value


def withdraw(catalogue: Catalogue, dataset_id: str) -> None:
    """Take the sample distribution out of the record now and out of later harvests."""
    ref = catalogue.find(dataset_id)
    steward.clear_field(catalogue, ref.source, ref.iri, SAMPLE, now=True)
    catalogue._published(ref.source, {ref.id})


def in_graph(catalogue: Catalogue, dataset_id: str) -> bool:
    """Whether the dataset's current record links the sample distribution."""
    ref = catalogue.find(dataset_id)
    dist = distribution_iri(catalogue, dataset_id)
    rows = catalogue.store.select(
        f"SELECT ?o WHERE {{ GRAPH <{ref.graph}> {{ <{ref.iri}> <{SAMPLE}> ?o "
        f"FILTER(?o = <{dist}>) }} }} LIMIT 1"
    )
    return bool(rows)


@dataclass(frozen=True)
class _Published:
    """A catalogue sample distribution as the current graph holds it."""

    iri: str
    access: str | None
    download: str | None
    has_checksum: bool
    media_type: str | None = None


def _published(
    catalogue: Catalogue, source: str, changed: set[str] | None
) -> dict[str, _Published]:
    """Dataset id → its sample distribution in the source's current graph: the
    ``adms:sample`` values minted as this catalogue's (``…/datasets/<id>/sample``, under
    this or an earlier base IRI)."""
    current = catalogue.graphs.current(source)
    if current is None:
        return {}
    rows = catalogue.store.select(  # few rows: only datasets with a catalogue sample
        f"SELECT ?id ?dist ?access ?download ?media (COUNT(?c) AS ?n) "
        f"WHERE {{ GRAPH <{current}> {{ "
        f"?d <{SAMPLE}> ?dist ; <{DLAB.datasetId}> ?id . "
        f'FILTER(isIRI(?dist) && STRENDS(STR(?dist), CONCAT("/datasets/", STR(?id), "/sample"))) '
        f"OPTIONAL {{ ?dist <{DCAT.accessURL}> ?access }} "
        f"OPTIONAL {{ ?dist <{DCAT.downloadURL}> ?download }} "
        f"OPTIONAL {{ ?dist <{DCAT.mediaType}> ?media }} "
        f"OPTIONAL {{ ?dist <{SPDX.checksum}> ?c }} }} }} "
        "GROUP BY ?id ?dist ?access ?download ?media"
    )
    out: dict[str, _Published] = {}
    for r in rows:
        dataset_id = r["id"].value
        if changed is not None and dataset_id not in changed:
            continue
        access, download, media = r.get("access"), r.get("download"), r.get("media")
        out[dataset_id] = _Published(
            r["dist"].value,
            access.value if access is not None else None,
            download.value if download is not None else None,
            int(r["n"].value) > 0,
            media.value if media is not None else None,
        )
    return out


def _stale(catalogue: Catalogue, dataset_id: str, found: _Published) -> bool:
    """Whether the distribution differs from what :func:`publish` writes now: minted under
    another base IRI, URLs stored as absolute URLs (written before they were built on the
    way out), an ``https://`` IANA media type IRI (written by earlier versions), or a
    checksum out of step with the access level."""
    if found.iri != distribution_iri(catalogue, dataset_id):
        return True
    if found.media_type is not None and not found.media_type.startswith(IANA_MEDIA_TYPES):
        return True
    if (found.access, found.download) != stored_urls(dataset_id):
        return True
    return record_facts(catalogue, dataset_id).rows_public != found.has_checksum


def reconcile(
    catalogue: Catalogue, store: SampleStore, source: str, changed: set[str] | None
) -> list[str]:
    """Re-publish the sample distributions that differ from what :func:`publish` writes now
    (see :func:`_stale`): a checksum published but no longer PUBLIC, or PUBLIC now and
    missing; a distribution of an earlier base IRI or public URL."""
    fixed = []
    for dataset_id, found in sorted(_published(catalogue, source, changed).items()):
        try:
            if not store.has_sample(dataset_id) or not _stale(catalogue, dataset_id, found):
                continue
            publish(catalogue, dataset_id, store.meta(dataset_id))
        except DatalabError as exc:
            log.warning("cannot re-publish the sample distribution of %s: %s", dataset_id, exc)
            continue
        fixed.append(dataset_id)
    if fixed:
        log.info("sample distributions re-published: %s", fixed)
    return fixed


def reconcile_all(catalogue: Catalogue, store: SampleStore) -> list[str]:
    """:func:`reconcile` every source (at start-up: a sample uploaded under another base
    IRI, or with the absolute URLs older versions stored, is brought in step once)."""
    fixed: list[str] = []
    for src in catalogue.sources():
        fixed += reconcile(catalogue, store, src.name, None)
    return fixed


_FOLLOWED: weakref.WeakKeyDictionary[Catalogue, bool] = weakref.WeakKeyDictionary()
_FOLLOW_LOCK = threading.Lock()
_BUSY = threading.local()


def follow_access(catalogue: Catalogue, store: SampleStore) -> None:
    """Keep the sample distributions in step after every publish of ``catalogue``
    (:func:`reconcile`: checksums with access levels; registered once per catalogue)."""
    with _FOLLOW_LOCK:
        if catalogue in _FOLLOWED:
            return
        _FOLLOWED[catalogue] = True
    ref = weakref.ref(catalogue)

    def listener(source: str, changed: set[str] | None) -> None:
        cat = ref()
        if cat is None or getattr(_BUSY, "active", False):
            return  # the publish below notifies again: it is already in step
        _BUSY.active = True
        try:
            reconcile(cat, store, source, changed)
        finally:
            _BUSY.active = False

    catalogue.on_publish.append(listener)
