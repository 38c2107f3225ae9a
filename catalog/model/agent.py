"""Agents and contact points: who publishes, creates and answers for a resource."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rdflib import URIRef

from catalog.model.base import Kind, Resource, prop
from catalog.model.values import LangText, TypedValue
from catalog.namespaces import DCAT, DCT, FOAF, PROV, VCARD


@dataclass(frozen=True, kw_only=True)
class Agent(Resource):
    """A ``foaf:Agent``: publisher, creator or custodian (name, type, homepage, e-mail)."""

    TYPE: ClassVar[URIRef | None] = FOAF.Agent

    name: LangText = prop(FOAF.name, Kind.TEXT)
    type: str | None = prop(DCT.type, Kind.IRI)
    homepage: str | None = prop(FOAF.homepage, Kind.IRI)
    email: tuple[str | TypedValue, ...] = prop(FOAF.mbox, Kind.TERMS)


@dataclass(frozen=True, kw_only=True)
class ContactPoint(Resource):
    """A ``vcard:Kind`` (or ``vcard:Organization``/``vcard:Individual``) to contact."""

    TYPE: ClassVar[URIRef | None] = VCARD.Kind

    fn: LangText = prop(VCARD.fn, Kind.TEXT)
    organization_name: LangText = prop(VCARD["organization-name"], Kind.TEXT)
    has_email: tuple[str | TypedValue, ...] = prop(VCARD.hasEmail, Kind.TERMS)
    has_url: tuple[str, ...] = prop(VCARD.hasURL, Kind.IRIS)
    has_telephone: tuple[str | TypedValue, ...] = prop(VCARD.hasTelephone, Kind.TERMS)

    @property
    def emails(self) -> list[str]:
        """E-mail addresses without the ``mailto:`` prefix."""
        return [str(e).removeprefix("mailto:") for e in self.has_email]


@dataclass(frozen=True, kw_only=True)
class Attribution(Resource):
    """A ``prov:Attribution``: an agent and the role it had (qualified attribution)."""

    TYPE: ClassVar[URIRef | None] = PROV.Attribution

    agent: Agent | None = prop(PROV.agent, Kind.NODE, Agent)
    had_role: tuple[str, ...] = prop(DCAT.hadRole, Kind.IRIS)
