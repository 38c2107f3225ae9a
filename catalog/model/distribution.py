"""``dcat:Distribution``: one available form of a dataset (a file, an API, a download)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rdflib import URIRef

from catalog.model.base import Kind, Resource, prop
from catalog.model.common import Checksum, LicenseDocument, RightsStatement
from catalog.model.dataservice import DataService
from catalog.model.values import LangText, TypedValue
from catalog.namespaces import ADMS, DCAT, DCATAP, DCT, FOAF, ODRL, SPDX


@dataclass(frozen=True, kw_only=True)
class Distribution(Resource):
    """A DCAT-AP 3 distribution. ``format`` and ``media_type`` may be IRIs or literals."""

    TYPE: ClassVar[URIRef | None] = DCAT.Distribution

    title: LangText = prop(DCT.title, Kind.TEXT)
    description: LangText = prop(DCT.description, Kind.TEXT)
    access_url: tuple[str, ...] = prop(DCAT.accessURL, Kind.IRIS)
    download_url: tuple[str, ...] = prop(DCAT.downloadURL, Kind.IRIS)
    access_service: tuple[DataService, ...] = prop(DCAT.accessService, Kind.NODES, DataService)
    format: str | TypedValue | None = prop(DCT.format, Kind.TERM)
    media_type: str | TypedValue | None = prop(DCAT.mediaType, Kind.TERM)
    compress_format: str | None = prop(DCAT.compressFormat, Kind.IRI)
    package_format: str | None = prop(DCAT.packageFormat, Kind.IRI)
    byte_size: TypedValue | None = prop(DCAT.byteSize, Kind.LIT)
    checksum: Checksum | None = prop(SPDX.checksum, Kind.NODE, Checksum)
    license: LicenseDocument | None = prop(DCT.license, Kind.NODE, LicenseDocument)
    rights: RightsStatement | None = prop(DCT.rights, Kind.NODE, RightsStatement)
    access_rights: str | None = prop(DCT.accessRights, Kind.IRI)
    conforms_to: tuple[str, ...] = prop(DCT.conformsTo, Kind.IRIS)
    documentation: tuple[str, ...] = prop(FOAF.page, Kind.IRIS)
    language: tuple[str, ...] = prop(DCT.language, Kind.IRIS)
    issued: TypedValue | None = prop(DCT.issued, Kind.LIT)
    modified: TypedValue | None = prop(DCT.modified, Kind.LIT)
    applicable_legislation: tuple[str, ...] = prop(DCATAP.applicableLegislation, Kind.IRIS)
    availability: str | None = prop(DCATAP.availability, Kind.IRI)
    status: str | None = prop(ADMS.status, Kind.IRI)
    spatial_resolution_in_meters: tuple[TypedValue, ...] = prop(
        DCAT.spatialResolutionInMeters, Kind.LITS
    )
    temporal_resolution: tuple[TypedValue, ...] = prop(DCAT.temporalResolution, Kind.LITS)
    has_policy: tuple[str, ...] = prop(ODRL.hasPolicy, Kind.IRIS)

    def title_for(self, langs: list[str]) -> str | None:
        """The title in the best of ``langs`` (see :meth:`LangText.best`)."""
        return self.title.best(langs)
