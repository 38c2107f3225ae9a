"""Who may see a sample's rows and statistics, and the audited reads that follow.

A dataset's access level (its :class:`~catalog.facts.DatasetFacts`: the most closed of the
access rights it states) decides: PUBLIC opens rows and statistics to anyone; RESTRICTED,
NON_PUBLIC, contradictory, unknown or no statement opens them only to an admin, to a steward
of the publishing organisation (who may upload the sample too: :func:`stewards`) or to a
caller holding a grant for that dataset. Everyone may see a sample's schema and size.
:meth:`SampleService.decide` is the one place this is decided; the API's endpoints, the
CLI and the dataset page (:meth:`SampleService.browse`) all read its :class:`Decision`. The
decision is made before the request's filters, sort or paging are checked (the boundary's
:class:`~catalog.samples.filters.SampleQuery` only types them and never fails), so a refused
caller learns nothing from errors or counts; every read of a non-public sample (allowed or refused)
is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.accounts import Accounts
from catalog.callers import Caller
from catalog.errors import Forbidden, InvalidInput, Unauthorized
from catalog.facts import DatasetFacts
from catalog.facts.read import record_facts
from catalog.samples import graph as sample_graph
from catalog.samples.filters import SampleQuery
from catalog.samples.store import SampleStore, Upload
from catalog.service import Catalogue


@dataclass(frozen=True)
class Decision:
    """Whether the caller may see rows and statistics, and why."""

    access_level: str
    rows_visible: bool
    reason: str


@dataclass
class SampleView:
    """The sample as the dataset page shows it to one visitor (see :meth:`SampleService.browse`)."""

    overview: dict[str, Any]
    decision: Decision
    rows: dict[str, Any] | None = None
    statistics: dict[str, Any] | None = None
    error: str | None = None


def stewards(caller: Caller, facts: DatasetFacts) -> bool:
    """Whether ``caller`` is a steward of the organisation publishing the dataset (by its
    publisher's IRI or name): the one rule for uploading a sample and seeing its rows."""
    return (
        caller.role == "steward"
        and caller.name is not None
        and bool(caller.organisation)
        and caller.organisation in {facts.publisher, *facts.publisher_names}
    )


class SampleService:
    """The gated face of the sample store, used by the API and the CLI."""

    def __init__(self, catalogue: Catalogue, store: SampleStore, accounts: Accounts) -> None:
        self.catalogue = catalogue
        self.store = store
        self.accounts = accounts

    def decide(self, caller: Caller, dataset_id: str) -> Decision:
        """Whether ``caller`` may see the rows and statistics of the dataset's sample."""
        facts = record_facts(self.catalogue, dataset_id)
        level = facts.access_level
        if facts.rows_public:
            return Decision(level, True, "the dataset's access rights are PUBLIC")
        if caller.role == "admin":
            return Decision(level, True, "administrators see every sample")
        if stewards(caller, facts):
            return Decision(level, True, "you steward this dataset: your organisation publishes it")
        if self.accounts.has_grant(caller.name, dataset_id):
            return Decision(level, True, "you hold a grant for this dataset")
        if facts.access_conflict:
            what = (
                "the record states contradictory access rights ("
                + " and ".join(facts.access_values)
                + "), so the most closed holds"
            )
        elif level == "unknown":
            what = (
                "no access rights are stated"
                if not facts.access_values
                else ("the access rights are not understood")
            )
        else:
            what = f"access is {level}"
        who = "sign in and request access" if caller.name is None else "request access"
        return Decision(level, False, f"{what}; rows need a grant for this dataset: {who}")

    def _gate(
        self, caller: Caller, dataset_id: str, action: str, detail: dict[str, Any]
    ) -> Decision:
        decision = self.decide(caller, dataset_id)
        self._enforce(caller, dataset_id, decision, action, detail)
        return decision

    def _enforce(
        self,
        caller: Caller,
        dataset_id: str,
        decision: Decision,
        action: str,
        detail: dict[str, Any],
    ) -> None:
        """Audit a read of a non-public sample; raise Forbidden unless ``decision`` opens it."""
        if decision.access_level != "public":
            outcome = "allowed" if decision.rows_visible else "denied"
            self.accounts.audit(caller.name, action, dataset_id, outcome, detail)
        if not decision.rows_visible:
            raise Forbidden(
                "the rows and statistics of this sample are not open to you",
                where="sample",
                details={"reason": decision.reason},
            )

    def overview(
        self, caller: Caller, dataset_id: str, decision: Decision | None = None
    ) -> dict[str, Any]:
        """Schema and size for everyone; the row count and the file's SHA-256 only to
        entitled callers (the checksum confirms a guessed file)."""
        decision = decision or self.decide(caller, dataset_id)
        meta = self.store.meta(dataset_id)
        out = {
            "dataset_id": dataset_id,
            "version": meta["version"],
            "media_type": meta["media_type"],
            "byte_size": meta["byte_size"],
            "columns": meta["columns"],
            "uploaded_at": meta["uploaded_at"],
            "access": {
                "level": decision.access_level,
                "rows_visible": decision.rows_visible,
                "reason": decision.reason,
            },
        }
        if decision.rows_visible:
            out["rows"] = meta["rows"]
            out["sha256"] = meta.get("sha256")
        return out

    def rows(
        self,
        caller: Caller,
        dataset_id: str,
        query: SampleQuery,
    ) -> dict[str, Any]:
        """A page of rows for an entitled caller; the query is checked only after the gate."""
        self._gate(caller, dataset_id, "sample.rows", query.audit_detail())
        return self.store.page(dataset_id, query)

    def statistics(self, caller: Caller, dataset_id: str) -> dict[str, Any]:
        self._gate(caller, dataset_id, "sample.statistics", {})
        return self.store.statistics(dataset_id)

    def browse(self, caller: Caller, dataset_id: str, query: SampleQuery) -> SampleView:
        """What the dataset page shows, on one decision: the overview for everyone; a page of
        rows (with the matching count) and the statistics only where the decision opens
        them, else nothing of either. A query the sample refuses leaves ``rows`` None and
        says why in ``error`` (the statistics are still shown)."""
        decision = self.decide(caller, dataset_id)
        view = SampleView(self.overview(caller, dataset_id, decision), decision)
        if not decision.rows_visible:
            return view
        self._enforce(caller, dataset_id, decision, "sample.rows", query.audit_detail())
        try:
            view.rows = self.store.page(dataset_id, query)
        except InvalidInput as exc:
            view.error = exc.message
        view.statistics = self.store.statistics(dataset_id)
        return view

    def parquet(self, caller: Caller, dataset_id: str) -> bytes:
        self._gate(caller, dataset_id, "sample.download", {})
        return self.store.parquet_bytes(dataset_id)

    def may_upload(self, caller: Caller, dataset_id: str) -> bool:
        """Admins; stewards of the publishing organisation or holding a grant."""
        if caller.role == "admin":
            return True
        if caller.role != "steward" or caller.name is None:
            return False
        if self.accounts.has_grant(caller.name, dataset_id):
            return True
        return stewards(caller, record_facts(self.catalogue, dataset_id))

    def authorize_upload(self, caller: Caller, dataset_id: str) -> None:
        """Raise unless ``caller`` may attach a sample to the dataset (checked before the body)."""
        self.catalogue.find(dataset_id)
        if caller.name is None:
            raise Unauthorized("sign in to attach a sample", where="Authorization")
        if not self.may_upload(caller, dataset_id):
            self.accounts.audit(caller.name, "sample.upload", dataset_id, "denied")
            raise Forbidden(
                "only an admin, or a steward of the publishing organisation or holding a grant, "
                "may attach a sample to this dataset",
                where="sample",
            )

    def upload(
        self,
        caller: Caller,
        dataset_id: str,
        upload: Upload,
        origin: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store the sample and put it in the dataset's record as its adms:sample."""
        self.authorize_upload(caller, dataset_id)
        meta = attach(self.catalogue, self.store, dataset_id, upload, caller.name, origin)
        self.accounts.audit(caller.name, "sample.upload", dataset_id, "ok", {"v": meta["version"]})
        return meta

    def delete(self, caller: Caller, dataset_id: str) -> None:
        """Remove the sample and its distribution (same permission as uploading)."""
        self.authorize_upload(caller, dataset_id)
        detach(self.catalogue, self.store, dataset_id)
        self.accounts.audit(caller.name, "sample.delete", dataset_id, "ok")


def attach(
    catalogue: Catalogue,
    store: SampleStore,
    dataset_id: str,
    upload: Upload,
    uploaded_by: str | None,
    origin: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Store a sample, then publish its distribution in the dataset's record (API and CLI);
    from then on this process keeps the distribution in step with the access level."""
    catalogue.find(dataset_id)
    sample_graph.follow_access(catalogue, store)
    meta = store.add(dataset_id, upload, uploaded_by=uploaded_by, origin=origin)
    sample_graph.publish(catalogue, dataset_id, meta)
    return meta


def detach(catalogue: Catalogue, store: SampleStore, dataset_id: str) -> None:
    """Delete a sample and take its distribution out of the record."""
    catalogue.find(dataset_id)
    store.delete(dataset_id)
    sample_graph.withdraw(catalogue, dataset_id)
