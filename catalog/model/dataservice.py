"""``dcat:DataService``: an API or endpoint that gives access to datasets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rdflib import URIRef

from catalog.model.agent import Agent, ContactPoint
from catalog.model.base import Kind, Resource, prop
from catalog.model.common import LicenseDocument, RightsStatement
from catalog.model.values import LangText, TypedValue
from catalog.namespaces import DCAT, DCATAP, DCT, FOAF, ODRL


@dataclass(frozen=True, kw_only=True)
class DataService(Resource):
    """A DCAT-AP 3 data service. Served datasets are kept as IRIs, not nested."""

    TYPE: ClassVar[URIRef | None] = DCAT.DataService

    title: LangText = prop(DCT.title, Kind.TEXT)
    description: LangText = prop(DCT.description, Kind.TEXT)
    endpoint_url: tuple[str, ...] = prop(DCAT.endpointURL, Kind.IRIS)
    endpoint_description: tuple[str, ...] = prop(DCAT.endpointDescription, Kind.IRIS)
    serves_dataset: tuple[str, ...] = prop(DCAT.servesDataset, Kind.IRIS)
    access_rights: str | None = prop(DCT.accessRights, Kind.IRI)
    license: LicenseDocument | None = prop(DCT.license, Kind.NODE, LicenseDocument)
    rights: RightsStatement | None = prop(DCT.rights, Kind.NODE, RightsStatement)
    conforms_to: tuple[str, ...] = prop(DCT.conformsTo, Kind.IRIS)
    contact_point: tuple[ContactPoint, ...] = prop(DCAT.contactPoint, Kind.NODES, ContactPoint)
    publisher: Agent | None = prop(DCT.publisher, Kind.NODE, Agent)
    creator: tuple[Agent, ...] = prop(DCT.creator, Kind.NODES, Agent)
    keyword: LangText = prop(DCAT.keyword, Kind.TEXT)
    theme: tuple[str, ...] = prop(DCAT.theme, Kind.IRIS)
    landing_page: tuple[str, ...] = prop(DCAT.landingPage, Kind.IRIS)
    documentation: tuple[str, ...] = prop(FOAF.page, Kind.IRIS)
    identifier: tuple[TypedValue, ...] = prop(DCT.identifier, Kind.LITS)
    applicable_legislation: tuple[str, ...] = prop(DCATAP.applicableLegislation, Kind.IRIS)
    hvd_category: tuple[str, ...] = prop(DCATAP.hvdCategory, Kind.IRIS)
    has_policy: tuple[str, ...] = prop(ODRL.hasPolicy, Kind.IRIS)

    def title_for(self, langs: list[str]) -> str | None:
        """The title in the best of ``langs`` (see :meth:`LangText.best`)."""
        return self.title.best(langs)
