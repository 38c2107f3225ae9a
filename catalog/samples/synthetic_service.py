"""Synthetic previews as callers meet them: the steward's switch, the terms, the audited reads.

A preview is served when three things hold, checked on every request: the dataset's steward
turned it on (:mod:`catalog.samples.synthetic_switches`), the dataset's terms allow derived
data (:func:`catalog.offers.derived.dataset_derived_terms`, read again each time, so a switch
left on after the terms changed serves nothing) and the dataset has a sample. Who may switch
it: an administrator, or a steward who may change the dataset's record (the rule the API
passes in as ``owns``: :func:`api.web.steward_logic.may_change`). Turning it on for a dataset
whose terms forbid derived data is refused with the reasons (409).

Every body and page carrying a preview says it is synthetic (:data:`NOTICE`); reads of a
non-public dataset's preview are audited like its rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from catalog.callers import Caller
from catalog.errors import (
    DerivedDataForbidden,
    Forbidden,
    InvalidField,
    NotFound,
    SampleNotFound,
    Unauthorized,
)
from catalog.facts.read import record_facts
from catalog.offers.derived import DerivedDataTerms, derived_data_terms
from catalog.offers.licence_store import licence_table
from catalog.samples.service import SampleService
from catalog.samples.synthetic import PLACEHOLDER, SyntheticShape
from catalog.samples.synthetic_switches import SyntheticSwitches

NOTICE = (
    "Synthetic preview — not real data. Every value is drawn from the real sample's column "
    "statistics, each column on its own (no real row is copied, no row equals a real row); "
    "values occurring fewer than {k} times in the real sample never appear (text shown as "
    f"{PLACEHOLDER!r} instead), numbers and dates are rounded to coarse quantile bins."
)
#: The response header marking a synthetic body.
HEADER = "Synthetic-Data"
MAX_MIN_COUNT = 1_000_000


class SyntheticPreviewNotOffered(NotFound):
    """The dataset's steward has not turned a synthetic preview on."""

    code = "synthetic_preview_not_offered"


@dataclass(frozen=True)
class PreviewStatus:
    """A dataset's synthetic preview: the switch, its k, the terms and whether it is served."""

    dataset_id: str
    enabled: bool
    min_count: int
    terms: DerivedDataTerms
    has_sample: bool
    access_level: str = "unknown"
    changed_by: str | None = None
    changed: str | None = None

    @property
    def served(self) -> bool:
        return self.enabled and self.terms.allowed and self.has_sample

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id,
            "enabled": self.enabled,
            "min_count": self.min_count,
            "served": self.served,
            "terms": self.terms.to_dict(),
            "has_sample": self.has_sample,
            "changed_by": self.changed_by,
            "changed": self.changed,
        }


Owns = Callable[[Caller, str], bool]


class SyntheticPreviews:
    """Synthetic previews of the samples of one :class:`SampleService`."""

    def __init__(
        self, samples: SampleService, owns: Owns, switches: SyntheticSwitches | None = None
    ) -> None:
        self.samples = samples
        self.owns = owns
        self.switches = switches or SyntheticSwitches(samples.accounts.database)
        self.settings = samples.store.settings

    def status(self, dataset_id: str) -> PreviewStatus:
        """The switch, and the terms read now from the dataset's facts."""
        cat = self.samples.catalogue
        facts = record_facts(cat, dataset_id)
        switch = self.switches.get(dataset_id)
        return PreviewStatus(
            dataset_id,
            switch.enabled if switch else False,
            # the operator's floor holds over a k chosen when the floor was lower
            max(switch.min_count if switch else 0, self.settings.synthetic_min_count),
            derived_data_terms(facts, licence_table(cat.documents)),
            self.samples.store.has_sample(dataset_id),
            facts.access_level,
            switch.changed_by if switch else None,
            switch.changed if switch else None,
        )

    def may_switch(self, caller: Caller, dataset_id: str) -> bool:
        if caller.role == "admin":
            return True
        ref = self.samples.catalogue.find(dataset_id)
        return caller.role == "steward" and ref.source is not None and self.owns(caller, ref.source)

    def configure(
        self, caller: Caller, dataset_id: str, enabled: bool, min_count: int | None = None
    ) -> PreviewStatus:
        """Turn the preview on or off (with k = ``min_count``; unchanged when None)."""
        self.samples.catalogue.find(dataset_id)
        accounts = self.samples.accounts
        if caller.name is None and caller.role != "admin":
            raise Unauthorized("sign in as the dataset's steward", where="Authorization")
        if not self.may_switch(caller, dataset_id):
            accounts.audit(caller.name, "sample.synthetic.switch", dataset_id, "denied")
            raise Forbidden(
                "only an administrator, or a steward who may change this dataset's record, "
                "may switch its synthetic preview",
                where="dataset",
            )
        current = self.status(dataset_id)
        k = current.min_count if min_count is None else min_count
        floor = self.settings.synthetic_min_count
        if not floor <= k <= MAX_MIN_COUNT:
            raise InvalidField(
                f"min_count must be between {floor} (DATALAB_SYNTHETIC_MIN_COUNT) and "
                f"{MAX_MIN_COUNT}, not {k}",
                where="min_count",
            )
        if enabled:
            if not current.terms.allowed:
                accounts.audit(
                    caller.name, "sample.synthetic.switch", dataset_id, "refused",
                    {"reasons": list(current.terms.reasons)},
                )  # fmt: skip
                raise DerivedDataForbidden(
                    "the dataset's terms forbid derived data, so no synthetic preview: "
                    + current.terms.reason,
                    where="enabled",
                    details={"reasons": list(current.terms.reasons)},
                )
            if not current.has_sample:
                raise SampleNotFound(
                    f"dataset {dataset_id!r} has no sample to preview; attach one first",
                    where="sample",
                )
        self.switches.set(dataset_id, enabled, k, caller.name)
        accounts.audit(
            caller.name, "sample.synthetic.switch", dataset_id, "ok", {"on": enabled, "k": k}
        )
        return self.status(dataset_id)

    def preview(
        self,
        caller: Caller,
        dataset_id: str,
        offset: int = 0,
        limit: int | None = None,
        status: PreviewStatus | None = None,
    ) -> dict[str, Any]:
        """The preview's rows ``offset`` to ``offset + limit``, marked synthetic; refused
        unless switched on and allowed by the terms (checked now, whatever the switch says;
        ``status``: this request's own :meth:`status`, when the caller read it already)."""
        status = status or self.status(dataset_id)
        if not status.enabled:
            raise SyntheticPreviewNotOffered(
                "no synthetic preview is offered for this dataset: its steward has not turned "
                "one on",
                where="dataset",
            )
        level = status.access_level
        if not status.terms.allowed:
            self._audit(caller, dataset_id, level, "refused")
            raise Forbidden(
                "the dataset's terms forbid derived data, so no synthetic preview is served: "
                + status.terms.reason,
                where="dataset",
                details={"reasons": list(status.terms.reasons)},
            )
        cap = self.settings.sample_max_rows
        limit = cap if limit is None else limit
        if not 0 <= limit <= cap:
            raise InvalidField(f"limit must be between 0 and {cap}", where="limit")
        if offset < 0:
            raise InvalidField("offset must not be negative", where="offset")
        shape = SyntheticShape(
            status.min_count, self.settings.synthetic_rows, self.settings.synthetic_bins
        )
        generated = self.samples.store.synthetic(dataset_id, shape)
        self._audit(caller, dataset_id, level, "allowed")
        rows = generated["rows"][offset : offset + limit]
        end = offset + len(rows)
        return {
            "synthetic": True,
            "notice": NOTICE.format(k=status.min_count),
            "dataset_id": dataset_id,
            "version": generated["version"],
            "min_count": status.min_count,
            "columns": generated["columns"],
            "method": generated["method"],
            "rows": rows,
            "offset": offset,
            "limit": limit,
            "total": len(generated["rows"]),
            "next_offset": end if end < len(generated["rows"]) else None,
        }

    def _audit(self, caller: Caller, dataset_id: str, level: str, outcome: str) -> None:
        if level != "public":
            self.samples.accounts.audit(caller.name, "sample.synthetic", dataset_id, outcome)
