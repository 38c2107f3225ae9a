"""Settings: documented, validated, no placeholders."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.middleware.hosts import trusted_hosts
from catalog.errors import ConfigurationError
from catalog.federation.dcat_export import catalogue_iri
from catalog.settings import Settings, get_settings, machine_name
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


# -- defaults that federate: public_url and base_iri derived when unset -------------------


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str | None]]:
    """The machine's names as the resolver sees them (None: does not resolve)."""
    names: dict[str, str | None] = {"fqdn": "node7.lab.example", "host": "node7"}
    resolves = {"node7.lab.example", "node7", "localhost"}

    def getaddrinfo(name: str, *_: object) -> list[object]:
        if name not in resolves:
            raise socket.gaierror("unknown")
        return [object()]

    monkeypatch.setattr(socket, "getfqdn", lambda: names["fqdn"])
    monkeypatch.setattr(socket, "gethostname", lambda: names["host"])
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    machine_name.cache_clear()
    yield names
    machine_name.cache_clear()


def test_unset_urls_follow_host_and_port(tmp_path: Path) -> None:
    s = get_settings(home=tmp_path)
    assert (s.public_url, s.base_iri) == ("http://127.0.0.1:8000", "http://127.0.0.1:8000/")
    s = get_settings(home=tmp_path, host="localhost", port=8081)
    assert (s.public_url, s.base_iri) == ("http://localhost:8081", "http://localhost:8081/")
    assert get_settings(home=tmp_path, host="::1", port=9).public_url == "http://[::1]:9"
    # two instances on two ports: two catalogue IRIs, so the loop rule keeps what peers send
    a, b = get_settings(port=8001), get_settings(port=8002)
    assert catalogue_iri(a.base_iri) != catalogue_iri(b.base_iri)


def test_set_urls_stay_and_the_catalogue_iri_follows_a_set_public_url(tmp_path: Path) -> None:
    s = get_settings(home=tmp_path, public_url="https://cat.example/eu", port=9000)
    assert (s.public_url, s.base_iri) == ("https://cat.example/eu", "https://cat.example/eu/")
    s = get_settings(home=tmp_path, base_iri="https://datalab.example.eu/", port=9000)
    assert (s.public_url, s.base_iri) == ("http://127.0.0.1:9000", "https://datalab.example.eu/")
    with pytest.raises(ConfigurationError, match="placeholder"):
        get_settings(public_url="changeme")


def test_empty_environment_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATALAB_PUBLIC_URL", "")
    monkeypatch.setenv("DATALAB_BASE_IRI", " ")
    monkeypatch.setenv("DATALAB_PORT", "8123")
    s = get_settings()
    assert (s.public_url, s.base_iri) == ("http://127.0.0.1:8123", "http://127.0.0.1:8123/")


def test_an_unspecified_bind_address_gives_the_machines_name(
    machine: dict[str, str | None],
) -> None:
    for host in ("0.0.0.0", "::"):
        assert get_settings(host=host, port=80).public_url == "http://node7.lab.example:80"
    # the public URL's host is trusted: peers reach the instance by that name
    assert "node7.lab.example" in trusted_hosts(get_settings(host="0.0.0.0"))


def test_the_machines_name_falls_back_to_the_host_name_then_loopback(
    machine: dict[str, str | None],
) -> None:
    machine["fqdn"] = "localhost"  # a loopback alias is no name for peers
    assert machine_name() == "node7"
    machine_name.cache_clear()
    machine["fqdn"], machine["host"] = "gone.example", "nowhere"  # neither resolves
    assert get_settings(host="0.0.0.0", port=80).public_url == "http://127.0.0.1:80"


def test_with_port_moves_derived_urls_only(tmp_path: Path) -> None:
    derived = get_settings(home=tmp_path, port=0, max_triples=42).with_port(41234)
    assert derived.port == 41234 and derived.max_triples == 42 and derived.home == tmp_path
    assert (derived.public_url, derived.base_iri) == (
        "http://127.0.0.1:41234",
        "http://127.0.0.1:41234/",
    )
    fixed = get_settings(home=tmp_path, port=0, public_url="https://x.example").with_port(5)
    assert (fixed.public_url, fixed.base_iri, fixed.port) == (
        "https://x.example",
        "https://x.example/",
        5,
    )
    given = get_settings(home=tmp_path, port=0, public_url="", base_iri="https://i.example/")
    moved = given.with_port(7)
    assert (moved.public_url, moved.base_iri) == ("http://127.0.0.1:7", "https://i.example/")
