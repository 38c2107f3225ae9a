"""A dataset's facts, derived once from its record and read everywhere (see ``model``)."""

from catalog.facts.model import (
    ACCESS_CATEGORIES,
    ACCESS_CODES,
    ACCESS_LEVELS,
    DatasetFacts,
    DataSpaceLink,
    HealthRoute,
)

__all__ = [
    "ACCESS_CATEGORIES",
    "ACCESS_CODES",
    "ACCESS_LEVELS",
    "DataSpaceLink",
    "DatasetFacts",
    "HealthRoute",
]
