"""A real Oxigraph SPARQL server (``oxigraph serve``) on a free loopback port, for tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

OXIGRAPH = Path(sys.executable).parent / "oxigraph"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load(location: Path, files: list[Path], graph: str | None = None) -> None:
    """Load ``files`` into the store at ``location`` (into ``graph`` if given)."""
    args = [str(OXIGRAPH), "load", "--location", str(location), "--file", *map(str, files)]
    if graph:
        args += ["--graph", graph]
    subprocess.run(args, check=True, capture_output=True, timeout=120)


@contextmanager
def oxigraph_server(location: Path) -> Iterator[str]:
    """Serve the store at ``location``; yields the query endpoint URL; stops the server."""
    port = free_port()
    proc = subprocess.Popen(
        [str(OXIGRAPH), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"oxigraph serve exited: {err}")
            try:
                httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=1, trust_env=False)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"{base}/query"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stderr:
            proc.stderr.close()
