"""Concurrent writes through the two replicas lose nothing, ten rounds each: two replace-loads
of one source, two edits of two labs, two edits of one lab."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import httpx
import pytest

from tests.cluster.actions import hits, race_document, source_titles
from tests.cluster.cluster import DEADLINE_S, Replica, wait_until
from tests.cluster.conftest import Site

pytestmark = pytest.mark.cluster
T = TypeVar("T")

ROUNDS = 10
#: Datasets per replace-load document: enough for the two loads to overlap.
RACE_SIZE = 30


def together(*calls: Callable[[], T]) -> list[T]:
    """Run the calls on threads released at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_concurrent_replace_loads_of_one_source_publish_one_document_whole(
    site: Site,
) -> None:
    a, b = site.cluster.operators["a"], site.cluster.operators["b"]
    winners: Counter[str] = Counter()
    slowest = 0.0
    for round_ in range(ROUNDS):
        documents = {}
        for side in ("a", "b"):
            text, titles = race_document(side, round_, RACE_SIZE)
            path = site.cluster.root / f"race-{side}-{round_}.ttl"
            path.write_text(text)
            documents[side] = (path, titles)
        argv = ("--source", "race", "--replace", "--no-validate", "--format", "turtle")
        a.send("load", str(documents["a"][0]), *argv)  # both shells start at once
        b.send("load", str(documents["b"][0]), *argv)
        outcomes = {"a": a.receive(), "b": b.receive()}
        for side, outcome in outcomes.items():
            assert outcome["code"] == 0, (round_, side, outcome)
        overlap = min(o["ended"] for o in outcomes.values()) - max(
            o["started"] for o in outcomes.values()
        )
        assert overlap > 0, f"round {round_}: the two loads did not overlap"

        served = source_titles(site.a, "race")
        winner = next((s for s, (_, t) in documents.items() if served == t), None)
        assert winner is not None, f"round {round_}: a mix or nothing was published: {served}"
        winners[winner] += 1
        assert source_titles(site.b, "race") == served
        wanted = set(documents[winner][1])

        # each replica's search index follows the feed of both publishes to the winner
        took = together(*(_finding_only(r, f"round{round_}", wanted) for r in (site.a, site.b)))
        slowest = max(slowest, *took)
        assert max(took) <= DEADLINE_S, f"round {round_}: the search caught up in {took} s"
    print(f"\n[cluster] replace-load races won by {dict(winners)}; both replicas' search "
          f"found the winner only after at most {slowest:.2f} s")  # fmt: skip


def _finding_only(replica: Replica, word: str, wanted: set[str]) -> Callable[[], float]:
    """Seconds until a search on ``replica`` finds exactly ``wanted``."""

    def wait() -> float:
        what = f"{replica.name} finds the winning document only"
        return wait_until(lambda: hits(replica, word) == wanted, 4 * DEADLINE_S, what)[1]

    return wait


def _patch(site: Site, replica: str, lab: str, changes: dict[str, Any]) -> httpx.Response:
    client = site.cluster.replicas[replica].client
    return client.patch(f"/labs/{lab}", json=changes, headers=site.auth(site.lab_staff[lab]))


def _labs(site: Site) -> dict[str, dict[str, Any]]:
    answer = site.b.client.get("/labs")
    assert answer.status_code == 200
    return {lab["id"]: lab for lab in answer.json()["items"]}


def test_concurrent_edits_of_two_labs_through_two_replicas_both_land(site: Site) -> None:
    original = _labs(site)
    assert len(original) == 19
    first, second = "bsc-datalab", "laif-datalab"
    for round_ in range(ROUNDS):
        edits = {first: {"fees": f"fees by A, round {round_}"},
                 second: {"fees": f"fees by B, round {round_}"}}  # fmt: skip
        answers = together(
            partial(_patch, site, "a", first, edits[first]),
            partial(_patch, site, "b", second, edits[second]),
        )
        assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
        for replica in (site.a, site.b):
            labs = {lab["id"]: lab for lab in replica.client.get("/labs").json()["items"]}
            assert set(labs) == set(original), f"round {round_}: labs lost on {replica.name}"
            for lab_id, lab in labs.items():
                expected = {**original[lab_id], **edits.get(lab_id, {})}
                assert lab == expected, f"round {round_}: {lab_id} on {replica.name}"


def test_concurrent_edits_of_one_lab_through_two_replicas_lose_nothing_silently(
    site: Site,
) -> None:
    lab = "it4lia-datalab"
    outcomes: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        before = _labs(site)
        by_a = {"name": f"IT4LIA lab (A, round {round_})", "lead_time_days": 100 + round_}
        by_b = {"name": f"IT4LIA lab (B, round {round_})", "fees": f"fees by B, round {round_}"}
        answers = together(
            partial(_patch, site, "a", lab, by_a), partial(_patch, site, "b", lab, by_b)
        )
        codes = [r.status_code for r in answers]
        assert sorted(codes) in ([200, 200], [200, 409]), [r.text[:300] for r in answers]
        after = _labs(site)
        assert set(after) == set(before), f"round {round_}: a lab disappeared"
        for other in set(before) - {lab}:
            assert after[other] == before[other], f"round {round_}: {other} changed"
        got = after[lab]
        if codes == [200, 200]:
            # both answered "saved": both must show; the name is the later one's
            last = by_a if got["name"] == by_a["name"] else by_b
            expected = {**before[lab], **by_a, **by_b, "name": last["name"]}
            outcomes["both saved, " + ("A" if last is by_a else "B") + " last"] += 1
        else:
            won = by_a if codes[0] == 200 else by_b
            expected = {**before[lab], **won}
            conflict = answers[codes.index(409)].json()
            assert conflict["error"]["code"] == "conflict", conflict
            outcomes["one saved, one 409"] += 1
        assert got == expected, f"round {round_}: an edit was lost or mixed ({codes})"
    print(f"\n[cluster] same-lab edit races: {dict(outcomes)}")
