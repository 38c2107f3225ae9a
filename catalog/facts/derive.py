"""Deriving a dataset's facts from its stored triples: the one reading of a record.

The input is a :data:`TripleIndex` (subject → predicate → objects) holding at least the
record's own triples, those of the nodes it owns (distributions, skolemised blank nodes,
policies) and one level of context (agents). One dataset read from the store and a whole
source graph read in bulk give the same index around each dataset, so the single and the
bulk readers derive equal facts (tested).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef

from catalog.dataspaces import DataSpaces, builtin_data_spaces
from catalog.errors import InvalidInput
from catalog.facts.model import DatasetFacts, DataSpaceLink, HealthRoute
from catalog.namespaces import (
    ADMS,
    DATASPACE,
    DCAT,
    DCATAP,
    DCT,
    DLAB,
    DPV,
    EU_ACCESS_RIGHT,
    EU_DATA_THEME,
    FOAF,
    HEALTHDCATAP,
    LOCN,
    ODRL,
    RDF,
    RDFS,
    SKOS,
    VCARD,
)
from catalog.offers.geography import country_code
from catalog.offers.odrl import Policy, policy_from_graph
from catalog.ownership import owned_closure
from catalog.rdf_bridge import to_ox_triples, to_rdflib_graph
from catalog.skolem import is_skolem

#: Property IRIs as strings, built once (a Namespace attribute builds a new URIRef).
_ADMS_sample = str(ADMS.sample)
_DCAT_distribution = str(DCAT.distribution)
_DCAT_theme = str(DCAT.theme)
_DCATAP_applicableLegislation = str(DCATAP.applicableLegislation)
_DCT_accessRights = str(DCT.accessRights)
_DCT_description = str(DCT.description)
_DCT_license = str(DCT.license)
_DCT_publisher = str(DCT.publisher)
_DCT_spatial = str(DCT.spatial)
_DCT_title = str(DCT.title)
_DCT_type = str(DCT.type)
_DLAB_dataSpace = str(DLAB.dataSpace)
_DLAB_datasetId = str(DLAB.datasetId)
_DLAB_tdmReservation = str(DLAB.tdmReservation)
_DPV_hasLegalBasis = str(DPV.hasLegalBasis)
_DPV_hasPersonalData = str(DPV.hasPersonalData)
_DPV_hasPurpose = str(DPV.hasPurpose)
_FOAF_name = str(FOAF.name)
_HEALTHDCATAP_hdab = str(HEALTHDCATAP.hdab)
#: The HealthDCAT-AP properties (the paths of its SHACL shapes, and the publisher's note and
#: type): a dataset stating one of them is a health dataset. A list rather than "any
#: property in the namespace", so the bulk reading (one scan per property) reads what the
#: single reading does (a record's every triple).
HEALTHDCAT_PROPERTIES = frozenset(
    str(HEALTHDCATAP) + name
    for name in (
        "analytics",
        "hasCodeValues",
        "hasCodingSystem",
        "hdab",
        "healthCategory",
        "healthTheme",
        "maxTypicalAge",
        "minTypicalAge",
        "numberOfRecords",
        "numberOfUniqueIndividuals",
        "populationCoverage",
        "publisherNote",
        "publisherType",
        "retentionPeriod",
        "trustedDataHolder",
    )
)
_LOCN_address = str(LOCN.address)
_LOCN_adminUnitL1 = str(LOCN.adminUnitL1)
_ODRL_hasPolicy = str(ODRL.hasPolicy)
_RDF_type = str(RDF.type)
_RDFS_label = str(RDFS.label)
_SKOS_prefLabel = str(SKOS.prefLabel)
_VCARD_hasAddress = str(VCARD.hasAddress)
_VCARD_country_name = str(VCARD["country-name"])

Term = ox.NamedNode | ox.BlankNode | ox.Literal
TripleIndex = dict[str, dict[str, list[Term]]]

EHDS_REGULATION = "http://data.europa.eu/eli/reg/2025/327/oj"
TDMREP = "http://www.w3.org/ns/tdmrep#"
#: ODRL actions that name text and data mining (the TDMRep ODRL profile's ``tdm:mine``).
TDM_ACTIONS = frozenset(
    {"mine", "tdm", "textAndDataMining", "text-and-data-mining", TDMREP + "mine"}
)
_EU_ACCESS = {"PUBLIC": "public", "RESTRICTED": "restricted", "NON_PUBLIC": "non_public"}
#: CLARIN availability codes some language repositories write as access rights.
_CLARIN = {"PUB": "public", "ACA": "restricted", "RES": "restricted"}
_ORDER = ("public", "restricted", "non_public", "unknown")
_NAME_PREDICATES = (str(_FOAF_name), str(_SKOS_prefLabel), str(_DCT_title), str(_RDFS_label))
_TRUE = ("true", "1")

#: Every predicate the derivation reads (bulk readers fetch these, plus ODRL's and RDF
#: lists' for policies).
FACT_PREDICATES = (
    frozenset(
        str(p)
        for p in (
            _DLAB_datasetId,
            _DCT_accessRights,
            _DCT_license,
            _DCT_publisher,
            _DCT_spatial,
            _DCT_title,
            _DCT_description,
            _DCT_type,
            _DCAT_distribution,
            _DCAT_theme,
            _ADMS_sample,
            _ODRL_hasPolicy,
            _DLAB_dataSpace,
            _DLAB_tdmReservation,
            _DCATAP_applicableLegislation,
            _HEALTHDCATAP_hdab,
            _DPV_hasLegalBasis,
            _DPV_hasPurpose,
            _DPV_hasPersonalData,
            _FOAF_name,
            _SKOS_prefLabel,
            _RDFS_label,
            _VCARD_hasAddress,
            _VCARD_country_name,
            _LOCN_address,
            _LOCN_adminUnitL1,
        )
    )
    | frozenset({TDMREP + "reservation", TDMREP + "policy"})
    | HEALTHDCAT_PROPERTIES
)


def key(term: Term) -> str:
    """The index key of a subject or object node."""
    return "_:" + term.value if isinstance(term, ox.BlankNode) else term.value


def index_triples(
    triples: Iterable[ox.Triple | ox.Quad], into: TripleIndex | None = None
) -> TripleIndex:
    """Group triples by subject and predicate (objects in :func:`in_order`'s order)."""
    index: TripleIndex = {} if into is None else into
    for t in triples:
        index.setdefault(key(t.subject), {}).setdefault(t.predicate.value, []).append(t.object)  # type: ignore[arg-type]
    return in_order(index)


def in_order(index: TripleIndex) -> TripleIndex:
    """``index`` with the objects of each subject and predicate, where there are several,
    sorted by their N-Triples form. A store gives them in the order of its own indexes,
    which differs from store to store (the one on disk, an in-memory one loaded from the
    same N-Triples: :mod:`catalog.graph_copies`); what is derived from them (the first
    title, the publisher) must not."""
    for props in index.values():
        for objects in props.values():
            if len(objects) > 1:
                objects.sort(key=str)
    return index


_NONE: dict[str, list[Term]] = {}


def _objects(index: TripleIndex, node: str, predicate: str) -> list[Term]:
    return index.get(node, _NONE).get(predicate, [])


def _anonymous(term: Term) -> bool:
    """A blank node, or one skolemised on ingest: its IRI changes with every load."""
    return isinstance(term, ox.BlankNode) or is_skolem(term)


def owned_nodes(index: TripleIndex, iri: str) -> list[str]:
    """The record's own node and every node it owns (the rule of :mod:`catalog.ownership`):
    the nodes a steward's record may describe."""

    def links(node: str) -> Iterable[tuple[str, object, str]]:
        for predicate, objects in index.get(node, {}).items():
            for o in objects:
                yield predicate, o, key(o)

    return owned_closure(iri, links)


def access_of(values: list[Term]) -> tuple[tuple[str, ...], str]:
    """The stated access values and the most closed level among them."""
    stated: list[str] = []
    levels: list[str] = []
    for v in values:
        text = v.value.strip()
        if isinstance(v, ox.NamedNode) and text.startswith(str(EU_ACCESS_RIGHT)):
            code = text[len(str(EU_ACCESS_RIGHT)) :]
            level = _EU_ACCESS.get(code, "unknown")
        elif isinstance(v, ox.Literal) and text.upper() in _CLARIN:
            code, level = text.upper(), _CLARIN[text.upper()]
        else:
            code, level = text, "unknown"
        if code not in stated:
            stated.append(code)
        levels.append(level)
    level = max(levels, key=_ORDER.index) if levels else "unknown"
    return tuple(sorted(stated)), level


def name_of(index: TripleIndex, node: str, langs: tuple[str, ...] = ("en", "")) -> str | None:
    """An agent's or document's name: ``foaf:name``, ``skos:prefLabel``, ``dct:title`` or
    ``rdfs:label``, in the first of ``langs`` that has one."""
    for predicate in _NAME_PREDICATES:
        names = [o for o in _objects(index, node, predicate) if isinstance(o, ox.Literal)]
        if not names:
            continue
        for lang in langs:
            for n in names:
                if (n.language or "") == lang:
                    return n.value
        return sorted(n.value for n in names)[0]
    return None


def _names(index: TripleIndex, node: str) -> tuple[str, ...]:
    return tuple(
        sorted({o.value for p in (_FOAF_name, _SKOS_prefLabel) for o in _objects(index, node, p)})
    )


def _country(index: TripleIndex, node: str) -> str | None:
    places: list[Term] = list(_objects(index, node, _DCT_spatial))
    for addr in (*_objects(index, node, _VCARD_hasAddress), *_objects(index, node, _LOCN_address)):
        places += _objects(index, key(addr), _VCARD_country_name)
        places += _objects(index, key(addr), _LOCN_adminUnitL1)
    for p in places:
        code = country_code(p.value)
        if code:
            return code
    return None


def _licences(index: TripleIndex, subjects: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    iris: list[str] = []
    texts: list[str] = []
    for subject in subjects:
        for lic in _objects(index, subject, _DCT_license):
            if isinstance(lic, ox.Literal):
                text = lic.value.strip()
            elif isinstance(lic, ox.BlankNode) or is_skolem(lic):
                text = name_of(index, key(lic)) or next(
                    (d.value for d in _objects(index, key(lic), _DCT_description)), ""
                )
                text = text.strip() or "(a licence document with no text)"
            else:
                if lic.value not in iris:
                    iris.append(lic.value)
                continue
            if text not in texts:
                texts.append(text)
    return tuple(iris), tuple(texts)


def _policy_graph(index: TripleIndex, node: str) -> Graph:
    """The policy node and everything under it (rules, constraints, lists)."""
    triples: list[ox.Triple] = []
    seen = {node}
    frontier = [node]
    while frontier:
        nxt = []
        for n in frontier:
            subject: ox.NamedNode | ox.BlankNode = (
                ox.BlankNode(n[2:]) if n.startswith("_:") else ox.NamedNode(n)
            )
            for predicate, objects in index.get(n, {}).items():
                for o in objects:
                    triples.append(ox.Triple(subject, ox.NamedNode(predicate), o))
                    k = key(o)
                    if not isinstance(o, ox.Literal) and k not in seen and k in index:
                        if predicate == str(_RDF_type):
                            continue
                        seen.add(k)
                        nxt.append(k)
        frontier = nxt
    return to_rdflib_graph(triples)


#: Policies parsed, by the shape of their node's description (see :func:`_policy_shape`),
#: and whether their uid is their node's name: harvested records carry thousands of copies
#: of a few policies, each under a node of its own, and parsing one through rdflib costs
#: milliseconds.
_PARSED: dict[tuple[object, ...], tuple[Policy, bool]] = {}
_PARSED_MAX = 4096


def _policy_shape(index: TripleIndex, node: str) -> tuple[tuple[object, ...], set[str]] | None:
    """What :func:`_policy_graph` collects under the policy ``node``, without the node's
    own name and with every anonymous node replaced by its own description (so two copies
    of a policy have one shape, whatever their nodes are called), and the names of those
    anonymous nodes; ``None`` for a cycle (parsed each time)."""
    anonymous: set[str] = set()
    found = _shape(index, node, frozenset({node}), anonymous)
    return None if found is None else (found, anonymous)


def _shape(
    index: TripleIndex, n: str, path: frozenset[str], anonymous: set[str]
) -> tuple[object, ...] | None:
    """The shape of node ``n`` (see :func:`_policy_shape`). A function of its own, not a
    closure calling itself: such a closure is a reference cycle holding ``index``, and
    while a bulk read holds the collector (``catalog.facts.read.gc_paused``) every index
    of the read stayed alive until it ended."""
    out: list[tuple[object, ...]] = []
    for predicate, objects in index.get(n, {}).items():
        for o in objects:
            k = key(o)
            if isinstance(o, ox.Literal):
                lang = o.language or ""
                out.append((predicate, "L", o.value, o.datatype.value, lang))
            elif k in index and predicate != _RDF_type:
                if k in path:
                    return None
                inner = _shape(index, k, path | {k}, anonymous)
                if inner is None:
                    return None
                if _anonymous(o):
                    anonymous.add(o.value)
                out.append((predicate, "N", "" if _anonymous(o) else o.value, inner))
            else:
                if _anonymous(o):
                    anonymous.add(o.value)
                out.append((predicate, "I", o.value, ()))
    return tuple(sorted(out))  # entries compare item by item: strings, then shapes


def _remember(
    shape: tuple[object, ...], names: set[str], policy: Policy, uid_is_node: bool
) -> None:
    """Keep ``policy`` for its shape unless, its uid aside, it names its own node or one of
    its anonymous nodes (then it would not be the same for another copy)."""
    text = repr(replace(policy, uid=None))
    if any(name in text for name in names):
        return
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[shape] = (replace(policy, uid=None) if uid_is_node else policy, uid_is_node)


def _policies(
    index: TripleIndex, subjects: list[str]
) -> tuple[tuple[Policy, ...], tuple[str, ...]]:
    policies: list[Policy] = []
    errors: list[str] = []
    nodes = [
        o
        for s in subjects
        for p in (_ODRL_hasPolicy, TDMREP + "policy")
        for o in _objects(index, s, p)
        if not isinstance(o, ox.Literal)
    ]
    for node in nodes:
        k = key(node)
        if k not in index:
            errors.append(f"policy {node.value} is not described in the record")
            continue
        shaped = _policy_shape(index, k)
        known = _PARSED.get(shaped[0]) if shaped is not None else None
        if known is not None:
            policy, uid_is_node = known
            if uid_is_node:  # the policy has no uid of its own: its node names it
                policy = replace(policy, uid=None if _anonymous(node) else node.value)
        else:
            root = BNode(k[2:]) if k.startswith("_:") else URIRef(k)
            try:
                policy = policy_from_graph(_policy_graph(index, k), root)
            except InvalidInput as exc:
                errors.append(exc.message)
                continue
            uid_is_node = policy.uid == str(root)
            if _anonymous(node) and uid_is_node:
                policy = replace(policy, uid=None)  # a skolem IRI is ours, not the record's
            if shaped is not None:
                _remember(shaped[0], shaped[1] | {node.value}, policy, uid_is_node)
        if not (policy.permissions or policy.prohibitions or policy.obligations):
            errors.append(f"policy {node.value} states no permission, prohibition or duty")
        else:
            policies.append(policy)
    return tuple(policies), tuple(errors)


def _tdm(index: TripleIndex, iri: str, policies: tuple[Policy, ...]) -> str | None:
    for o in _objects(index, iri, _DLAB_tdmReservation):
        if o.value.strip().lower() in _TRUE:
            return "the catalogue's TDM reservation flag (dlab:tdmReservation)"
    for o in _objects(index, iri, TDMREP + "reservation"):
        if o.value.strip().lower() in _TRUE:
            return "the TDMRep reservation property (tdm-reservation: 1)"
    for pol in policies:
        for rule in pol.prohibitions:
            if not rule.constraints and TDM_ACTIONS.intersection(rule.actions):
                return "an ODRL prohibition of text and data mining"
    return None


def _data_spaces(
    index: TripleIndex,
    iri: str,
    themes: tuple[str, ...],
    health: bool,
    ehds: bool,
    spaces: DataSpaces,
) -> tuple[DataSpaceLink, ...]:
    links: list[DataSpaceLink] = []

    def add(space: str, how: str) -> None:
        if all(link.space != space for link in links):
            links.append(DataSpaceLink(space, how))

    for o in _objects(index, iri, _DLAB_dataSpace):
        value = o.value
        space = spaces.get(value)
        add(space.id if space else value.removeprefix(str(DATASPACE)), "declared by its source")
    if health:
        add("health", "HealthDCAT-AP properties")
    if ehds:
        add("health", "applicable legislation (EHDS, Regulation (EU) 2025/327)")
    if not links:  # a source that declares no data space: the record's themes place it
        for code in themes:
            for space in spaces.for_theme(code):
                add(space.id, f"EU data theme {code}")
    return tuple(links)


def derive_facts(
    index: TripleIndex,
    iri: str,
    dataset_id: str,
    spaces: DataSpaces,
    source: str | None = None,
) -> DatasetFacts:
    """The facts of the dataset ``iri`` (id ``dataset_id``) from ``index``."""
    node = index.get(iri, {})
    distributions = [key(d) for d in _objects(index, iri, _DCAT_distribution)]
    access_values, level = access_of(node.get(str(_DCT_accessRights), []))
    licences, texts = _licences(index, [iri, *distributions])
    policies, errors = _policies(index, [iri, *distributions])
    themes = tuple(
        sorted(
            o.value.removeprefix(str(EU_DATA_THEME))
            for o in node.get(str(_DCAT_theme), [])
            if o.value.startswith(str(EU_DATA_THEME))
        )
    )
    publisher = next(iter(node.get(str(_DCT_publisher), [])), None)
    hdab = next(iter(node.get(str(_HEALTHDCATAP_hdab), [])), None)
    health = None
    if hdab is not None:
        body = name_of(index, key(hdab)) or hdab.value
        health = HealthRoute(
            body=body,
            body_iri=None if _anonymous(hdab) else hdab.value,
            holder_country=(_country(index, key(publisher)) if publisher is not None else None)
            or _country(index, key(hdab)),
            legal_bases=tuple(sorted(o.value for o in node.get(str(_DPV_hasLegalBasis), []))),
            purposes=tuple(sorted(o.value for o in node.get(str(_DPV_hasPurpose), []))),
        )
    healthdcat = hdab is not None or not HEALTHDCAT_PROPERTIES.isdisjoint(node)
    ehds = any(o.value == EHDS_REGULATION for o in node.get(str(_DCATAP_applicableLegislation), []))
    personal = str(_DPV_hasPersonalData) in node or any(
        "PERSONAL_DATA" in o.value for o in node.get(str(_DCT_type), [])
    )
    return DatasetFacts(
        dataset_id=dataset_id,
        iri=iri,
        source=source,
        access_values=access_values,
        access_level=level,
        licences=licences,
        licence_texts=texts,
        policies=policies,
        policy_errors=errors,
        data_spaces=_data_spaces(index, iri, themes, healthdcat, ehds, spaces),
        themes=themes,
        publisher=publisher.value if publisher is not None and not _anonymous(publisher) else None,
        publisher_name=name_of(index, key(publisher)) if publisher is not None else None,
        publisher_names=_names(index, key(publisher)) if publisher is not None else (),
        health=health,
        ehds_legislation=ehds,
        personal_data=personal,
        tdm_reserved=(tdm := _tdm(index, iri, policies)) is not None,
        tdm_how=tdm,
    )


def facts_from_rdflib(
    graph: Graph, iri: str, dataset_id: str, spaces: DataSpaces | None = None
) -> DatasetFacts:
    """The facts of ``iri`` in an rdflib graph (a document not stored yet, e.g. a steward's
    draft); blank nodes count as owned nodes, as their skolemised forms do once stored."""
    index = index_triples(to_ox_triples(graph))
    return derive_facts(index, iri, dataset_id, spaces or builtin_data_spaces())
