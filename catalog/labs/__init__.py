"""AI factories, antennas and data labs as the project's own RDF data."""

from catalog.labs.model import DataLab, Factory, ProcedureStep
from catalog.labs.store import (
    LabNotFound,
    RegistryLoad,
    create_lab,
    edit_lab,
    ensure_registry,
    get_factory,
    get_lab,
    list_factories,
    list_labs,
    load_registry,
)

__all__ = [
    "DataLab",
    "Factory",
    "LabNotFound",
    "ProcedureStep",
    "RegistryLoad",
    "create_lab",
    "edit_lab",
    "ensure_registry",
    "get_factory",
    "get_lab",
    "list_factories",
    "list_labs",
    "load_registry",
]
