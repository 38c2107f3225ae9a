"""Accounts and access requests from a terminal: ``datalab user``, ``grant`` and ``requests``.

The command line is a local administrator's tool: whoever can run it can read the
catalogue's folder. ``user`` and ``grant`` act as that administrator. ``requests`` is for
factory staff working from a terminal and acts as the staff member named by ``--as``, so
the workflow's own checks (their factory's requests only) and the audit log apply as in
the browser.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from api.web.session_store import SessionStore
from catalog.access_requests import AccessRequest, AccessRequests
from catalog.accounts import Accounts, User
from catalog.db import Database
from catalog.errors import Forbidden, InvalidInput, NotFound
from catalog.field_limits import FieldLimits
from catalog.passwords import PasswordPolicy
from catalog.settings import Settings
from cli.app import app, emit_json, open_catalogue, reported, settings_from_cli

user_app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)
grant_app = typer.Typer(help="Per-dataset grants to see restricted samples.", no_args_is_help=True)
requests_app = typer.Typer(
    help="Access requests, handled by factory staff (--as USER).", no_args_is_help=True
)
app.add_typer(user_app, name="user")
app.add_typer(grant_app, name="grant")
app.add_typer(requests_app, name="requests")

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Catalogue folder (default: $DATALAB_HOME).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
AsOption = Annotated[str, typer.Option("--as", help="The staff member (or admin) acting.")]
CommentOption = Annotated[str | None, typer.Option("--comment", help="A comment to record.")]


def _accounts(home: Path | None) -> Accounts:
    settings = settings_from_cli(home=home)
    return _accounts_of(Database.open(settings), settings)


def _accounts_of(database: Database, settings: Settings) -> Accounts:
    limits, policy = FieldLimits.from_settings(settings), PasswordPolicy.from_settings(settings)
    return Accounts(database, limits, policy)


def _user_dict(user: User) -> dict[str, str | None]:
    return {
        "name": user.name,
        "role": user.role,
        "organisation": user.organisation,
        "factory": user.factory,
    }


# -- users and tokens ----------------------------------------------------------------------


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option("--role", help="developer, steward, staff or admin.")],
    org: Annotated[str | None, typer.Option("--org", help="Organisation.")] = None,
    factory: Annotated[str | None, typer.Option("--factory", help="AI factory.")] = None,
    home: HomeOption = None,
) -> None:
    """Register a user with a role."""
    with reported():
        user = _accounts(home).add_user(name, role, org, factory)
        typer.echo(f"user {user.name} added as {user.role}")


@user_app.command("list")
def user_list(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Every user with role, organisation and factory (never a token)."""
    with reported(as_json):
        users = [_user_dict(u) for u in _accounts(home).users()]
        if as_json:
            emit_json({"items": users, "count": len(users)})
            return
        for u in users:
            where = u["organisation"] or u["factory"] or "-"
            typer.echo(f"{u['name']}\t{u['role']}\t{where}")


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="User name.")],
    days: Annotated[float, typer.Option("--days", help="Days until the token expires.")] = 90,
    revoke: Annotated[
        str | None, typer.Option("--revoke", help="Revoke this token id instead of issuing.")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the user's token ids.")] = False,
    home: HomeOption = None,
) -> None:
    """Issue an API token (shown this once, stored only as a hash), list or revoke tokens."""
    with reported():
        accounts = _accounts(home)
        if revoke is not None:
            accounts.user(name)
            if not accounts.revoke_token_id(revoke, name):
                raise NotFound(f"{name} has no active token {revoke!r}", where="--revoke")
            accounts.audit(None, "token.revoke", None, "ok", {"user": name, "token": revoke})
            typer.echo(f"token {revoke} of {name} revoked")
        elif list_:
            for t in accounts.tokens(name):
                state = f"revoked {t['revoked']}" if t["revoked"] else f"expires {t['expires']}"
                typer.echo(f"{t['id']}\t{state}")
        else:
            typer.echo(accounts.issue_token(name, days))


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="User name.")],
    stdin: Annotated[
        bool,
        typer.Option("--stdin", help="Read the password from the first line of standard input."),
    ] = False,
    home: HomeOption = None,
) -> None:
    """Set a user's password for the web pages' sign-in (asked twice, never echoed; stored
    only as an argon2id hash). Every browser signed in as the user is signed out."""
    with reported():
        settings = settings_from_cli(home=home)
        with Database.open(settings) as database:
            _set_password(_accounts_of(database, settings), settings, name, stdin)


def _set_password(accounts: Accounts, settings: Settings, name: str, stdin: bool) -> None:
    accounts.user(name)
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True)
        if typer.prompt("Repeat it", hide_input=True) != password:
            raise InvalidInput("the two passwords differ", where="password")
    accounts.set_password(name, password)
    ended = SessionStore(accounts.database, settings.web_session_hours).end_user(name)
    typer.echo(f"password of {name} set; {ended} browser session(s) signed out")


@user_app.command("role")
def user_role(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option("--role", help="developer, steward, staff or admin.")],
    org: Annotated[str | None, typer.Option("--org", help="Organisation.")] = None,
    factory: Annotated[str | None, typer.Option("--factory", help="AI factory.")] = None,
    home: HomeOption = None,
) -> None:
    """Change a user's role (local administrators only: this runs on the catalogue's folder)."""
    with reported():
        user = _accounts(home).set_role(name, role, org, factory)
        typer.echo(f"user {user.name} is now {user.role}")


# -- grants --------------------------------------------------------------------------------


@grant_app.command("add")
def grant_add(
    user: Annotated[str, typer.Argument(help="User name.")],
    dataset_id: Annotated[str, typer.Argument(help="Dataset id.")],
    home: HomeOption = None,
) -> None:
    """Let a user see a restricted dataset's sample rows and statistics."""
    with reported():
        with open_catalogue(settings_from_cli(home=home)) as catalogue:
            catalogue.find(dataset_id)
        _accounts(home).grant(user, dataset_id)
        typer.echo(f"{user} may now see the sample of {dataset_id}")


@grant_app.command("revoke")
def grant_revoke(
    user: Annotated[str, typer.Argument(help="User name.")],
    dataset_id: Annotated[str, typer.Argument(help="Dataset id.")],
    home: HomeOption = None,
) -> None:
    """Withdraw a grant; the next request of that user is refused."""
    with reported():
        removed = _accounts(home).revoke(user, dataset_id)
        typer.echo(f"grant of {user} on {dataset_id} {'revoked' if removed else 'did not exist'}")


# -- access requests -----------------------------------------------------------------------


def _staff(accounts: Accounts, name: str) -> User:
    user = accounts.user(name)
    if user.role == "admin" or (user.role == "staff" and user.factory):
        return user
    raise Forbidden(f"{name} is not factory staff nor an administrator", where="--as")


def _line(r: AccessRequest) -> str:
    return f"{r.id}\t{r.state}\t{r.dataset_id}\t{r.lab}\t{r.requester}\t{r.purpose}"


def _act(request_id: str, action: str, as_: str, comment: str | None, home: Path | None) -> None:
    with reported():
        settings = settings_from_cli(home=home)
        accounts = Accounts(Database.open(settings))
        staff = _staff(accounts, as_)
        with open_catalogue(settings) as catalogue:
            req = AccessRequests(catalogue, accounts).act(staff, request_id, action, comment)
        typer.echo(f"request {req.id} is now {req.state}")


@requests_app.command("list")
def requests_list(
    as_: AsOption,
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """The requests of the staff member's factory (all of them for an admin)."""
    with reported(as_json):
        settings = settings_from_cli(home=home)
        accounts = Accounts(Database.open(settings))
        staff = _staff(accounts, as_)
        with open_catalogue(settings) as catalogue:
            items = AccessRequests(catalogue, accounts).list_for(staff, state)
        if as_json:
            emit_json({"items": [r.to_dict() for r in items], "count": len(items)})
            return
        for r in items:
            typer.echo(_line(r))


@requests_app.command("show")
def requests_show(
    request_id: Annotated[str, typer.Argument(help="Request id.")],
    as_: AsOption,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """One request with its procedure and comments."""
    with reported(as_json):
        settings = settings_from_cli(home=home)
        accounts = Accounts(Database.open(settings))
        staff = _staff(accounts, as_)
        with open_catalogue(settings) as catalogue:
            req = AccessRequests(catalogue, accounts).get(staff, request_id)
        if as_json:
            emit_json(req.to_dict())
            return
        typer.echo(_line(req))
        typer.echo(f"organisation type: {req.org_type}, country: {req.country}")
        for i, step in enumerate(req.procedure, start=1):
            typer.echo(f"  step {i}: {step}")
        for c in req.comments:
            typer.echo(f"  [{c['at']}] {c['author']} ({c['state']}): {c['text']}")


@requests_app.command("approve")
def requests_approve(
    request_id: Annotated[str, typer.Argument(help="Request id.")],
    as_: AsOption,
    comment: CommentOption = None,
    home: HomeOption = None,
) -> None:
    """Approve a request: the requester is granted the restricted sample."""
    _act(request_id, "approve", as_, comment, home)


@requests_app.command("reject")
def requests_reject(
    request_id: Annotated[str, typer.Argument(help="Request id.")],
    as_: AsOption,
    comment: Annotated[str, typer.Option("--comment", help="Why (required).")],
    home: HomeOption = None,
) -> None:
    """Reject a request, saying why."""
    _act(request_id, "reject", as_, comment, home)


__all__ = ["grant_app", "requests_app", "user_app"]
