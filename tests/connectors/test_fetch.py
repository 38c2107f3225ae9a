"""The shared fetcher against a real loopback server that injects faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catalog.errors import (
    FetchCircuitOpen,
    FetchError,
    FetchRedirectError,
    FetchRefused,
    FetchRetryLater,
    FetchStatusError,
    FetchTimeout,
    FetchTooLarge,
)
from catalog.outbound.fetcher import Fetcher, FetchResult
from catalog.settings import Settings, get_settings
from tests.connectors.fault_server import HTML, TURTLE, FaultServer

MakeSettings = Callable[..., Settings]


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer().start()
    yield server
    server.close()


@pytest.fixture
def other_server() -> Iterator[FaultServer]:
    """A second loopback server that is NOT on the allow list."""
    server = FaultServer().start()
    yield server
    server.close()


@pytest.fixture
def fetch_settings(tmp_path: Path, fault_server: FaultServer) -> MakeSettings:
    """Settings with short deadlines, no politeness pause and the fault server allowed."""

    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "home": tmp_path / "home",
            "fetch_allow_hosts": [f"127.0.0.1:{fault_server.port}"],
            "fetch_host_delay_s": 0.0,
            "fetch_backoff_s": 0.01,
            "fetch_connect_timeout_s": 1.0,
            "fetch_read_timeout_s": 1.0,
            "fetch_total_timeout_s": 5.0,
        }
        values.update(overrides)
        return get_settings(**values)

    return make


@pytest.fixture
def fetcher(fetch_settings: MakeSettings) -> Iterator[Fetcher]:
    with Fetcher(fetch_settings()) as f:
        yield f


def _fetch(settings: Settings, url: str) -> FetchResult:
    with Fetcher(settings) as f:
        return f.get(url)


# --- what a successful fetch returns ---------------------------------------------------


def test_ok_returns_body_media_type_and_final_url(fetcher: Fetcher, fault_server: FaultServer):
    result = fetcher.get(fault_server.url("/ok"), accept="text/turtle")
    assert result.status == 200
    assert result.content == TURTLE
    assert result.media_type == "text/turtle"
    assert result.url == fault_server.url("/ok")
    assert result.headers["content-type"].startswith("text/turtle")
    assert fault_server.seen_headers[-1]["Accept"] == "text/turtle"


def test_html_page_with_200_is_returned_and_media_type_tells(fetcher, fault_server):
    result = fetcher.get(fault_server.url("/html"))
    assert result.content == HTML
    assert result.media_type == "text/html"


def test_user_agent_names_project_and_contact(fetcher, fault_server):
    fetcher.get(fault_server.url("/echo"))
    agent = fault_server.seen_headers[-1]["User-Agent"]
    assert agent.startswith("datalab-catalogue/")
    assert "@" in agent


def test_gzip_body_is_decoded(fetcher, fault_server):
    result = fetcher.get(fault_server.url("/gzip"))
    assert result.content == TURTLE
    assert "gzip" in fault_server.seen_headers[-1]["Accept-Encoding"]


def test_hostname_connects_to_resolved_address_with_host_header(fetch_settings, fault_server):
    """The connection goes to the checked IP; the server still sees the name it was asked."""
    settings = fetch_settings(fetch_allow_hosts=[f"localhost:{fault_server.port}"])
    result = _fetch(settings, f"http://localhost:{fault_server.port}/ok")
    assert result.content == TURTLE
    assert result.url == f"http://localhost:{fault_server.port}/ok"
    assert fault_server.seen_headers[-1]["Host"] == f"localhost:{fault_server.port}"


def test_settings_read_allow_hosts_as_comma_separated_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DATALAB_FETCH_ALLOW_HOSTS", "127.0.0.1:8080, Localhost:9000")
    settings = get_settings(home=tmp_path)
    assert settings.fetch_allow_hosts == ["127.0.0.1:8080", "localhost:9000"]


# --- refusals before connecting -----------------------------------------------------------


def test_loopback_not_on_allow_list_is_refused_before_connecting(tmp_path, fault_server):
    settings = get_settings(home=tmp_path, fetch_host_delay_s=0)
    with pytest.raises(FetchRefused, match="loopback address"):
        _fetch(settings, fault_server.url("/ok"))
    assert fault_server.hits.total() == 0


def test_userinfo_is_refused_even_for_an_allowed_host(fetcher, fault_server):
    with pytest.raises(FetchRefused, match="user info"):
        fetcher.get(f"http://evil@127.0.0.1:{fault_server.port}/ok")
    assert fault_server.hits.total() == 0


# --- deadlines ----------------------------------------------------------------------------


def test_hanging_server_hits_read_timeout(fetch_settings, fault_server):
    settings = fetch_settings(fetch_read_timeout_s=0.5, fetch_max_retries=0)
    start = time.monotonic()
    with pytest.raises(FetchTimeout, match=r"read timeout \(0.5 s\)"):
        _fetch(settings, fault_server.url("/hang"))
    assert time.monotonic() - start < 1.5


def test_hanging_server_with_retries_stops_at_total_deadline(fetch_settings, fault_server):
    settings = fetch_settings(fetch_read_timeout_s=0.6, fetch_total_timeout_s=1.5)
    start = time.monotonic()
    with pytest.raises(FetchTimeout, match=r"total deadline of 1\.5 s"):
        _fetch(settings, fault_server.url("/hang"))
    assert time.monotonic() - start < 2.0


def test_slowloris_body_hits_total_deadline_not_only_read_timeout(fetch_settings, fault_server):
    """One byte a second never trips a 5 s read timeout; the 2 s total deadline must fire."""
    settings = fetch_settings(fetch_read_timeout_s=5.0, fetch_total_timeout_s=2.0)
    start = time.monotonic()
    with pytest.raises(FetchTimeout, match="total deadline of 2 s"):
        _fetch(settings, fault_server.url("/slowloris"))
    elapsed = time.monotonic() - start
    assert 1.9 <= elapsed < 2.6


# --- broken bodies ------------------------------------------------------------------------


def test_truncated_body_is_a_network_error_after_bounded_retries(fetch_settings, fault_server):
    settings = fetch_settings(fetch_max_retries=2)
    with pytest.raises(FetchError, match="expected 1000") as info:
        _fetch(settings, fault_server.url("/truncated"))
    assert type(info.value) is FetchError
    assert fault_server.hits["/truncated"] == 3


def test_connection_reset_mid_body_is_a_network_error(fetch_settings, fault_server):
    settings = fetch_settings(fetch_max_retries=1)
    with pytest.raises(FetchError, match="reset") as info:
        _fetch(settings, fault_server.url("/reset"))
    assert type(info.value) is FetchError
    assert fault_server.hits["/reset"] == 2


def test_body_over_cap_with_content_length_is_refused_unread(fetch_settings, fault_server):
    settings = fetch_settings(fetch_max_body_bytes=1000)
    with pytest.raises(FetchTooLarge, match="declares 5000 bytes, over the cap of 1000"):
        _fetch(settings, fault_server.url("/big?n=5000"))


def test_chunked_body_over_cap_is_cut_off(fetch_settings, fault_server):
    settings = fetch_settings(fetch_max_body_bytes=1000)
    with pytest.raises(FetchTooLarge, match="more than the cap of 1000 bytes"):
        _fetch(settings, fault_server.url("/big?n=5000&chunked=1"))


def test_gzip_bomb_hits_decompressed_cap(fetch_settings, fault_server):
    assert len(fault_server.bomb) < 100_000  # small on the wire, 20 MB inflated
    settings = fetch_settings(fetch_max_decompressed_bytes=1024 * 1024)
    with pytest.raises(FetchTooLarge, match="decompresses to more than the cap of 1048576"):
        _fetch(settings, fault_server.url("/gzip-bomb"))


# --- statuses, retries, Retry-After -------------------------------------------------------


def test_500_is_not_retried_and_names_status_and_url(fetcher, fault_server):
    url = fault_server.url("/status?code=500")
    with pytest.raises(FetchStatusError, match="HTTP 500") as info:
        fetcher.get(url)
    assert url in info.value.message
    assert info.value.details == {"status": 500, "url": url}
    assert fault_server.hits["/status"] == 1


def test_404_is_a_status_error(fetcher, fault_server):
    with pytest.raises(FetchStatusError, match="HTTP 404"):
        fetcher.get(fault_server.url("/nothing-here"))


def test_503_without_retry_after_is_retried_with_backoff_then_fails(fetch_settings, fault_server):
    settings = fetch_settings(fetch_max_retries=3, fetch_backoff_s=0.1)
    start = time.monotonic()
    with pytest.raises(FetchStatusError, match="HTTP 503 after 4 attempt"):
        _fetch(settings, fault_server.url("/status?code=503"))
    elapsed = time.monotonic() - start
    assert fault_server.hits["/status"] == 4
    # backoff 0.1, 0.2, 0.4 s, each jittered down to no less than half
    assert 0.35 <= elapsed < 2.0


@pytest.mark.parametrize("code", [429, 503])
def test_retry_after_one_second_is_honoured_then_succeeds(fetch_settings, fault_server, code):
    settings = fetch_settings()
    start = time.monotonic()
    result = _fetch(settings, fault_server.url(f"/flaky?fail=1&code={code}&retry_after=1"))
    assert result.content == TURTLE
    assert fault_server.hits["/flaky"] == 2
    assert time.monotonic() - start >= 0.95


def test_retry_after_an_hour_fails_fast_saying_when_to_retry(fetch_settings, fault_server):
    with Fetcher(fetch_settings()) as fetcher:
        start = time.monotonic()
        with pytest.raises(
            FetchRetryLater, match=r"HTTP 429 .*retry after \d{4}-\d\d-\d\dT"
        ) as info:
            fetcher.get(fault_server.url("/status?code=429&retry_after=3600"))
        assert time.monotonic() - start < 1.0
        assert info.value.details["retry_after_s"] == 3600
        # the host's wish is remembered: the next fetch does not knock again
        with pytest.raises(FetchRetryLater, match="asked to retry after"):
            fetcher.get(fault_server.url("/ok"))
    assert fault_server.hits["/status"] == 1
    assert fault_server.hits["/ok"] == 0


def test_circuit_opens_after_five_consecutive_failures(fetch_settings, fault_server):
    settings = fetch_settings(fetch_max_retries=0, fetch_circuit_reset_s=0.5)
    with Fetcher(settings) as fetcher:
        for _ in range(5):
            with pytest.raises(FetchStatusError):
                fetcher.get(fault_server.url("/status?code=502"))
        with pytest.raises(FetchCircuitOpen, match="failed 5 times in a row"):
            fetcher.get(fault_server.url("/ok"))
        assert fault_server.hits["/ok"] == 0
        time.sleep(0.6)  # cool-down over: one trial goes through and closes the breaker
        assert fetcher.get(fault_server.url("/ok")).content == TURTLE
    assert fault_server.hits["/status"] == 5


# --- politeness ---------------------------------------------------------------------------


def test_one_request_in_flight_per_host(fetch_settings, fault_server):
    errors: list[BaseException] = []
    with Fetcher(fetch_settings()) as fetcher:

        def worker() -> None:
            try:
                fetcher.get(fault_server.url("/slowok?s=0.2"))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(3)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
    assert not errors
    assert fault_server.hits["/slowok"] == 3
    assert fault_server.max_in_flight == 1
    assert time.monotonic() - start >= 0.6


def test_pause_between_requests_to_the_same_host(fetch_settings, fault_server):
    with Fetcher(fetch_settings(fetch_host_delay_s=0.4)) as fetcher:
        fetcher.get(fault_server.url("/ok"))
        start = time.monotonic()
        fetcher.get(fault_server.url("/ok"))
        assert time.monotonic() - start >= 0.35


# --- redirects ----------------------------------------------------------------------------


def test_five_redirects_are_followed(fetcher, fault_server):
    result = fetcher.get(fault_server.url("/chain/4"))
    assert result.url == fault_server.url("/ok")
    assert fault_server.hits.total() == 6  # 5 hops, the last to /ok


def test_six_hop_redirect_chain_is_too_many(fetcher, fault_server):
    with pytest.raises(FetchRedirectError, match="too many redirects: more than 5"):
        fetcher.get(fault_server.url("/chain/6"))
    assert fault_server.hits["/ok"] == 0


def test_redirect_loop_is_detected(fetcher, fault_server):
    with pytest.raises(FetchRedirectError, match="redirect loop"):
        fetcher.get(fault_server.url("/loop/a"))
    assert fault_server.hits["/loop/a"] == 1


def test_redirect_to_a_loopback_port_not_allowed_is_refused(fetcher, fault_server, other_server):
    target = other_server.url("/ok")
    with pytest.raises(FetchRefused, match="loopback address"):
        fetcher.get(fault_server.url(f"/redirect?to={target}"))
    assert other_server.hits.total() == 0


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://localhost/", "names this machine"),
        ("http://[::1]/", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://0x7f000001/", "unusual spelling"),
        ("http://2130706433/", "unusual spelling"),
        ("http://127.1/", "unusual spelling"),
        ("http://evil@example.org/", "user info"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("gopher://example.org/", "scheme 'gopher'"),
    ],
)
def test_redirect_to_internal_or_odd_target_is_refused(fetcher, fault_server, target, reason):
    with pytest.raises(FetchRefused, match=reason):
        fetcher.get(fault_server.url(f"/redirect?to={target}"))
    assert fault_server.hits["/redirect"] == 1
