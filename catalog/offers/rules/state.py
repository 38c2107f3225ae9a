"""The state one resolution builds up: the reasons, the permitted uses, the access modes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from catalog.facts import DatasetFacts
from catalog.labs.model import DataLab
from catalog.offers.evaluate import Situation
from catalog.offers.licences import USES, LicenceTable, LicenceTerms
from catalog.offers.odrl import Constraint
from catalog.offers.profiles import RequesterProfile

#: Access modes, least restrictive first; the offer uses the first one both sides allow.
MODE_ORDER = ("Download", "FederatedExecution", "SecureProcessingEnvironment", "SyntheticDataOnly")
MODE_LABEL = {
    "Download": "download",
    "FederatedExecution": "federated or remote execution",
    "SecureProcessingEnvironment": "secure processing environment",
    "SyntheticDataOnly": "synthetic data only",
    "MetadataOnly": "metadata only",
}
RANK = {"ok": 0, "condition": 1, "review": 2, "block": 3}


@dataclass(frozen=True)
class Reason:
    """One step of the rule trace."""

    rule: str
    outcome: str
    text: str


#: Reasons made before, shared (they are immutable): a build gives the same few thousand
#: reasons to hundreds of thousands of offers, which a replica's mirror then holds, and
#: each object of them a collection walks.
_REASONS: dict[tuple[str, str, str], Reason] = {}
_REASONS_MAX = 65_536


class State:
    """One (dataset, lab, requester) resolution in progress."""

    def __init__(
        self,
        facts: DatasetFacts,
        lab: DataLab,
        table: LicenceTable,
        profile: RequesterProfile | None,
        now: datetime,
    ) -> None:
        self.facts = facts
        self.lab = lab
        self.table = table
        self.profile = profile
        self.situation = Situation(lab, profile, now)
        self.reasons: list[Reason] = []
        self.permits: set[str] = set(USES)
        self.prohibits: set[str] = set()
        self.duties: list[str] = list(lab.duties)
        self.constraints: list[str] = []
        #: the dataset policy's constraints the requester must meet (carried into the ODRL)
        self.pending: list[Constraint] = []
        self.allowed: set[str] = set(MODE_ORDER)
        self.mode: str | None = None
        self.route = "licence"
        self.licence: LicenceTerms | None = None
        self.steps_first: list[str] = []  # before the lab's own procedure
        self.steps_last: list[str] = []  # after it

    @property
    def name(self) -> str:
        return self.lab.name or self.lab.id

    def add(self, rule: str, outcome: str, text: str) -> None:
        key = (rule, outcome, text)
        reason = _REASONS.get(key)
        if reason is None:
            if len(_REASONS) >= _REASONS_MAX:
                _REASONS.clear()
            reason = _REASONS[key] = Reason(rule, outcome, text)
        self.reasons.append(reason)

    def blocked(self, rule: str) -> bool:
        return any(r.rule == rule and r.outcome == "block" for r in self.reasons)

    @property
    def worst(self) -> int:
        return max((RANK[r.outcome] for r in self.reasons), default=0)

    def forbid(self, uses: set[str]) -> None:
        self.permits -= uses
        self.prohibits |= uses

    def procedure(self) -> list[str]:
        lab_steps = [s.label for s in self.lab.procedure if s.applies_to in (None, self.mode)]
        return [*self.steps_first, *lab_steps, *self.steps_last]
