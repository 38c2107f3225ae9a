"""Every page router, under ``/ui``."""

from fastapi import APIRouter

from api.web import (
    account_pages,
    basket_pages,
    pages,
    requests_pages,
    staff_pages,
    steward_pages,
    synthetic_pages,
)

router = APIRouter()
router.include_router(pages.router)
router.include_router(account_pages.router)
router.include_router(requests_pages.router)
router.include_router(steward_pages.router)
router.include_router(staff_pages.router)
router.include_router(basket_pages.router)
router.include_router(synthetic_pages.router)

__all__ = ["router"]
