"""POSTs of one JSON body through the shared fetcher, with every cap and SSRF check of it.

The fetcher speaks GET; :class:`JsonPoster` is the httpx client it is given instead of its
own (pinned to the checked address, no redirects followed by httpx, no proxy settings from
the environment), which sends each request the fetcher builds as a POST of the body. Used by
the DSP connector (a ``CatalogRequestMessage`` per page), by the Dataspace Protocol
courier (messages to consumers' callbacks) and, with a form body, by single sign-on
(:func:`post_form` to an OpenID Connect provider's token endpoint).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from catalog.outbound.fetcher import Fetcher, FetchResult
from catalog.outbound.ssrf import PinnedTransport
from catalog.settings import Settings

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class JsonPoster(httpx.Client):
    """An httpx client (pinned, no redirects, no environment) that turns the fetcher's GETs
    into POSTs of ``body`` as ``media_type`` (``application/json`` unless told)."""

    def __init__(self, body: bytes, media_type: str = JSON) -> None:
        super().__init__(transport=PinnedTransport(), trust_env=False, follow_redirects=False)
        self._body = body
        self._media_type = media_type

    def build_request(self, method: str, url: Any, **kwargs: Any) -> httpx.Request:
        headers = dict(kwargs.pop("headers", None) or {})
        headers["Content-Type"] = self._media_type
        return super().build_request("POST", url, content=self._body, headers=headers, **kwargs)


def post_json(
    settings: Settings,
    url: str,
    message: Any,
    *,
    accept: str = JSON,
    headers: Mapping[str, str] | None = None,
) -> FetchResult:
    """POST ``message`` as JSON to ``url`` within the fetcher's bounds; its 2xx answer, or a
    :class:`~catalog.errors.FetchError` (refused, unreachable, an error status)."""
    client = JsonPoster(json.dumps(message).encode("utf-8"))
    try:
        with Fetcher(settings, client=client) as fetcher:
            return fetcher.get(url, accept=accept, headers=headers)
    finally:
        client.close()


def post_form(
    settings: Settings,
    url: str,
    fields: Mapping[str, str],
    *,
    accept: str = JSON,
    headers: Mapping[str, str] | None = None,
) -> FetchResult:
    """POST ``fields`` as an HTML form body to ``url`` within the fetcher's bounds; its 2xx
    answer, or a :class:`~catalog.errors.FetchError`."""
    client = JsonPoster(urlencode(fields).encode("ascii"), FORM)
    try:
        with Fetcher(settings, client=client) as fetcher:
            return fetcher.get(url, accept=accept, headers=headers)
    finally:
        client.close()
