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
    origin: str | None = Field(
        description="Where this replica's index came from when opened: 'existing' (its own "
        "file), 'build' (built from the graph) or 'snapshot' (restored from the object "
        "storage, then caught up from the feed); null: not opened yet"
    )
    snapshot_position: int | None = Field(
        description="The feed position of the snapshot the index was restored from (null: "
        "not restored from a snapshot)"
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
    origin, snapshot_position = services.search.origin()
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
            origin=origin,
            snapshot_position=snapshot_position,
        ),
    )
