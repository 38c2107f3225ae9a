"""A catch-up on a thread of its own: requests return at once, coalesce, and none is lost."""

from __future__ import annotations

import threading

import pytest

from catalog.jobs.background import Coalesced


def test_requests_during_a_run_make_one_more_run() -> None:
    gate, started = threading.Event(), threading.Event()
    seen: list[int] = []

    def work() -> None:
        started.set()
        gate.wait(10)
        seen.append(len(seen))

    later = Coalesced(work, name="test")
    later.request()
    assert started.wait(10)  # the first run is in progress, held at the gate
    for _ in range(5):
        later.request()  # returns at once
    assert not later.wait(0)
    gate.set()
    assert later.wait(10)
    assert seen == [0, 1]  # the five requests made during the first run: one more run
    assert later.runs == 2


def test_a_failing_run_is_logged_and_the_next_request_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []

    def work() -> None:
        calls.append("run")
        if len(calls) == 1:
            raise RuntimeError("the database is away")

    later = Coalesced(work, name="test")
    later.request()
    assert later.wait(10)
    later.request()
    assert later.wait(10)
    assert calls == ["run", "run"]
    assert "the background run failed" in caplog.text


def test_a_closed_runner_takes_no_request() -> None:
    calls: list[str] = []
    later = Coalesced(lambda: calls.append("run"), name="test")
    later.close()
    later.request()
    assert later.wait(1)
    assert calls == []
