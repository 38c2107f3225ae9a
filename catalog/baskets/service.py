"""Baskets as the API, the pages and the command line use them: who may do what, and the
answers with "changes since you last looked".

Rules (see :mod:`catalog.baskets.model`): a signed-in caller's basket is theirs (anyone
else: 403); an anonymous basket is open to whoever holds its id. Reading the answers as the
owner (or, for an anonymous basket, as anyone holding it) records them as looked at.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from catalog.access_requests import AccessRequests
from catalog.baskets.answers import Answer, answer, changes
from catalog.baskets.model import (
    Basket,
    ModelSpec,
    basket_name,
    dataset_list,
    parse_profile,
)
from catalog.baskets.requests import Submission, submit_all
from catalog.baskets.store import BasketStore, new_id, now
from catalog.callers import Caller
from catalog.errors import DatasetNotFound, Forbidden, InvalidField
from catalog.offers.live import LiveOffers
from catalog.service import Catalogue


class Baskets:
    """The baskets of one catalogue."""

    def __init__(
        self, catalogue: Catalogue, requests: AccessRequests, live: LiveOffers | None = None
    ) -> None:
        self.catalogue = catalogue
        self.requests = requests
        self.live = live
        self.store = BasketStore(catalogue.database)

    # -- who may -------------------------------------------------------------------------
    def _check(self, caller: Caller, basket: Basket) -> None:
        if basket.owner is not None and basket.owner != caller.name:
            raise Forbidden("this basket belongs to someone else", where="basket")

    def get(self, caller: Caller, basket_id: str) -> Basket:
        basket = self.store.get(basket_id)
        self._check(caller, basket)
        return basket

    def mine(self, caller: Caller, holder: str | None = None) -> list[Basket]:
        if caller.name is not None:
            return self.store.list(owner=caller.name)
        return self.store.list(holder=holder) if holder else []

    # -- changing ------------------------------------------------------------------------
    def _known(self, ids: list[str], where: str = "datasets") -> list[str]:
        out = []
        for i, dataset_id in enumerate(ids):
            try:
                out.append(self.catalogue.find(dataset_id).id)
            except DatasetNotFound:
                raise InvalidField(f"no dataset {dataset_id!r}", where=f"{where}[{i}]") from None
        return out

    def create(self, caller: Caller, body: dict[str, Any], holder: str | None = None) -> Basket:
        """A new basket; ``holder``: the digest of an anonymous browser's key."""
        stamp = now()
        basket = Basket(
            id=new_id(),
            name=basket_name(body.get("name")),
            owner=caller.name,
            datasets=self._known(dataset_list(body.get("datasets"))),
            profile=parse_profile(body.get("profile")),
            model=ModelSpec.parse(body.get("model")),
            created=stamp,
            updated=stamp,
            holder=None if caller.name else holder,
        )
        return self.store.create(basket)

    def change(self, caller: Caller, basket_id: str, body: dict[str, Any]) -> Basket:
        """Apply a PATCH: ``add``/``remove`` dataset ids, or replace ``datasets``, ``name``,
        ``profile``, ``model`` (each only when given)."""
        basket = self.get(caller, basket_id)
        datasets = list(basket.datasets)
        if "datasets" in body and body["datasets"] is not None:
            datasets = self._known(dataset_list(body["datasets"]))
        for d in self._known(dataset_list(body.get("add"), "add"), "add"):
            if d not in datasets:
                datasets.append(d)
        for d in dataset_list(body.get("remove"), "remove"):
            if d in datasets:
                datasets.remove(d)
        dataset_list(datasets)  # the bound holds after adding
        changed = replace(
            basket,
            datasets=datasets,
            name=basket_name(body["name"]) if body.get("name") is not None else basket.name,
            profile=parse_profile(body["profile"])
            if body.get("profile") is not None
            else basket.profile,
            model=ModelSpec.parse(body["model"]) if body.get("model") is not None else basket.model,
        )
        return self.store.save(changed)

    def replace(self, caller: Caller, basket_id: str, body: dict[str, Any]) -> Basket:
        """A PUT: the basket becomes exactly what the body states."""
        basket = self.get(caller, basket_id)
        changed = replace(
            basket,
            name=basket_name(body.get("name")),
            datasets=self._known(dataset_list(body.get("datasets"))),
            profile=parse_profile(body.get("profile")),
            model=ModelSpec.parse(body.get("model")),
        )
        return self.store.save(changed)

    def delete(self, caller: Caller, basket_id: str) -> None:
        self.get(caller, basket_id)
        self.store.delete(basket_id)

    # -- answering -----------------------------------------------------------------------
    def states(self, basket: Basket) -> dict[str, str]:
        """The current state of each request filed from the basket."""
        out = {}
        for rid, _, _ in basket.requests:
            found = self.requests.find(rid)
            if found is not None:
                out[rid] = found.state
        return out

    def answer(self, caller: Caller, basket_id: str) -> Answer:
        basket = self.get(caller, basket_id)
        return answer(self.catalogue, basket, self.live, self.states(basket))

    def look(self, caller: Caller, basket_id: str) -> tuple[Answer, list[dict[str, Any]]]:
        """The answers and what changed since the last look; records this look."""
        found = self.answer(caller, basket_id)
        snapshot = found.snapshot()
        changed = changes(found.basket.seen, snapshot, found.names())
        if found.basket.seen != snapshot:
            self.store.mark_seen(found.basket, snapshot)
        return found, changed

    def request_access(
        self, caller: Caller, basket_id: str, comment: str | None = None
    ) -> tuple[Submission, Basket]:
        """File every request the basket needs (see :mod:`catalog.baskets.requests`).
        An anonymous basket becomes the signed-in caller's first."""
        basket = self.get(caller, basket_id)
        if basket.owner is None and caller.name is not None:
            basket = self.store.save(replace(basket, owner=caller.name))
        found = answer(self.catalogue, basket, self.live, self.states(basket))
        result = submit_all(found, caller, self.requests, self.store, self.states(basket), comment)
        return result, self.store.get(basket_id)


__all__ = ["Baskets"]
