"""Per-host politeness of the shared fetcher.

For each remote host: one request in flight at a time, a pause between two requests, a
"not before" time set by ``Retry-After``, and a circuit breaker that opens after a number of
consecutive failed fetches and lets one trial through after a cool-down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from catalog.errors import FetchCircuitOpen, FetchRetryLater, FetchTimeout


class Deadline:
    """A point in (monotonic) time that a whole fetch must not pass."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at


def wall_clock_after(seconds: float) -> str:
    """ISO 8601 UTC time ``seconds`` from now, for messages that say when to retry."""
    return datetime.fromtimestamp(time.time() + seconds, tz=UTC).isoformat(timespec="seconds")


@dataclass
class _HostState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_request: float = float("-inf")
    not_before: float = float("-inf")
    failures: int = 0
    open_until: float = float("-inf")


class Politeness:
    """Politeness and circuit-breaker state of every host one fetcher talks to."""

    def __init__(self, *, delay_s: float, circuit_threshold: int, circuit_reset_s: float) -> None:
        self.delay_s = delay_s
        self.circuit_threshold = circuit_threshold
        self.circuit_reset_s = circuit_reset_s
        self._hosts: dict[str, _HostState] = {}
        self._guard = threading.Lock()

    def _state(self, host: str) -> _HostState:
        with self._guard:
            return self._hosts.setdefault(host, _HostState())

    def check_circuit(self, host: str, url: str) -> None:
        """Raise :class:`FetchCircuitOpen` while the host's breaker is open."""
        state = self._state(host)
        now = time.monotonic()
        if state.failures >= self.circuit_threshold and now < state.open_until:
            wait = state.open_until - now
            raise FetchCircuitOpen(
                f"host {host!r} failed {state.failures} times in a row; requests to it are "
                f"paused until {wall_clock_after(wait)} ({wait:.0f} s)",
                where=url,
            )

    def record_success(self, host: str) -> None:
        """A fetch from the host succeeded: close its breaker."""
        state = self._state(host)
        state.failures = 0
        state.open_until = float("-inf")

    def record_failure(self, host: str) -> None:
        """A fetch from the host failed (network, timeout, 5xx, 429)."""
        state = self._state(host)
        state.failures += 1
        if state.failures >= self.circuit_threshold:
            state.open_until = time.monotonic() + self.circuit_reset_s

    def retry_after(self, host: str, seconds: float) -> None:
        """The host asked (``Retry-After``) not to be contacted for ``seconds``."""
        state = self._state(host)
        state.not_before = max(state.not_before, time.monotonic() + seconds)

    @contextmanager
    def slot(self, host: str, url: str, deadline: Deadline) -> Iterator[None]:
        """Hold the host's only request slot, after its pause and any ``Retry-After``."""
        state = self._state(host)
        if not state.lock.acquire(timeout=deadline.remaining()):
            raise FetchTimeout(
                f"waited {deadline.seconds:.1f} s for another request to {host!r} to finish",
                where=url,
            )
        try:
            now = time.monotonic()
            wait_until = max(state.last_request + self.delay_s, state.not_before)
            wait = wait_until - now
            if wait > 0:
                if wait > deadline.remaining():
                    if state.not_before > now:
                        raise FetchRetryLater(
                            f"host {host!r} asked to retry after {wall_clock_after(wait)} "
                            f"({wait:.0f} s), past this fetch's deadline",
                            where=url,
                            details={"retry_after_s": round(wait, 3)},
                        )
                    raise FetchTimeout(
                        f"the pause between requests to {host!r} passes the fetch deadline",
                        where=url,
                    )
                time.sleep(wait)
            try:
                yield
            finally:
                state.last_request = time.monotonic()
        finally:
            state.lock.release()
