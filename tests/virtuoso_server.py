"""A real Virtuoso 7 server for the tests, from Debian's ``virtuoso-opensource`` package.

The database lives in a temporary folder, with a minimal ``virtuoso.ini``: the SQL and HTTP
ports on free loopback ports, ``DirsAllowed`` limited to that folder, and a small
``ResultSetMaxRows`` (:data:`ROW_CAP`) so the tests meet Virtuoso's silent row cap with
little data. Once it answers, ``isql-vt`` grants the anonymous ``SPARQL`` user the update
role and write access to graphs, so ``/sparql`` takes updates and ``/sparql-graph-crud``
takes Graph Store Protocol POSTs; the authenticated ``/sparql-auth`` and
``/sparql-graph-crud-auth`` endpoints take the ``dba`` account (digest auth).
``make system-deps`` installs the binaries when they are missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
#: Virtuoso's ResultSetMaxRows in the tests: small, so that paging is exercised.
ROW_CAP = 1000
#: The administrator's account of a fresh database (digest auth on the *-auth endpoints).
DBA_USER = "dba"
DBA_PASSWORD = "dba"

_INI = """\
[Database]
DatabaseFile = {root}/virtuoso.db
ErrorLogFile = {root}/virtuoso.log
LockFile = {root}/virtuoso.lck
TransactionFile = {root}/virtuoso.trx
xa_persistent_file = {root}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {root}/virtuoso-temp.db
TransactionFile = {root}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = {root}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {root}
MaxClientConnections = 20
ServerThreads = 20
KeepAliveTimeout = 10
EnabledGzipContent = 0
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = {row_cap}
MaxQueryCostEstimationTime = 0
; a query a client gave up on is stopped by the server too (docs/deploying.md)
MaxQueryExecutionTime = 20
"""

_GRANTS = (
    'GRANT SPARQL_UPDATE TO "SPARQL";',
    "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);",
    "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('dba', 7);",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class VirtuosoServer:
    """One ``virtuoso-t +foreground`` process over a database in a temporary folder."""

    def __init__(self, row_cap: int = ROW_CAP) -> None:
        for binary in (VIRTUOSO, ISQL):
            if shutil.which(binary) is None:
                raise RuntimeError(
                    f"{binary} is missing: apt-get install virtuoso-opensource "
                    "(make system-deps does)"
                )
        self.root = Path(tempfile.mkdtemp(prefix="datalab-virtuoso-"))
        self.sql_port = _free_port()
        self.http_port = _free_port()
        self.row_cap = row_cap
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.ini = self.root / "virtuoso.ini"
        self.ini.write_text(
            _INI.format(
                root=self.root,
                sql_port=self.sql_port,
                http_port=self.http_port,
                row_cap=row_cap,
            )
        )
        self.log = self.root / "stdout.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [VIRTUOSO, "+foreground", "+configfile", str(self.ini)],
            cwd=self.root,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    @property
    def query_url(self) -> str:
        return f"{self.base}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.base}/sparql"

    @property
    def gsp_url(self) -> str:
        return f"{self.base}/sparql-graph-crud"

    @property
    def auth_update_url(self) -> str:
        return f"{self.base}/sparql-auth"

    @property
    def auth_gsp_url(self) -> str:
        return f"{self.base}/sparql-graph-crud-auth"

    def _logs(self) -> str:
        server_log = self.root / "virtuoso.log"
        text = self.log.read_text(errors="replace")
        if server_log.exists():
            text += server_log.read_text(errors="replace")[-4000:]
        return text

    def isql(self, *statements: str) -> str:
        done = subprocess.run(
            [
                ISQL,
                str(self.sql_port),
                DBA_USER,
                DBA_PASSWORD,
                "VERBOSE=OFF",
                "BANNER=OFF",
                "PROMPT=OFF",
                "ERRORS=STDOUT",
                "exec=" + " ".join(statements),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql-vt failed: {done.stdout}{done.stderr}")
        return done.stdout

    def start(self, deadline_s: float = 120.0) -> None:
        """Wait for the HTTP endpoint, then grant the update rights."""
        end = time.monotonic() + deadline_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited: {self._logs()}")
            try:
                answer = httpx.get(
                    self.query_url,
                    params={"query": "ASK {}"},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=2.0,
                    trust_env=False,
                )
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > end:
                raise RuntimeError(f"virtuoso did not answer in {deadline_s} s: {self._logs()}")
            time.sleep(0.25)
        self.isql(*_GRANTS)

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
        finally:
            self._log_file.close()
            shutil.rmtree(self.root, ignore_errors=True)
