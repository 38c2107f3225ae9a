"""One step to ask: an access request for every dataset of the basket that needs one, to the
lab the chosen cover takes it from, in one submission.

A dataset needs a request unless its terms let it be downloaded as it is: PUBLIC and offered
by download. Each request goes through :meth:`AccessRequests.submit`, with every check it
makes (signed-in user, complete profile, the lab may offer it to this profile); the link to
the basket is written in the request's own transaction. Datasets that already have an open or
approved request from this basket are not asked for again. One refusal does not stop the
others: the result says, per lab, what was filed and what was refused and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from catalog.access_requests import APPROVED, OPEN, AccessRequest, AccessRequests
from catalog.baskets.answers import Answer
from catalog.baskets.store import BasketStore
from catalog.callers import Caller
from catalog.errors import Conflict, InvalidField, InvalidInput, NotFound, Unauthorized

_ALIVE = (*OPEN, APPROVED)


def needs_request(answer: Answer, dataset_id: str) -> bool:
    item = next(i for i in answer.gathered.items if i.dataset_id == dataset_id)
    lab = answer.cover.assignment.get(dataset_id)
    offer = item.offer(lab) if lab else None
    if offer is None or item.facts is None:
        return False
    return not (item.facts.access_level == "public" and offer.access_mode == "Download")


@dataclass
class Submission:
    by_lab: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, lab: str, entry: dict[str, Any]) -> None:
        self.by_lab.setdefault(lab, []).append(entry)

    @property
    def filed(self) -> int:
        return sum(1 for es in self.by_lab.values() for e in es if e["outcome"] == "filed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "filed": self.filed,
            "labs": [{"lab": lab, "requests": es} for lab, es in sorted(self.by_lab.items())],
        }


def submit_all(
    answer: Answer,
    caller: Caller,
    service: AccessRequests,
    store: BasketStore,
    states: dict[str, str],
    comment: str | None = None,
) -> Submission:
    """File the basket's requests (see the module)."""
    if caller.name is None:
        raise Unauthorized("sign in to request access", where="Authorization")
    profile = answer.basket.profile
    if profile is None or not (profile.org_type and profile.country and profile.purpose):
        raise InvalidField(
            "state the basket's organisation type, country and purpose first", where="profile"
        )
    basket = answer.basket
    asked = {d for rid, d, _ in basket.requests if states.get(rid) in _ALIVE}
    out = Submission()
    for dataset_id, lab in answer.cover.assignment.items():
        if not needs_request(answer, dataset_id):
            continue
        if dataset_id in asked:
            out.add(lab, {"dataset": dataset_id, "outcome": "already requested"})
            continue
        text = comment or f"Part of the training basket '{basket.name}'."

        def link(db: sa.Connection, req: AccessRequest, d: str = dataset_id) -> None:
            store.link(db, basket.id, req.id, d, req.lab)

        try:
            req = service.submit(
                caller,
                dataset_id=dataset_id,
                lab_id=lab,
                org_type=profile.org_type,
                country=profile.country,
                purpose=profile.purpose.key,
                comment=text,
                link=link,
            )
        except (Conflict, InvalidInput, NotFound) as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            out.add(
                lab,
                {
                    "dataset": dataset_id,
                    "outcome": "refused",
                    "reason": exc.message,
                    "reasons": details.get("reasons", []),
                },
            )
            continue
        out.add(
            lab, {"dataset": dataset_id, "outcome": "filed", "request": req.id, "state": req.state}
        )
    return out


__all__ = ["Submission", "needs_request", "submit_all"]
