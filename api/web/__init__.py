"""The web pages: server-rendered HTML for developers, stewards and factory staff.

``router`` gathers every page router (all under ``/ui``); sessions and CSRF live in
:mod:`api.web.session`, rendering and security headers in :mod:`api.web.render`.
"""

from fastapi import APIRouter

from api.web import pages, requests_pages, staff_pages, steward_pages

router = APIRouter()
router.include_router(pages.router)
router.include_router(requests_pages.router)
router.include_router(steward_pages.router)
router.include_router(staff_pages.router)

__all__ = ["router"]
