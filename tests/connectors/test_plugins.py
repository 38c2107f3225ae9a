"""Connector plugins: discovery by entry point, lazily, with clear errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.errors import ConfigurationError, ConnectorNotFound
from catalog.harvest.contract import Capability, Connector
from catalog.harvest.plugins import GROUP, ConnectorPlugins, connector_names, get_connector, plugins
from connectors.ckan import CkanConnector
from connectors.dcat import DcatConnector
from connectors.sparql import SparqlConnector
from tests.connectors.plugins import install_example_plugin, write_dist_info

TEST_GROUP = "datalab.catalog.harvest.plugins-test"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path for fake installed distributions (and their modules)."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """Leave the process-wide plugins as it was found."""
    plugins.reset()
    yield
    plugins.reset()


def _module(site: Path, name: str, body: str) -> None:
    (site / f"{name}.py").write_text(body, encoding="utf-8")


CONNECTOR_SOURCE = """
from catalog.harvest.contract import Capability
class Thing:
    kind = "{kind}"
    capabilities = Capability.FULL_LISTING
    def __init__(self, url, settings, fetcher, options=None):
        self.url = url
    def pages(self, since=None):
        return iter(())
"""


def test_builtin_connectors_are_registered_by_entry_point() -> None:
    assert {"ckan", "dcat", "sparql"} <= set(connector_names())
    assert connector_names() == sorted(connector_names())
    assert get_connector("ckan") is CkanConnector
    assert get_connector("dcat") is DcatConnector
    assert get_connector("sparql") is SparqlConnector
    for name in ("ckan", "dcat", "sparql"):
        cls = get_connector(name)
        assert cls.kind == name
        assert isinstance(cls.capabilities, Capability)
        assert Capability.FULL_LISTING in cls.capabilities
    assert Capability.INCREMENTAL in CkanConnector.capabilities


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ConnectorNotFound, match="no connector named 'no-such-kind'") as info:
        get_connector("no-such-kind")
    assert "ckan, dcat" in info.value.message
    assert info.value.status == 404


def test_discovery_is_lazy_nothing_imported_until_asked(site: Path) -> None:
    _module(site, "lazy_conn_mod", CONNECTOR_SOURCE.format(kind="lazy"))
    write_dist_info(site, "lazy-conn", "1.0", {TEST_GROUP: {"lazy": "lazy_conn_mod:Thing"}})
    reg = ConnectorPlugins(TEST_GROUP)
    assert reg.names() == ["lazy"]
    assert "lazy_conn_mod" not in sys.modules
    cls = reg.get("lazy")
    assert cls.kind == "lazy"
    assert "lazy_conn_mod" in sys.modules
    assert isinstance(cls("http://x.example/", None, None), Connector)
    sys.modules.pop("lazy_conn_mod")


def test_two_distributions_claiming_one_name_is_an_error(site: Path) -> None:
    write_dist_info(site, "first", "1.0", {TEST_GROUP: {"dup": "first_mod:A"}})
    write_dist_info(site, "second", "1.0", {TEST_GROUP: {"dup": "second_mod:B"}})
    with pytest.raises(ConfigurationError, match="two connectors are registered as 'dup'"):
        ConnectorPlugins(TEST_GROUP).names()


def test_connector_that_fails_to_import_is_a_configuration_error(site: Path) -> None:
    write_dist_info(site, "broken", "1.0", {TEST_GROUP: {"broken": "no_such_module_xyz:C"}})
    reg = ConnectorPlugins(TEST_GROUP)
    assert reg.names() == ["broken"]  # listing does not import
    with pytest.raises(ConfigurationError, match=r"'broken' .* failed to import"):
        reg.get("broken")


def test_kind_must_match_the_registered_name(site: Path) -> None:
    _module(site, "liar_conn_mod", CONNECTOR_SOURCE.format(kind="something-else"))
    write_dist_info(site, "liar", "1.0", {TEST_GROUP: {"liar": "liar_conn_mod:Thing"}})
    with pytest.raises(ConfigurationError, match="declares kind 'something-else'"):
        ConnectorPlugins(TEST_GROUP).get("liar")
    sys.modules.pop("liar_conn_mod", None)


def test_example_plugin_is_discovered_after_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    assert "example" not in connector_names()
    install_example_plugin(tmp_path / "site", monkeypatch)
    assert "example" not in connector_names()  # discovery is cached until reset
    plugins.reset()
    assert "example" in connector_names()
    cls = get_connector("example")
    assert cls.__module__ == "datalab_example_connector"
    assert cls.kind == "example"
    assert plugins.group == GROUP
