"""Route kinds of the JSON API (the pages' kind is :class:`api.web.render.WebRoute`)."""

from __future__ import annotations

from api.errors import HeaderRoute

#: Responses depend on who asks: never shared by caches, never stored for restricted data.
PRIVATE = {"Cache-Control": "private, no-store", "Vary": "Authorization"}


class PrivateRoute(HeaderRoute):
    """Every answer of these routes, errors included, is marked private and not storable."""

    headers = PRIVATE
