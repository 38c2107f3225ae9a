"""The typed DCAT-AP 3 model: frozen dataclasses read from and written to rdflib graphs.

Every class has ``X.from_graph(graph, node)``, ``x.to_graph(graph=None)`` and ``x.to_dict()``;
``from_graph(to_graph(x)) == x`` and ``to_graph`` emits only triples that ``from_graph`` reads.
"""

from catalog.model.agent import Agent, Attribution, ContactPoint
from catalog.model.base import Kind, Resource, new_graph
from catalog.model.catalog import Catalog
from catalog.model.common import (
    Checksum,
    Identifier,
    LicenseDocument,
    Location,
    PeriodOfTime,
    ProvenanceStatement,
    Relationship,
    RightsStatement,
    TimeInstant,
)
from catalog.model.dataservice import DataService
from catalog.model.dataset import Dataset, DatasetSeries
from catalog.model.distribution import Distribution
from catalog.model.values import LangText, TypedValue, parse_accept_language

__all__ = [
    "Agent",
    "Attribution",
    "Catalog",
    "Checksum",
    "ContactPoint",
    "DataService",
    "Dataset",
    "DatasetSeries",
    "Distribution",
    "Identifier",
    "Kind",
    "LangText",
    "LicenseDocument",
    "Location",
    "PeriodOfTime",
    "ProvenanceStatement",
    "Relationship",
    "Resource",
    "RightsStatement",
    "TimeInstant",
    "TypedValue",
    "new_graph",
    "parse_accept_language",
]
