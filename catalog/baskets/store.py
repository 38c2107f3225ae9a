"""Baskets in the operational database (tables ``baskets`` and ``basket_requests``).

Every write compares and sets the row's ``version``: of two changes made from the same
reading, the second is refused (:class:`~catalog.errors.Conflict`) instead of silently
dropping the first one's datasets. Works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from catalog.baskets.model import Basket, ModelSpec, profile_dict
from catalog.db import Database
from catalog.db.schema import basket_requests, baskets
from catalog.errors import Conflict, NotFound
from catalog.offers.profiles import RequesterProfile

_COLUMNS = (
    baskets.c.id,
    baskets.c.name,
    baskets.c.owner,
    baskets.c.datasets,
    baskets.c.profile,
    baskets.c.model,
    baskets.c.created,
    baskets.c.updated,
    baskets.c.version,
    baskets.c.holder,
    baskets.c.seen,
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_id() -> str:
    """128 random bits: the capability of an anonymous basket.

    Hexadecimal, so an id never starts with ``-`` (which a shell command such as
    ``datalab basket show ID`` would read as an option) nor holds any character a URL,
    a file name or a terminal treats specially."""
    return secrets.token_hex(16)


def holder_digest(key: str | None) -> str | None:
    """What is stored of an anonymous browser's basket key (never the key itself)."""
    return hashlib.sha256(key.encode()).hexdigest() if key else None


def _profile(text: str) -> RequesterProfile | None:
    values = json.loads(text)
    return RequesterProfile.parse(
        values.get("org_type"), values.get("country"), values.get("purpose")
    )


def _from_row(row: Any) -> Basket:
    (bid, name, owner, datasets, profile, model, created, updated, version, holder, seen) = row
    return Basket(
        id=bid,
        name=name,
        owner=owner,
        datasets=json.loads(datasets),
        profile=_profile(profile),
        model=ModelSpec.parse(json.loads(model)),
        created=created,
        updated=updated,
        version=version,
        holder=holder,
        seen=json.loads(seen) if seen else None,
    )


class BasketStore:
    """Create, read, change and delete baskets; link the access requests filed from them."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, basket: Basket) -> Basket:
        row = {
            "id": basket.id,
            "owner": basket.owner,
            "holder": basket.holder,
            "name": basket.name,
            "datasets": json.dumps(basket.datasets),
            "profile": json.dumps(profile_dict(basket.profile)),
            "model": json.dumps(basket.model.to_dict()),
            "seen": None,
            "version": 1,
            "created": basket.created,
            "updated": basket.updated,
        }
        with self.database.transaction() as db:
            db.execute(baskets.insert().values(row))
        return self.get(basket.id)

    def find(self, basket_id: str) -> Basket | None:
        with self.database.read() as db:
            row = db.execute(sa.select(*_COLUMNS).where(baskets.c.id == basket_id)).first()
            if row is None:
                return None
            links = db.execute(
                sa.select(
                    basket_requests.c.request, basket_requests.c.dataset_id, basket_requests.c.lab
                ).where(basket_requests.c.basket == basket_id)
            ).all()
        basket = _from_row(tuple(row))
        basket.requests = [(r, d, lab) for r, d, lab in links]
        return basket

    def get(self, basket_id: str) -> Basket:
        found = self.find(basket_id)
        if found is None:
            raise NotFound(f"no basket {basket_id!r}", where="basket")
        return found

    def list(self, *, owner: str | None = None, holder: str | None = None) -> list[Basket]:
        """A user's baskets, or an anonymous browser's (by its key's digest), newest first."""
        if owner is None and holder is None:
            return []
        query = sa.select(*_COLUMNS)
        if owner is not None:
            query = query.where(baskets.c.owner == owner)
        else:
            query = query.where(baskets.c.holder == holder, baskets.c.owner.is_(None))
        query = query.order_by(baskets.c.updated.desc(), baskets.c.id).limit(200)
        with self.database.read() as db:
            rows = db.execute(query).all()
        return [_from_row(tuple(r)) for r in rows]

    def save(self, basket: Basket) -> Basket:
        """Write the basket's stated parts, if nobody changed it since it was read."""
        values = {
            "name": basket.name,
            "owner": basket.owner,
            "datasets": json.dumps(basket.datasets),
            "profile": json.dumps(profile_dict(basket.profile)),
            "model": json.dumps(basket.model.to_dict()),
            "updated": now(),
            "version": basket.version + 1,
        }
        self._update(basket, values)
        return self.get(basket.id)

    def mark_seen(self, basket: Basket, snapshot: dict[str, Any]) -> None:
        """Remember the answer the owner just looked at (no version check: last look wins)."""
        with self.database.transaction() as db:
            db.execute(
                baskets.update()
                .where(baskets.c.id == basket.id)
                .values(seen=json.dumps(snapshot, sort_keys=True))
            )

    def _update(self, basket: Basket, values: dict[str, Any]) -> None:
        change = (
            baskets.update()
            .where(baskets.c.id == basket.id, baskets.c.version == basket.version)
            .values(**values)
        )
        with self.database.transaction() as db:
            if db.execute(change).rowcount != 1:
                raise Conflict("the basket changed meanwhile; reload it", where="basket")

    def delete(self, basket_id: str) -> None:
        with self.database.transaction() as db:
            db.execute(basket_requests.delete().where(basket_requests.c.basket == basket_id))
            if db.execute(baskets.delete().where(baskets.c.id == basket_id)).rowcount != 1:
                raise NotFound(f"no basket {basket_id!r}", where="basket")

    @staticmethod
    def link(db: sa.Connection, basket_id: str, request_id: str, dataset_id: str, lab: str) -> None:
        """Tie an access request to the basket, in the request's own transaction."""
        row = {"basket": basket_id, "request": request_id, "dataset_id": dataset_id, "lab": lab}
        db.execute(basket_requests.insert().values(row))


__all__ = ["BasketStore", "holder_digest", "new_id", "now"]
