"""A catalogue deployed on several machines, for the cluster tests (issue 17).

One PostgreSQL database, one Virtuoso 7, one SeaweedFS S3 gateway; two API replicas
(``datalab serve``, each with its own home folder, so its own search index) and two
``datalab worker`` processes, all in queue mode over the same database, graph and bucket;
and an operator's shell (:mod:`tests.cluster.operator`) beside each replica for the
commands an operator types on that machine (``datalab load``, ``datalab user``).

Every process runs in its own process group and is stopped (or killed) with it; nothing
outlives :meth:`Cluster.stop`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from catalog.settings import Settings, get_settings
from tests.pg_server import free_port

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

#: How long a worker holds a job without a heartbeat (the smallest the settings allow).
LEASE_S = 5.0
#: How often an idle worker looks for jobs (the default is 5 s).
POLL_S = 1.0
#: The address clients use (a load balancer in front of the replicas) and the catalogue's IRI.
PUBLIC_URL, BASE_IRI = "http://catalogue.cluster.test", "https://datalab.cluster.test/"
#: The most a change made through one replica may take to show on the other (issue 17).
DEADLINE_S = 5.0


class GaveUp(Exception):
    """Raised by a predicate of :func:`wait_until` that knows waiting is pointless."""


def wait_until(
    predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.05
) -> tuple[T, float]:
    """Poll ``predicate`` until it returns something truthy; return it and the seconds it
    took. Exceptions count as "not yet" (but :class:`GaveUp`); past ``timeout`` the last
    value or error is shown."""
    start = time.monotonic()
    last: object = None
    while True:
        try:
            value = predicate()
            if value:
                return value, time.monotonic() - start
            last = value
        except GaveUp:
            raise
        except Exception as exc:  # a replica not ready yet, a 404...
            last = exc
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")
        time.sleep(interval)


def seen(
    what: str, predicate: Callable[[], object], deadline: float = DEADLINE_S, patience: float = 4
) -> float:
    """Seconds until ``predicate`` holds, asserted within ``deadline``; polled on to
    ``patience`` times the deadline, so that a miss says how late it was. Printed for the
    report."""
    _, took = wait_until(predicate, patience * deadline, what)
    print(f"\n[cluster] {what}: {took:.2f} s")
    assert took <= deadline, f"{what} took {took:.2f} s (deadline {deadline} s)"
    return took


@dataclass
class Service:
    """One long-running process of the cluster, in a process group of its own."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _log_file: Any = None

    def start(self) -> None:
        assert not self.alive, f"{self.name} is running already"
        self._close_log()
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group at once (a machine lost, ``kill -9``)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)
        self._close_log()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it is still running after ``timeout``."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._close_log()

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@dataclass
class Replica(Service):
    """``datalab serve`` on a free loopback port, with an HTTP client to it."""

    port: int = 0
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=60.0, trust_env=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 90.0) -> float:
        def ready() -> bool:
            if not self.alive:
                raise GaveUp(f"replica {self.name} exited:\n{self.tail()}")
            return self.client.get("/health", timeout=5).status_code == 200

        return wait_until(ready, timeout, f"replica {self.name} answers /health", 0.2)[1]

    def close(self) -> None:
        self.stop()
        self.client.close()


class Operator:
    """An operator's shell on one machine (:mod:`tests.cluster.operator`): ``send`` a
    ``datalab`` command, ``receive`` its outcome; :meth:`run` does both."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self._stderr = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.cluster.operator"],
            env=env,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,
            text=True,
        )

    def send(self, *argv: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(list(argv)) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the operator shell {self.name} exited"
        return json.loads(line)  # type: ignore[no-any-return]

    def run(self, *argv: str) -> dict[str, Any]:
        self.send(*argv)
        return self.receive()

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                assert self.process.stdin is not None
                self.process.stdin.close()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(10)
            if self.process.stdout is not None:
                self.process.stdout.close()
        finally:
            self._stderr.close()


@dataclass
class Backends:
    """What every process of the cluster shares."""

    database_url: str
    sparql_query_url: str
    sparql_update_url: str
    sparql_gsp_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    fetch_host: str
    #: Rows per page of a read from Virtuoso (below its ResultSetMaxRows).
    page_rows: int


class Cluster:
    """The processes of a catalogue on several machines, over shared backends."""

    def __init__(self, root: Path, backends: Backends) -> None:
        self.root = root
        self.backends = backends
        self.replicas: dict[str, Replica] = {}
        self.workers: dict[str, Service] = {}
        self.operators: dict[str, Operator] = {}

    # -- configuration -------------------------------------------------------------------------

    def home(self, machine: str) -> Path:
        path = self.root / machine
        path.mkdir(parents=True, exist_ok=True)
        return path

    def env(self, machine: str) -> dict[str, str]:
        """The environment of a process on ``machine`` (its own home folder)."""
        b = self.backends
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATALAB_")}
        env.update(
            {
                "PYTHONPATH": str(REPO),
                "DATALAB_HOME": str(self.home(machine)),
                # every process of one catalogue: the same public URL and IRI (deploying.md)
                "DATALAB_PUBLIC_URL": PUBLIC_URL,
                "DATALAB_BASE_IRI": BASE_IRI,
                "DATALAB_DATABASE_URL": b.database_url,
                "DATALAB_STORE_BACKEND": "sparql",
                "DATALAB_STORE_SPARQL_DIALECT": "virtuoso",
                "DATALAB_SPARQL_QUERY_URL": b.sparql_query_url,
                "DATALAB_SPARQL_UPDATE_URL": b.sparql_update_url,
                "DATALAB_SPARQL_GSP_URL": b.sparql_gsp_url,
                "DATALAB_SPARQL_SNAPSHOT_READS": "false",
                "DATALAB_STORE_SPARQL_PAGE_ROWS": str(b.page_rows),
                "DATALAB_SPARQL_TIMEOUT_S": "60",
                "DATALAB_SAMPLES_S3_ENDPOINT": b.s3_endpoint,
                "DATALAB_SAMPLES_S3_BUCKET": "samples",
                "DATALAB_SAMPLES_S3_PREFIX": "cluster",
                "DATALAB_SAMPLES_S3_ACCESS_KEY": b.s3_access_key,
                "DATALAB_SAMPLES_S3_SECRET_KEY": b.s3_secret_key,
                "DATALAB_SAMPLES_S3_USE_SSL": "false",
                "DATALAB_WORKERS": "queue",
                "DATALAB_WORKER_LEASE_S": str(LEASE_S),
                "DATALAB_WORKER_POLL_S": str(POLL_S),
                "DATALAB_WEB_COOKIE_SECURE": "false",
                "DATALAB_FETCH_ALLOW_HOSTS": b.fetch_host,
                "DATALAB_FETCH_HOST_DELAY_S": "0",
                "DATALAB_FETCH_BACKOFF_S": "0.01",
                "DATALAB_FETCH_READ_TIMEOUT_S": "10",
                "DATALAB_FETCH_TOTAL_TIMEOUT_S": "20",
                "DATALAB_DUCKDB_THREADS": "1",
                "DATALAB_LOG_LEVEL": "info",
            }
        )
        return env

    def settings(self, machine: str) -> Settings:
        """The same configuration for code run in the test process (setup, checks)."""
        env = self.env(machine)
        values = {k[len("DATALAB_") :].lower(): v for k, v in env.items() if k[:8] == "DATALAB_"}
        return get_settings(**values)

    # -- processes -----------------------------------------------------------------------------

    def add_replica(self, name: str) -> Replica:
        port = free_port()
        replica = Replica(
            name,
            [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            self.env(name),
            self.home(name) / "serve.log",
            port=port,
        )
        self.replicas[name] = replica
        self.operators[name] = Operator(name, self.env(name), self.home(name) / "operator.log")
        return replica

    def add_worker(self, name: str) -> Service:
        worker = Service(
            name,
            [sys.executable, "-m", "cli", "worker", "--id", name],
            self.env(name),
            self.home(name) / "worker.log",
        )
        self.workers[name] = worker
        return worker

    def db_upgrade(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "cli", "db", "upgrade"],
            env=self.env("operator"),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self) -> None:
        for service in (*self.replicas.values(), *self.workers.values()):
            service.start()
        for replica in self.replicas.values():
            replica.wait_ready()

    def alive(self) -> dict[str, bool]:
        return {s.name: s.alive for s in (*self.replicas.values(), *self.workers.values())}

    def stop(self) -> None:
        """Stop every process (workers first, so none is left mid-job writing)."""
        errors: list[BaseException] = []
        for stop in (
            *(w.stop for w in self.workers.values()),
            *(r.close for r in self.replicas.values()),
            *(o.close for o in self.operators.values()),
        ):
            try:
                stop()
            except BaseException as exc:  # stop the others, then raise
                errors.append(exc)
        if errors:
            raise errors[0]

    def logs(self) -> str:
        """The end of every process's log (for a failing assertion's message)."""
        return "\n".join(
            f"--- {s.name} ---\n{s.tail(1500)}"
            for s in (*self.replicas.values(), *self.workers.values())
        )
