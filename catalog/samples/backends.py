"""Where sample files live: a local folder, or an S3-compatible bucket.

Both keep one immutable folder per upload (``<dataset>/<version>/``) and a small
``<dataset>/CURRENT`` object naming the version served; replacing ``CURRENT`` is the one
atomic step of an upload (``os.replace`` locally, a single PUT in S3), so readers see the
old sample or the new one, never a mix.

In S3 a version folder is the upload's staging area: its objects are written before
``CURRENT`` names them, so an upload killed midway (a replica lost, a failed PUT) leaves
only a folder nobody names. The version replaced by an upload is not deleted at once
either: a replica elsewhere may be reading it. :meth:`S3Backend.sweep` removes both once
they are older than ``sample_staging_max_age_s`` (a version's name starts with its
creation time in milliseconds); workers run it every minute, ``datalab sample sweep`` on
demand.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Collection
from pathlib import Path
from typing import Protocol

from catalog.errors import StoreError
from catalog.object_storage import s3_filesystem

FILES = ("sample.parquet", "meta.json", "statistics.json")
#: A version folder's name: its creation time in milliseconds, then a random part.
VERSION = re.compile(r"^(?P<ms>\d{13})-[0-9a-f]+$")


def version_age_s(version: str, now: float) -> float | None:
    """Seconds since ``version`` was created, from its name; ``None``: not a version."""
    match = VERSION.match(version)
    return None if match is None else now - int(match["ms"]) / 1000


class SampleBackend(Protocol):
    """Storage of sample folders."""

    def current(self, dataset_id: str) -> str | None: ...

    def with_samples(self, dataset_ids: Collection[str]) -> set[str]:
        """Which of ``dataset_ids`` have a current sample (as :meth:`current` says),
        for many at once: one listing, then ``CURRENT`` read only where a folder is."""
        ...

    def read(self, dataset_id: str, version: str, name: str) -> bytes: ...

    def publish(self, dataset_id: str, version: str, staged: Path) -> None: ...

    def read_optional(self, dataset_id: str, version: str, name: str) -> bytes | None:
        """A file derived later from a version (a synthetic preview); ``None`` if absent."""
        ...

    def add_file(self, dataset_id: str, version: str, name: str, data: bytes) -> None:
        """Keep a file derived from a published version beside it (written whole, at once)."""
        ...

    def duckdb_path(self, dataset_id: str, version: str) -> tuple[str, str]:
        """The sample's path for DuckDB, and the one folder DuckDB may read."""
        ...

    def delete(self, dataset_id: str) -> None:
        """Forget ``CURRENT`` first (one atomic step), then the files."""
        ...

    def sweep(self, max_age_s: float) -> int:
        """Remove version folders no ``CURRENT`` names, older than ``max_age_s``; how many."""
        ...


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LocalBackend:
    """Samples in a local folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def current(self, dataset_id: str) -> str | None:
        try:
            return (self.root / dataset_id / "CURRENT").read_text("ascii").strip() or None
        except FileNotFoundError:
            return None

    def with_samples(self, dataset_ids: Collection[str]) -> set[str]:
        with os.scandir(self.root) as entries:
            folders = {e.name for e in entries if e.is_dir(follow_symlinks=False)}
        return {i for i in dataset_ids if i in folders and self.current(i) is not None}

    def read(self, dataset_id: str, version: str, name: str) -> bytes:
        return (self.root / dataset_id / version / name).read_bytes()

    def read_optional(self, dataset_id: str, version: str, name: str) -> bytes | None:
        try:
            return (self.root / dataset_id / version / name).read_bytes()
        except FileNotFoundError:
            return None

    def add_file(self, dataset_id: str, version: str, name: str, data: bytes) -> None:
        _atomic_write(self.root / dataset_id / version / name, data)

    def publish(self, dataset_id: str, version: str, staged: Path) -> None:
        folder = self.root / dataset_id
        folder.mkdir(exist_ok=True)
        target = folder / version
        previous = self.current(dataset_id)
        try:
            os.rename(staged, target)
            _atomic_write(folder / "CURRENT", version.encode("ascii"))
        except BaseException:
            # nothing of the new version stays: CURRENT still names the previous one
            shutil.rmtree(target, ignore_errors=True)
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: another upload may have published meanwhile
            raise
        if previous and previous != version:
            shutil.rmtree(folder / previous, ignore_errors=True)

    def duckdb_path(self, dataset_id: str, version: str) -> tuple[str, str]:
        folder = self.root / dataset_id / version
        return str(folder / "sample.parquet"), str(folder) + "/"

    def delete(self, dataset_id: str) -> None:
        folder = self.root / dataset_id
        (folder / "CURRENT").unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)

    def sweep(self, max_age_s: float) -> int:
        """Publishing removes the replaced version and a failed publish its own: only a
        process killed between the rename and ``CURRENT`` leaves a folder behind."""
        now, removed = time.time(), 0
        for folder in (p for p in self.root.iterdir() if p.is_dir() and p.name[0] != "."):
            current = self.current(folder.name)
            for version in (p for p in folder.iterdir() if p.is_dir() and p.name != current):
                age = version_age_s(version.name, now)
                if age is not None and age > max_age_s:
                    shutil.rmtree(version, ignore_errors=True)
                    removed += 1
        return removed


class S3Backend:
    """Samples in an S3-compatible bucket, written with pyarrow's S3 file system."""

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        prefix: str,
        access_key: str | None,
        secret_key: str | None,
        region: str,
        use_ssl: bool,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.fs = s3_filesystem(
            endpoint=endpoint,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            use_ssl=use_ssl,
        )

    def _key(self, *parts: str) -> str:
        return "/".join([self.bucket, *([self.prefix] if self.prefix else []), *parts])

    def current(self, dataset_id: str) -> str | None:
        try:
            with self.fs.open_input_stream(self._key(dataset_id, "CURRENT")) as fh:
                return fh.read().decode("ascii").strip() or None
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"the sample store (S3) is unreachable: {exc}") from None

    def with_samples(self, dataset_ids: Collection[str]) -> set[str]:
        from pyarrow import fs

        try:  # one listing of the top level, not a request per dataset
            top = self.fs.get_file_info(fs.FileSelector(self._key(), allow_not_found=True))
        except OSError as exc:
            raise StoreError(f"the sample store (S3) is unreachable: {exc}") from None
        folders = {i.base_name for i in top if i.type == fs.FileType.Directory}
        return {i for i in dataset_ids if i in folders and self.current(i) is not None}

    def read(self, dataset_id: str, version: str, name: str) -> bytes:
        try:
            with self.fs.open_input_stream(self._key(dataset_id, version, name)) as fh:
                return bytes(fh.read())
        except OSError as exc:
            raise StoreError(f"the sample store (S3) failed: {exc}") from None

    def read_optional(self, dataset_id: str, version: str, name: str) -> bytes | None:
        try:
            with self.fs.open_input_stream(self._key(dataset_id, version, name)) as fh:
                return bytes(fh.read())
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"the sample store (S3) failed: {exc}") from None

    def add_file(self, dataset_id: str, version: str, name: str, data: bytes) -> None:
        try:  # one PUT: readers see the whole object or none
            with self.fs.open_output_stream(self._key(dataset_id, version, name)) as dst:
                dst.write(data)
        except OSError as exc:
            raise StoreError(f"the sample store (S3) failed: {exc}") from None

    def publish(self, dataset_id: str, version: str, staged: Path) -> None:
        """Write the version's objects (its staging in S3), then ``CURRENT``. The replaced
        version stays for readers elsewhere until :meth:`sweep`."""
        try:
            for name in sorted(p.name for p in staged.iterdir() if p.is_file()):
                with (
                    open(staged / name, "rb") as src,
                    self.fs.open_output_stream(self._key(dataset_id, version, name)) as dst,
                ):
                    shutil.copyfileobj(src, dst, 8 * 1024 * 1024)
            with self.fs.open_output_stream(self._key(dataset_id, "CURRENT")) as dst:
                dst.write(version.encode("ascii"))
        except OSError as exc:
            with contextlib.suppress(OSError):  # what was written; else the sweep will
                self.fs.delete_dir(self._key(dataset_id, version))
            raise StoreError(f"the sample store (S3) failed: {exc}") from None
        finally:
            shutil.rmtree(staged, ignore_errors=True)

    def sweep(self, max_age_s: float) -> int:
        from pyarrow import fs

        now, removed = time.time(), 0
        try:
            top = self.fs.get_file_info(fs.FileSelector(self._key(), allow_not_found=True))
            for folder in (i for i in top if i.type == fs.FileType.Directory):
                dataset_id = folder.base_name
                current = self.current(dataset_id)
                versions = self.fs.get_file_info(fs.FileSelector(folder.path))
                for version in (i for i in versions if i.type == fs.FileType.Directory):
                    age = version_age_s(version.base_name, now)
                    if version.base_name != current and age is not None and age > max_age_s:
                        self.fs.delete_dir(version.path)
                        removed += 1
        except OSError as exc:
            raise StoreError(f"the sample store (S3) failed: {exc}") from None
        return removed

    def duckdb_path(self, dataset_id: str, version: str) -> tuple[str, str]:
        folder = "s3://" + self._key(dataset_id, version)
        return folder + "/sample.parquet", folder + "/"

    def delete(self, dataset_id: str) -> None:
        try:
            self.fs.delete_file(self._key(dataset_id, "CURRENT"))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"the sample store (S3) failed: {exc}") from None
        with contextlib.suppress(OSError):
            self.fs.delete_dir(self._key(dataset_id))

    def ensure_bucket(self) -> None:
        try:
            self.fs.create_dir(self.bucket)
        except OSError as exc:
            raise StoreError(f"cannot create bucket {self.bucket!r}: {exc}") from None
