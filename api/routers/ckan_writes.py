"""CKAN's ``package_create``, ``package_update``, ``package_patch`` and ``package_delete``,
for stewards' existing ``ckanapi`` scripts.

The caller sends a token as CKAN clients do: ``Authorization: <token>`` (also ``Bearer
<token>`` or ``X-CKAN-API-Key``). A package is mapped to DCAT-AP by the same mapping the
CKAN connector uses (:mod:`catalog.federation.ckan_import`) and saved through the steward
pages' own path (:func:`api.web.steward_logic.save_document`): SHACL validation, the
publisher must be the steward's organisation, nodes of other sources are refused, and the
record lands in the steward's source. Update, patch and delete reach only records in the
caller's steward source (an administrator's: any steward source); harvested and loaded
records are the source's, not a steward's.

A package without a publisher gets the steward's organisation as publisher, like the
steward form. The new package's id is the catalogue's id of its IRI (the ``uri`` extra,
else ``<base IRI>/dataset/<name>``); ``package_show`` finds it by that name too.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
from fastapi import Request

from api.auth import Principal
from api.middleware.refusal import client_address
from api.services import Services
from api.web.steward_logic import may_change, require_steward, save_document
from catalog.errors import DatalabError, Forbidden, InvalidInput
from catalog.federation.ckan_actions import Context, Params
from catalog.federation.ckan_import import PackageMapper
from catalog.ids import dataset_id

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def principal(request: Request, services: Services) -> Principal:
    """The steward a CKAN client's token names; CKAN's 403 when there is none."""
    header = request.headers.get("authorization") or request.headers.get("x-ckan-api-key")
    if not header or not header.strip():
        raise Forbidden(
            "Authorization Error: send your API token in Authorization", where="Authorization"
        )
    scheme, _, rest = header.strip().partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" and rest.strip() else header.strip()
    try:
        user = services.accounts.authenticate(token)
    except DatalabError:
        services.throttle.failed(client_address(request.scope), header)
        raise Forbidden(
            "Authorization Error: the token is not valid", where="Authorization"
        ) from None
    return require_steward(Principal(user.name, user.role, user.organisation, user.factory))


def _iri(ctx: Context, pkg: dict[str, Any]) -> str:
    extras = PackageMapper.extras(pkg)
    uri = pkg.get("uri") or extras.get("uri")
    if isinstance(uri, str) and uri.startswith(("http://", "https://")):
        return uri
    name = pkg.get("name")
    if not isinstance(name, str) or not 2 <= len(name) <= 100 or set(name) - _NAME_CHARS:
        raise InvalidInput(
            "name must be 2 to 100 characters: lower-case letters, digits, - and _", where="name"
        )
    return f"{ctx.cat.settings.base_iri.rstrip('/')}/dataset/{name}"


def _turtle(ctx: Context, who: Principal, pkg: dict[str, Any], iri: str) -> str:
    """The package as a Turtle document, its publisher the steward's organisation when it
    names none."""
    pkg = dict(pkg)
    pkg["id"] = dataset_id(iri)
    pkg["uri"] = iri
    pkg.pop("metadata_modified", None)
    pkg.pop("metadata_created", None)
    extras = [e for e in pkg.get("extras") or [] if isinstance(e, dict) and e.get("key") != "uri"]
    pkg["extras"] = extras
    mapper = PackageMapper(ctx.cat.settings.base_iri.rstrip("/"))
    node, triples = mapper.map(pkg)
    publisher = ox.NamedNode("http://purl.org/dc/terms/publisher")
    if not any(t.predicate == publisher for t in triples):
        org = who.organisation or who.name or ""
        if org.startswith(("http://", "https://")):
            triples.append(ox.Triple(node, publisher, ox.NamedNode(org)))
        else:
            agent = ox.BlankNode()
            triples.append(ox.Triple(node, publisher, agent))
            triples.append(
                ox.Triple(
                    agent,
                    ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    ox.NamedNode("http://xmlns.com/foaf/0.1/Agent"),
                )
            )
            triples.append(
                ox.Triple(agent, ox.NamedNode("http://xmlns.com/foaf/0.1/name"), ox.Literal(org))
            )
    return bytes(ox.serialize(triples, format=ox.RdfFormat.TURTLE) or b"").decode("utf-8")


def _save(ctx: Context, who: Principal, pkg: dict[str, Any], iri: str) -> dict[str, Any]:
    review = save_document(ctx.cat, who, _turtle(ctx, who, pkg, iri), "turtle")
    problems = list(review.problems)
    if review.report is not None and not review.report.conforms:
        found = [f"{f.focus} {f.path}: {f.message}" for f in review.report.violations()[:20]]
        problems += found or ["the record does not conform to the DCAT-AP shapes"]
    if problems:
        ownership = [p for p in problems if "organisation" in p or "another source" in p]
        if ownership:
            raise Forbidden("Authorization Error: " + "; ".join(ownership), where="owner_org")
        raise InvalidInput("; ".join(problems)[:2000], where="package")
    return _show(ctx, dataset_id(iri))


def _show(ctx: Context, ident: str) -> dict[str, Any]:
    fresh = Context(ctx.cat, ctx.search)
    return fresh.package(fresh.find(ident))


def _own(ctx: Context, who: Principal, ref: str) -> Any:
    """The record ``ref`` names, if the caller may change it (else CKAN's 403)."""
    entry = ctx.find(ref)
    if not may_change(who, entry.source):
        raise Forbidden(
            f"Authorization Error: {entry.id} belongs to source {entry.source!r}; only records "
            "your organisation registered can be changed",
            where="id",
        )
    return entry


def _package(params: Params) -> dict[str, Any]:
    pkg = {k: v for k, v in params.items() if not k.startswith("__")}
    for key in ("extras", "resources", "tags", "groups"):
        if isinstance(pkg.get(key), str):
            try:
                pkg[key] = json.loads(pkg[key])
            except ValueError:
                raise InvalidInput(f"{key} must be JSON", where=key) from None
    return pkg


def package_create(ctx: Context, who: Principal, params: Params) -> Any:
    """Register a dataset (the steward's organisation publishes it)."""
    pkg = _package(params)
    iri = _iri(ctx, pkg)
    if dataset_id(iri) in ctx.names.entries:
        raise InvalidInput("That URL is already in use.", where="name")
    return _save(ctx, who, pkg, iri)


def package_update(ctx: Context, who: Principal, params: Params) -> Any:
    """Replace a dataset's record with the package given (by ``id`` or ``name``)."""
    pkg = _package(params)
    entry = _own(ctx, who, str(pkg.get("id") or pkg.get("name") or ""))
    return _save(ctx, who, pkg, entry.iri)


def package_patch(ctx: Context, who: Principal, params: Params) -> Any:
    """Change the fields given and keep the others."""
    patch = _package(params)
    entry = _own(ctx, who, str(patch.get("id") or patch.get("name") or ""))
    current = ctx.package(entry)
    current.update({k: v for k, v in patch.items() if k not in ("id", "name")})
    return _save(ctx, who, current, entry.iri)


def package_delete(ctx: Context, who: Principal, params: Params) -> Any:
    """Remove a dataset the steward's organisation registered."""
    entry = _own(ctx, who, str(params.get("id") or ""))
    ctx.cat.delete(entry.id)
    return None


WRITES = {f.__name__: f for f in (package_create, package_update, package_patch, package_delete)}
