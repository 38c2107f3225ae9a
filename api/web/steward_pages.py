"""Steward pages: register or update datasets, review validation first, attach samples."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.deps import CatalogueDep, SamplesDep, ServicesDep, SettingsDep, get_samples
from api.services import Services
from api.web.render import WebRoute, render
from api.web.requests_pages import signed_in
from api.web.session import checked_form
from api.web.steward_logic import (
    ACCESS,
    CHOICE_LABELS,
    FILE_TYPES,
    FORMATS,
    LANGUAGES,
    LICENCES,
    THEMES,
    check_document,
    check_form,
    document_from_form,
    form_fields,
    form_findings,
    organisation_name,
    publisher_of,
    require_steward,
    save_document,
    sent_form,
    steward_datasets,
)
from api.web.synthetic_pages import synthetic_states
from catalog.errors import DatalabError, Forbidden, InvalidInput, LimitExceeded, NotFound
from catalog.harvest.sources import owner_key
from catalog.quality import mean_report
from catalog.quality.cache import cached_source_quality
from catalog.samples import Upload
from catalog.samples.store import samples_root
from catalog.settings import Settings

router = APIRouter(prefix="/ui/steward", route_class=WebRoute, include_in_schema=False)
#: How long the overview waits for a source's SHACL outcome that is not cached yet; past
#: it the page shows conformance as being checked (it runs on in the background).
CONFORMANCE_WAIT_S = 0.15
CHOICES = {
    "formats": FORMATS,
    "licences": LICENCES,
    "access": ACCESS,
    "themes": THEMES,
    "languages": LANGUAGES,
    "file_types": FILE_TYPES,
    "labels": CHOICE_LABELS,
}


def _overview(
    request: Request,
    services: Services,
    *,
    status: int = 200,
    message: str | None = None,
    error: str | None = None,
    sample_errors: dict[str, str] | None = None,
    sample_dataset: str = "",
    form_values: dict[str, object] | None = None,
    form_errors: dict[str, str] | None = None,
) -> Response:
    principal = require_steward(signed_in(request))
    cat = services.catalogue
    mine = steward_datasets(cat, principal)
    store = get_samples(services).store
    sampled = {d["id"] for d in mine if store.has_sample(d["id"])}
    reports = {}
    by_source: dict[str, set[str]] = {}
    for d in mine:
        by_source.setdefault(d["source"], set()).add(d["id"])
    shacl = services.conformance
    checking = False
    for source, ids in by_source.items():  # one store read (and SHACL run) per source
        conforms = shacl.source_soon(source, CONFORMANCE_WAIT_S)
        checking = checking or conforms is None
        _, per = cached_source_quality(cat, source, sampled, ids, conforms)
        reports.update(per)
    overall = mean_report("organisation", reports.values()).to_dict()
    owner = owner_key(principal.role, principal.organisation, principal.factory)
    registry = services.harvest_sources
    sources = registry.list() if principal.role == "admin" else registry.list(owner or "-")
    mine_names = {s.name for s in sources} | set(by_source)
    # each source's own jobs (one small query each), not every job of the catalogue
    jobs = [j for name in sorted(mine_names) for j in services.harvest_jobs.list(name, limit=50)]
    jobs = sorted(jobs, key=lambda j: j.id, reverse=True)[:50]  # newest first, as before
    return render(
        request,
        "steward.html",
        status,
        datasets=mine,
        sampled=sampled,
        reports={k: v.to_dict() for k, v in reports.items()},
        overall=overall,
        jobs=jobs,
        sources=sources,
        choices=CHOICES,
        message=message,
        error=error,
        checking=checking,
        sample_errors=sample_errors or {},
        sample_dataset=sample_dataset,
        f=form_fields(principal, form_values, organisation_name(cat, publisher_of(principal))),
        form_errors=form_errors or {},
        synthetic=synthetic_states(services, mine),
    )


def overview_page(
    request: Request,
    services: Services,
    *,
    status: int = 200,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    """The steward page, with a ``message`` or an ``error`` (for the pages' other forms)."""
    return _overview(request, services, status=status, message=message, error=error)


@router.get("", operation_id="web_steward")
def overview(request: Request, services: ServicesDep) -> Response:
    return _overview(request, services)


async def _document(request: Request, settings: Settings) -> tuple[str, str, dict[str, str]]:
    form = await checked_form(request, settings.web_form_max_bytes)
    fmt = str(form.get("format") or "turtle")
    try:
        upload = form.get("file")
        text = str(form.get("document") or "")
        if isinstance(upload, UploadFile) and upload.filename:
            raw = await upload.read(settings.web_form_max_bytes + 1)
            if len(raw) > settings.web_form_max_bytes:
                raise LimitExceeded("the document is too large", where="file")
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InvalidInput("the document is not UTF-8 text", where="file") from None
    finally:
        await form.close()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    return text, fmt, fields


@router.post("/validate", operation_id="web_steward_validate")
async def validate(request: Request, cat: CatalogueDep, settings: SettingsDep) -> Response:
    principal = require_steward(signed_in(request))
    text, fmt, _ = await _document(request, settings)
    review = await run_in_threadpool(check_document, cat, principal, text, fmt)
    return render(
        request, "steward_review.html", 200 if review.ok else 422, review=review, choices=CHOICES
    )


@router.post("/form", operation_id="web_steward_form")
async def from_form(request: Request, services: ServicesDep) -> Response:
    """Build a DCAT-AP record from the form and validate it: problems (the form's own checks,
    then SHACL's findings mapped to the fields) re-render the form (422) with every value
    kept; a conforming record is shown in words, its Turtle only on request, ready to save."""
    principal = require_steward(signed_in(request))
    cat = services.catalogue
    form = await checked_form(request, services.settings.web_form_max_bytes)
    values = sent_form(form)
    await form.close()
    if form.get("edit"):  # back from the review to change something
        return _overview(request, services, form_values=values)
    errors = check_form(values)
    if errors:
        return _overview(request, services, status=422, form_values=values, form_errors=errors)
    text, iri = document_from_form(cat, principal, values)
    review = await run_in_threadpool(check_document, cat, principal, text, "turtle")
    if not review.ok:
        found = form_findings(review)
        return _overview(request, services, status=422, form_values=values, form_errors=found)
    return render(
        request,
        "steward_form_review.html",
        review=review,
        f=form_fields(principal, values, organisation_name(cat, publisher_of(principal))),
        iri=iri,
        choices=CHOICES,
    )


@router.post("/save", operation_id="web_steward_save")
async def save(request: Request, services: ServicesDep) -> Response:
    principal = require_steward(signed_in(request))
    text, fmt, _ = await _document(request, services.settings)
    cat = services.catalogue
    services.search.get()  # open the search index now, so the publish updates it
    review = await run_in_threadpool(save_document, cat, principal, text, fmt)
    status = 201 if review.saved else 422
    return render(request, "steward_review.html", status, review=review, choices=CHOICES)


def _sample_problem(exc: DatalabError) -> dict[str, str]:
    """Where a refused sample's problem is shown: at the dataset, or at the file."""
    field = "dataset_id" if exc.where in ("dataset_id", "dataset") else "file"
    message = exc.message
    if isinstance(exc, LimitExceeded) and "limit" not in message:
        message += " (the file is too big)"
    return {field: message}


@router.post("/sample", operation_id="web_steward_sample")
async def attach_sample(request: Request, services: ServicesDep, service: SamplesDep) -> Response:
    """Attach a sample; a refused file re-renders the page (422) with the problem at the
    file field and the chosen dataset kept, never an error page."""
    principal = require_steward(signed_in(request))
    settings = services.settings
    dataset_id = ""
    try:
        form = await checked_form(request, settings.sample_max_upload_bytes)
    except LimitExceeded as exc:
        problem = f"{exc.message}: choose a smaller Parquet or CSV file"
        return _overview(request, services, status=413, sample_errors={"file": problem})
    try:
        dataset_id = str(form.get("dataset_id") or "")
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("choose a Parquet or CSV file to upload", where="file")
        await run_in_threadpool(service.authorize_upload, principal, dataset_id)
        staging = samples_root(settings) / ".staging"
        staging.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=staging, prefix="web-")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as fh:
                while chunk := await upload.read(1024**2):
                    fh.write(chunk)
            item = Upload(path=path, media_type=upload.content_type, filename=upload.filename)
            meta = await run_in_threadpool(service.upload, principal, dataset_id, item)
        finally:
            path.unlink(missing_ok=True)
    except (InvalidInput, Forbidden, NotFound) as exc:
        status = exc.status if exc.status in (403, 404, 413) else 422
        errors = _sample_problem(exc)
        return _overview(
            request, services, status=status, sample_errors=errors, sample_dataset=dataset_id
        )
    finally:
        await form.close()
    search = services.search.get()
    await run_in_threadpool(search.refresh, [dataset_id])
    message = f"Sample attached to {dataset_id}: {meta['rows']} rows."
    return _overview(request, services, message=message, sample_dataset=dataset_id)
