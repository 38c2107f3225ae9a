"""The sample store's staging folder: one entry per upload in progress, named by its owner.

An upload writes its body and its checked files in a staging entry before they are
published, and removes the entry when it ends, however it ends. A process killed meanwhile
(SIGKILL, OOM, power cut) leaves the entry behind, so every entry is named after the
process that owns it::

    <kind>-<host>-<pid>-<process start>-<created>-<random>

(``host``: a hash of the host name; ``process start``: the process's start time in clock
ticks since boot, from ``/proc``, so a reused pid is told apart; ``created``: Unix time).
:meth:`Staging.sweep`, run whenever a :class:`~catalog.samples.store.SampleStore` is
built (API start-up, CLI commands), removes an entry when its process is gone from this
host, or when it is older than ``sample_staging_max_age_s`` (an entry from another host,
a stuck upload, or one named before this scheme). A live upload of another process on
this host is never removed before that age.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("datalab.samples")

NAME = re.compile(
    r"^(?P<kind>[a-z]+)-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-(?P<start>\d+)-(?P<created>\d+)-"
    r"[0-9a-f]+$"
)


def host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8")).hexdigest()[:8]


def process_start(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot; ``None`` if unknown."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text("ascii", errors="replace")
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()  # after "pid (comm) ": field 3 onwards
    try:
        return int(fields[19])  # field 22, starttime
    except (IndexError, ValueError):
        return None


def _alive(pid: int, start: int) -> bool:
    """Whether the process that created an entry still runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    current = process_start(pid)
    return start == 0 or current is None or current == start


@dataclass(frozen=True)
class Swept:
    """What a sweep removed."""

    entries: int
    bytes: int


def _size(path: Path) -> int:
    if path.is_file() and not path.is_symlink():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


class Staging:
    """The staging folder of one sample store."""

    def __init__(self, root: Path, max_age_s: float) -> None:
        self.root = root
        self.max_age_s = max_age_s
        self.root.mkdir(parents=True, exist_ok=True)

    def name(self, kind: str) -> str:
        """A fresh entry name owned by this process."""
        pid = os.getpid()
        start = process_start(pid) or 0
        return f"{kind}-{host_tag()}-{pid}-{start}-{int(time.time())}-{secrets.token_hex(6)}"

    def folder(self, kind: str = "up") -> Path:
        """A new staging folder of this process (the caller removes it)."""
        path = self.root / self.name(kind)
        path.mkdir()
        return path

    def file(self, kind: str = "body") -> tuple[int, Path]:
        """A new staging file of this process, opened for writing: ``(fd, path)``."""
        path = self.root / self.name(kind)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return fd, path

    def is_stale(self, entry: Path, now: float | None = None) -> bool:
        """Whether ``entry`` was left by a dead process, or is past the age limit."""
        now = time.time() if now is None else now
        match = NAME.match(entry.name)
        if match is None:  # named before this scheme, or by someone else: age only
            try:
                created = entry.lstat().st_mtime
            except FileNotFoundError:
                return False
            return now - created > self.max_age_s
        if now - int(match["created"]) > self.max_age_s:
            return True
        if match["host"] != host_tag():
            return False  # its process cannot be checked from here
        return not _alive(int(match["pid"]), int(match["start"]))

    def sweep(self) -> Swept:
        """Remove the stale entries (another process may sweep at the same time)."""
        removed = freed = 0
        try:
            entries = list(self.root.iterdir())
        except FileNotFoundError:
            return Swept(0, 0)
        now = time.time()
        for entry in entries:
            if not self.is_stale(entry, now):
                continue
            try:
                size = _size(entry)
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except FileNotFoundError:
                continue  # removed by a concurrent sweep
            except OSError as exc:
                log.warning("cannot remove stale sample staging entry %s: %s", entry, exc)
                continue
            removed += 1
            freed += size
        if removed:
            log.info("removed %d stale sample staging entries (%d bytes)", removed, freed)
        return Swept(removed, freed)
