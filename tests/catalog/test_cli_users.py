"""The accounts CLI: ``datalab user list|token|role`` and ``datalab requests`` for staff."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.auth import Principal
from catalog.access_requests import AccessRequests
from catalog.accounts import Accounts, accounts_path
from catalog.demo import load_demo
from catalog.errors import Unauthorized
from catalog.labs import get_lab, load_registry
from catalog.search import SearchService
from catalog.service import Catalogue
from catalog.settings import Settings
from cli.app import app

LAB = "aiff-datalab"


@pytest.fixture
def run(settings: Settings):
    runner = CliRunner()
    env = {"DATALAB_HOME": str(settings.home)}

    def _run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args), env=env)
        return result.exit_code, result.output

    return _run


def test_user_list_shows_roles_and_never_tokens(run) -> None:
    assert run("user", "add", "ann", "--role", "steward", "--org", "Org A")[0] == 0
    assert run("user", "add", "bob", "--role", "staff", "--factory", "f1")[0] == 0
    code, token = run("user", "token", "ann")
    assert code == 0
    code, out = run("user", "list", "--json")
    assert code == 0, out
    body = json.loads(out)
    assert body["count"] == 2
    assert body["items"][0] == {
        "name": "ann",
        "role": "steward",
        "organisation": "Org A",
        "factory": None,
    }
    secret = token.strip().split("_", 2)[2]  # the secret itself may hold "_"
    assert len(secret) > 20 and secret not in out
    code, out = run("user", "list")
    assert "bob\tstaff\tf1" in out


def test_token_revoke_by_id_stops_it_working(run, settings: Settings) -> None:
    run("user", "add", "ann", "--role", "developer")
    token = run("user", "token", "ann")[1].strip()
    keep = run("user", "token", "ann")[1].strip()
    token_id = token.split("_")[1]
    accounts = Accounts(accounts_path(settings.home))
    assert accounts.authenticate(token).name == "ann"

    code, out = run("user", "token", "ann", "--list")
    assert code == 0 and token_id in out and "expires" in out

    code, out = run("user", "token", "ann", "--revoke", token_id)
    assert code == 0, out
    with pytest.raises(Unauthorized):
        accounts.authenticate(token)
    assert accounts.authenticate(keep).name == "ann"  # the other token still works
    assert f"{token_id}\trevoked" in run("user", "token", "ann", "--list")[1]
    # Revoking twice, or another user's token, is an error: nothing silently happens.
    assert run("user", "token", "ann", "--revoke", token_id)[0] == 2
    run("user", "add", "bob", "--role", "developer")
    assert run("user", "token", "bob", "--revoke", keep.split("_")[1])[0] == 2
    assert accounts.authenticate(keep).name == "ann"
    assert any(e["action"] == "token.revoke" for e in accounts.audit_log())


def test_user_role_changes_the_role_and_is_audited(run, settings: Settings) -> None:
    run("user", "add", "cy", "--role", "developer")
    code, out = run("user", "role", "cy", "--role", "staff", "--factory", "f2")
    assert code == 0, out
    accounts = Accounts(accounts_path(settings.home))
    user = accounts.user("cy")
    assert (user.role, user.factory) == ("staff", "f2")
    assert run("user", "role", "cy", "--role", "emperor")[0] == 2
    assert run("user", "role", "nobody", "--role", "admin")[0] == 2
    assert accounts.audit_log()[-1]["action"] == "user.role"


@pytest.fixture
def pending(settings: Settings) -> tuple[str, str, str]:
    """A submitted request of developer 'dana' to the lab; (request id, dataset, factory)."""
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("dana", "developer")
    accounts.add_user("sid", "staff", factory="another-factory")
    with Catalogue.open(settings) as catalogue:  # closed before the CLI opens the store
        load_demo(catalogue)
        load_registry(catalogue)
        factory = get_lab(catalogue, LAB).factory
        accounts.add_user("sam", "staff", factory=factory)
        search = SearchService.open(catalogue, attach=False)
        dataset_id = search.search("synthetic FHIR").items[0].id
        search.close()
        req = AccessRequests(catalogue, accounts).submit(
            Principal("dana", "developer"),
            dataset_id=dataset_id,
            lab_id=LAB,
            org_type="research",
            country="DE",
            purpose="academic-research",
        )
    return req.id, dataset_id, factory


def test_staff_list_show_and_approve_from_a_terminal(run, pending, settings: Settings) -> None:
    request_id, dataset_id, _ = pending
    code, out = run("requests", "list", "--as", "sam", "--json")
    assert code == 0, out
    assert [r["id"] for r in json.loads(out)["items"]] == [request_id]
    code, out = run("requests", "show", request_id, "--as", "sam")
    assert code == 0 and "submitted" in out and "step 1:" in out

    # Staff of another factory do not see it; a developer may not act as staff.
    code, out = run("requests", "list", "--as", "sid", "--json")
    assert json.loads(out)["items"] == []
    assert run("requests", "approve", request_id, "--as", "sid")[0] == 2
    assert run("requests", "approve", request_id, "--as", "dana")[0] == 2
    accounts = Accounts(accounts_path(settings.home))
    assert not accounts.has_grant("dana", dataset_id)

    code, out = run("requests", "approve", request_id, "--as", "sam", "--comment", "ok")
    assert code == 0, out
    assert "approved" in out
    assert accounts.has_grant("dana", dataset_id)
    log = [e for e in accounts.audit_log(dataset_id) if e["action"] == "access_request.approve"]
    assert log[-1]["actor"] == "sam"


def test_reject_needs_a_reason(run, pending, settings: Settings) -> None:
    request_id, dataset_id, _ = pending
    code, out = run("requests", "reject", request_id, "--as", "sam")
    assert code != 0  # --comment is required
    code, out = run("requests", "reject", request_id, "--as", "sam", "--comment", "no permit")
    assert code == 0, out
    code, out = run("requests", "show", request_id, "--as", "sam", "--json")
    body = json.loads(out)
    assert body["state"] == "rejected"
    assert body["comments"][-1]["text"] == "no permit"
    assert not Accounts(accounts_path(settings.home)).has_grant("dana", dataset_id)
    assert run("requests", "approve", request_id, "--as", "sam")[0] == 2  # closed already
