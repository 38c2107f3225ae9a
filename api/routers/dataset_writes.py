"""Stewards' scripts write records: ``POST /datasets``, ``PUT`` and ``DELETE /datasets/{id}``.

The body is a DCAT-AP document in Turtle, JSON-LD or RDF/XML (by ``Content-Type``). It goes
through the steward pages' own path (:func:`api.web.steward_logic.save_document`): the same
SHACL report, the same ownership rules (the publisher must be the steward's organisation; a
dataset another organisation or source holds is refused), stored in the steward's source.
Nothing is stored when anything is wrong: violations answer ``422 validation_failed`` with
the report in ``details``, ownership ``403``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.auth import Principal, PrincipalDep
from api.deps import CatalogueDep, SettingsDep
from api.links import public_url_for
from api.web.steward_logic import (
    Review,
    check_document,
    may_change,
    require_steward,
    save_document,
)
from catalog.errors import (
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    UnsupportedFormat,
    ValidationFailed,
)
from catalog.service import Catalogue
from catalog.settings import Settings

router = APIRouter(tags=["datasets"])

#: The media types a record may be sent in, and the steward path's format names.
FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "xml",
}


async def _document(request: Request, settings: Settings) -> tuple[str, str]:
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    fmt = FORMATS.get(media)
    if fmt is None:
        raise UnsupportedFormat(
            f"send the record as {', '.join(FORMATS)} (Content-Type was {media or 'missing'})",
            where="Content-Type",
        )
    body = await request.body()
    if len(body) > settings.max_document_bytes:
        raise PayloadTooLarge(
            f"the record passes {settings.max_document_bytes} bytes (DATALAB_MAX_DOCUMENT_BYTES)",
            where="body",
        )
    try:
        return body.decode("utf-8"), fmt
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the body is not UTF-8 (byte {exc.start})", where="body") from None


def _saved(review: Review) -> Review:
    """``review`` when it stored something; else the error saying why."""
    ownership = [p for p in review.problems if "organisation" in p or "source" in p]
    if ownership:
        raise Forbidden("; ".join(ownership), where="publisher")
    if review.problems:
        raise InvalidInput("; ".join(review.problems)[:2000], where="body")
    if review.report is not None and not review.report.conforms:
        raise ValidationFailed(
            "the record does not conform to the DCAT-AP shapes; nothing was stored",
            where="body",
            details=review.report.to_dict(),
        )
    return review


def _own(cat: Catalogue, who: Principal, dataset_id: str) -> str:
    """The IRI of ``dataset_id`` when the caller's organisation registered it."""
    ref = cat.find(dataset_id)
    if not may_change(who, ref.source):
        raise Forbidden(
            f"{ref.id} belongs to source {ref.source!r}; only records your organisation "
            "registered can be changed",
            where="dataset_id",
        )
    return ref.iri


def _body(review: Review) -> dict[str, Any]:
    report = review.report.to_dict() if review.report is not None else None
    return {"saved": review.saved, "datasets": review.datasets, "report": report}


@router.post("/datasets", operation_id="create_datasets", status_code=201)
async def create_datasets(
    request: Request, catalogue: CatalogueDep, settings: SettingsDep, principal: PrincipalDep
) -> JSONResponse:
    """Register the datasets a DCAT-AP document describes (stewards and admins)."""
    who = require_steward(principal)
    text, fmt = await _document(request, settings)
    review = _saved(await run_in_threadpool(save_document, catalogue, who, text, fmt))
    headers = {}
    if review.saved:
        headers["Location"] = public_url_for(request, "get_dataset", dataset_id=review.saved[0])
    return JSONResponse(_body(review), status_code=201, headers=headers)


@router.put("/datasets/{dataset_id}", operation_id="replace_dataset")
async def replace_dataset(
    dataset_id: str,
    request: Request,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> JSONResponse:
    """Replace a record the caller's organisation registered; the document must describe
    that dataset (its IRI) and nothing another organisation holds."""
    who = require_steward(principal)
    iri = await run_in_threadpool(_own, catalogue, who, dataset_id)
    text, fmt = await _document(request, settings)
    checked = await run_in_threadpool(check_document, catalogue, who, text, fmt)
    if iri not in checked.datasets and not checked.problems:
        raise InvalidInput(f"the document does not describe <{iri}>", where="body")
    review = _saved(await run_in_threadpool(save_document, catalogue, who, text, fmt))
    return JSONResponse(_body(review))


@router.delete("/datasets/{dataset_id}", operation_id="delete_dataset", status_code=204)
async def delete_dataset(
    dataset_id: str, catalogue: CatalogueDep, principal: PrincipalDep
) -> Response:
    """Remove a record the caller's organisation registered."""
    who = require_steward(principal)
    await run_in_threadpool(_own, catalogue, who, dataset_id)
    await run_in_threadpool(catalogue.delete, dataset_id)
    return Response(status_code=204)
