"""The terms of a dataset, read from its DCAT-AP / HealthDCAT-AP record."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef

from catalog.errors import InvalidInput
from catalog.namespaces import (
    DATASPACE,
    DCAT,
    DCT,
    DLAB,
    DPV,
    EU_ACCESS_RIGHT,
    EU_DATA_THEME,
    HEALTHDCATAP,
    ODRL,
)
from catalog.offers.odrl import Policy, policy_from_graph

ACCESS_RIGHTS = ("PUBLIC", "RESTRICTED", "NON_PUBLIC")
TDMREP = "http://www.w3.org/ns/tdmrep#reservation"
EHDS_REGULATION = "http://data.europa.eu/eli/reg/2025/327/oj"
_THEME_SPACE = {
    "HEAL": "health",
    "TECH": "research",
    "EDUC": "research",
    "ENVI": "earth-observation",
}


@dataclass
class DatasetTerms:
    """Everything offer resolution needs to know about one dataset's terms."""

    iri: str
    dataset_id: str | None = None
    licences: list[str] = field(default_factory=list)
    access_rights: str | None = None  # PUBLIC | RESTRICTED | NON_PUBLIC | the unknown IRI
    data_space: str | None = None
    data_space_inferred_from: str | None = None
    themes: list[str] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    policy_errors: list[str] = field(default_factory=list)
    hdab: str | None = None
    purposes: list[str] = field(default_factory=list)
    legal_bases: list[str] = field(default_factory=list)
    personal_data: bool = False
    tdm_reserved: bool = False

    def signature(self) -> tuple[object, ...] | None:
        """Everything resolution reads, as a hashable key; ``None`` when a policy is attached
        (policies are resolved per dataset, never shared)."""
        if self.policies or self.policy_errors:
            return None
        return (
            tuple(self.licences),
            self.access_rights,
            self.data_space,
            self.data_space_inferred_from,
            self.hdab,
            self.personal_data,
            self.tdm_reserved,
        )

    @property
    def health_access_route(self) -> bool:
        """HealthDCAT-AP access through a health data access body (EHDS secondary use)."""
        return self.hdab is not None


def _local(iri: object, ns: object) -> str:
    s = str(iri)
    return s[len(str(ns)) :] if s.startswith(str(ns)) else s


def _name(g: Graph, node: object) -> str:
    from catalog.namespaces import FOAF

    for p in (FOAF.name, DCT.title):
        v = g.value(node, p)  # type: ignore[arg-type]
        if v is not None:
            return str(v)
    return str(node)


def extract_terms(g: Graph, iri: str, dataset_id: str | None = None) -> DatasetTerms:
    """Read a dataset's terms; licences of its distributions count as the dataset's."""
    s = URIRef(iri)
    t = DatasetTerms(iri, dataset_id)
    subjects = [s, *g.objects(s, DCAT.distribution)]
    for subj in subjects:
        for lic in g.objects(subj, DCT.license):
            if str(lic) not in t.licences:
                t.licences.append(str(lic))
    rights = sorted({str(o) for o in g.objects(s, DCT.accessRights)})
    if len(rights) > 1:
        t.access_rights = "CONTRADICTORY:" + " ".join(rights)
    elif rights:
        r = _local(rights[0], EU_ACCESS_RIGHT)
        t.access_rights = r
    space = g.value(s, DLAB.dataSpace)
    if space is not None:
        t.data_space = _local(space, DATASPACE)
    t.themes = sorted(_local(o, EU_DATA_THEME) for o in g.objects(s, DCAT.theme))
    for subj in subjects:
        for pol in g.objects(subj, ODRL.hasPolicy):
            try:
                t.policies.append(policy_from_graph(g, pol))
            except InvalidInput as exc:
                t.policy_errors.append(exc.message)
    hdab = g.value(s, HEALTHDCATAP.hdab)
    if hdab is not None:
        t.hdab = _name(g, hdab)
    t.purposes = sorted(_local(o, DPV) for o in g.objects(s, DPV.hasPurpose))
    t.legal_bases = sorted(_local(o, DPV) for o in g.objects(s, DPV.hasLegalBasis))
    t.personal_data = (s, DPV.hasPersonalData, None) in g or any(
        "PERSONAL_DATA" in str(o)
        for ty in g.objects(s, DCT.type)
        for o in [ty, *g.objects(ty, None)]
    )
    for pred in (DLAB.tdmReservation, URIRef(TDMREP)):
        for o in g.objects(s, pred):
            if isinstance(o, Literal) and str(o).lower() in ("true", "1"):
                t.tdm_reserved = True
    if t.data_space is None:
        legislation = {
            str(o) for o in g.objects(s, URIRef("http://data.europa.eu/r5r/applicableLegislation"))
        }
        if t.hdab or any(str(p).startswith(str(HEALTHDCATAP)) for p, _ in g.predicate_objects(s)):
            t.data_space, t.data_space_inferred_from = "health", "HealthDCAT-AP properties"
        elif EHDS_REGULATION in legislation:
            t.data_space, t.data_space_inferred_from = "health", "applicable legislation (EHDS)"
        else:
            for theme in t.themes:
                if theme in _THEME_SPACE:
                    t.data_space = _THEME_SPACE[theme]
                    t.data_space_inferred_from = f"theme {theme}"
                    break
    return t
