"""Every CKAN action driven by ckanapi against a live instance; ckanext-harvest's requests."""

from __future__ import annotations

from urllib.parse import urlencode

import ckanapi
import httpx
import pytest

from catalog.accounts import Accounts
from catalog.field_limits import FieldLimits

DEMO_TOTAL = 41


@pytest.fixture
def live(instance_factory):
    return instance_factory("a", demo=True)


def remote(url: str, token: str | None = None) -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(url, apikey=token, user_agent="datalab-tests/0.1")


def tokens(inst) -> dict[str, str]:
    accounts = Accounts(inst.catalogue.database, FieldLimits.from_settings(inst.settings))
    out = {}
    for name, role, org in (
        ("stew-a", "steward", "Org A"),
        ("stew-b", "steward", "Org B"),
        ("dev", "developer", None),
    ):
        accounts.add_user(name, role, org)
        out[name] = accounts.issue_token(name)
    return out


def test_ckanapi_calls_every_read_action(live) -> None:
    with remote(live.url) as api:
        assert api.action.status_show()["site_url"] == live.settings.public_url
        names = api.action.package_list()
        assert len(names) == DEMO_TOTAL
        pkg = api.action.package_show(id=names[0])
        assert pkg["name"] == names[0]
        # by the dataset IRI too
        uri = next(e["value"] for e in pkg["extras"] if e["key"] == "uri")
        assert api.action.package_show(id=uri)["id"] == pkg["id"]
        res = pkg["resources"][0]
        assert api.action.resource_show(id=res["id"]) == res
        current = api.action.current_package_list_with_resources(limit=5)
        assert len(current) == 5 and all("resources" in p for p in current)
        stamps = [p["metadata_modified"] for p in current]
        assert stamps == sorted(stamps, reverse=True)
        orgs = api.action.organization_list(all_fields=True)
        assert sum(o["package_count"] for o in orgs) >= DEMO_TOTAL
        org = api.action.organization_show(id=orgs[0]["name"], include_datasets=True)
        assert org["package_count"] == len(org["packages"]) > 0
        groups = api.action.group_list()
        assert "heal" in groups
        heal = api.action.group_show(id="heal", include_datasets=True)
        assert heal["package_count"] == len(heal["packages"]) > 0
        tags = api.action.tag_list()
        assert "ICD-10" in tags
        assert api.action.tag_list(query="icd") == [t for t in tags if "icd" in t.lower()]
        licences = api.action.license_list()
        assert licences and all({"id", "title", "url"} <= set(lic) for lic in licences)
        with pytest.raises(ckanapi.NotFound):
            api.action.package_show(id="no-such-dataset")
        with pytest.raises(ckanapi.NotFound):
            api.action.organization_show(id="no-such-org")
        with pytest.raises(ckanapi.NotFound):
            api.action.resource_show(id="no-such-resource")


def test_unknown_actions_answer_in_ckans_envelope(live) -> None:
    got = httpx.get(f"{live.url}/api/3/action/user_list")
    assert got.status_code == 400
    body = got.json()
    assert body["success"] is False and "Action name not known" in body["error"]["message"]


def test_package_search_parses_solr_syntax(live) -> None:
    with remote(live.url) as api:
        every = api.action.package_search(rows=0)["count"]
        assert every == DEMO_TOTAL
        heal = api.action.package_search(fq="groups:heal", rows=100)["count"]
        assert 0 < heal < every
        assert api.action.package_search(fq="-groups:heal")["count"] == every - heal
        tagged = api.action.package_search(fq='tags:"ICD-10"', rows=100)
        assert tagged["count"] >= 1
        assert all(any(t["name"] == "ICD-10" for t in p["tags"]) for p in tagged["results"])
        csv = api.action.package_search(fq="res_format:CSV", rows=100)["count"]
        parquet = api.action.package_search(fq="res_format:PARQUET", rows=100)["count"]
        either = api.action.package_search(fq="res_format:CSV OR res_format:PARQUET")["count"]
        assert csv > 0 and max(csv, parquet) <= either <= csv + parquet
        assert api.action.package_search(fq="NOT res_format:CSV")["count"] == every - csv
        words = api.action.package_search(q="land cover", sort="score desc")
        assert words["count"] >= 1
        found = api.action.package_search(q="*:*", fq="groups:heal -tags:ICD-10", rows=100)
        assert found["count"] == heal - sum(
            1 for p in tagged["results"] if any(g["name"] == "heal" for g in p["groups"])
        )
        facets = api.action.package_search(
            rows=0, **{"facet.field": '["organization", "groups", "res_format", "tags"]'}
        )
        assert facets["search_facets"]["groups"]["items"]
        assert sum(i["count"] for i in facets["search_facets"]["organization"]["items"]) >= every
        assert facets["facets"]["groups"]["heal"] == heal
        for bad in (
            "name:x OR 1=1",  # OR across a field and words
            "organization:a OR groups:b",  # OR across fields
            "title:land",  # no such searchable field
            "metadata_modified:[NOW-1DAY TO *]",  # date math
        ):
            with pytest.raises(ckanapi.ValidationError):
                api.action.package_search(fq=bad)


def _search_like_ckanext_harvest(url: str, fq_terms: list[str]) -> list[dict]:
    """ckanext-harvest's CKAN harvester paging: GET package_search, rows=100, start+=100,
    sort=id asc, fq terms joined by spaces, until a page is empty."""
    params = {"rows": "100", "start": "0", "sort": "id asc"}
    if fq_terms:
        params["fq"] = " ".join(fq_terms)
    found: list[dict] = []
    while True:
        got = httpx.get(f"{url}/api/3/action/package_search?{urlencode(params)}")
        assert got.status_code == 200, got.text
        page = got.json()["result"]["results"]
        if not page:
            return found
        found += page
        params["start"] = str(int(params["start"]) + int(params["rows"]))


def test_ckanext_harvest_request_sequence_with_organisation_and_group_filters(live) -> None:
    with remote(live.url) as api:
        orgs = api.action.organization_list(all_fields=True)
        two = [o["name"] for o in sorted(orgs, key=lambda o: -o["package_count"])[:2]]
        expected = sum(o["package_count"] for o in orgs if o["name"] in two)
        heal = {p["id"] for p in api.action.package_search(fq="groups:heal", rows=100)["results"]}
    include = " OR ".join(f"organization:{n}" for n in two)
    got = _search_like_ckanext_harvest(live.url, [include])
    assert len(got) == expected and {p["organization"]["name"] for p in got} == set(two)
    ids = [p["id"] for p in got]
    assert ids == sorted(ids)
    # organisations excluded, groups included and excluded
    rest = _search_like_ckanext_harvest(live.url, [f"-organization:{n}" for n in two])
    assert len(rest) == DEMO_TOTAL - expected
    grouped = _search_like_ckanext_harvest(live.url, ["groups:heal"])
    assert {p["id"] for p in grouped} == heal
    assert len(_search_like_ckanext_harvest(live.url, ["-groups:heal"])) == DEMO_TOTAL - len(heal)
    # the incremental run: filters and the change time since the last job (minus an hour)
    since = "2000-01-01T00:00:00.000001Z"
    inc = _search_like_ckanext_harvest(
        live.url, [include, "groups:heal", f"metadata_modified:[{since} TO *]"]
    )
    assert {p["id"] for p in inc} == {p["id"] for p in got} & heal
    assert (
        _search_like_ckanext_harvest(live.url, ["metadata_modified:[2999-01-01T00:00:00Z TO *]"])
        == []
    )
    # the import stage asks for the remote organisations and groups it does not know
    for org in {p["owner_org"] for p in got}:
        shown = httpx.get(f"{live.url}/api/3/action/organization_show?id={org}").json()
        assert shown["success"] and shown["result"]["name"] == org
    for group in {g["id"] for p in grouped for g in p["groups"]}:
        shown = httpx.get(f"{live.url}/api/3/action/group_show?id={group}").json()
        assert shown["success"] and shown["result"]["id"] == group


PACKAGE = {
    "name": "air-quality-2024",
    "title": "Air quality 2024",
    "notes": "Hourly measurements of NO2 and PM10.",
    "tags": [{"name": "air"}, {"name": "pollution"}],
    "extras": [
        {"key": "modified", "value": "2024-06-01"},
        {
            "key": "theme",
            "value": '["http://publications.europa.eu/resource/authority/data-theme/ENVI"]',
        },
    ],
    "resources": [
        {
            "name": "Measurements",
            "url": "https://data.example.org/air.csv",
            "format": "http://publications.europa.eu/resource/authority/file-type/CSV",
            "mimetype": "text/csv",
        }
    ],
}


def test_ckanapi_writes_with_a_stewards_token(live) -> None:
    keys = tokens(live)
    with remote(live.url, keys["stew-a"]) as api:
        made = api.action.package_create(**PACKAGE)
        assert made["title"] == "Air quality 2024"
        assert made["organization"]["title"] == "Org A"
        assert api.action.package_show(id="air-quality-2024")["id"] == made["id"]
        assert made["resources"][0]["mimetype"] == "text/csv"
        with pytest.raises(ckanapi.ValidationError):
            api.action.package_create(**PACKAGE)  # the name is taken
        updated = api.action.package_update(**(PACKAGE | {"id": made["id"], "title": "Air 2024"}))
        assert updated["title"] == "Air 2024"
        patched = api.action.package_patch(id=made["id"], notes="Now with ozone.")
        assert patched["notes"] == "Now with ozone." and patched["title"] == "Air 2024"
        assert patched["metadata_modified"] > made["metadata_modified"]
        demo = next(n for n in api.action.package_list() if n != made["id"])
        with pytest.raises(ckanapi.NotAuthorized):
            api.action.package_patch(id=demo, notes="not mine")
    with remote(live.url, keys["stew-b"]) as other:
        with pytest.raises(ckanapi.NotAuthorized):
            other.action.package_patch(id=made["id"], notes="not yours")
        with pytest.raises(ckanapi.NotAuthorized):
            other.action.package_delete(id=made["id"])
    with remote(live.url, keys["dev"]) as dev, pytest.raises(ckanapi.NotAuthorized):
        dev.action.package_create(**(PACKAGE | {"name": "dev-data"}))
    with remote(live.url) as anonymous, pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.package_create(**(PACKAGE | {"name": "anon-data"}))
    with remote(live.url, "not-a-token") as bad, pytest.raises(ckanapi.NotAuthorized):
        bad.action.package_delete(id=made["id"])
    with remote(live.url, keys["stew-a"]) as api:
        api.action.package_delete(id=made["id"])
        with pytest.raises(ckanapi.NotFound):
            api.action.package_show(id=made["id"])
