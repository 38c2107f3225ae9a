"""``dcat:Catalog``: a curated collection of datasets and data services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rdflib import URIRef

from catalog.model.agent import Agent, ContactPoint
from catalog.model.base import Kind, Resource, prop
from catalog.model.common import LicenseDocument, Location, RightsStatement
from catalog.model.dataservice import DataService
from catalog.model.dataset import Dataset
from catalog.model.values import LangText, TypedValue
from catalog.namespaces import DCAT, DCATAP, DCT, FOAF


@dataclass(frozen=True, kw_only=True)
class Catalog(Resource):
    """A DCAT-AP 3 catalogue. Its datasets and services are nested; sub-catalogues are IRIs."""

    TYPE: ClassVar[URIRef | None] = DCAT.Catalog

    title: LangText = prop(DCT.title, Kind.TEXT)
    description: LangText = prop(DCT.description, Kind.TEXT)
    publisher: Agent | None = prop(DCT.publisher, Kind.NODE, Agent)
    creator: tuple[Agent, ...] = prop(DCT.creator, Kind.NODES, Agent)
    contact_point: tuple[ContactPoint, ...] = prop(DCAT.contactPoint, Kind.NODES, ContactPoint)
    dataset: tuple[Dataset, ...] = prop(DCAT.dataset, Kind.NODES, Dataset)
    service: tuple[DataService, ...] = prop(DCAT.service, Kind.NODES, DataService)
    catalog: tuple[str, ...] = prop(DCAT.catalog, Kind.IRIS)
    has_part: tuple[str, ...] = prop(DCT.hasPart, Kind.IRIS)
    homepage: str | None = prop(FOAF.homepage, Kind.IRI)
    language: tuple[str, ...] = prop(DCT.language, Kind.IRIS)
    license: LicenseDocument | None = prop(DCT.license, Kind.NODE, LicenseDocument)
    rights: RightsStatement | None = prop(DCT.rights, Kind.NODE, RightsStatement)
    access_rights: str | None = prop(DCT.accessRights, Kind.IRI)
    issued: TypedValue | None = prop(DCT.issued, Kind.LIT)
    modified: TypedValue | None = prop(DCT.modified, Kind.LIT)
    spatial: tuple[Location, ...] = prop(DCT.spatial, Kind.NODES, Location)
    theme_taxonomy: tuple[str, ...] = prop(DCAT.themeTaxonomy, Kind.IRIS)
    applicable_legislation: tuple[str, ...] = prop(DCATAP.applicableLegislation, Kind.IRIS)

    def title_for(self, langs: list[str]) -> str | None:
        """The title in the best of ``langs`` (see :meth:`LangText.best`)."""
        return self.title.best(langs)
