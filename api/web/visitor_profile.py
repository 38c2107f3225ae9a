"""The visitor's profile (organisation type, country, purpose), remembered across pages.

A visitor states it once, in the form of a dataset page (*Check my terms*); it is kept in a
cookie (``datalab_profile``: HttpOnly, SameSite=Lax, a year) so every dataset page answers
for it. The form's query parameters override and update it; an empty form forgets it. The
cookie's value is read back through :meth:`RequesterProfile.parse`, the one validation of
a profile, so a tampered cookie gives no profile, never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from fastapi import Request, Response

from api.deps import get_services
from catalog.errors import InvalidInput
from catalog.offers import RequesterProfile
from catalog.offers.profiles import FORM_ORG_TYPES

COOKIE = "datalab_profile"
MAX_AGE = 365 * 24 * 3600
FIELDS = ("org_type", "country", "purpose")
#: The canonical organisation type -> the form's value for it.
_FORM_VALUE = {canonical: key for key, canonical in FORM_ORG_TYPES.items()}


@dataclass
class VisitorProfile:
    """What the page shows and does with the visitor's profile."""

    profile: RequesterProfile | None
    #: the form's values (as submitted, or as remembered), so the form keeps them
    form: dict[str, str] = field(default_factory=lambda: dict.fromkeys(FIELDS, ""))
    error: str | None = None
    #: the cookie to store (``""``: forget it; ``None``: leave it as it is)
    store: str | None = None


def _form_values(profile: RequesterProfile | None) -> dict[str, str]:
    if profile is None:
        return dict.fromkeys(FIELDS, "")
    return {
        "org_type": _FORM_VALUE.get(profile.org_type or "", profile.org_type or ""),
        "country": profile.country or "",
        "purpose": profile.purpose.key if profile.purpose else "",
    }


def _parse(values: dict[str, str]) -> RequesterProfile | None:
    return RequesterProfile.parse(
        values.get("org_type") or None, values.get("country") or None, values.get("purpose") or None
    )


def visitor_profile(request: Request) -> VisitorProfile:
    """The profile this page answers for: the form's, when it was submitted (and valid),
    else the remembered one."""
    q = request.query_params
    if any(name in q for name in FIELDS):
        submitted = {name: (q.get(name) or "").strip()[:100] for name in FIELDS}
        try:
            profile = _parse(submitted)
        except InvalidInput as exc:
            return VisitorProfile(None, submitted, exc.message)
        stored = urlencode(profile.to_dict()) if profile else ""
        return VisitorProfile(profile, _form_values(profile) | _kept(submitted), None, stored)
    raw = request.cookies.get(COOKIE)
    if not raw:
        return VisitorProfile(None)
    values = {k: v[0] for k, v in parse_qs(raw[:1000]).items() if k in FIELDS and v}
    try:
        profile = _parse(values)
    except InvalidInput:
        return VisitorProfile(None, store="")  # not a profile: forget it
    return VisitorProfile(profile, _form_values(profile))


def _kept(submitted: dict[str, str]) -> dict[str, str]:
    """Submitted values the form offers as typed (an org type alias stays as chosen)."""
    return {k: v for k, v in submitted.items() if k == "org_type" and v in FORM_ORG_TYPES}


def remember(request: Request, response: Response, visitor: VisitorProfile) -> None:
    """Store (or forget) the profile in the visitor's browser, as ``visitor`` says."""
    if visitor.store is None:
        return
    secure = get_services(request).settings.web_cookie_secure
    if visitor.store == "":
        response.delete_cookie(COOKIE, path="/ui", secure=secure, httponly=True, samesite="lax")
        return
    response.set_cookie(
        COOKIE,
        visitor.store,
        max_age=MAX_AGE,
        path="/ui",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
