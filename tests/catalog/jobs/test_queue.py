"""The job queue on both dialects: enqueue, claim, lease, heartbeat, retry, dedupe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalog.db import Database
from catalog.jobs import DONE, FAILED, QUEUED, RUNNING, JobNotFound, JobQueue, harvest_key


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(database: Database, clock: Clock) -> JobQueue:
    return JobQueue(database, clock=clock, backoff_s=10)


def test_enqueue_claim_complete(queue: JobQueue) -> None:
    job, created = queue.enqueue("harvest", {"source": "demo", "full": True})
    assert created and job.state == QUEUED and job.attempts == 0 and job.max_attempts == 3
    assert queue.claim("w1", ["validate"], 60) is None  # another kind is not claimed
    claimed = queue.claim("w1", ["harvest", "validate"], 60)
    assert claimed is not None and claimed.id == job.id
    assert claimed.state == RUNNING and claimed.attempts == 1 and claimed.lease_owner == "w1"
    assert claimed.payload == {"source": "demo", "full": True}
    assert queue.claim("w2", ["harvest"], 60) is None  # leased: nobody else gets it
    assert queue.complete(job.id, "w1", {"harvest_job": "abc"})
    done = queue.get(job.id)
    assert done.state == DONE and done.result == {"harvest_job": "abc"} and done.finished
    assert done.lease_owner is None and done.error is None
    assert queue.claim("w2", ["harvest"], 60) is None
    with pytest.raises(JobNotFound):
        queue.get(job.id + 100)


def test_jobs_are_claimed_in_order_and_only_when_due(queue: JobQueue, clock: Clock) -> None:
    later, _ = queue.enqueue("harvest", {"n": 1}, run_after=clock.now + timedelta(minutes=5))
    first, _ = queue.enqueue("harvest", {"n": 2})
    second, _ = queue.enqueue("harvest", {"n": 3})
    claimed = [queue.claim("w", ["harvest"], 3600) for _ in range(3)]
    assert [j.id if j else None for j in claimed] == [first.id, second.id, None]
    clock.advance(301)
    again = queue.claim("w", ["harvest"], 3600)
    assert again is not None and again.id == later.id


def test_an_expired_lease_is_taken_over_and_the_old_owner_cannot_finish(
    queue: JobQueue, clock: Clock
) -> None:
    job, _ = queue.enqueue("harvest", {"source": "demo"})
    assert queue.claim("dead", ["harvest"], 60) is not None
    clock.advance(30)
    assert queue.heartbeat(job.id, "dead", 60)  # renewed: until t+90
    clock.advance(59)
    assert queue.claim("other", ["harvest"], 60) is None
    clock.advance(2)  # the lease has expired
    taken = queue.claim("other", ["harvest"], 60)
    assert taken is not None and taken.lease_owner == "other" and taken.attempts == 2
    assert not queue.heartbeat(job.id, "dead", 60)
    assert not queue.complete(job.id, "dead")
    assert queue.fail(job.id, "dead", "late").state == RUNNING  # ignored: not its job
    assert queue.complete(job.id, "other")
    assert queue.get(job.id).state == DONE


def test_failures_retry_with_backoff_then_fail_with_the_error(
    queue: JobQueue, clock: Clock
) -> None:
    job, _ = queue.enqueue("harvest", {"source": "demo"}, max_attempts=3)
    waits = []
    for attempt in (1, 2):
        claimed = queue.claim("w", ["harvest"], 60)
        assert claimed is not None and claimed.attempts == attempt
        after = queue.fail(job.id, "w", f"boom {attempt}")
        assert after.state == QUEUED and after.error == f"boom {attempt}"
        waits.append((after.run_after - clock.now).total_seconds())
        assert queue.claim("w", ["harvest"], 60) is None  # not before the backoff
        clock.advance(waits[-1])
    assert waits == [10, 20]
    assert queue.claim("w", ["harvest"], 60) is not None
    final = queue.fail(job.id, "w", "boom 3")
    assert final.state == FAILED and final.error == "boom 3" and final.attempts == 3
    assert final.finished is not None
    clock.advance(3600)
    assert queue.claim("w", ["harvest"], 60) is None


def test_a_permanent_error_fails_at_once(queue: JobQueue) -> None:
    job, _ = queue.enqueue("harvest", {"source": "gone"})
    queue.claim("w", ["harvest"], 60)
    after = queue.fail(job.id, "w", "no harvest source named 'gone'", retry=False)
    assert after.state == FAILED and after.attempts == 1


def test_a_worker_dying_on_the_last_attempt_fails_the_job(queue: JobQueue, clock: Clock) -> None:
    job, _ = queue.enqueue("harvest", {"source": "demo"}, max_attempts=1)
    queue.claim("dead", ["harvest"], 60)
    clock.advance(61)
    assert queue.claim("other", ["harvest"], 60) is None
    failed = queue.get(job.id)
    assert failed.state == FAILED and "dead stopped answering" in (failed.error or "")


def test_release_hands_the_job_back_without_counting_the_attempt(
    queue: JobQueue, clock: Clock
) -> None:
    job, _ = queue.enqueue("harvest", {"source": "demo"})
    queue.claim("w", ["harvest"], 60)
    assert queue.release(job.id, "w", delay_s=5)
    back = queue.get(job.id)
    assert back.state == QUEUED and back.attempts == 0 and back.lease_owner is None
    assert queue.claim("w", ["harvest"], 60) is None
    clock.advance(5)
    assert queue.claim("w", ["harvest"], 60) is not None


def test_one_active_job_per_dedupe_key(queue: JobQueue) -> None:
    key = harvest_key("demo")
    first, created = queue.enqueue("harvest", {"source": "demo"}, dedupe_key=key)
    again, created_again = queue.enqueue("harvest", {"source": "demo"}, dedupe_key=key)
    assert created and not created_again and again.id == first.id
    queue.claim("w", ["harvest"], 60)
    running, created_running = queue.enqueue("harvest", {"source": "demo"}, dedupe_key=key)
    assert not created_running and running.id == first.id and running.state == RUNNING
    other, created_other = queue.enqueue("harvest", {"source": "x"}, dedupe_key=harvest_key("x"))
    assert created_other and other.id != first.id
    queue.complete(first.id, "w")
    after, created_after = queue.enqueue("harvest", {"source": "demo"}, dedupe_key=key)
    assert created_after and after.id != first.id  # the key is free once the job ended
