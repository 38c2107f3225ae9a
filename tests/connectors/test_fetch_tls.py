"""TLS: verification is always on, SNI names the host though the socket goes to its IP,
and an HTTPS to HTTP redirect is refused."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from catalog.errors import FetchError, FetchRefused
from catalog.outbound.fetcher import Fetcher
from catalog.settings import Settings, get_settings
from tests.connectors.fault_server import TURTLE, FaultServer


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[FaultServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    server = FaultServer(ssl_context=context).start()
    yield server
    server.close()


def _settings(tmp_path: Path, *hosts: str) -> Settings:
    return get_settings(
        home=tmp_path / "home",
        fetch_allow_hosts=list(hosts),
        fetch_host_delay_s=0,
        fetch_max_retries=0,
        fetch_total_timeout_s=5,
    )


def test_certificate_not_trusted_is_an_error_never_skipped(tmp_path, tls_server):
    settings = _settings(tmp_path, f"localhost:{tls_server.port}")
    with Fetcher(settings) as fetcher, pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
        fetcher.get(f"https://localhost:{tls_server.port}/ok")
    assert tls_server.hits.total() == 0


def test_certificate_checked_against_the_name_while_connecting_to_its_ip(tmp_path, tls_server, ca):
    port = tls_server.port
    settings = _settings(tmp_path, f"localhost:{port}", f"127.0.0.1:{port}")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with httpx.Client(verify=context, trust_env=False) as client:
        fetcher = Fetcher(settings, client=client)
        result = fetcher.get(f"https://localhost:{tls_server.port}/ok")
        assert result.content == TURTLE
        assert result.url == f"https://localhost:{tls_server.port}/ok"
        # the certificate names localhost, not 127.0.0.1: asking by IP must fail verification
        with pytest.raises(FetchError, match=r"CERTIFICATE_VERIFY_FAILED|IP address mismatch"):
            fetcher.get(f"https://127.0.0.1:{tls_server.port}/ok")


def test_https_to_http_downgrade_redirect_is_refused(tmp_path, tls_server, ca):
    plain = FaultServer().start()
    try:
        settings = _settings(tmp_path, f"localhost:{tls_server.port}", f"localhost:{plain.port}")
        context = ssl.create_default_context()
        ca.configure_trust(context)
        target = f"http://localhost:{plain.port}/ok"
        with httpx.Client(verify=context, trust_env=False) as client:
            fetcher = Fetcher(settings, client=client)
            with pytest.raises(FetchRefused, match="HTTPS to plain HTTP refused"):
                fetcher.get(f"https://localhost:{tls_server.port}/redirect?to={target}")
        assert tls_server.hits["/redirect"] == 1
        assert plain.hits.total() == 0
    finally:
        plain.close()
