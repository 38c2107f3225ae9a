"""``datalab serve`` binds its socket first: with port 0 the settings the app gets name the
port the system picked, and an address it cannot bind is a clear error."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from api.server import listen
from catalog.errors import ConfigurationError
from catalog.settings import get_settings


def test_port_0_gives_the_bound_port_to_the_derived_urls(tmp_path: Path) -> None:
    sock, settings = listen(get_settings(home=tmp_path, port=0))
    try:
        port = sock.getsockname()[1]
        assert port != 0 and settings.port == port
        assert settings.public_url == f"http://127.0.0.1:{port}"
        assert settings.base_iri == f"http://127.0.0.1:{port}/"
    finally:
        sock.close()


def test_a_set_public_url_is_kept_on_any_port(tmp_path: Path) -> None:
    given = get_settings(home=tmp_path, port=0, public_url="https://cat.example")
    sock, settings = listen(given)
    try:
        assert settings.port == sock.getsockname()[1]
        assert (settings.public_url, settings.base_iri) == (
            "https://cat.example",
            "https://cat.example/",
        )
    finally:
        sock.close()


def test_an_address_in_use_is_refused_in_words(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"cannot listen on 127.0.0.1:{port}"):
            listen(get_settings(home=tmp_path, port=port))
