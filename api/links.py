"""Absolute links in responses, always on the configured ``public_url``.

Never from the request's ``Host`` header (or ``request.base_url`` and ``request.url_for``,
which read it): a forged Host would otherwise be reflected into ``next`` links, dataset
links and page metadata that caches and other catalogues keep.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.deps import get_services


def public_base(request: Request) -> str:
    """``public_url`` without its trailing slash."""
    return str(get_services(request).settings.public_url).rstrip("/")


def public_url_for(request: Request, name: str, /, **path_params: Any) -> str:
    """The public URL of the route named ``name`` (what ``request.url_for`` should give)."""
    return public_base(request) + str(request.app.url_path_for(name, **path_params))


def public_path(request: Request, path: str) -> str:
    """The public URL of ``path`` (an absolute path on this catalogue)."""
    return public_base(request) + path


def this_url(request: Request, **params: Any) -> str:
    """The public URL of this request's path and query, with ``params`` set."""
    url = request.url.include_query_params(**params)
    return public_base(request) + url.path + (f"?{url.query}" if url.query else "")
