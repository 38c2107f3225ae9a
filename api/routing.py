"""Route kinds of the JSON API (the pages' kind is :class:`api.web.render.WebRoute`)."""

from __future__ import annotations

from api.errors import HeaderRoute

#: Responses depend on who asks: never shared by caches, never stored for restricted data.
PRIVATE = {"Cache-Control": "private, no-store", "Vary": "Authorization"}


class PrivateRoute(HeaderRoute):
    """Every answer of these routes, errors included, is marked private and not storable."""

    headers = PRIVATE


#: Cross-origin reads: public data that any web page may query (no credentials).
CORS_READ = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "*"}


class CorsReadRoute(HeaderRoute):
    """Public, read-only routes that browsers on other origins may call: every answer,
    errors included, carries ``Access-Control-Allow-Origin: *`` (never with credentials:
    these routes answer the same to everyone)."""

    headers = CORS_READ
