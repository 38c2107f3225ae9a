"""AI factories and antennas (read only: the registry is the project's own data)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CatalogueDep
from catalog.labs import ensure_registry, get_factory, list_factories, list_labs

router = APIRouter(tags=["factories"])


@router.get("/factories", operation_id="list_factories")
def factories(
    catalogue: CatalogueDep,
    kind: Annotated[str | None, Query(description="factory or antenna")] = None,
) -> dict[str, Any]:
    """Every EuroHPC AI Factory and antenna."""
    ensure_registry(catalogue)
    items = [f.to_dict() for f in list_factories(catalogue, kind)]
    return {"items": items, "count": len(items)}


@router.get("/factories/{factory_id}", operation_id="get_factory")
def factory(factory_id: str, catalogue: CatalogueDep) -> dict[str, Any]:
    """One factory with its data labs."""
    ensure_registry(catalogue)
    f = get_factory(catalogue, factory_id)
    return {**f.to_dict(), "labs": [lab.to_dict() for lab in list_labs(catalogue, f.id)]}
