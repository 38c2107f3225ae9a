"""The basket's answers, computed on read from the current offers, and what changed since
the owner last looked.

:func:`answer` reads every dataset once (:mod:`catalog.baskets.gather`) and derives, in
order: where to get it (:mod:`~catalog.baskets.cover`), the procedures and lead time
(:mod:`~catalog.baskets.lead_time`), what is owed (:mod:`~catalog.baskets.obligations`),
the conflicts (:mod:`~catalog.baskets.conflicts`) and the state of the access requests filed
from the basket. Nothing is cached: a changed record, lab or licence mapping shows in the
next answer.

"Changes since you last looked": each answer has a small :func:`snapshot` (each dataset's
verdict and lab, the cover, the conflicts, the lead time) and its SHA-256 ``fingerprint``.
The store keeps the snapshot of the answer the owner last looked at; :func:`changes` names
the differences (verdict changes, new or resolved conflicts, lead time changes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from catalog.baskets.conflicts import Conflicts, conflicts
from catalog.baskets.cover import Cover, cover
from catalog.baskets.gather import Gathered, gather
from catalog.baskets.lead_time import LeadTime, lead_time
from catalog.baskets.model import Basket
from catalog.baskets.obligations import Obligations, obligations, taken_offer
from catalog.offers.live import LiveOffers
from catalog.service import Catalogue


@dataclass
class Answer:
    basket: Basket
    gathered: Gathered
    cover: Cover
    lead_time: LeadTime
    obligations: Obligations
    conflicts: Conflicts
    requests: list[dict[str, Any]]

    def snapshot(self) -> dict[str, Any]:
        """What "changes since you last looked" compares (small, stable, no free text)."""
        verdicts = {}
        for item in self.gathered.items:
            if item.missing:
                verdicts[item.dataset_id] = {"verdict": "missing", "lab": None}
                continue
            offer = taken_offer(item, self.cover)
            verdicts[item.dataset_id] = {
                "verdict": offer.verdict if offer else "none",
                "lab": self.cover.assignment.get(item.dataset_id),
            }
        return {
            "datasets": verdicts,
            "cover": sorted(self.cover.chosen),
            "conflicts": sorted(c.key for c in self.conflicts.items),
            "lead_time_days": self.lead_time.days,
        }

    def names(self) -> dict[str, str]:
        """Dataset titles and lab names by id (for "changes since you last looked")."""
        out = {i.dataset_id: i.title for i in self.gathered.items}
        out.update({lab_id: lab.name for lab_id, lab in self.gathered.labs.items()})
        return out

    @property
    def fingerprint(self) -> str:
        text = json.dumps(self.snapshot(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self, changed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        items = {i.dataset_id: i for i in self.gathered.items}
        verdicts = self.snapshot()["datasets"]
        return {
            **self.basket.to_dict(),
            "fingerprint": self.fingerprint,
            "datasets_detail": [
                {
                    "dataset": i.dataset_id,
                    "title": i.title,
                    "missing": i.missing,
                    "lab": self.cover.assignment.get(i.dataset_id),
                    "verdict": verdicts[i.dataset_id]["verdict"],
                }
                for i in items.values()
            ],
            "where_to_get_it": self.cover.to_dict(),
            "what_you_owe": {
                **self.obligations.to_dict(),
                **self.conflicts.to_dict(),
                "permits_and_lead_time": self.lead_time.to_dict(),
            },
            "access_requests": self.requests,
            "changes_since_last_look": changed if changed is not None else [],
        }


def answer(
    catalogue: Catalogue,
    basket: Basket,
    live: LiveOffers | None,
    request_states: dict[str, str] | None = None,
) -> Answer:
    """Every answer of the basket, from the current offers (see the module)."""
    gathered = gather(catalogue, basket.datasets, basket.profile, live)
    chosen = cover(gathered)
    procedures = lead_time(gathered, chosen)
    owed = obligations(gathered, chosen, catalogue.settings.public_url)
    found = conflicts(gathered, owed)
    states = request_states or {}
    requests = [
        {"request": rid, "dataset": d, "lab": lab, "state": states.get(rid, "unknown")}
        for rid, d, lab in basket.requests
    ]
    return Answer(basket, gathered, chosen, procedures, owed, found, requests)


def changes(
    before: dict[str, Any] | None, now: dict[str, Any], names: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """What differs between the snapshot last looked at and this one, in plain words
    (``names``: dataset titles and lab names by id, for the words; ids otherwise)."""
    if before is None:
        return []
    name = (names or {}).get
    out: list[dict[str, Any]] = []
    old, new = before.get("datasets", {}), now.get("datasets", {})

    def verdict(v: object) -> str:
        return str(v or "none").replace("_", " ")

    for d in new:
        title = name(d, d)
        if d not in old:
            out.append({"kind": "dataset-added", "dataset": d, "text": f"{title} was added"})
            continue
        a, b = old[d], new[d]
        if a.get("verdict") != b.get("verdict"):
            text = f"{title}: {verdict(a.get('verdict'))} → {verdict(b.get('verdict'))}"
            out.append({"kind": "verdict", "dataset": d, "text": text})
        elif a.get("lab") != b.get("lab"):
            text = f"{title}: from {name(a.get('lab'), a.get('lab'))} to "
            text += f"{name(b.get('lab'), b.get('lab'))}"
            out.append({"kind": "lab", "dataset": d, "text": text})
    for d in old:
        if d not in new:
            out.append(
                {"kind": "dataset-removed", "dataset": d, "text": f"{name(d, d)} was removed"}
            )

    def conflict(key: str) -> str:
        kind, _, ids = key.partition(":")
        return f"{kind} ({', '.join(name(i, i) for i in ids.split(',') if i)})"

    for key in sorted(set(now.get("conflicts", [])) - set(before.get("conflicts", []))):
        out.append({"kind": "new-conflict", "key": key, "text": f"new conflict: {conflict(key)}"})
    for key in sorted(set(before.get("conflicts", [])) - set(now.get("conflicts", []))):
        text = f"conflict resolved: {conflict(key)}"
        out.append({"kind": "resolved-conflict", "key": key, "text": text})
    if before.get("cover") != now.get("cover"):
        labs_before = ", ".join(name(x, x) for x in before.get("cover", [])) or "none"
        labs_now = ", ".join(name(x, x) for x in now.get("cover", [])) or "none"
        out.append({"kind": "cover", "text": f"labs to go to: {labs_before} → {labs_now}"})
    if before.get("lead_time_days") != now.get("lead_time_days"):
        text = f"lead time: {before.get('lead_time_days')} → {now.get('lead_time_days')} days"
        out.append({"kind": "lead-time", "text": text})
    return out


__all__ = ["Answer", "answer", "changes"]
