"""The access-request workflow over a real catalogue, accounts database and audit log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.auth import Principal
from catalog.access_requests import AccessRequests
from catalog.accounts import Accounts, accounts_path
from catalog.demo import load_demo
from catalog.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from catalog.labs import get_lab, load_registry
from catalog.search import SearchService
from catalog.service import Catalogue

DEV = Principal("dana", "developer")
OTHER_DEV = Principal("olga", "developer")


@pytest.fixture
def setup(catalogue: Catalogue) -> Iterator[tuple[AccessRequests, Accounts, str, str]]:
    load_demo(catalogue)
    load_registry(catalogue)
    accounts = Accounts(accounts_path(catalogue.settings.home))
    for name in ("dana", "olga"):
        accounts.add_user(name, "developer")
    service = SearchService.open(catalogue, attach=False)
    hit = service.search("synthetic FHIR").items[0]
    service.close()
    return AccessRequests(catalogue, accounts), accounts, hit.id, "aiff-datalab"


def _staff(catalogue: Catalogue, lab_id: str) -> Principal:
    return Principal("sam", "staff", factory=get_lab(catalogue, lab_id).factory)


def _submit(service: AccessRequests, dataset_id: str, lab_id: str, **kw: str):
    args = {"org_type": "research", "country": "DE", "purpose": "academic-research"} | kw
    return service.submit(DEV, dataset_id=dataset_id, lab_id=lab_id, **args)


def test_approval_grants_access_and_revocation_takes_it_back(setup, catalogue) -> None:
    service, accounts, dataset_id, lab_id = setup
    staff = _staff(catalogue, lab_id)
    req = _submit(service, dataset_id, lab_id, comment="Training a triage model")
    assert req.state == "submitted"
    assert req.procedure, "the lab's procedure is attached to the request"
    assert not accounts.has_grant("dana", dataset_id)

    assert service.act(staff, req.id, "review").state == "in_review"
    approved = service.act(staff, req.id, "approve", "permit checked")
    assert approved.state == "approved"
    assert accounts.has_grant("dana", dataset_id)
    assert not accounts.has_grant("olga", dataset_id)
    assert [c["text"] for c in approved.comments] == ["Training a triage model", "permit checked"]

    with pytest.raises(InvalidInput):
        service.act(staff, req.id, "revoke")  # a reason is required
    assert service.act(staff, req.id, "revoke", "permit expired").state == "revoked"
    assert not accounts.has_grant("dana", dataset_id)

    actions = [e["action"] for e in accounts.audit_log(dataset_id)]
    for step in ("submit", "review", "approve", "revoke"):
        assert f"access_request.{step}" in actions
    assert "grant.add" in actions
    assert "grant.revoke" in actions


def test_only_the_labs_factory_staff_decide(setup, catalogue) -> None:
    service, accounts, dataset_id, lab_id = setup
    req = _submit(service, dataset_id, lab_id)
    stranger = Principal("sid", "staff", factory="no-such-factory")
    with pytest.raises(NotFound):  # another factory's request does not even exist for them
        service.act(stranger, req.id, "approve")
    with pytest.raises(NotFound):
        service.get(OTHER_DEV, req.id)
    with pytest.raises(Forbidden):  # the requester cannot approve their own request
        service.act(DEV, req.id, "approve")
    assert not accounts.has_grant("dana", dataset_id)
    assert [r.id for r in service.list_for(OTHER_DEV)] == []
    assert [r.id for r in service.list_for(_staff(catalogue, lab_id))] == [req.id]
    assert any(e["outcome"] == "denied" for e in accounts.audit_log(dataset_id))


def test_withdrawn_requests_are_closed(setup, catalogue) -> None:
    service, _, dataset_id, lab_id = setup
    req = _submit(service, dataset_id, lab_id)
    assert service.act(DEV, req.id, "withdraw").state == "withdrawn"
    with pytest.raises(Conflict):
        service.act(_staff(catalogue, lab_id), req.id, "approve")


def test_rejection_needs_a_reason_and_grants_nothing(setup, catalogue) -> None:
    service, accounts, dataset_id, lab_id = setup
    req = _submit(service, dataset_id, lab_id)
    staff = _staff(catalogue, lab_id)
    with pytest.raises(InvalidInput):
        service.act(staff, req.id, "reject")
    assert service.act(staff, req.id, "reject", "purpose unclear").state == "rejected"
    assert not accounts.has_grant("dana", dataset_id)


def test_a_request_states_who_asks_and_why(setup) -> None:
    service, _, dataset_id, lab_id = setup
    with pytest.raises(InvalidInput):
        service.submit(
            DEV,
            dataset_id=dataset_id,
            lab_id=lab_id,
            org_type="research",
            country="",
            purpose="academic-research",
        )
    with pytest.raises(InvalidInput):
        _submit(service, dataset_id, lab_id, country="Germany")
    with pytest.raises(Unauthorized):
        service.submit(
            Principal(None),
            dataset_id=dataset_id,
            lab_id=lab_id,
            org_type="research",
            country="DE",
            purpose="academic-research",
        )


def test_a_lab_that_may_not_offer_refuses_with_reasons(setup) -> None:
    service, _, dataset_id, lab_id = setup
    with pytest.raises(Conflict) as err:
        _submit(service, dataset_id, lab_id, purpose="advertising")
    assert err.value.details["reasons"]
