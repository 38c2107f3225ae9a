"""Passwords and linked sign-on identities, the same on SQLite and on PostgreSQL."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api.web.session_store import SessionStore
from catalog.accounts import Accounts, usable_name
from catalog.db import Database
from catalog.errors import InvalidInput, NotFound, Unauthorized
from catalog.oidc import PendingLogins
from catalog.passwords import PasswordPolicy
from catalog.settings import Settings
from cli import app

#: Cheap argon2id parameters: the tests check behaviour, not cost.
FAST = PasswordPolicy(time_cost=1, memory_kib=8 * 1024, parallelism=1)
GOOD = "correct horse battery"


@pytest.fixture
def accounts(database: Database) -> Accounts:
    made = Accounts(database, policy=FAST)
    made.add_user("ann", "developer")
    return made


def _stored(database: Database, name: str) -> str:
    with database.read() as conn:
        query = sa.text('SELECT hash FROM passwords WHERE "user" = :u')
        return str(conn.execute(query, {"u": name}).scalar_one())


def test_a_password_is_stored_as_argon2id_and_checked(accounts: Accounts) -> None:
    assert not accounts.has_password("ann")
    accounts.set_password("ann", GOOD)
    stored = _stored(accounts.database, "ann")
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert accounts.check_password("ann", GOOD).name == "ann"
    for name, password in (("ann", GOOD + "!"), ("ann", ""), ("bob", GOOD)):
        with pytest.raises(Unauthorized, match="wrong user name or password"):
            accounts.check_password(name, password)
    entry = accounts.audit_log()[-1]
    assert (entry["action"], entry["actor"], entry["detail"]) == (
        "user.password",
        None,  # set by an administrator
        {"user": "ann"},
    )


def test_weak_or_unchanged_passwords_are_refused_naming_the_field(accounts: Accounts) -> None:
    with pytest.raises(InvalidInput, match="at least 12 characters") as short:
        accounts.set_password("ann", "short")
    assert short.value.where == "new"
    with pytest.raises(InvalidInput, match="may not be the user name"):
        Accounts(accounts.database, policy=PasswordPolicy(min_chars=3)).set_password("ann", "ANN")
    with pytest.raises(NotFound):
        accounts.set_password("nobody", GOOD)
    accounts.set_password("ann", GOOD)
    with pytest.raises(InvalidInput, match="current password is wrong") as wrong:
        accounts.set_password("ann", "another long password", current="not it at all")
    assert wrong.value.where == "current"
    with pytest.raises(InvalidInput, match="must differ") as same:
        accounts.set_password("ann", GOOD, current=GOOD)
    assert same.value.where == "new"
    accounts.set_password("ann", "another long password", current=GOOD)
    assert accounts.audit_log()[-1]["actor"] == "ann"  # the user changed their own
    with pytest.raises(Unauthorized):
        accounts.check_password("ann", GOOD)
    assert accounts.check_password("ann", "another long password").name == "ann"


def test_a_hash_made_with_older_parameters_is_replaced_at_sign_in(accounts: Accounts) -> None:
    accounts.set_password("ann", GOOD)
    old = _stored(accounts.database, "ann")
    assert "t=1" in old
    stronger = PasswordPolicy(time_cost=2, memory_kib=8 * 1024, parallelism=1)
    assert stronger.needs_rehash(old) and not FAST.needs_rehash(old)
    Accounts(accounts.database, policy=stronger).check_password("ann", GOOD)
    new = _stored(accounts.database, "ann")
    assert new != old and "t=2" in new and not stronger.needs_rehash(new)
    assert Accounts(accounts.database, policy=stronger).check_password("ann", GOOD).name == "ann"


def test_an_unknown_user_costs_as_much_as_a_wrong_password(accounts: Accounts) -> None:
    """The dummy hash is verified for unknown users: no quick answer tells names apart."""
    slow = PasswordPolicy(time_cost=4, memory_kib=16 * 1024, parallelism=1)
    accounts = Accounts(accounts.database, policy=slow)
    accounts.set_password("ann", GOOD)
    accounts.add_user("nopass", "developer")

    def once(name: str) -> float:
        begun = time.perf_counter()
        with pytest.raises(Unauthorized):
            accounts.check_password(name, "wrong password here")
        return time.perf_counter() - begun

    # the fastest of several tries: immune to a busy machine's pauses; without
    # the dummy hash an unknown name would answer hundreds of times faster
    names = ("ann", "nobody", "nopass")
    fastest = {name: min(once(name) for _ in range(5)) for name in names}
    for other in ("nobody", "nopass"):
        assert fastest[other] > fastest["ann"] * 0.3, fastest


def test_a_first_sign_on_creates_a_linked_user_found_again_later(accounts: Accounts) -> None:
    issuer = "https://id.example.org"
    assert accounts.linked_user(issuer, "sub-1") is None
    first = accounts.add_linked_user(issuer, "sub-1", "ann@example.org", "developer", "Org A")
    assert (first.name, first.role, first.organisation) == ("ann-2", "developer", "Org A")
    assert accounts.linked_user(issuer, "sub-1") == first
    assert accounts.linked_user("https://other.example.org", "sub-1") is None
    second = accounts.add_linked_user(issuer, "sub-2", "ann", "developer")
    assert second.name == "ann-3"
    # the same identity again (two first sign-ons racing): the one user already linked
    assert accounts.add_linked_user(issuer, "sub-1", "zed", "developer") == first
    assert [u.name for u in accounts.users()] == ["ann", "ann-2", "ann-3"]
    assert accounts.audit_log()[-1]["action"] == "user.oidc_link"
    with pytest.raises(InvalidInput, match="unknown role"):
        accounts.add_linked_user(issuer, "sub-9", "x", "boss")


def test_usable_names_have_no_spaces_and_are_never_empty() -> None:
    assert usable_name("Ann Lee", 50) == "Ann-Lee"
    assert usable_name("ann.lee@example.org", 50) == "ann.lee"
    assert usable_name("  ", 50) == "user"
    assert usable_name("a\x00b", 50) == "a-b"
    assert usable_name("x" * 300, 196) == "x" * 196


def test_the_cli_sets_a_password_and_signs_the_user_out_everywhere(
    database: Database, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in db_settings.model_dump().items():
        if name in ("home", "database_url") and value is not None:
            monkeypatch.setenv(f"DATALAB_{name.upper()}", str(value))
    monkeypatch.setenv("DATALAB_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("DATALAB_PASSWORD_MEMORY_KIB", "8192")
    Accounts(database).add_user("ann", "developer")
    store = SessionStore(database, hours=1)
    sid, _ = store.create("ann")
    runner = CliRunner()
    done = runner.invoke(app, ["user", "password", "ann", "--stdin"], input=GOOD + "\n")
    assert done.exit_code == 0, done.output
    assert "password of ann set; 1 browser session(s) signed out" in done.output
    assert store.get(sid) is None
    assert Accounts(database).check_password("ann", GOOD).name == "ann"
    prompted = runner.invoke(
        app, ["user", "password", "ann"], input="another long one\nanother long 0ne\n"
    )
    assert prompted.exit_code == 2 and "the two passwords differ" in prompted.output
    weak = runner.invoke(app, ["user", "password", "ann", "--stdin"], input="short\n")
    assert weak.exit_code == 2 and "at least 12 characters" in weak.output
    unknown = runner.invoke(app, ["user", "password", "nobody", "--stdin"], input=GOOD + "\n")
    assert unknown.exit_code == 2 and "no user 'nobody'" in unknown.output


def test_a_started_sign_on_is_taken_once_by_its_own_browser(database: Database) -> None:
    logins = PendingLogins(database, minutes=10)
    first = logins.start("/ui/account?x=1")
    assert len(first.verifier) >= 43 and first.state != first.nonce
    with pytest.raises(InvalidInput, match="another browser"):
        logins.take(first.state, "not the browser's secret")
    # refused for the wrong browser, the state is spent all the same: a guess costs it
    with pytest.raises(InvalidInput, match="already finished"):
        logins.take(first.state, first.browser)
    second = logins.start("/ui/search")
    taken = logins.take(second.state, second.browser)
    assert (taken.nonce, taken.verifier, taken.next) == (
        second.nonce,
        second.verifier,
        "/ui/search",
    )
    with pytest.raises(InvalidInput, match="already finished"):
        logins.take(second.state, second.browser)
    with database.read() as conn:  # only digests of the state and the browser's secret
        stored = conn.execute(sa.text("SELECT state, browser FROM oidc_logins")).all()
    assert stored == []
    old = PendingLogins(database, minutes=-1).start("/ui/search")
    with pytest.raises(InvalidInput, match="expired"):
        logins.take(old.state, old.browser)
    kept = logins.start("/ui/search")
    with database.read() as conn:
        row = conn.execute(sa.text("SELECT state, browser FROM oidc_logins")).one()
    assert kept.state not in row and kept.browser not in row
