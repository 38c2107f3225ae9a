"""A real server (uvicorn on a free loopback port, demo data loaded) and a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rdflib import URIRef

from catalog.accounts import Accounts, accounts_path
from catalog.demo import load_demo
from catalog.labs import get_lab, load_registry
from catalog.model import Dataset
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue
from catalog.settings import get_settings
from tests.app_server import serving
from tests.web.a11y import VIEWPORTS

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
LAB = "aiff-datalab"
#: The users' passwords (set with the settings' real argon2id parameters).
PASSWORDS = {name: f"{name}-has-a-long-password" for name in ("dev", "stew", "staffer")}


@dataclass
class Site:
    """The running site: its URL, users with their tokens and passwords, and the demo
    dataset used."""

    url: str
    tokens: dict[str, str]
    dataset_id: str
    organisation: str
    home: Path
    passwords: dict[str, str]


@contextmanager
def open_site(home: Path, port: int | None = None, **overrides: Any) -> Iterator[Site]:
    """The demo catalogue in ``home`` with users dev, stew and staffer (tokens and
    passwords), served (on ``port``, or a free one) with the settings ``overrides``."""
    settings = get_settings(home=home, **overrides)
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        load_registry(cat)
        ident = next(
            i.id
            for i in cat.datasets(source="demo-health", limit=100).items
            if i.id.startswith("synthetic-ehr-fhir")
        )
        record = cat.get(ident)
        ds = Dataset.from_graph(to_rdflib_graph(record.triples), URIRef(record.ref.iri))
        organisation = ds.publisher.iri
        factory = get_lab(cat, LAB).factory
    accounts = Accounts(accounts_path(home))
    accounts.add_user("dev", "developer")
    accounts.add_user("stew", "steward", organisation=organisation)
    accounts.add_user("staffer", "staff", factory=factory)
    tokens = {name: accounts.issue_token(name) for name in PASSWORDS}
    for name, password in PASSWORDS.items():
        accounts.set_password(name, password)
    with serving(settings, port) as url:
        yield Site(url, tokens, ident, organisation, home, dict(PASSWORDS))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, viewport: str) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-home")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=ARGS
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module", params=sorted(VIEWPORTS), ids=sorted(VIEWPORTS))
def viewport(request) -> str:
    """Each journey runs twice, on a phone (390 px) and on a desktop (1366 px), each time on
    a site of its own (so one run's approvals and saves never change the other's)."""
    return str(request.param)


@pytest.fixture
def page(browser, site, viewport):
    page = browser.new_page()
    page.set_viewport_size(VIEWPORTS[viewport])
    page.viewport_name = viewport  # type: ignore[attr-defined]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    page.set_default_timeout(20_000)
    yield page
    page.close()


def shot(page, name: str) -> None:
    """A screenshot of this journey step, per viewport, for reviewers (see
    :func:`pytest_terminal_summary`)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = getattr(page, "viewport_name", "desktop")
    page.screenshot(path=str(ARTIFACTS / f"{name}-{suffix}.png"), full_page=True)


def pytest_terminal_summary(terminalreporter) -> None:
    if ARTIFACTS.exists() and any(ARTIFACTS.glob("*.png")):
        count = len(list(ARTIFACTS.glob("*.png")))
        terminalreporter.write_line(f"screenshots of the web journeys ({count}): {ARTIFACTS}")


def sign_in(page, site: Site, user: str) -> None:
    """Sign in with the user's name and password, as people do."""
    page.goto(f"{site.url}/ui/login")
    page.fill("#user", user)
    page.fill("#password", site.passwords[user])
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#whoami")


def sign_out(page) -> None:
    page.click("text=Sign out")
    page.wait_for_selector("text=Sign in")


def upload_sample(page, site: Site, csv_path, text: str) -> str:
    """As the signed-in steward: attach ``text`` (written to ``csv_path``) to the site's
    dataset through the steward page's form; the message the page shows."""
    page.goto(f"{site.url}/ui/steward")
    csv_path.write_text(text)
    page.select_option("#s-dataset", site.dataset_id)
    page.set_input_files("#s-file", str(csv_path))
    page.click("#sample-form button")
    page.wait_for_selector("#message")
    return page.inner_text("#message")
