"""The built-in demo catalogue: four fictional data spaces in DCAT-AP 3 Turtle.

Each data space is one Turtle file under ``data/`` with its own ``dcat:Catalog`` and is
loaded into its own source (``demo-health``, ``demo-language``, ...), replacing whatever
that source held, so loading twice leaves the catalogue as loading once. ``datalab demo``
calls :func:`load_demo`. The data is invented; see ``README.md`` next to this module.
"""

from __future__ import annotations

import logging
from pathlib import Path

from catalog.loading import LoadReport
from catalog.namespaces import DATASPACE
from catalog.offers.licence_store import LicenceMappings, make_entry
from catalog.offers.licences import LicenceTerms
from catalog.service import Catalogue

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"

DEMO_SOURCES: dict[str, Path] = {
    "demo-health": DATA_DIR / "health.ttl",
    "demo-language": DATA_DIR / "language.ttl",
    "demo-earth-observation": DATA_DIR / "earth-observation.ttl",
    "demo-research": DATA_DIR / "research.ttl",
}
"""Source name -> Turtle file, one per data space."""

DEMO_DATA_SPACES: dict[str, str] = {
    "demo-health": str(DATASPACE["health"]),
    "demo-language": str(DATASPACE["language"]),
    "demo-earth-observation": str(DATASPACE["earth-observation"]),
    "demo-research": str(DATASPACE["research"]),
}
"""Source name -> the data space IRI its datasets carry as ``dlab:dataSpace``."""


DEMO_LICENCE = "https://demo.datalab.example.eu/licence/"

DEMO_LICENCES: tuple[LicenceTerms, ...] = (
    # "Processing only inside the secure processing environment named in a data permit ...
    # for the purposes listed in the permit; no download of individual-level data; no
    # re-identification; commercial use only where the permit allows it." (health.ttl);
    # results credited to their source (EHDS art. 61(4))
    make_entry(
        DEMO_LICENCE + "ehds-data-permit",
        label="EHDS data permit terms (demo)",
        permits=["derivatives", "tdm", "ai-training"],
        requires=["attribution", "notice"],
        prohibits=["distribution"],
    ),
    # "Signed data use agreement with the data holder; scientific research only; no onward
    # sharing; results published in aggregate." (health.ttl)
    make_entry(
        DEMO_LICENCE + "research-use-agreement",
        label="Research data use agreement (demo)",
        permits=["derivatives", "tdm", "ai-training"],
        requires=["attribution", "non-commercial"],
        prohibits=["commercial", "distribution"],
    ),
)
"""The terms of the licences the demo writes itself: the operator's licence mappings (as
``datalab licence add`` would set them), so its offers follow them instead of holding every
dataset under them for review."""


def load_demo_licences(catalogue: Catalogue) -> None:
    """Map the demo's own licences (only those missing or changed: no needless new version
    of the operator's mappings, which every replica's offers would follow)."""
    mappings = LicenceMappings(catalogue.documents)
    present = {e.key: e for e in mappings.extra()}
    for entry in DEMO_LICENCES:
        if present.get(entry.key) != entry:
            mappings.add(entry)


def load_demo(catalogue: Catalogue) -> list[LoadReport]:
    """Load every demo file into its own source, replacing that source's content.

    Idempotent: each file becomes its source's whole graph (``replace=True``), so running
    it again publishes an identical graph instead of adding duplicates.
    """
    reports: list[LoadReport] = []
    for source, path in DEMO_SOURCES.items():
        report = catalogue.load(path.read_bytes(), fmt="turtle", source=source, replace=True)
        log.info(
            "demo source %s: %d datasets, %d triples, %d errors",
            source,
            report.datasets,
            report.triples,
            len(report.errors),
        )
        reports.append(report)
    load_demo_licences(catalogue)
    return reports


__all__ = [
    "DATA_DIR",
    "DEMO_DATA_SPACES",
    "DEMO_LICENCES",
    "DEMO_SOURCES",
    "load_demo",
    "load_demo_licences",
]
