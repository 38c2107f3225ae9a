"""Every JSON endpoint, walked from the OpenAPI spec, answers bad input with the one error body.

For each operation: a bad id in every path parameter, a malformed value in every typed
query parameter, a malformed body, and a bogus bearer token. Each must be a 4xx (never a
500) with ``{"error": {"code", "message", "where", "details"}}``.

Two federation protocols mandate their own error messages, and their clients parse them:
the Dataspace Protocol (``CatalogError``, ``ContractNegotiationError``, ``TransferError``)
and the CKAN action API (``success: false``).
Those paths may answer in their protocol's shape instead (parameter errors caught by
FastAPI before the router runs still use the common body); still 4xx, never 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import Settings

BAD_ID = "no-such-thing-7f3a"
HOSTILE_ID = "..%2F..%2Fetc%2Fpasswd"
BAD_VALUES = {"integer": "not-a-number", "number": "NaNx", "boolean": "maybe"}
WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from catalog.settings import get_settings

    settings: Settings = get_settings(home=tmp_path_factory.mktemp("error-shape"))
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        load_registry(cat)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.app.openapi()
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _fill(path: str, value: str) -> str:
    out = path
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        out = out[:start] + value + out[end + 1 :]
    return out


DSP_ERRORS = {"CatalogError", "ContractNegotiationError", "TransferError"}


def _dsp_shape(body: Any) -> bool:
    return isinstance(body, dict) and body.get("@type") in DSP_ERRORS and "code" in body


def _ckan_shape(body: Any) -> bool:
    err = body.get("error") if isinstance(body, dict) else None
    return body.get("success") is False and isinstance(err, dict) and "message" in err


#: Path prefix -> the protocol's own error shape.
PROTOCOL_SHAPES = {"/dsp/": _dsp_shape, "/api/3/action/": _ckan_shape}


def _problem(r: Any, what: str, *, success_ok: bool = False) -> str | None:
    if success_ok and r.status_code < 400:
        return None
    if not 400 <= r.status_code < 500:
        return f"{what}: status {r.status_code}"
    try:
        body = r.json()
    except ValueError:
        return f"{what}: {r.status_code} without a JSON body ({r.headers.get('content-type')})"
    url = what.split(" ", 1)[1]
    for prefix, shaped in PROTOCOL_SHAPES.items():
        if url.startswith(prefix) and shaped(body):
            return None  # FastAPI's own parameter checks there still give the common body
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict) or set(err) != {"code", "message", "where", "details"}:
        return f"{what}: body is not the common error shape: {str(body)[:200]}"
    if not isinstance(err["code"], str) or not isinstance(err["message"], str):
        return f"{what}: code and message must be strings: {err}"
    return None


def _check(
    client: TestClient, cases: list[tuple[str, str, dict[str, Any]]], *, success_ok: bool = False
) -> None:
    problems = []
    for method, url, kwargs in cases:
        r = client.request(method, url, **kwargs)
        problem = _problem(r, f"{method.upper()} {url}", success_ok=success_ok)
        if problem:
            problems.append(problem)
    assert not problems, "\n".join(problems)


def test_bad_ids_in_path_parameters(client: TestClient) -> None:
    cases = []
    for path, method, _ in _operations(client):
        if "{" not in path:
            continue
        for value in (BAD_ID, HOSTILE_ID):
            kwargs: dict[str, Any] = {}
            if method in {"post", "put", "patch"}:
                kwargs["json"] = {}
            cases.append((method, _fill(path, value), kwargs))
    assert len(cases) > 20, "the spec lists the API's parametrised routes"
    _check(client, cases)


def test_malformed_typed_query_parameters(client: TestClient) -> None:
    cases = []
    for path, method, op in _operations(client):
        for param in op.get("parameters", []):
            if param.get("in") != "query":
                continue
            schema = param.get("schema", {})
            types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            bad = next((BAD_VALUES[t] for t in types if t in BAD_VALUES), None)
            if bad is None:
                continue
            url = _fill(path, BAD_ID)
            cases.append((method, url, {"params": {param["name"]: bad}}))
    assert cases, "some operations take typed query parameters"
    _check(client, cases)


def test_malformed_bodies_on_writes(client: TestClient) -> None:
    cases = []
    for path, method, op in _operations(client):
        if "requestBody" not in op:
            continue
        headers = {"Content-Type": "application/json"}
        cases.append((method, _fill(path, BAD_ID), {"content": b"{not json", "headers": headers}))
    assert cases, "some operations take a request body"
    _check(client, cases)


def test_bogus_tokens_are_401_wherever_a_token_is_read(client: TestClient) -> None:
    """A bad token is never silently anonymous: 401 where read; public reads may ignore it."""
    cases = []
    headers = {"Authorization": "Bearer dlt_bogus_token"}
    for path, method, _ in _operations(client):
        kwargs: dict[str, Any] = {"headers": headers}
        if method in {"post", "put", "patch"}:
            kwargs["json"] = {}
        cases.append((method, _fill(path, BAD_ID), kwargs))
    _check(client, cases, success_ok=True)
    for path in ("/access-requests", "/sources"):
        r = client.post(path, headers=headers, json={})
        assert r.status_code == 401, path
        assert r.json()["error"]["code"] == "unauthorized"


#: Writes open to anonymous callers on purpose: an anonymous training basket, whose
#: unguessable id is its key (catalog/baskets/model.py).
ANONYMOUS_WRITES = {("post", "/baskets")}


def test_writes_without_a_token_are_refused(client: TestClient) -> None:
    cases = []
    for path, method, _ in _operations(client):
        if (method, path) in ANONYMOUS_WRITES:
            continue
        if method in WRITES and not path.startswith(tuple(PROTOCOL_SHAPES)):
            cases.append((method, _fill(path, BAD_ID), {"json": {}}))
    assert cases
    _check(client, cases)
