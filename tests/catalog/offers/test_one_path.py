"""One code path: the CLI, the API (materialised index), direct resolution and the bulk
index give the same answer for every generated dataset and requester."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from catalog.labs import ensure_registry
from catalog.offers import OfferIndex, RequesterProfile, offers_for
from catalog.service import Catalogue
from catalog.settings import Settings
from cli import app as cli
from tests.catalog.offers.test_invariants import generated_corpus

PROFILES = [
    None,
    ("research", "DE", "academic-research"),
    ("sme", "US", "commercial-ai-training"),
    ("healthcare-provider", "FI", "insurance-or-credit-decisions"),
]


@pytest.fixture
def loaded(settings: Settings) -> list[str]:
    data, _ = generated_corpus(30)
    with Catalogue.open(settings) as cat:
        cat.load(data.encode(), fmt="turtle", source="generated", replace=True)
        ensure_registry(cat)
        return [item.id for item in cat.datasets(limit=100).items]


def test_cli_api_direct_and_bulk_answers_are_equal(settings: Settings, loaded: list[str]) -> None:
    assert len(loaded) == 30
    runner = CliRunner()
    env = {"DATALAB_HOME": str(settings.home)}
    cli_answers = {}
    for ident in loaded:
        for profile in PROFILES:
            args = ["offers", ident, "--json"]
            if profile:
                args += ["--org-type", profile[0], "--country", profile[1], "--purpose", profile[2]]
            result = runner.invoke(cli, args, env=env)
            assert result.exit_code == 0, result.output
            cli_answers[(ident, profile)] = json.loads(result.output)
    with Catalogue.open(settings) as cat:
        index = OfferIndex(cat)
        assert index.rebuild()
        for (ident, profile), answer in cli_answers.items():
            prof = RequesterProfile.parse(*profile) if profile else None
            assert offers_for(cat, ident, prof).to_dict() == answer, (ident, profile)
            assert index.for_dataset(ident, prof).to_dict() == answer, (ident, profile)
    with TestClient(create_app(settings)) as client:
        client.app.state.services.offers.wait_ready(60)  # type: ignore[attr-defined]
        assert client.app.state.services.offers.ready  # type: ignore[attr-defined]
        for (ident, profile), answer in cli_answers.items():
            params = (
                dict(zip(("org_type", "country", "purpose"), profile, strict=True))
                if profile
                else {}
            )
            r = client.get(f"/datasets/{ident}/offers", params=params)
            assert r.status_code == 200
            assert r.json() == answer, (ident, profile)
