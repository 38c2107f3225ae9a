"""Croissant for every caller, read by the real ``mlcroissant`` from a live instance.

Every demo dataset's document validates as anonymous, as a developer without a grant and
as a grant holder; a grant holder loads the records of a restricted sample by giving
mlcroissant the API token as the HTTP Basic password; the others cannot download it.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from catalog.accounts import Accounts, accounts_path
from catalog.demo import load_demo
from catalog.samples import SampleStore, Upload
from catalog.service import Catalogue
from catalog.settings import get_settings
from tests.api.federation.test_croissant import ROWS, write_sample
from tests.app_server import serving_as_cli

PUBLIC_ID = "land-cover-europe-2021-p7333jz2"
RESTRICTED_ID = "synthetic-ehr-fhir-u2otqddy"
NON_PUBLIC_ID = "cancer-registry-malopolska-y4q5s3dv"
SECRET = {"patient_code": ["P-001", "P-002", "P-003"], "hba1c": [41.5, 77.25, 52.0]}

# mlcroissant 1.1.1 calls DataFrame.reset_index(inplace=True), which pandas 3.1 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A served demo catalogue with three samples, and the callers' credentials."""
    from mlcroissant._src.core import constants

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(constants, "DOWNLOAD_PATH", tmp_path / "croissant-cache")
    settings = get_settings(home=tmp_path / "home", host="127.0.0.1", port=0, offers_index="off")
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        ids = [ref.id for ref in cat.datasets(limit=1000).items]
    store = SampleStore(settings)
    public = write_sample(tmp_path / "public.parquet", ROWS)
    secret = write_sample(tmp_path / "secret.parquet", SECRET)
    store.add(PUBLIC_ID, Upload(data=public), uploaded_by="t")
    for dataset_id in (RESTRICTED_ID, NON_PUBLIC_ID):
        store.add(dataset_id, Upload(data=secret), uploaded_by="t")
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("dev", "developer")
    accounts.add_user("granted", "developer")
    for dataset_id in (RESTRICTED_ID, NON_PUBLIC_ID):
        accounts.grant("granted", dataset_id)
    tokens = {"dev": accounts.issue_token("dev"), "granted": accounts.issue_token("granted")}
    with serving_as_cli(settings) as served:  # contentUrl names the port really bound
        yield {"url": served.public_url.rstrip("/"), "ids": ids, "tokens": tokens, "secret": secret}


def croissant(url: str, dataset_id: str, token: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.get(f"{url}/datasets/{dataset_id}/croissant", headers=headers)
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def test_every_document_validates_for_every_caller(live: dict[str, Any]) -> None:
    import mlcroissant as mlc

    secret_digest = hashlib.sha256(live["secret"]).hexdigest()
    callers = {"anonymous": None, "developer": live["tokens"]["dev"]}
    callers["grant holder"] = live["tokens"]["granted"]
    checked = 0
    for caller, token in callers.items():
        for dataset_id in live["ids"]:
            doc = croissant(live["url"], dataset_id, token)
            try:
                mlc.Dataset(jsonld=doc)  # raises mlc.ValidationError on any error
            except mlc.ValidationError as exc:
                pytest.fail(f"{dataset_id} as {caller}: {exc}")
            checked += 1
            if dataset_id in (RESTRICTED_ID, NON_PUBLIC_ID):
                (file_object,) = doc["distribution"]
                assert ("sha256" in file_object) == (caller == "grant holder")
                if caller != "grant holder":
                    assert secret_digest not in str(doc)
    assert checked == 3 * len(live["ids"]) > 100


def test_grant_holder_loads_restricted_records_with_basic_auth(
    live: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlcroissant as mlc

    url, tokens = live["url"], live["tokens"]
    # mlcroissant downloads contentUrl with requests and HTTP Basic auth from these variables
    monkeypatch.setenv("CROISSANT_BASIC_AUTH_USERNAME", "granted")
    monkeypatch.setenv("CROISSANT_BASIC_AUTH_PASSWORD", tokens["granted"])
    dataset = mlc.Dataset(jsonld=croissant(url, RESTRICTED_ID, tokens["granted"]))
    records = list(dataset.records(record_set="sample"))
    codes = sorted(rec["sample/patient_code"].decode() for rec in records)
    assert codes == SECRET["patient_code"]
    assert {rec["sample/hba1c"] for rec in records} == set(SECRET["hba1c"])


# mlcroissant leaves the refused download's response open: its socket is closed here
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("who", ["anonymous", "dev"])
def test_others_cannot_load_the_restricted_records(
    live: dict[str, Any], monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    import mlcroissant as mlc
    from mlcroissant._src.core.issues import GenerationError

    token = live["tokens"].get(who)
    if token:
        monkeypatch.setenv("CROISSANT_BASIC_AUTH_USERNAME", who)
        monkeypatch.setenv("CROISSANT_BASIC_AUTH_PASSWORD", token)
    dataset = mlc.Dataset(jsonld=croissant(live["url"], NON_PUBLIC_ID, token))
    with pytest.raises(GenerationError) as caught:
        list(dataset.records(record_set="sample"))
    refused = caught.value.__cause__
    assert isinstance(refused, requests.HTTPError)
    assert refused.response is not None and refused.response.status_code == 403
    refused.response.close()
    del caught, refused, dataset
    gc.collect()
