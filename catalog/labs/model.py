"""Typed model of AI factories, antennas and data labs, with ``from_graph``/``to_graph``.

A data lab is an ``org:OrganizationalUnit`` (``org:unitOf`` its factory) described with the
project vocabulary (``schemas/vocab/datalab.ttl``). Its own policy is an ODRL policy linked
with ``odrl:hasPolicy``; the registry keeps only the parts the offer resolution reads
(prohibited purposes and duties), so a round trip is lossless for those.

The data spaces a lab may link are data (:mod:`catalog.dataspaces`), not a fixed list:
:meth:`DataLab.from_dict` checks them against the built-in ones, or against the set it is
given (the built-in ones plus an administrator's additions, ``data_spaces(catalogue.documents)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from catalog.dataspaces import builtin_data_spaces, check_id
from catalog.durations import parse_days
from catalog.errors import InvalidInput
from catalog.field_limits import FieldLimits
from catalog.namespaces import DATASPACE, DLAB, DPV, ODRL, ORG, RDF, SKOS
from catalog.offers.geography import country_code
from catalog.offers.org_types import ORG_TYPES  # the one list of organisation types

FACTORY_NS = "https://w3id.org/datalab/factory/"
ANTENNA_NS = "https://w3id.org/datalab/antenna/"
LAB_NS = "https://w3id.org/datalab/lab/"

ACCESS_MODES = (
    "Download",
    "SecureProcessingEnvironment",
    "FederatedExecution",
    "SyntheticDataOnly",
    "MetadataOnly",
)
SERVICES = ("Cleaning", "Enrichment", "StandardFormats", "SyntheticData", "Pooling")
#: Purposes a lab's own policy may exclude (see catalog.offers.profiles.PURPOSES).
LAB_PROHIBITABLE = {"commercial": DPV.CommercialPurpose, "ai-training": DLAB.AITraining}

#: The built-in data-space ids (``DataSpaces.ids()``), kept for older imports; see below.
DATA_SPACES: tuple[str, ...]


def __getattr__(name: str) -> Any:
    # ``DATA_SPACES``: the built-in data-space ids, kept for older imports. Read from
    # schemas/vocab/data-spaces.ttl on first use, never at import time.
    if name == "DATA_SPACES":
        return builtin_data_spaces().ids()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _spaces(values: list[str], known: Collection[str]) -> list[str]:
    bad = [v for v in values if v not in known]
    if bad:
        raise InvalidInput(
            f"unknown data space(s) {', '.join(bad)}; known: {', '.join(sorted(known))}",
            where="data_spaces",
        )
    return sorted(set(values))


class InvalidCountry(InvalidInput):
    """A country that is not an ISO 3166-1 code (nor ``EU`` where the EU is allowed)."""

    status = 422
    code = "invalid_country"


def _country(value: str, where: str, *, eu: bool = False) -> str:
    """The ISO alpha-2 code of ``value`` (alpha-2 or alpha-3, any case); ``EU`` when allowed."""
    text = str(value).strip()
    if eu and text.upper() == "EU":
        return "EU"
    code = country_code(text) if text else None
    if code is None:
        expected = "an ISO 3166-1 country code such as DE or FR" + (
            ", or EU for every member state" if eu else ""
        )
        raise InvalidCountry(f"{text!r} is not a country code: write {expected}", where=where)
    return code


T = TypeVar("T")


class _Fields:
    """Checks each field of a lab on its own and keeps every problem, so a form can show
    each next to its field (``details["fields"]``: field -> message) in one answer."""

    def __init__(self) -> None:
        self.errors: list[InvalidInput] = []

    def __call__(self, name: str, check: Callable[[], T]) -> T:
        try:
            return check()
        except KeyError as exc:
            self.errors.append(
                InvalidInput(f"missing field {exc.args[0]!r}", where=str(exc.args[0]))
            )
        except InvalidInput as exc:
            if exc.where is None:
                exc.where = name
            self.errors.append(exc)
        except (TypeError, ValueError, AttributeError) as exc:
            self.errors.append(InvalidInput(f"malformed {name}: {exc}", where=name))
        return None  # type: ignore[return-value]  # never used: raise_first raises

    def raise_first(self) -> None:
        """Raise the first problem (its own status and code), carrying all of them."""
        if not self.errors:
            return
        first = self.errors[0]
        fields: dict[str, str] = {}
        for e in self.errors:
            fields.setdefault(str(e.where), e.message)
        first.details = {**(first.details or {}), "fields": fields}
        raise first


def _one_of(values: list[str], allowed: tuple[str, ...], where: str) -> list[str]:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise InvalidInput(
            f"unknown value(s) {', '.join(bad)}; allowed: {', '.join(allowed)}", where=where
        )
    return sorted(set(values), key=allowed.index)


_DUTY = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_IRI_FORBIDDEN = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f]")


def _duty(value: str) -> str:
    """An ODRL action's local name (``attribute``, ``obtainConsent``): it becomes an IRI."""
    if not _DUTY.fullmatch(value):
        raise InvalidInput(f"{value!r} is not an ODRL action name", where="duties")
    return value


def _form_url(value: str) -> str:
    """A procedure step's form link: an http(s) URL that is also a valid IRI."""
    if not value.startswith(("https://", "http://")) or _IRI_FORBIDDEN.search(value):
        raise InvalidInput(
            "a procedure step's form is an http(s) URL without spaces or <>\"{}|\\^`",
            where="procedure.form",
        )
    return value


@dataclass(frozen=True)
class Factory:
    """One EuroHPC AI Factory (or an antenna, ``kind == "antenna"``)."""

    id: str
    iri: str
    name: str
    kind: str = "factory"
    host: str | None = None
    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    supercomputer: str | None = None
    wave: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "iri": self.iri,
            "name": self.name,
            "kind": self.kind,
            "host": self.host,
            "countries": list(self.countries),
            "sectors": list(self.sectors),
            "supercomputer": self.supercomputer,
            "wave": self.wave,
        }


@dataclass(frozen=True)
class ProcedureStep:
    """One step of a lab's access procedure; ``applies_to`` limits it to one access mode."""

    order: int
    label: str
    applies_to: str | None = None
    form: str | None = None


@dataclass(frozen=True)
class DataLab:
    """A factory's data lab: data spaces, access modes, eligibility, services, terms."""

    id: str
    factory: str
    name: str
    data_spaces: tuple[str, ...] = ()
    access_modes: tuple[str, ...] = ()
    eligible_org_types: tuple[str, ...] = ORG_TYPES
    eligible_countries: tuple[str, ...] = ("EU",)
    services: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    prohibited_purposes: tuple[str, ...] = ()
    duties: tuple[str, ...] = ()
    procedure: tuple[ProcedureStep, ...] = ()
    lead_time_days: int | None = None
    fees: str | None = None
    processing_country: str | None = None

    @property
    def iri(self) -> str:
        return LAB_NS + self.id

    @property
    def factory_iri(self) -> str:
        return FACTORY_NS + self.factory

    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        *,
        known_spaces: Collection[str] | None = None,
        limits: FieldLimits | None = None,
    ) -> DataLab:
        """Build a lab from API/CLI input, checking every controlled value and the length
        of every stored string and list (``limits``, default: the settings' defaults).

        ``known_spaces``: the data-space ids a lab may link (default: the built-in ones).
        """
        known = builtin_data_spaces().ids() if known_spaces is None else known_spaces
        lim = limits or FieldLimits()
        checked = _Fields()
        get = data.get

        def steps() -> tuple[ProcedureStep, ...]:
            return tuple(
                ProcedureStep(
                    order=i,
                    label=lim.text(s["label"], "procedure.label"),
                    applies_to=_one_of([s["applies_to"]], ACCESS_MODES, "procedure.applies_to")[0]
                    if s.get("applies_to")
                    else None,
                    form=_form_url(lim.text(s["form"], "procedure.form"))
                    if s.get("form")
                    else None,
                )
                for i, s in enumerate(lim.items(get("procedure") or [], "procedure"), start=1)
            )

        def one_of(name: str, allowed: tuple[str, ...], default: Any = ()) -> tuple[str, ...]:
            return tuple(_one_of(lim.items(get(name, default), name), allowed, name))

        def names(name: str, check: Any = None) -> tuple[str, ...]:
            values = {lim.name(v, name) for v in lim.items(get(name, []), name)}
            return tuple(sorted(check(v) for v in values) if check else sorted(values))

        fees, country = get("fees"), get("processing_country")
        values: dict[str, Any] = {
            "id": checked("id", lambda: check_id(str(data["id"]))),
            "factory": checked("factory", lambda: check_id(str(data["factory"]), "factory")),
            "name": checked("name", lambda: lim.name(get("name") or data["id"], "name")),
            "data_spaces": checked(
                "data_spaces",
                lambda: tuple(_spaces(lim.items(get("data_spaces", []), "data_spaces"), known)),
            ),
            "access_modes": checked("access_modes", lambda: one_of("access_modes", ACCESS_MODES)),
            "eligible_org_types": checked(
                "eligible_org_types", lambda: one_of("eligible_org_types", ORG_TYPES, ORG_TYPES)
            ),
            "eligible_countries": checked(
                "eligible_countries",
                lambda: tuple(
                    _countries(lim.items(get("eligible_countries", ["EU"]), "eligible_countries"))
                ),
            ),
            "services": checked("services", lambda: one_of("services", SERVICES)),
            "sectors": checked("sectors", lambda: names("sectors")),
            "prohibited_purposes": checked(
                "prohibited_purposes",
                lambda: one_of("prohibited_purposes", tuple(LAB_PROHIBITABLE)),
            ),
            "duties": checked("duties", lambda: names("duties", _duty)),
            "procedure": checked("procedure", steps),
            "lead_time_days": checked(
                "lead_time_days", lambda: parse_days(get("lead_time_days"), "lead_time_days")
            ),
            "fees": checked("fees", lambda: lim.text(fees, "fees") if fees is not None else None),
            "processing_country": checked(
                "processing_country",
                lambda: _country(str(country), "processing_country") if country else None,
            ),
        }
        checked.raise_first()
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "iri": self.iri,
            "factory": self.factory,
            "name": self.name,
            "data_spaces": list(self.data_spaces),
            "access_modes": list(self.access_modes),
            "eligible_org_types": list(self.eligible_org_types),
            "eligible_countries": list(self.eligible_countries),
            "services": list(self.services),
            "sectors": list(self.sectors),
            "prohibited_purposes": list(self.prohibited_purposes),
            "duties": list(self.duties),
            "procedure": [
                {"order": s.order, "label": s.label, "applies_to": s.applies_to, "form": s.form}
                for s in self.procedure
            ],
            "lead_time_days": self.lead_time_days,
            "fees": self.fees,
            "processing_country": self.processing_country,
        }

    def to_graph(self, graph: Graph | None = None) -> Graph:
        g = graph if graph is not None else Graph()
        s = URIRef(self.iri)
        g.add((s, RDF.type, DLAB.DataLab))
        g.add((s, RDF.type, ORG.OrganizationalUnit))
        g.add((s, SKOS.notation, Literal(self.id)))
        g.add((s, SKOS.prefLabel, Literal(self.name, lang="en")))
        g.add((s, ORG.unitOf, URIRef(self.factory_iri)))
        for ds in self.data_spaces:
            g.add((s, DLAB.linkedDataSpace, DATASPACE[ds]))
        for m in self.access_modes:
            g.add((s, DLAB.accessMode, DLAB[m]))
        for o in self.eligible_org_types:
            g.add((s, DLAB.eligibleOrganisationType, DLAB[o]))
        for c in self.eligible_countries:
            g.add((s, DLAB.eligibleCountry, Literal(c)))
        for sv in self.services:
            g.add((s, DLAB.offersService, DLAB[sv]))
        for sec in self.sectors:
            g.add((s, DLAB.sector, Literal(sec)))
        if self.lead_time_days is not None:
            g.add((s, DLAB.leadTimeDays, Literal(self.lead_time_days)))
        if self.fees:
            g.add((s, DLAB.fees, Literal(self.fees)))
        if self.processing_country:
            g.add((s, DLAB.processingCountry, Literal(self.processing_country)))
        for step in self.procedure:
            b = BNode()
            g.add((s, DLAB.procedureStep, b))
            g.add((b, RDF.type, DLAB.ProcedureStep))
            g.add((b, DLAB.order, Literal(step.order)))
            g.add((b, SKOS.prefLabel, Literal(step.label, lang="en")))
            if step.applies_to:
                g.add((b, DLAB.appliesTo, DLAB[step.applies_to]))
            if step.form:
                g.add((b, DLAB.form, URIRef(step.form)))
        pol = BNode()
        g.add((s, ODRL.hasPolicy, pol))
        g.add((pol, RDF.type, ODRL.Set))
        g.add((pol, ODRL.uid, URIRef(self.iri + "-policy")))
        for duty in self.duties:
            d = BNode()
            g.add((pol, ODRL.duty, d))
            g.add((d, ODRL.action, ODRL[duty]))
        for purpose in self.prohibited_purposes:
            p, c = BNode(), BNode()
            g.add((pol, ODRL.prohibition, p))
            g.add((p, ODRL.action, ODRL.use))
            g.add((p, ODRL.constraint, c))
            g.add((c, ODRL.leftOperand, ODRL.purpose))
            g.add((c, ODRL.operator, ODRL.eq))
            g.add((c, ODRL.rightOperand, LAB_PROHIBITABLE[purpose]))
        return g

    @classmethod
    def from_graph(cls, g: Graph, iri: Node) -> DataLab:
        def local(node: Node, ns: str) -> str:
            return str(node)[len(ns) :] if str(node).startswith(ns) else str(node)

        factory = g.value(iri, ORG.unitOf)
        steps = []
        for b in g.objects(iri, DLAB.procedureStep):
            applies = g.value(b, DLAB.appliesTo)
            form = g.value(b, DLAB.form)
            steps.append(
                ProcedureStep(
                    order=int(str(g.value(b, DLAB.order) or 0)),
                    label=str(g.value(b, SKOS.prefLabel) or ""),
                    applies_to=local(applies, str(DLAB)) if applies else None,
                    form=str(form) if form else None,
                )
            )
        duties: list[str] = []
        prohibited: list[str] = []
        reverse = {str(v): k for k, v in LAB_PROHIBITABLE.items()}
        for pol in g.objects(iri, ODRL.hasPolicy):
            for d in g.objects(pol, ODRL.duty):
                duties += [local(a, str(ODRL)) for a in g.objects(d, ODRL.action)]
            for p in g.objects(pol, ODRL.prohibition):
                for c in g.objects(p, ODRL.constraint):
                    right = str(g.value(c, ODRL.rightOperand))
                    if right in reverse:
                        prohibited.append(reverse[right])
        lead = g.value(iri, DLAB.leadTimeDays)
        fees = g.value(iri, DLAB.fees)
        country = g.value(iri, DLAB.processingCountry)

        def locals_(pred: URIRef, ns: str, order: tuple[str, ...] | None = None) -> tuple[str, ...]:
            vals = {local(o, ns) for o in g.objects(iri, pred)}
            return tuple(sorted(vals, key=(order.index if order else None)))

        return cls(
            id=str(g.value(iri, SKOS.notation) or local(iri, LAB_NS)),
            factory=local(factory, FACTORY_NS) if factory else "",
            name=str(g.value(iri, SKOS.prefLabel) or ""),
            data_spaces=locals_(DLAB.linkedDataSpace, str(DATASPACE)),
            access_modes=locals_(DLAB.accessMode, str(DLAB), ACCESS_MODES),
            eligible_org_types=locals_(DLAB.eligibleOrganisationType, str(DLAB), ORG_TYPES),
            eligible_countries=tuple(sorted(str(o) for o in g.objects(iri, DLAB.eligibleCountry))),
            services=locals_(DLAB.offersService, str(DLAB), SERVICES),
            sectors=tuple(sorted(str(o) for o in g.objects(iri, DLAB.sector))),
            prohibited_purposes=tuple(sorted(set(prohibited), key=list(LAB_PROHIBITABLE).index)),
            duties=tuple(sorted(set(duties))),
            procedure=tuple(sorted(steps, key=lambda st: st.order)),
            lead_time_days=int(str(lead)) if lead is not None else None,
            fees=str(fees) if fees else None,
            processing_country=str(country) if country else None,
        )


def _countries(values: list[str]) -> list[str]:
    """Country codes (alpha-2 or alpha-3, normalised to alpha-2) or ``EU``; every bad one is
    named in the message."""
    out, bad = [], []
    for v in values:
        try:
            out.append(_country(str(v), "eligible_countries", eu=True))
        except InvalidCountry:
            bad.append(str(v).strip())
    if bad:
        listed = ", ".join(repr(b) for b in bad)
        raise InvalidCountry(
            f"{listed} {'is not a country code' if len(bad) == 1 else 'are not country codes'}: "
            "write ISO 3166-1 codes such as DE or FR, or EU for every member state",
            where="eligible_countries",
            details={"refused": bad},
        )
    return sorted(set(out))


def factory_from_graph(g: Graph, iri: Node) -> Factory:
    kind = "antenna" if (iri, RDF.type, DLAB.Antenna) in g else "factory"
    wave = g.value(iri, DLAB.wave)
    sc = g.value(iri, DLAB.supercomputer)
    host = g.value(iri, DLAB.host)
    return Factory(
        id=str(g.value(iri, SKOS.notation)),
        iri=str(iri),
        name=str(g.value(iri, SKOS.prefLabel) or ""),
        kind=kind,
        host=str(host) if host else None,
        countries=tuple(sorted(str(o) for o in g.objects(iri, DLAB.countries))),
        sectors=tuple(sorted(str(o) for o in g.objects(iri, DLAB.sector))),
        supercomputer=str(sc) if sc else None,
        wave=int(str(wave)) if wave is not None else None,
    )


__all__ = [
    "ACCESS_MODES",
    "DATA_SPACES",
    "ORG_TYPES",
    "SERVICES",
    "DataLab",
    "Factory",
    "ProcedureStep",
    "factory_from_graph",
    "field",
]
