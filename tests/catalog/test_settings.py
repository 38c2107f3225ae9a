"""Settings: documented, validated, no placeholders."""

from __future__ import annotations

import pytest

from catalog.errors import ConfigurationError
from catalog.settings import Settings, get_settings
from catalog.settings_doc import DOC, render


def test_every_setting_has_a_description() -> None:
    missing = [n for n, f in Settings.model_fields.items() if not (f.description or "").strip()]
    assert missing == []


def test_the_settings_page_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/settings.md is stale: run python -m catalog.settings_doc"
    )


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATALAB_HOME", str(tmp_path))
    monkeypatch.setenv("DATALAB_MAX_TRIPLES", "42")
    settings = get_settings()
    assert settings.home == tmp_path and settings.max_triples == 42


def test_placeholders_and_contradictions_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match="placeholder"):
        get_settings(base_iri="changeme")
    with pytest.raises(ConfigurationError, match="SPARQL_QUERY_URL"):
        get_settings(store_backend="sparql")
    with pytest.raises(ConfigurationError):
        get_settings(max_triples=0)
