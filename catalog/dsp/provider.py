"""The Dataspace Protocol provider of one server: negotiations, transfers and their courier,
wired to the access requests they follow.

>>> provider = DspProvider(catalogue, access_requests, sample_store)   # doctest: +SKIP
>>> provider.start()        # the courier's thread (the API does this at start-up)
>>> provider.close()
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from catalog.access_requests import AccessRequest, AccessRequests
from catalog.db.schema import dsp_negotiations, dsp_transfers
from catalog.dsp import messages as m
from catalog.dsp.courier import Courier, Letter, Outbox
from catalog.dsp.negotiations import FINAL as NEGOTIATION_FINAL
from catalog.dsp.negotiations import Negotiations, now
from catalog.dsp.transfers import FINAL as TRANSFER_FINAL
from catalog.dsp.transfers import START_WITH_TOKEN, Transfers
from catalog.samples.store import SampleStore
from catalog.service import Catalogue

#: The state a letter's ACK moves its process to, from the states it may be in then.
ACK_FROM = {m.AGREED: (m.REQUESTED,), m.FINALIZED: (m.VERIFIED,), m.STARTED: (m.REQUESTED,)}


class DspProvider:
    """Negotiations, transfers, the outbox and its courier of one catalogue."""

    def __init__(
        self,
        catalogue: Catalogue,
        requests: AccessRequests,
        samples: SampleStore | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.requests = requests
        self.outbox = Outbox(requests.database)
        self.negotiations = Negotiations(catalogue, requests, self.outbox)
        self.transfers = Transfers(catalogue, self.negotiations, requests, samples)
        self.courier = Courier(
            catalogue.settings,
            self.outbox,
            prepare=self._prepare,
            acked=self._acked,
            gave_up=self._gave_up,
            sync=self.sync,
        )
        requests.listeners.append(self.on_request)

    def start(self) -> None:
        """Start delivering (the courier's thread)."""
        self.courier.start()

    def close(self) -> None:
        if self.on_request in self.requests.listeners:
            self.requests.listeners.remove(self.on_request)
        self.courier.close()

    def on_request(self, req: AccessRequest) -> None:
        """An access request moved: its negotiations and transfers follow, letters go out."""
        self.negotiations.follow(req)
        self.transfers.follow(req)
        self.courier.request()

    def sync(self) -> None:
        self.negotiations.sync()
        self.transfers.sync()

    # -- the courier's hooks ------------------------------------------------------------------

    def _table(self, letter: Letter) -> sa.Table:
        return dsp_negotiations if letter.kind == "negotiation" else dsp_transfers

    def _prepare(self, letter: Letter) -> dict[str, Any] | None:
        if letter.kind == START_WITH_TOKEN:
            return self.transfers.start_message(letter)
        if letter.message.get("@type", "").endswith("TerminationMessage"):
            return letter.message  # a termination is owed whatever happened since
        table = self._table(letter)
        with self.requests.database.read() as db:
            state = db.execute(
                sa.select(table.c.state).where(table.c.provider_pid == letter.process)
            ).scalar()
        return None if state in (None, m.TERMINATED) else letter.message

    def _acked(self, letter: Letter) -> None:
        if letter.on_ack is None:
            return
        table = self._table(letter)
        change = (
            table.update()
            .where(
                table.c.provider_pid == letter.process,
                table.c.state.in_(ACK_FROM.get(letter.on_ack, ())),
            )
            .values(state=letter.on_ack, updated=now())
        )
        with self.requests.database.transaction() as db:
            db.execute(change)

    def _gave_up(self, letter: Letter, why: str) -> None:
        table = self._table(letter)
        final = NEGOTIATION_FINAL if table is dsp_negotiations else TRANSFER_FINAL
        values: dict[str, Any] = {"state": m.TERMINATED, "updated": now()}
        if table is dsp_transfers:
            values |= {"token_id": None, "token_digest": None, "token_expires": None}
        change = (
            table.update()
            .where(table.c.provider_pid == letter.process, table.c.state.not_in(final))
            .values(values)
        )
        with self.requests.database.transaction() as db:
            db.execute(change)
