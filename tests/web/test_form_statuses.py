"""The forms' answers at HTTP level: 422 with each problem next to its field and every
value kept, 303 then a saved message, 409 for a duplicate (TestClient, real catalogue)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from rdflib import URIRef

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.model import Dataset
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue
from catalog.settings import get_settings

LAB = "aiff-datalab"
DATASET = "synthetic-ehr-fhir-u2otqddy"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("forms-home")
    settings = get_settings(home=home, web_cookie_secure=False)
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        load_registry(cat)
        record = cat.get(DATASET)
        dataset = Dataset.from_graph(to_rdflib_graph(record.triples), URIRef(record.ref.iri))
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("dev", "developer")
    accounts.add_user("staffer", "staff", factory="aiff")
    accounts.add_user("boss", "admin")
    accounts.add_user("stew", "steward", organisation=dataset.publisher.iri)
    tokens = {n: accounts.issue_token(n) for n in ("dev", "staffer", "boss", "stew")}
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        c.tokens = tokens  # type: ignore[attr-defined]
        yield c


def csrf_of(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


def login(c: TestClient, user: str) -> str:
    c.cookies.clear()
    csrf = csrf_of(c.get("/ui/login").text)
    r = c.post(
        "/ui/login",
        data={"csrf": csrf, "user": user, "token": c.tokens[user]},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert r.status_code == 303
    return csrf_of(c.get("/ui/search").text)


def doc(text: str):  # an lxml element
    return lxml_html.fromstring(text)


def lab_form(c: TestClient, lab: str) -> dict[str, object]:
    """The edit form of ``lab`` as the browser would send it unchanged."""
    page = doc(c.get("/ui/staff").text)
    form = page.get_element_by_id(f"edit-{lab}")
    data: dict[str, object] = {}
    for el in form.xpath(".//input|.//textarea"):
        name = el.get("name")
        if el.get("type") == "checkbox":
            if el.get("checked") is not None:
                data.setdefault(name, []).append(el.get("value"))  # type: ignore[union-attr]
        elif el.tag == "textarea":
            data[name] = el.text or ""
        else:
            data[name] = el.get("value") or ""
    return data


def test_a_bad_country_and_words_for_a_lead_time_keep_every_other_edit(client) -> None:
    login(client, "staffer")
    before = client.get(f"/labs/{LAB}").json()
    sent = lab_form(client, LAB)
    sent.update(
        name="AIFF renamed",
        fees="free for everyone",
        eligible_countries="DE, Germany, FR",
        lead_time="two weeks",
        services=["Pooling"],
    )
    r = client.post(f"/ui/staff/labs/{LAB}", data=sent, follow_redirects=False)
    assert r.status_code == 422
    page = doc(r.text)
    # the problem next to its field, the field marked and pointing at it
    countries = page.get_element_by_id(f"countries-{LAB}")
    assert countries.get("aria-invalid") == "true"
    error_id = f"countries-{LAB}-error"
    assert error_id in countries.get("aria-describedby").split()
    message = page.get_element_by_id(error_id).text_content()
    assert "'Germany'" in message and "DE or FR" in message
    # the summary on top links to the field; nothing else is flagged
    summary = page.get_element_by_id(f"errors-{LAB}")
    assert summary.get("role") == "alert"
    assert [a.get("href") for a in summary.xpath(".//a")] == [f"#countries-{LAB}"]
    assert page.xpath("//*[@aria-invalid='true']") == [countries]
    # every value sent is shown again, untouched
    assert countries.get("value") == "DE, Germany, FR"
    assert page.get_element_by_id(f"name-{LAB}").get("value") == "AIFF renamed"
    assert page.get_element_by_id(f"fees-{LAB}").get("value") == "free for everyone"
    assert page.get_element_by_id(f"lead-{LAB}").get("value") == "two weeks"
    checked = page.xpath(f"//form[@id='edit-{LAB}']//input[@name='services'][@checked]/@value")
    assert checked == ["Pooling"]
    assert client.get(f"/labs/{LAB}").json() == before  # nothing stored

    sent["eligible_countries"] = "DE, FR"
    r = client.post(f"/ui/staff/labs/{LAB}", data=sent, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"/ui/staff?saved={LAB}")
    page = doc(client.get(r.headers["location"]).text)
    saved = page.get_element_by_id("saved")
    assert saved.get("role") == "status" and "AIFF renamed" in saved.text_content()
    assert page.get_element_by_id(f"lead-{LAB}").get("value") == "2 weeks"
    lab = client.get(f"/labs/{LAB}").json()
    assert (lab["lead_time_days"], lab["eligible_countries"]) == (14, ["DE", "FR"])
    assert (lab["name"], lab["fees"], lab["services"]) == (
        "AIFF renamed",
        "free for everyone",
        ["Pooling"],
    )


def test_an_unreadable_lead_time_is_422_next_to_its_field(client) -> None:
    login(client, "staffer")
    sent = lab_form(client, LAB)
    sent["lead_time"] = "soonish"
    r = client.post(f"/ui/staff/labs/{LAB}", data=sent, follow_redirects=False)
    assert r.status_code == 422
    page = doc(r.text)
    assert page.get_element_by_id(f"lead-{LAB}").get("aria-invalid") == "true"
    assert (
        "'soonish' is not a duration" in page.get_element_by_id(f"lead-{LAB}-error").text_content()
    )


def test_the_api_refuses_the_same_way(client) -> None:
    headers = {"Authorization": f"Bearer {client.tokens['staffer']}"}
    r = client.patch(f"/labs/{LAB}", json={"lead_time_days": "a fortnight-ish"}, headers=headers)
    assert r.status_code == 422
    assert r.json()["error"]["where"] == "lead_time_days"
    r = client.patch(f"/labs/{LAB}", json={"eligible_countries": ["DE", "XY"]}, headers=headers)
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["where"] == "eligible_countries" and "'XY'" in body["message"]
    r = client.patch(f"/labs/{LAB}", json={"lead_time_days": "P3M"}, headers=headers)
    assert r.status_code == 200 and r.json()["lead_time_days"] == 90
    r = client.patch(f"/labs/{LAB}", json={"lead_time_days": 21}, headers=headers)
    assert r.status_code == 200 and r.json()["lead_time_days"] == 21


def test_staff_create_a_lab_of_their_factory(client) -> None:
    csrf = login(client, "staffer")
    page = client.get("/ui/staff/labs/new")
    assert page.status_code == 200
    form = {
        "csrf": csrf,
        "id": "aiff-imaging",
        "name": "AIFF imaging lab",
        "access_modes": ["SecureProcessingEnvironment"],
        "eligible_org_types": ["Research"],
        "eligible_countries": "EU",
        "lead_time": "10 Tage",
        "procedure": "Sign the agreement\n",
        "factory": "jaif",  # ignored: staff create labs of their own factory
    }
    bad = client.post("/ui/staff/labs", data={**form, "id": "Bad Id!", "lead_time": "eventually"})
    assert bad.status_code == 422
    page = doc(bad.text)
    assert page.get_element_by_id("id-new").get("aria-invalid") == "true"
    assert page.get_element_by_id("lead-new").get("aria-invalid") == "true"
    assert page.get_element_by_id("name-new").get("value") == "AIFF imaging lab"
    r = client.post("/ui/staff/labs", data=form, follow_redirects=False)
    assert r.status_code == 303
    assert (
        "Created AIFF imaging lab"
        in doc(client.get(r.headers["location"]).text).get_element_by_id("saved").text_content()
    )
    lab = client.get("/labs/aiff-imaging").json()
    assert (lab["factory"], lab["lead_time_days"]) == ("aiff", 10)
    again = client.post("/ui/staff/labs", data=form)
    assert again.status_code == 409
    assert "exists already" in doc(again.text).get_element_by_id("id-new-error").text_content()


def test_admins_create_labs_of_any_factory_and_developers_none(client) -> None:
    csrf = login(client, "boss")
    page = doc(client.get("/ui/staff/labs/new").text)
    assert page.get_element_by_id("factory-new").tag == "select"
    r = client.post(
        "/ui/staff/labs",
        data={"csrf": csrf, "id": "jaif-extra", "factory": "jaif", "eligible_countries": "EU"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get("/labs/jaif-extra").json()["factory"] == "jaif"
    csrf = login(client, "dev")
    assert client.get("/ui/staff/labs/new").status_code == 403
    r = client.post("/ui/staff/labs", data={"csrf": csrf, "id": "dev-lab"})
    assert r.status_code == 403


def _ask(c: TestClient, csrf: str, **extra: str):  # the response of the request form
    data = {"csrf": csrf, "lab": LAB, "org_type": "research", "country": "DE"}
    data |= {"purpose": "academic-research", "comment": "triage model", **extra}
    return c.post(f"/ui/datasets/{DATASET}/request", data=data, follow_redirects=False)


def test_request_form_problems_are_next_to_their_fields_and_duplicates_link_the_first(
    client,
) -> None:
    csrf = login(client, "dev")
    r = _ask(client, csrf, org_type="", country="Germany")
    assert r.status_code == 422
    page = doc(r.text)
    assert page.get_element_by_id("org_type").get("aria-invalid") == "true"
    assert "organisation type" in page.get_element_by_id("org_type-error").text_content()
    assert page.get_element_by_id("country").get("value") == "Germany"
    assert page.get_element_by_id("comment").text_content() == "triage model"

    r = _ask(client, csrf, country="XY")
    assert r.status_code == 422
    assert "'XY'" in doc(r.text).get_element_by_id("country-error").text_content()

    first = _ask(client, csrf)
    assert first.status_code == 303
    rid = first.headers["location"].split("/")[-1].split("?")[0]
    shown = doc(client.get(first.headers["location"]).text).get_element_by_id("done")
    assert shown.get("role") == "status" and "sent" in shown.text_content()

    again = _ask(client, csrf, comment="a second time")
    assert again.status_code == 409
    page = doc(again.text)
    assert page.get_element_by_id("open-request").get("href") == f"/ui/requests/{rid}"
    assert page.get_element_by_id("comment").text_content() == "a second time"
    mine = [
        i["id"]
        for i in client.get("/access-requests", headers=_bearer(client, "dev")).json()["items"]
    ]
    assert mine == [rid]


def _bearer(c: TestClient, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {c.tokens[user]}"}  # type: ignore[attr-defined]


def test_a_rejection_without_a_reason_stays_on_the_request_with_the_error_at_the_comment(
    client,
) -> None:
    mine = client.get("/access-requests", headers=_bearer(client, "dev")).json()["items"]
    rid = mine[0]["id"] if mine else None
    if rid is None:  # this test alone: file one
        csrf = login(client, "dev")
        rid = _ask(client, csrf).headers["location"].split("/")[-1].split("?")[0]
    csrf = login(client, "staffer")
    r = client.post(
        f"/ui/requests/{rid}", data={"csrf": csrf, "action": "reject", "comment": "  "},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 422
    page = doc(r.text)
    comment = page.get_element_by_id("comment")
    assert comment.get("aria-invalid") == "true"
    assert "reason to reject" in page.get_element_by_id("comment-error").text_content()
    assert page.get_element_by_id("errors-act").xpath(".//a/@href") == ["#comment"]
    assert page.get_element_by_id("state").text_content() == "submitted"
    r = client.post(
        f"/ui/requests/{rid}",
        data={"csrf": csrf, "action": "reject", "comment": "No permit attached"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = doc(client.get(r.headers["location"]).text)
    assert page.get_element_by_id("state").text_content() == "rejected"
    assert "rejected" in page.get_element_by_id("done").text_content()


DESCRIBED = {
    "title": "Ward occupancy 2024",
    "description": "Daily ward occupancy of a demo hospital.",
    "keywords": "hospital, occupancy",
    "languages": ["ENG", "DEU"],
    "themes": ["HEAL"],
    "access": "PUBLIC",
    "licence": "CC_BY_4_0",
    "temporal_start": "2024-01-01",
    "temporal_end": "2024-12-31",
    "contact_name": "Data desk",
    "contact_email": "data@hospital.example",
    "access_url": "https://hospital.example/occupancy.csv",
    "file_type": "CSV",
}


def test_the_dataset_form_keeps_values_and_shows_problems_at_their_fields(client) -> None:
    csrf = login(client, "stew")
    sent = {**DESCRIBED, "csrf": csrf, "description": "", "contact_email": "desk at hospital"}
    r = client.post("/ui/steward/form", data=sent)
    assert r.status_code == 422
    page = doc(r.text)
    for field, where in (("description", "f-description"), ("contact_email", "f-email")):
        assert page.get_element_by_id(where).get("aria-invalid") == "true", field
    assert "e-mail address" in page.get_element_by_id("f-email-error").text_content()
    assert page.get_element_by_id("f-title").get("value") == "Ward occupancy 2024"
    assert page.get_element_by_id("f-end").get("value") == "2024-12-31"
    checked = page.xpath("//form[@id='dataset-form']//input[@name='languages'][@checked]/@value")
    assert checked == ["ENG", "DEU"]
    assert page.get_element_by_id("errors-dataset").xpath(".//a/@href") == [
        "#f-description",
        "#f-email",
    ]


def test_the_dataset_form_makes_a_conforming_record_shown_in_words_then_saved(client) -> None:
    csrf = login(client, "stew")
    r = client.post("/ui/steward/form", data={**DESCRIBED, "csrf": csrf})
    assert r.status_code == 200, r.text[-2000:]
    page = doc(r.text)
    assert "conforms" in page.get_element_by_id("verdict").text_content()
    record = page.get_element_by_id("record").text_content()
    for shown in ("Data desk", "English, German", "Health", "2024-01-01", "Creative Commons"):
        assert shown in record
    turtle = page.get_element_by_id("turtle")
    assert turtle.tag == "details" and turtle.get("open") is None
    assert "Show the record as Turtle" in turtle.xpath("./summary")[0].text_content()
    text = turtle.xpath("./pre")[0].text_content()
    assert "_:" not in text and "vcard:hasEmail <mailto:data@hospital.example>" in text
    document = page.xpath("//form[@id='review-form']//input[@name='document']/@value")[0]
    saved = client.post(
        "/ui/steward/save", data={"csrf": csrf, "format": "turtle", "document": document}
    )
    assert saved.status_code == 201
    new_id = doc(saved.text).xpath("//p[@id='saved']/following-sibling::ul//a")[0].text_content()
    stored = client.get(f"/datasets/{new_id}", headers={"Accept": "text/turtle"}).text
    assert "Ward occupancy 2024" in stored and "Data desk" in stored


def test_a_refused_sample_stays_on_the_page_with_the_problem_at_the_file(client) -> None:
    csrf = login(client, "stew")
    files = {"file": ("notes.txt", b"just some words, not a table\x00\x01", "text/plain")}
    r = client.post("/ui/steward/sample", data={"csrf": csrf, "dataset_id": DATASET}, files=files)
    assert r.status_code == 422
    page = doc(r.text)
    file_field = page.get_element_by_id("s-file")
    assert file_field.get("aria-invalid") == "true"
    assert "Parquet" in page.get_element_by_id("s-file-error").text_content()
    chosen = page.xpath("//select[@id='s-dataset']/option[@selected]/@value")
    assert chosen == [DATASET]
    files = {"file": ("rows.csv", b"", "text/csv")}
    r = client.post("/ui/steward/sample", data={"csrf": csrf, "dataset_id": DATASET}, files=files)
    assert r.status_code == 422
    assert doc(r.text).get_element_by_id("s-file-error").text_content()
