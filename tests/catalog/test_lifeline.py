"""Workers of a killed server exit within 5 s (issue 18).

The real thing: ``datalab serve`` as a subprocess, on a catalogue large enough that its
first search builds the index with a writer process; the server is killed with SIGKILL in
the middle of the build and every process it had started must be gone 5 s later. Plus the
watcher alone (no kernel parent-death signal), for workers started from threads that may
end before them."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx

from catalog.service import Catalogue
from catalog.settings import get_settings

GONE_WITHIN_S = 5.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    wanted = {pid}
    while wanted:
        wanted = {child for child, parent in parents.items() if parent in wanted} - found
        found |= wanted
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pids: set[int]) -> tuple[set[int], float]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < GONE_WITHIN_S + 5:
        left = {pid for pid in pids if _alive(pid)}
        if not left:
            break
        time.sleep(0.05)
    return {pid for pid in pids if _alive(pid)}, time.monotonic() - t0


def _turtle(start: int, count: int) -> bytes:
    rng = random.Random(start)
    words = ["hospital", "river", "energy", "school", "forest", "census", "weather"]
    head = (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
    )
    rows = [
        f'<https://kill.example/ds/{i}> a dcat:Dataset ; dct:title "'
        + " ".join(rng.choice(words) for _ in range(5))
        + f' {i}"@en ; dct:description "'
        + " ".join(rng.choice(words) for _ in range(30))
        + '"@en .\n'
        for i in range(start, start + count)
    ]
    return (head + "".join(rows)).encode()


def test_the_build_writer_of_a_killed_server_exits_within_5_s(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = get_settings(home=home, max_document_bytes=1 << 30, max_triples=10_000_000)
    with Catalogue.open(settings) as cat:
        for k in range(4):
            cat.load(_turtle(k * 10_000, 10_000), fmt="turtle", source=f"kill-{k}")
    port = _free_port()
    env = {**os.environ, "DATALAB_HOME": str(home), "DATALAB_SEARCH_BUILD_WORKERS": "1"}
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)

        def first_search() -> None:  # builds the index; the answer never comes
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{base}/search", params={"q": "river"}, timeout=120)

        threading.Thread(target=first_search, daemon=True).start()
        deadline = time.monotonic() + 90
        workers: set[int] = set()
        while not any(_is_writer(pid) for pid in workers):
            assert time.monotonic() < deadline, "no writer process started"
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            workers = _children(server.pid)
            time.sleep(0.05)
        time.sleep(0.5)  # well into the build
        workers = _children(server.pid)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        left, took = _wait_gone(workers)
        assert not left, f"still running {took:.1f} s after the server was killed: {left}"
        assert took <= GONE_WITHIN_S
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        log.close()


def _is_writer(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


PARENT = textwrap.dedent(
    """
    import multiprocessing, os, sys, threading, time
    from catalog import lifeline

    def sleeper() -> None:
        while True:
            time.sleep(0.1)

    def start() -> None:  # from a thread that ends at once: no parent-death signal
        ctx = multiprocessing.get_context("spawn")
        proc = ctx.Process(target=lifeline.run_held, args=(os.getpid(), False, sleeper))
        proc.start()
        print(proc.pid, flush=True)

    if __name__ == "__main__":
        t = threading.Thread(target=start)
        t.start(); t.join()
        time.sleep(600)
    """
)


def test_a_worker_started_from_a_passing_thread_ends_with_its_parent(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        time.sleep(1.0)  # the creating thread is long gone; the child must live on
        assert _alive(child), "the worker died with the thread that started it"
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        left, took = _wait_gone({child})
        assert not left and took <= GONE_WITHIN_S, f"still running after {took:.1f} s"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        assert parent.stdout is not None
        parent.stdout.close()
