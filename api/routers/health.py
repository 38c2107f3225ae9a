"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import ServicesDep

router = APIRouter(tags=["health"])


class SearchFeedPublic(BaseModel):
    """How far this replica's search index is behind the change feed."""

    position: int | None = Field(
        description="The feed position the index has applied (null: it follows no feed yet)"
    )
    head: int | None = Field(description="The feed's newest position (null: unreadable)")
    lag: int | None = Field(description="head - position: feed rows not applied yet")
    oldest_unapplied_s: float | None = Field(
        description="Age in seconds of the oldest feed row not applied yet (null: none)"
    )


class HealthPublic(BaseModel):
    status: str
    store: str
    datasets: int
    sources: int
    search: SearchFeedPublic


@router.get("/health", operation_id="health", response_model=HealthPublic)
def health(services: ServicesDep) -> HealthPublic:
    """The catalogue answers and its store is readable; the search index's feed lag."""
    catalogue = services.catalogue
    feed = services.search.feed_status()
    return HealthPublic(
        status="ok",
        store=catalogue.store.name,
        datasets=catalogue.count(),
        sources=len(catalogue.sources()),
        search=SearchFeedPublic(
            position=feed.position,
            head=feed.head,
            lag=feed.lag,
            oldest_unapplied_s=feed.oldest_unapplied_s,
        ),
    )
