"""Signing in and out, and one's own account: password or API token, single sign-on
through the factory's OpenID Connect provider, and the password change.

Every sign-in returns to the page the person came from (``next``, checked by
:func:`api.web.session.local_next`); for single sign-on it is kept server-side with the
state (:mod:`catalog.oidc.logins`). The provider's callback ends on a small page that moves
on to ``next`` by itself: the session cookie is SameSite=Strict, and a browser sends it
only on a navigation this site started, not on the redirect chain that began at the
provider.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import AccountsDep, ServicesDep
from api.services import Services
from api.web.render import CSP, WebRoute, render
from api.web.requests_pages import signed_in
from api.web.session import (
    HOME,
    checked_form,
    end_other_sessions,
    end_session,
    failed_sign_in,
    finish,
    local_next,
    refuse_if_throttled,
    sign_in,
    start_session,
)
from catalog.accounts import ROLES, Accounts, User
from catalog.errors import DatalabError, InvalidInput, NotFound, Unauthorized
from catalog.oidc import CALLBACK_PATH, OidcClient, SignedOn

router = APIRouter(prefix="/ui", route_class=WebRoute, include_in_schema=False)

#: The cookie binding a started single sign-on to the browser that started it. SameSite=Lax
#: (not Strict): the provider's redirect back is a cross-site navigation that must carry it.
OIDC_COOKIE = "datalab_oidc"
_OIDC_COOKIE_PATH = "/ui/login/oidc"


def _oidc(services: Services) -> OidcClient:
    if services.oidc is None:
        raise NotFound("single sign-on is not set up on this catalogue", where="path")
    return services.oidc


def _login_page(
    request: Request, services: Services, status: int = 200, **context: Any
) -> Response:
    shown = {"next": HOME, "failed": None, "name": "", "via_token": False}
    shown.update(context)
    oidc_name = services.settings.oidc_name if services.oidc is not None else None
    response = render(request, "login.html", status, oidc_name=oidc_name, **shown)
    if services.oidc is not None:
        # browsers hold a form's redirects to form-action too: the provider's origin is one
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(services.oidc.issuer))
        policy = CSP.replace("form-action 'self'", f"form-action 'self' {origin}")
        response.headers["Content-Security-Policy"] = policy
    return response


@router.get("/login", operation_id="web_login_form")
def login_form(request: Request, services: ServicesDep, next: str = HOME) -> Response:
    return _login_page(request, services, next=local_next(next))


@router.post("/login", operation_id="web_login")
async def login(request: Request, services: ServicesDep) -> Response:
    form = await checked_form(request)
    refuse_if_throttled(request)  # before any credential is looked at
    name = str(form.get("user") or "").strip()
    target = local_next(form.get("next"))
    via_token = "token" in form
    try:
        if via_token:
            user = sign_in(request, name, token=str(form.get("token") or "").strip())
        else:
            user = sign_in(request, name, password=str(form.get("password") or ""))
    except DatalabError:
        detail = {"via": "token" if via_token else "password"}
        services.accounts.audit(name[:200] or None, "web.login", None, "denied", detail)
        failed = "token" if via_token else "password"
        return _login_page(
            request, services, 401, next=target, failed=failed, name=name, via_token=via_token
        )
    via = {"via": "token" if via_token else "password"}
    services.accounts.audit(user.name, "web.login", None, "ok", via)
    response = RedirectResponse(target, status_code=303)
    start_session(request, response, user.name)
    return response


@router.post("/logout", operation_id="web_logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    response = RedirectResponse(HOME, status_code=303)
    end_session(request, response)
    return finish(request, response)


# -- one's own account: the password change -------------------------------------------------


def _account_page(
    request: Request,
    accounts: Accounts,
    user: User,
    status: int = 200,
    **context: Any,
) -> Response:
    shown: dict[str, Any] = {"errors": {}, "values": {}, "changed": False, "ended": 0}
    shown.update(context)
    return render(
        request,
        "account.html",
        status,
        user=user,
        has_password=accounts.has_password(user.name),
        min_chars=accounts.policy.min_chars,
        **shown,
    )


@router.get("/account", operation_id="web_account")
def account(request: Request, accounts: AccountsDep) -> Response:
    me = signed_in(request)
    return _account_page(request, accounts, accounts.user(str(me.name)))


@router.post("/account", operation_id="web_account_password")
async def change_password(request: Request, accounts: AccountsDep) -> Response:
    """Change one's password: the current one (when there is one), the new one twice.
    Every other browser signed in as the user is signed out."""
    me = signed_in(request)
    form = await checked_form(request)
    refuse_if_throttled(request)
    user = accounts.user(str(me.name))
    values = {k: str(form.get(k) or "") for k in ("current", "new", "repeat")}
    errors: dict[str, str] = {}
    if not values["new"]:
        errors["new"] = "enter the new password"
    elif values["new"] != values["repeat"]:
        errors["repeat"] = "the two new passwords differ"
    else:
        current = values["current"] if accounts.has_password(user.name) else None
        try:
            accounts.set_password(user.name, values["new"], current=current)
        except InvalidInput as exc:
            errors[exc.where or "new"] = exc.message
            if exc.where == "current":
                failed_sign_in(request, f"{user.name}\n{values['current']}")
                accounts.audit(user.name, "user.password", None, "denied", {"user": user.name})
    if errors:
        return _account_page(request, accounts, user, 422, errors=errors, values=values)
    ended = end_other_sessions(request, user.name)
    return _account_page(request, accounts, user, changed=True, ended=ended)


# -- single sign-on ---------------------------------------------------------------------------


@router.post("/login/oidc", operation_id="web_login_oidc")
async def oidc_start(request: Request, services: ServicesDep) -> Response:
    """Send the browser to the provider, remembering where it came from."""
    oidc = _oidc(services)
    form = await checked_form(request)
    login = services.oidc_logins.start(local_next(form.get("next")))
    response = RedirectResponse(oidc.authorization_url(login), status_code=303)
    response.set_cookie(
        OIDC_COOKIE,
        login.browser,
        max_age=int(services.settings.oidc_login_minutes * 60),
        path=_OIDC_COOKIE_PATH,
        secure=services.settings.web_cookie_secure,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(CALLBACK_PATH.removeprefix("/ui"), operation_id="web_login_oidc_callback")
def oidc_callback(request: Request, services: ServicesDep) -> Response:
    """The provider's answer: verify it, find (or create) the local user, sign them in."""
    oidc = _oidc(services)
    params = request.query_params
    try:
        login = services.oidc_logins.take(params.get("state", ""), request.cookies.get(OIDC_COOKIE))
        if params.get("iss", oidc.issuer) != oidc.issuer:  # RFC 9207: a mixed-up answer
            raise InvalidInput("the sign-in answer comes from another provider", where="iss")
        if "error" in params:
            said = (params.get("error_description") or params["error"])[:300]
            raise Unauthorized(f"the identity provider did not sign you in: {said}", where="error")
        code = params.get("code", "")
        if not code or len(code) > 2000:
            raise InvalidInput("the sign-in answer carries no code", where="code")
        signed = oidc.finish(login, code)
    except DatalabError as exc:
        detail = {"via": "oidc", "reason": exc.message[:300]}
        services.accounts.audit(None, "web.login", None, "denied", detail)
        raise
    user = _local_user(services, signed)
    detail = {"via": "oidc", "issuer": signed.issuer}
    services.accounts.audit(user.name, "web.login", None, "ok", detail)
    response = render(request, "signed_in.html", target=signed.next, user=user)
    start_session(request, response, user.name)
    response.delete_cookie(OIDC_COOKIE, path=_OIDC_COOKIE_PATH)
    return response


def _claim(claims: dict[str, Any], name: str | None) -> str | None:
    value = claims.get(name) if name else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _local_user(services: Services, signed: SignedOn) -> User:
    """The user linked to the identity; at its first sign-on, a new one (the role, the
    organisation and the factory from the mapped claims when present)."""
    accounts, settings, claims = services.accounts, services.settings, signed.claims
    linked = accounts.linked_user(signed.issuer, signed.subject)
    if linked is not None:
        return linked
    role = _claim(claims, settings.oidc_role_claim)
    wanted = _claim(claims, "preferred_username") or _claim(claims, "email") or signed.subject
    return accounts.add_linked_user(
        signed.issuer,
        signed.subject,
        wanted,
        role if role in ROLES else settings.oidc_default_role,
        _claim(claims, settings.oidc_organisation_claim),
        _claim(claims, settings.oidc_factory_claim),
    )
