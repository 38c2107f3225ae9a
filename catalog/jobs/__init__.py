"""Background jobs in the operational database: the queue, per-source schedules, the worker.

>>> queue = JobQueue(database)                                        # doctest: +SKIP
>>> job, created = queue.enqueue("harvest", {"source": "demo"}, dedupe_key="harvest:demo")
>>> Worker(settings, database).run(once=True)                         # doctest: +SKIP

See ``docs/deploying.md``, "Workers and schedules".
"""

from catalog.jobs.queue import DONE, FAILED, QUEUED, RUNNING, JobNotFound, JobQueue, QueuedJob
from catalog.jobs.schedules import Schedule, Schedules, harvest_key, parse_every

__all__ = [
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "JobNotFound",
    "JobQueue",
    "QueuedJob",
    "Schedule",
    "Schedules",
    "harvest_key",
    "parse_every",
]
