"""A quality report: checks scored per dimension, and the mean report of many datasets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

DIMENSIONS = (
    "findability",
    "accessibility",
    "interoperability",
    "reusability",
    "contextuality",
    "ai_readiness",
)


@dataclass(frozen=True)
class Check:
    """One check: its points if it passes, and what to do when it fails."""

    dimension: str
    name: str
    points: int
    passed: bool
    fix: str
    share: float | None = None  # in a source's mean: the fraction of datasets passing

    @property
    def earned(self) -> float:
        return self.points * (self.share if self.share is not None else float(self.passed))

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "name": self.name,
            "points": self.points,
            "passed": self.passed,
            "share": self.share,
            "fix": None if self.passed else self.fix,
        }


@dataclass
class QualityReport:
    """The checks of one dataset (or the mean of a source), scored per dimension."""

    subject: str
    checks: list[Check] = field(default_factory=list)

    def score(self, dimension: str) -> tuple[int, int]:
        own = [c for c in self.checks if c.dimension == dimension]
        return round(sum(c.earned for c in own)), sum(c.points for c in own)

    def percent_of(self, dimension: str) -> int:
        got, best = self.score(dimension)
        return round(100 * got / best) if best else 0

    @property
    def percent(self) -> int:
        """The MQA-style total over the five metadata dimensions (AI-readiness apart)."""
        got = best = 0
        for dim in DIMENSIONS[:-1]:
            g, b = self.score(dim)
            got, best = got + g, best + b
        return round(100 * got / best) if best else 0

    @property
    def rating(self) -> str:
        p = self.percent
        return "excellent" if p >= 85 else "good" if p >= 60 else "sufficient" if p >= 35 else "bad"

    def fixes(self) -> list[str]:
        return [c.fix for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "percent": self.percent,
            "rating": self.rating,
            "dimensions": {d: self.percent_of(d) for d in DIMENSIONS},
            "checks": [c.to_dict() for c in self.checks],
            "fixes": self.fixes(),
        }


def mean_report(subject: str, reports: Iterable[QualityReport]) -> QualityReport:
    """Checks averaged over reports: points in proportion to the datasets that pass."""
    reports = list(reports)
    if not reports:
        return QualityReport(subject, [])
    checks = []
    for i, first in enumerate(reports[0].checks):
        passed = sum(1 for r in reports if r.checks[i].passed)
        failing = len(reports) - passed
        fix = f"{first.fix} ({failing} of {len(reports)} datasets)"
        checks.append(
            Check(
                first.dimension,
                first.name,
                first.points,
                failing == 0,
                fix,
                share=passed / len(reports),
            )
        )
    return QualityReport(subject, checks)
