"""The Dataspace Protocol outbox and its courier on both dialects: letters of one process
go in order, one deliverer claims a letter, failures back off and end in giving up."""

from __future__ import annotations

import json
import time
from pathlib import Path

from catalog.db import Database
from catalog.db.schema import dsp_outbox as outbox_table
from catalog.dsp.courier import FAILED, PENDING, SENT, Courier, Letter, Outbox
from tests.connectors.dataspaces.server import Reply, serve


def test_letters_go_in_order_once_each_and_failures_give_up(
    database: Database, tmp_path: Path
) -> None:
    outbox = Outbox(database)
    with serve() as consumer:
        got: list[str] = []

        def ok(req):  # type: ignore[no-untyped-def]
            got.append(json.loads(req.body)["n"])
            return Reply(200, b"{}")

        consumer.routes["/cb/a"] = ok
        consumer.routes["/cb/down"] = lambda _r: Reply(500)
        with database.transaction() as db:
            for n in ("a1", "a2", "a3"):
                Outbox.put(db, "urn:uuid:a", "negotiation", f"{consumer.base}/cb/a", {"n": n}, "X")
            Outbox.put(db, "urn:uuid:b", "negotiation", f"{consumer.base}/cb/down", {"n": "b1"})
            Outbox.put(db, "urn:uuid:b", "negotiation", f"{consumer.base}/cb/a", {"n": "b2"})

        # one process's later letters wait for its first; each process has one letter due
        due = outbox.due(time.time())
        assert [(d.process, d.message["n"]) for d in due] == [
            ("urn:uuid:a", "a1"),
            ("urn:uuid:b", "b1"),
        ]
        assert outbox.claim(due[0], time.time())
        assert not outbox.claim(due[0], time.time())  # claimed: nobody else delivers it
        outbox.settle(due[0], PENDING, next_try=time.time())  # released, as a retry

        acked: list[Letter] = []
        ended: list[tuple[str, str]] = []
        settings = consumer.settings(tmp_path, dsp_callback_attempts=2)
        courier = Courier(
            settings,
            outbox,
            prepare=lambda letter: letter.message,
            acked=acked.append,
            gave_up=lambda letter, why: ended.append((letter.process, why)),
            sync=lambda: None,
        )
        assert courier.run_once() == 3
        assert got == ["a1", "a2", "a3"]  # in order; b2 waits behind the failing b1
        assert [a.on_ack for a in acked] == ["X", "X", "X"]
        assert [x["state"] for x in outbox.letters("urn:uuid:a")] == [SENT] * 3
        [b1, b2] = outbox.letters("urn:uuid:b")
        assert (b1["state"], b1["attempts"], b2["state"]) == (PENDING, 1, PENDING)
        assert outbox.next_due() is not None and outbox.next_due() > time.time()  # backing off

        with database.transaction() as db:  # due again now: the second attempt is the last
            db.execute(outbox_table.update().values(next_try=time.time()))
        courier.run_once()
        [b1, b2] = outbox.letters("urn:uuid:b")
        assert b1["state"] == FAILED and "500" in (b1["error"] or "")
        assert ended and ended[0][0] == "urn:uuid:b"
        assert b2["state"] == SENT and got[-1] == "b2"  # the next one is no longer held up
