"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CatalogueDep

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    status: str
    store: str
    datasets: int
    sources: int


@router.get("/health", operation_id="health", response_model=HealthPublic)
def health(catalogue: CatalogueDep) -> HealthPublic:
    """The catalogue answers and its store is readable."""
    return HealthPublic(
        status="ok",
        store=catalogue.store.name,
        datasets=catalogue.count(),
        sources=len(catalogue.sources()),
    )
