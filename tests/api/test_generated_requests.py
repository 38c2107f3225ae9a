"""Schemathesis against the OpenAPI description of a real server on loopback: whatever
input it generates, anonymous or as an administrator, no answer is a server error."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import get_settings
from tests.app_server import serving

TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("schemathesis-home")
    cfg = get_settings(home=home)
    with Catalogue.open(cfg) as cat:
        load_demo(cat)
        load_registry(cat)
    accounts = Accounts(accounts_path(home))
    accounts.add_user("root", "admin")
    TOKENS["admin"] = accounts.issue_token("root")
    with serving(cfg) as url:
        yield url


def _operations() -> dict[str, object]:
    """The API's operations, read from the OpenAPI description the app serves."""
    with tempfile.TemporaryDirectory() as home:
        description = create_app(get_settings(home=home)).openapi()
    schema = schemathesis.openapi.from_dict(description)
    return {r.ok().label: r.ok() for r in schema.get_all_operations()}


OPERATIONS = _operations()


@pytest.mark.parametrize("caller", ["anonymous", "admin"])
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_generated_input_gets_a_server_error(server_url: str, label: str, caller: str) -> None:
    operation = OPERATIONS[label]
    headers = {"Authorization": f"Bearer {TOKENS['admin']}"} if caller == "admin" else {}

    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    @settings(
        max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    def check(case) -> None:  # type: ignore[no-untyped-def]
        response = case.call(base_url=server_url, headers=headers, timeout=60)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
        )

    check()
