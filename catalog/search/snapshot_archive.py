"""One search index folder as one archive, and an untrusted archive back as a folder.

>>> pack(taken, Path("000000000042-20250101T120000Z.tar.zst"))   # doctest: +SKIP
>>> unpack(downloaded, staging, max_bytes=16 * 2**30)             # doctest: +SKIP

The archive is a tar stream compressed with zstd (pyarrow's codec: no new dependency)
holding ``index.sqlite`` and, with the Tantivy engine, the flat folder ``tantivy/``.

Unpacking treats the archive as hostile input, whoever wrote it: it is read as a stream
and nothing is extracted by ``tarfile`` itself. Only the names above are accepted (one
file, one folder of plainly named files: no absolute path, no ``..``, no nesting), only
regular files and that one folder (no symbolic or hard link, device, FIFO or sparse file),
no name twice, at most :data:`MAX_MEMBERS` members and ``max_bytes`` in all, counted as
the bytes are written. Each file is created new (``O_EXCL``, ``O_NOFOLLOW``) in the empty
staging folder. Anything else refuses the whole archive (:class:`SnapshotRefused`).
"""

from __future__ import annotations

import os
import re
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from catalog.errors import SnapshotRefused

INDEX_NAME = "index.sqlite"
MIRROR_DIR = "tantivy"
#: Most members an archive may hold (a Tantivy folder holds a few dozen files).
MAX_MEMBERS = 10_000
#: The names a file of the Tantivy folder may have (``meta.json``, ``.managed.json``,
#: ``<segment uuid>.idx``, ``mirror.txt``...).
_MIRROR_FILE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
#: Files of a live Tantivy folder that are not copied (lock files of its writer).
_LOCKS = re.compile(r"^\.tantivy-.*\.lock$")
_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Packed:
    """What an archive holds: its files and their total size."""

    files: int
    unpacked_bytes: int


def mirror_files(folder: Path) -> list[Path]:
    """The files of a Tantivy folder worth copying (not its lock files), by name."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not _LOCKS.match(p.name) and not p.is_symlink()
    )


def pack(folder: Path, dest: Path) -> Packed:
    """Write ``folder`` (``index.sqlite`` and maybe ``tantivy/``) as a zstd tar to ``dest``."""
    import pyarrow as pa

    files = [(folder / INDEX_NAME, INDEX_NAME)]
    mirror = folder / MIRROR_DIR
    if mirror.is_dir():
        files += [(p, f"{MIRROR_DIR}/{p.name}") for p in mirror_files(mirror)]
    total = 0
    with (
        pa.output_stream(str(dest), compression="zstd") as out,
        tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        if mirror.is_dir():
            tar.addfile(_info(MIRROR_DIR, 0, tarfile.DIRTYPE))
        for path, name in files:
            size = path.stat().st_size
            with path.open("rb") as fh:
                tar.addfile(_info(name, size, tarfile.REGTYPE), fh)
            total += size
    return Packed(len(files), total)


def _info(name: str, size: int, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.mtime = size, kind, int(time.time())
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    return info


def unpack(archive: Path, dest: Path, max_bytes: int) -> Packed:
    """Unpack an untrusted archive into the new folder ``dest`` (see the module); raises
    :class:`SnapshotRefused` and leaves ``dest`` to the caller to remove."""
    import pyarrow as pa

    dest.mkdir(parents=True, exist_ok=False)
    seen: set[str] = set()
    total = 0
    try:
        with (
            pa.input_stream(str(archive), compression="zstd") as src,
            tarfile.open(fileobj=src, mode="r|") as tar,
        ):
            for member in tar:
                _check_member(member, seen)
                total += member.size
                if total > max_bytes:
                    raise SnapshotRefused(f"the snapshot unpacks to more than {max_bytes} bytes")
                _write_member(tar, member, dest)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise SnapshotRefused(f"the snapshot archive could not be unpacked: {exc}") from None
    if INDEX_NAME not in seen:
        raise SnapshotRefused(f"the snapshot archive holds no {INDEX_NAME}")
    return Packed(sum(1 for name in seen if name != MIRROR_DIR), total)


def _check_member(member: tarfile.TarInfo, seen: set[str]) -> None:
    """Refuse a member whose name or type the module's rules do not allow."""
    name = member.name
    if len(seen) >= MAX_MEMBERS:
        raise SnapshotRefused(f"the snapshot archive holds more than {MAX_MEMBERS} members")
    if name in seen:
        raise SnapshotRefused(f"the snapshot archive holds {name!r} twice")
    if not _allowed(name, member):
        raise SnapshotRefused(
            f"the snapshot archive holds {name!r} ({_kind(member)}), which a search index "
            f"snapshot may not: only {INDEX_NAME} and plain files in {MIRROR_DIR}/",
            where=name,
        )
    seen.add(name)


def _allowed(name: str, member: tarfile.TarInfo) -> bool:
    if "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    parts = tuple(name.split("/"))
    if any(part in ("", ".", "..") for part in parts):
        return False  # "a//b", "./a", "a/..": not a plain name
    regular = member.isreg() and not member.issparse() and member.type != tarfile.CONTTYPE
    if parts == (INDEX_NAME,):
        return regular
    if parts == (MIRROR_DIR,):
        return member.isdir()
    return (
        len(parts) == 2
        and parts[0] == MIRROR_DIR
        and parts[1] not in (".", "..")
        and bool(_MIRROR_FILE.match(parts[1]))
        and regular
    )


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if member.isdev():
        return "a device or FIFO"
    if member.isdir():
        return "a folder"
    return "a file"


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path) -> None:
    """Create the member's folder or file (new, never through a link) under ``dest``."""
    target = dest.joinpath(*PurePosixPath(member.name).parts)
    if member.isdir():
        target.mkdir()
        return
    target.parent.mkdir(exist_ok=True)
    src = tar.extractfile(member)
    if src is None:
        raise SnapshotRefused(f"the snapshot member {member.name!r} cannot be read")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as out:
        written = _copy(src, out, member.size)
    if written != member.size:
        raise SnapshotRefused(f"the snapshot member {member.name!r} is cut short")


def _copy(src: IO[bytes], out: IO[bytes], limit: int) -> int:
    written = 0
    while written < limit and (chunk := src.read(min(_CHUNK, limit - written))):
        out.write(chunk)
        written += len(chunk)
    return written
