"""A dataset's sample as a DCAT-AP ``adms:sample`` distribution in the catalogue's graph.

The distribution is public metadata (its rows, statistics and file stay gated). It is
written as a steward override of the dataset's ``adms:sample`` field in the dataset's own
source (:mod:`catalog.harvest.overrides`), with the distribution's description stored
alongside, so the next harvest of that source re-applies it instead of dropping it. While
the catalogue's sample is attached it takes the field over: ``adms:sample`` values the
source itself declares return when the sample is deleted.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pyoxigraph as ox

from catalog.harvest import overrides as steward
from catalog.namespaces import ADMS, DCAT, DCT, EU_FILE_TYPE, RDF, SPDX
from catalog.service import Catalogue
from catalog.skolem import DATATYPE_WRAPPER, GENID

IANA = "https://www.iana.org/assignments/media-types/"
XSD = "http://www.w3.org/2001/XMLSchema#"
SAMPLE = str(ADMS.sample)


def distribution_iri(catalogue: Catalogue, dataset_id: str) -> str:
    return f"{catalogue.settings.base_iri.rstrip('/')}/datasets/{dataset_id}/sample"


def sample_urls(catalogue: Catalogue, dataset_id: str) -> tuple[str, str]:
    """The sample's access URL (its overview) and download URL (its Parquet file)."""
    base = f"{catalogue.settings.public_url.rstrip('/')}/datasets/{dataset_id}/sample"
    return base, base + "/file"


def _typed(value: str, datatype: str) -> ox.Literal:
    # stored as skolemise() stores it: Oxigraph would turn xsd:nonNegativeInteger into
    # xsd:integer, so it is wrapped here and restored on the way out
    wrapped = DATATYPE_WRAPPER + datatype if datatype == XSD + "nonNegativeInteger" else datatype
    return ox.Literal(value, datatype=ox.NamedNode(wrapped))


def distribution_triples(
    catalogue: Catalogue, dataset_id: str, meta: dict[str, Any]
) -> tuple[ox.NamedNode, list[ox.Triple]]:
    """The distribution node and its description (checksum as an owned blank node)."""
    dist = ox.NamedNode(distribution_iri(catalogue, dataset_id))
    access, download = sample_urls(catalogue, dataset_id)
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
        t(dist, DCAT.mediaType, n(IANA + meta["media_type"])),
        t(dist, DCT.format, n(str(EU_FILE_TYPE.PARQUET))),
        t(dist, DCAT.byteSize, _typed(str(int(meta["byte_size"])), XSD + "nonNegativeInteger")),
        t(dist, DCT.issued, _typed(meta["uploaded_at"], XSD + "dateTime")),
    ]
    if meta.get("sha256"):
        triples += [
            t(dist, SPDX.checksum, checksum),
            t(checksum, RDF.type, n(str(SPDX.Checksum))),
            t(checksum, SPDX.algorithm, n(str(SPDX.checksumAlgorithm_sha256))),
            t(checksum, SPDX.checksumValue, _typed(meta["sha256"], XSD + "hexBinary")),
        ]
    return dist, triples


def publish(catalogue: Catalogue, dataset_id: str, meta: dict[str, Any]) -> str:
    """Put the sample distribution in the dataset's record; it survives later harvests."""
    ref = catalogue.find(dataset_id)
    dist, triples = distribution_triples(catalogue, dataset_id, meta)
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
