"""The SSRF guard over hostile URL spellings (hostile-inputs.md group E, items 21 and 47)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import httpx
import pytest

from catalog.errors import FetchRefused
from catalog.outbound.ssrf import address_problem, check_url, resolve_target
from catalog.settings import Settings, get_settings


@pytest.fixture
def plain(tmp_path: Path) -> Settings:
    return get_settings(home=tmp_path / "home")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://127.0.0.2:8080/x", "loopback"),
        ("http://localhost/", "names this machine"),
        ("http://LOCALHOST./", "names this machine"),
        ("http://api.localhost/", "names this machine"),
        ("http://metadata.google.internal/computeMetadata/v1/", "internal service"),
        ("http://[::1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://100.100.100.200/", "cloud metadata"),
        ("http://10.0.0.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://100.64.0.1/", "non-global"),
        ("http://169.254.1.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fc00::1]/", "unique-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
        ("http://[::ffff:8.8.8.8]/", "IPv4-mapped"),
        ("http://[::127.0.0.1]/", "IPv4-compatible"),
        ("http://[64:ff9b::7f00:1]/", "NAT64"),
        ("http://[2002:7f00:1::]/", "tunnelled"),
        ("http://0x7f000001/", "unusual spelling"),
        ("http://2130706433/", "unusual spelling"),
        ("http://127.1/", "unusual spelling"),
        ("http://0x7f.0.0.1/", "unusual spelling"),
        ("http://017700000001/", "unusual spelling"),
        ("http://evil@127.0.0.1/", "user info"),
        ("http://user:pass@example.org/", "user info"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://example.org/data.csv", "scheme 'ftp'"),
        ("gopher://example.org/", "scheme 'gopher'"),
        ("data:text/plain,hello", "scheme 'data'"),
        ("jar:http://example.org/x.jar!/a", "scheme 'jar'"),
        ("s3://bucket/key", "scheme 's3'"),
        ("//example.org/x", r"scheme '\(none\)'"),
        ("http:///path-only", "no host"),
        ("http://exa mple.org/", "whitespace"),
        ("http://example.org/\r\nHost: evil", "control characters"),
        ("http://0177.0.0.1/", "malformed URL"),
    ],
)
def test_check_url_refuses(plain: Settings, url: str, reason: str):
    with pytest.raises(FetchRefused, match=reason):
        check_url(url, plain)


@pytest.mark.parametrize(
    "url",
    [
        "https://data.europa.eu/api/hub/search/",
        "http://8.8.8.8/",
        "https://[2606:4700:4700::1111]/dns-query",
        "https://catalog.data.gov:8443/path?q=1",
    ],
)
def test_check_url_accepts_public_urls_without_any_network(plain: Settings, url: str):
    check_url(url, plain)  # no exception, no DNS (resolve is off by default)


def test_refusal_is_a_fetch_refused_with_400_and_stable_code(plain: Settings):
    with pytest.raises(FetchRefused) as info:
        check_url("http://127.0.0.1/", plain)
    assert info.value.status == 400
    assert info.value.to_body()["error"]["code"] == "fetch_refused"
    assert info.value.where == "http://127.0.0.1/"


def test_allow_list_lets_exactly_that_host_and_port_through(tmp_path: Path):
    settings = get_settings(home=tmp_path, fetch_allow_hosts=["127.0.0.1:8080", "[::1]:9000"])
    check_url("http://127.0.0.1:8080/x", settings)
    check_url("http://[::1]:9000/x", settings)
    with pytest.raises(FetchRefused, match="loopback"):
        check_url("http://127.0.0.1:8081/x", settings)
    with pytest.raises(FetchRefused, match="user info"):
        check_url("http://evil@127.0.0.1:8080/x", settings)


def test_resolving_localhost_refuses_it(plain: Settings):
    with pytest.raises(FetchRefused, match="names this machine"):
        check_url("http://localhost:8080/", plain, resolve=True)


def test_resolved_addresses_are_all_checked_and_returned_for_pinning(tmp_path: Path):
    """An allow-listed name resolves once; every address comes back to connect to."""
    settings = get_settings(home=tmp_path, fetch_allow_hosts=["localhost:8080"])
    addresses = resolve_target(httpx.URL("http://localhost:8080/"), settings, timeout=2.0)
    assert ipaddress.ip_address("127.0.0.1") in addresses
    assert all(ip.is_loopback for ip in addresses)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"]
)
def test_public_addresses_have_no_problem(address: str):
    assert address_problem(ipaddress.ip_address(address)) is None
