"""Where sample files live: a local folder, or an S3-compatible bucket.

Both keep one immutable folder per upload (``<dataset>/<version>/``) and a small
``<dataset>/CURRENT`` object naming the version served; replacing ``CURRENT`` is the one
atomic step of an upload (``os.replace`` locally, a single PUT in S3), so readers see the
old sample or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

from catalog.errors import StoreError
from catalog.object_storage import s3_filesystem

FILES = ("sample.parquet", "meta.json", "statistics.json")


class SampleBackend(Protocol):
    """Storage of sample folders."""

    def current(self, dataset_id: str) -> str | None: ...

    def read(self, dataset_id: str, version: str, name: str) -> bytes: ...

    def publish(self, dataset_id: str, version: str, staged: Path) -> None: ...

    def duckdb_path(self, dataset_id: str, version: str) -> tuple[str, str]:
        """The sample's path for DuckDB, and the one folder DuckDB may read."""
        ...

    def delete(self, dataset_id: str) -> None:
        """Forget ``CURRENT`` first (one atomic step), then the files."""
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

    def read(self, dataset_id: str, version: str, name: str) -> bytes:
        return (self.root / dataset_id / version / name).read_bytes()

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

    def read(self, dataset_id: str, version: str, name: str) -> bytes:
        try:
            with self.fs.open_input_stream(self._key(dataset_id, version, name)) as fh:
                return bytes(fh.read())
        except OSError as exc:
            raise StoreError(f"the sample store (S3) failed: {exc}") from None

    def publish(self, dataset_id: str, version: str, staged: Path) -> None:
        previous = self.current(dataset_id)
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
            raise StoreError(f"the sample store (S3) failed: {exc}") from None
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        if previous and previous != version:
            # an orphaned old version is harmless: CURRENT no longer names it
            with contextlib.suppress(OSError):
                self.fs.delete_dir(self._key(dataset_id, previous))

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
