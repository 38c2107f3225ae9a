"""A dataset's facts, derived once from its record and read everywhere (see ``model``)."""

from catalog.facts.model import (
    ACCESS_CODES,
    ACCESS_LABELS,
    ACCESS_LEVELS,
    DatasetFacts,
    DataSpaceLink,
    HealthRoute,
)

__all__ = [
    "ACCESS_CODES",
    "ACCESS_LABELS",
    "ACCESS_LEVELS",
    "DataSpaceLink",
    "DatasetFacts",
    "HealthRoute",
]
