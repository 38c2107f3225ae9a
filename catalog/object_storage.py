"""The shared object storage (S3-compatible: SeaweedFS, MinIO, AWS S3), through pyarrow.

>>> storage = ObjectStorage(S3Location("s3.local:8333", "datalab", "search-snapshots"))
>>> storage.put("LATEST", b"{...}")                     # doctest: +SKIP  (one PUT)
>>> storage.download("x.tar.zst", path, max_bytes=2**30)  # doctest: +SKIP  (size, sha256)

Every read is bounded (its bytes counted as they arrive), every error of the client becomes
:class:`catalog.errors.ObjectStorageError`. The sample store (:mod:`catalog.samples.backends`)
and the search index snapshots (:mod:`catalog.search.snapshots`) build their clients with
:func:`s3_filesystem`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.errors import LimitExceeded, ObjectStorageError

if TYPE_CHECKING:
    from pyarrow import fs

#: Bytes read or written per step of a transfer.
CHUNK = 8 * 1024 * 1024


def s3_filesystem(
    *,
    endpoint: str,
    access_key: str | None,
    secret_key: str | None,
    region: str,
    use_ssl: bool,
    virtual_addressing: bool = False,
) -> fs.S3FileSystem:
    """A pyarrow S3 client of an S3-compatible ``endpoint`` (``host:port``)."""
    from pyarrow import fs

    return fs.S3FileSystem(
        access_key=access_key,
        secret_key=secret_key,
        region=region,
        endpoint_override=endpoint,
        scheme="https" if use_ssl else "http",
        allow_bucket_creation=True,
        force_virtual_addressing=virtual_addressing,
    )


@dataclass(frozen=True)
class S3Location:
    """A key prefix in one bucket of an S3-compatible endpoint, and how to reach it."""

    endpoint: str
    bucket: str
    prefix: str
    access_key: str | None = None
    secret_key: str | None = None
    region: str = "us-east-1"
    use_ssl: bool = True
    virtual_addressing: bool = False

    def __repr__(self) -> str:  # never the secret key
        return f"S3Location({self.endpoint}/{self.bucket}/{self.prefix})"


@dataclass(frozen=True)
class StoredObject:
    """One object under the prefix: its name (the key without the prefix) and size."""

    name: str
    size: int


class ObjectStorage:
    """The objects under one :class:`S3Location` prefix (flat names, no folders)."""

    def __init__(self, location: S3Location) -> None:
        self.location = location
        self.fs = s3_filesystem(
            endpoint=location.endpoint,
            access_key=location.access_key,
            secret_key=location.secret_key,
            region=location.region,
            use_ssl=location.use_ssl,
            virtual_addressing=location.virtual_addressing,
        )

    def __repr__(self) -> str:
        return f"ObjectStorage({self.location!r})"

    def key(self, name: str) -> str:
        prefix = self.location.prefix.strip("/")
        return "/".join([self.location.bucket, *([prefix] if prefix else []), name])

    def ensure_bucket(self) -> None:
        with self._errors("create the bucket"):
            self.fs.create_dir(self.location.bucket)

    def get(self, name: str, max_bytes: int) -> bytes | None:
        """A small object's bytes (``None``: no such object); a larger one is refused."""
        try:
            with self._errors(f"read {name}"), self.fs.open_input_stream(self.key(name)) as src:
                data = bytes(src.read(max_bytes + 1))
        except FileNotFoundError:
            return None
        if len(data) > max_bytes:
            raise LimitExceeded(f"object {name} is larger than {max_bytes} bytes", where=name)
        return data

    def download(self, name: str, dest: Path, max_bytes: int) -> tuple[int, str]:
        """Copy an object into ``dest``; its size and SHA-256 (hex). The bytes are counted
        as they arrive: an object larger than ``max_bytes`` is refused once it passes it
        (the size a server lists is not trusted: SeaweedFS lists the size it stores for
        ``.gz``/``.zst`` names, not the object's)."""
        digest, total = hashlib.sha256(), 0
        try:
            with dest.open("wb") as out, self._stream(name, "read") as src:
                while True:
                    with self._errors(f"read {name}"):
                        chunk = src.read(min(CHUNK, max_bytes + 1 - total))
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > max_bytes:
                        raise LimitExceeded(f"object {name} is larger than {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
        except FileNotFoundError:
            raise ObjectStorageError(f"object {name} is missing from {self!r}") from None
        return total, digest.hexdigest()

    def upload(self, name: str, src: Path) -> tuple[int, str]:
        """Write the file ``src`` as object ``name``; its size and SHA-256 (hex)."""
        digest, total = hashlib.sha256(), 0
        with src.open("rb") as fh, self._stream(name, "write") as out:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                total += len(chunk)
                with self._errors(f"write {name}"):
                    out.write(chunk)
        return total, digest.hexdigest()

    def put(self, name: str, data: bytes) -> None:
        """Write a small object in one request: readers see the old one or the new one."""
        with self._errors(f"write {name}"), self.fs.open_output_stream(self.key(name)) as out:
            out.write(data)

    def list(self) -> list[StoredObject]:
        """The objects directly under the prefix, by name (sizes as the server lists them)."""
        from pyarrow import fs

        selector = fs.FileSelector(self.key("").rstrip("/"), allow_not_found=True)
        with self._errors("list the objects"):
            infos = self.fs.get_file_info(selector)
        found = [
            StoredObject(i.base_name, int(i.size or 0)) for i in infos if i.type == fs.FileType.File
        ]
        return sorted(found, key=lambda o: o.name)

    def delete(self, name: str) -> None:
        """Delete an object (a missing one is no error)."""
        try:
            with self._errors(f"delete {name}"):
                self.fs.delete_file(self.key(name))
        except FileNotFoundError:
            return

    @contextmanager
    def _stream(self, name: str, mode: str) -> Iterator[Any]:
        """An open input (``read``) or output (``write``) stream of object ``name``, closed
        (for an output: the object completed) on the way out; client errors wrapped."""
        with self._errors(f"{mode} {name}"):
            key = self.key(name)
            stream = (
                self.fs.open_input_stream(key)
                if mode == "read"
                else self.fs.open_output_stream(key)
            )
        try:
            yield stream
        except BaseException:
            # pyarrow cannot abort an upload: the object it completes with part of the data
            # is deleted (callers never name an object before its upload returned)
            with suppress(Exception):
                stream.close()
                if mode == "write":
                    self.fs.delete_file(key)
            raise
        with self._errors(f"{mode} {name}"):
            stream.close()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Client errors as :class:`ObjectStorageError` (a missing object stays
        ``FileNotFoundError`` for the callers that expect one)."""
        try:
            yield
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise ObjectStorageError(
                f"the object storage ({self.location!r}) could not {doing}: {exc}"
            ) from None
