"""Search index snapshots in the shared object storage: published by workers, restored by
new or long-stopped replicas, which then apply the change feed from the snapshot's position.

>>> published = publish(service, storage_for(settings), keep=3)   # doctest: +SKIP
>>> restore(replica, storage, latest(storage))                    # doctest: +SKIP

Under the prefix (``DATALAB_SEARCH_SNAPSHOT_S3_PREFIX``) live, per snapshot, the archive
``<position, 12 digits>-<UTC time>.tar.zst`` (:mod:`catalog.search.snapshot_archive`) and
its manifest ``<same stem>.json`` (:class:`Manifest`: feed position, format, SHA-256,
sizes), plus one ``LATEST`` object holding the newest manifest. ``LATEST`` is written last,
in one PUT: a reader sees the previous snapshot or the new one, never an archive still
being uploaded.

**Taking** (:func:`take`): under the index's lock, after catching up with the feed, an
SQLite online backup of the index file and a copy of its Tantivy mirror, so both hold the
same documents and the feed position recorded in the file. Packing and uploading run after
the lock is released.

**Restoring** (:func:`restore`): the manifest's format must be :data:`FORMAT` (another one
is ignored with a log line: the replica builds its index), its archive no larger than
``search_snapshot_max_bytes``, its position not past the feed's head (another database).
The archive is downloaded (bounded), its size and SHA-256 compared with the manifest's,
unpacked by the hostile-input rules of :func:`snapshot_archive.unpack` into a staging
folder next to the index, checked like any index file on open (``quick_check``, schema,
complete, the manifest's position), then moved into place: the Tantivy folder first, the
SQLite file last with one rename (the file is the truth; a mirror that does not match it is
rebuilt, never trusted). The service then catches up from the snapshot's position.

**Retention** (:func:`prune`): the newest ``search_snapshot_keep`` snapshots are kept.
:func:`oldest_position` is the position of the oldest kept one: trimming the change feed
(not built yet) must keep every row after it, or a replica restoring that snapshot could
not catch up.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from catalog.errors import (
    DatalabError,
    LimitExceeded,
    ObjectStorageError,
    SearchIndexError,
    SnapshotRefused,
)
from catalog.object_storage import ObjectStorage, S3Location
from catalog.search import snapshot_archive
from catalog.search.index import (
    SCHEMA_VERSION,
    IndexFile,
    expected_schema_objects,
    schema_objects,
)
from catalog.search.mirror_layout import LAYOUT
from catalog.search.snapshot_archive import INDEX_NAME, MIRROR_DIR
from catalog.settings import Settings

if TYPE_CHECKING:
    from catalog.search.engine import SearchService
    from catalog.service import Catalogue

log = logging.getLogger(__name__)

#: What a replica can restore: the archive layout, the SQLite index schema and the Tantivy
#: mirror layout. A snapshot of another format is ignored (the replica builds instead).
FORMAT = f"datalab-search-snapshot/1 index/{SCHEMA_VERSION} tantivy/{LAYOUT}"
LATEST = "LATEST"
SUFFIX = ".tar.zst"
#: Largest manifest read (``LATEST`` and ``<stem>.json``).
MANIFEST_MAX_BYTES = 64 * 1024
#: The folder of a worker's own search index under its home (``search-snapshot`` jobs).
WORKER_FOLDER = "search-worker"
#: Staging folders inside an index folder: a snapshot being taken, one being restored.
STAGING_OUT, STAGING_IN = "snapshot.out", "snapshot.in"
_NAME = re.compile(r"^(\d{12})-(\d{8}T\d{6}Z)\.tar\.zst$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Manifest:
    """What ``<stem>.json`` and ``LATEST`` say of one snapshot."""

    archive: str
    position: int
    format: str
    sha256: str
    size: int
    unpacked_size: int
    files: int
    datasets: int
    created: str
    #: When a publish last found the index unchanged since this snapshot (none: never).
    confirmed: str | None = None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1).encode()

    @classmethod
    def parse(cls, data: bytes) -> Manifest:
        """A manifest read from the storage; anything unexpected refuses it."""
        try:
            raw = json.loads(data)
            known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
            manifest = cls(**known)  # fields a later format adds are left to its check
        except (ValueError, TypeError, AttributeError) as exc:
            raise SnapshotRefused(f"the snapshot manifest is unreadable: {exc}") from None
        manifest.check()
        return manifest

    def check(self) -> None:
        ints = (self.position, self.size, self.unpacked_size, self.files, self.datasets)
        if not all(type(v) is int and v >= 0 for v in ints):
            raise SnapshotRefused("the snapshot manifest has a bad number")
        if not _NAME.match(str(self.archive)) or not _SHA256.match(str(self.sha256)):
            raise SnapshotRefused("the snapshot manifest names no valid archive or checksum")
        _when(self.created)
        if self.confirmed is not None:
            _when(self.confirmed)

    @property
    def fresh_at(self) -> datetime:
        """When this snapshot was last known to be the index's state."""
        return _when(self.confirmed or self.created)


@dataclass(frozen=True)
class Snapshot:
    """One archive under the prefix (its name carries its position and time)."""

    name: str
    position: int
    created: str
    size: int

    @property
    def manifest_name(self) -> str:
        return self.name.removesuffix(SUFFIX) + ".json"


@dataclass(frozen=True)
class Published:
    """What :func:`publish` did: the manifest ``LATEST`` now holds."""

    manifest: Manifest
    uploaded: bool  # False: the index had not moved, LATEST was only confirmed
    deleted: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "archive": self.manifest.archive,
            "position": self.manifest.position,
            "datasets": self.manifest.datasets,
            "size": self.manifest.size,
            "uploaded": self.uploaded,
            "deleted": self.deleted,
        }


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        raise SnapshotRefused(f"the snapshot manifest has a bad time {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# -- where -----------------------------------------------------------------------------------


def storage_for(settings: Settings) -> ObjectStorage | None:
    """The snapshots' object storage, or ``None`` when no S3 endpoint is configured."""
    endpoint = settings.search_snapshot_s3_endpoint or settings.samples_s3_endpoint
    if not endpoint:
        return None
    return ObjectStorage(
        S3Location(
            endpoint=endpoint,
            bucket=settings.search_snapshot_s3_bucket or settings.samples_s3_bucket,
            prefix=settings.search_snapshot_s3_prefix,
            access_key=settings.search_snapshot_s3_access_key or settings.samples_s3_access_key,
            secret_key=settings.search_snapshot_s3_secret_key or settings.samples_s3_secret_key,
            region=settings.samples_s3_region,
            use_ssl=settings.samples_s3_use_ssl,
            virtual_addressing=settings.samples_s3_url_style == "vhost",
        )
    )


def worker_folder(settings: Settings) -> Path:
    return settings.home / WORKER_FOLDER


def latest(storage: ObjectStorage) -> Manifest | None:
    """The manifest ``LATEST`` holds (``None``: no snapshot yet)."""
    try:
        data = storage.get(LATEST, MANIFEST_MAX_BYTES)
    except LimitExceeded as exc:
        raise SnapshotRefused(str(exc)) from None
    return None if data is None else Manifest.parse(data)


def snapshots(storage: ObjectStorage) -> list[Snapshot]:
    """The archives under the prefix, oldest first (by position, then time)."""
    found = []
    for obj in storage.list():
        match = _NAME.match(obj.name)
        if match:
            found.append(Snapshot(obj.name, int(match[1]), match[2], obj.size))
    return sorted(found, key=lambda s: (s.position, s.created))


def oldest_position(storage: ObjectStorage) -> int | None:
    """The feed position of the oldest kept snapshot: the change feed must keep every row
    after it (``None``: no snapshot)."""
    kept = snapshots(storage)
    return kept[0].position if kept else None


# -- publishing ------------------------------------------------------------------------------


def take(service: SearchService, dest: Path) -> tuple[int, int]:
    """Catch up with the feed, then copy the index file (SQLite online backup) and its
    Tantivy mirror into the new folder ``dest`` under the index lock: (position, datasets)."""
    dest.mkdir(parents=True)
    with service.index.lock:
        service.sync()
        db = service.index.db()
        position = IndexFile.feed_position(db)
        if position is None:
            raise SearchIndexError("the search index follows no change feed: no snapshot")
        datasets = int(db.execute("SELECT count(*) FROM docs").fetchone()[0])
        copy = sqlite3.connect(dest / INDEX_NAME)
        try:
            db.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
        if service.text is not None and service.text.index is not None:
            (dest / MIRROR_DIR).mkdir()
            for path in snapshot_archive.mirror_files(service.text.path):
                shutil.copyfile(path, dest / MIRROR_DIR / path.name)
    return position, datasets


def publish(service: SearchService, storage: ObjectStorage, keep: int) -> Published:
    """Take, pack and upload a snapshot of ``service``'s index, point ``LATEST`` at it and
    keep the ``keep`` newest. An index still at ``LATEST``'s position is not uploaded
    again: ``LATEST`` is only confirmed (its ``confirmed`` time moves)."""
    previous = _latest_or_none(storage)
    staging = _fresh(service.folder / STAGING_OUT)
    try:
        position, datasets = take(service, staging / "files")
        now = datetime.now(UTC)
        if previous is not None and previous.position == position and previous.format == FORMAT:
            confirmed = replace(previous, confirmed=now.isoformat(timespec="seconds"))
            storage.put(LATEST, confirmed.to_json())
            return Published(confirmed, False, prune(storage, keep, previous.archive))
        name = f"{position:012d}-{now:%Y%m%dT%H%M%SZ}{SUFFIX}"
        packed = snapshot_archive.pack(staging / "files", staging / name)
        _ensure_bucket(storage)
        size, digest = storage.upload(name, staging / name)
        manifest = Manifest(
            name, position, FORMAT, digest, size, packed.unpacked_bytes, packed.files,
            datasets, now.isoformat(timespec="seconds"),
        )  # fmt: skip
        storage.put(name.removesuffix(SUFFIX) + ".json", manifest.to_json())
        storage.put(LATEST, manifest.to_json())
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("search snapshot %s published (position %d, %d bytes)", name, position, size)
    return Published(manifest, True, prune(storage, keep, name))


def prune(storage: ObjectStorage, keep: int, protect: str) -> list[str]:
    """Delete all but the ``keep`` newest archives (never ``protect``, which ``LATEST``
    names) and their manifests; the names deleted."""
    doomed = [s for s in snapshots(storage)[: -max(1, keep)] if s.name != protect]
    for snapshot in doomed:
        storage.delete(snapshot.manifest_name)
        storage.delete(snapshot.name)
    return [s.name for s in doomed]


def due(storage: ObjectStorage, every_s: float, now: datetime) -> bool:
    """Whether a new snapshot is due: none yet, an unusable ``LATEST``, or one last known
    to be current more than ``every_s`` ago."""
    previous = _latest_or_none(storage)
    if previous is None or previous.format != FORMAT:
        return True
    return (now - previous.fresh_at).total_seconds() >= every_s


def _latest_or_none(storage: ObjectStorage) -> Manifest | None:
    try:
        return latest(storage)
    except SnapshotRefused as exc:
        log.warning("search snapshots: LATEST is unusable (%s); a new one replaces it", exc)
        return None


def _ensure_bucket(storage: ObjectStorage) -> None:
    try:
        storage.ensure_bucket()
    except ObjectStorageError as exc:  # no right to create buckets: the upload will say
        log.info("search snapshots: could not create the bucket (%s)", exc)


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


# -- restoring -------------------------------------------------------------------------------


def restore_at_start(service: SearchService, opened: bool) -> Manifest | None:
    """At open: the snapshot restored into ``service``'s folder, when one is configured and
    the index is missing (``opened`` false), no longer covered by the feed or more than
    ``search_snapshot_restore_lag`` rows behind; ``None`` when none was (logged)."""
    settings = service.settings
    storage = storage_for(settings)
    shutil.rmtree(service.folder / STAGING_IN, ignore_errors=True)  # left by a killed restore
    if storage is None or not settings.search_snapshot_restore:
        return None
    own = IndexFile.feed_position(service.index.db()) if opened else None
    if opened and not _behind(service.catalogue, own, settings.search_snapshot_restore_lag):
        return None
    try:
        manifest = latest(storage)
        if manifest is None:
            log.info("search: no snapshot in %r yet", storage)
            return None
        if own is not None and manifest.position <= own:
            return None
        return restore(service, storage, manifest)
    except (SnapshotRefused, ObjectStorageError, OSError) as exc:
        then = "catching up from the feed" if opened else "building the index"
        log.warning("search: the latest snapshot is not used (%s); %s", exc, then)
        return None


def _behind(catalogue: Catalogue, position: int | None, lag: int) -> bool:
    """Whether an open index is better replaced by a newer snapshot: it follows no feed,
    the feed was cut after its position, or it is more than ``lag`` rows behind."""
    if position is None:
        return True
    try:
        head = catalogue.changes.head()
        if head <= position:
            return False
        oldest = catalogue.changes.oldest()
    except (DatalabError, SQLAlchemyError):
        return False  # the feed cannot be read: nothing tells a snapshot is better
    return head - position > lag or oldest is None or oldest > position + 1


def restore(service: SearchService, storage: ObjectStorage, manifest: Manifest) -> Manifest:
    """Download, verify and unpack ``manifest``'s snapshot and move it into place as
    ``service``'s index (see the module); raises :class:`SnapshotRefused` when it may not
    be used, leaving the index as it was."""
    _acceptable(service, manifest)
    staging = _fresh(service.folder / STAGING_IN)
    try:
        archive = staging / manifest.archive
        try:
            size, digest = storage.download(manifest.archive, archive, manifest.size)
        except LimitExceeded as exc:
            raise SnapshotRefused(f"the snapshot is larger than its manifest says: {exc}") from None
        if size != manifest.size or digest != manifest.sha256:
            raise SnapshotRefused(f"the snapshot {manifest.archive} fails its SHA-256 check")
        files = staging / "files"
        snapshot_archive.unpack(archive, files, service.settings.search_snapshot_max_bytes)
        archive.unlink()
        _verify(files / INDEX_NAME, manifest.position, service.index.text)
        _install(service, files)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("search index restored from snapshot %s (position %d)", manifest.archive,
             manifest.position)  # fmt: skip
    return manifest


def _acceptable(service: SearchService, manifest: Manifest) -> None:
    """Refuse a snapshot of another format, too large, or ahead of the feed."""
    if manifest.format != FORMAT:
        raise SnapshotRefused(f"the snapshot's format is {manifest.format!r}, not {FORMAT!r}")
    limit = service.settings.search_snapshot_max_bytes
    if max(manifest.size, manifest.unpacked_size) > limit:
        raise SnapshotRefused(
            f"the snapshot has {manifest.size} bytes ({manifest.unpacked_size} unpacked), "
            f"more than DATALAB_SEARCH_SNAPSHOT_MAX_BYTES ({limit})"
        )
    try:
        head = service.catalogue.changes.head()
    except (DatalabError, SQLAlchemyError):
        return  # the catch-up will fall back to comparing sources
    if manifest.position > head:
        raise SnapshotRefused(
            f"the snapshot's feed position {manifest.position} is past the change feed's "
            f"head {head}: it was taken from another database"
        )


def _verify(path: Path, position: int, text: str) -> None:
    """The unpacked index file holds exactly this schema's tables and indexes, as this
    code creates them for the text engine ``text`` (no view, trigger or altered table of
    its own: compared before any query touches them), and passes the checks of any index
    on open, at ``position``."""
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            found = schema_objects(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise SnapshotRefused(f"the snapshot's index file is unreadable: {exc}") from None
    if found != expected_schema_objects(text):
        raise SnapshotRefused(
            f"the snapshot's index file is not of this index schema (for the {text} engine)"
        )
    probe = IndexFile(path, text)
    try:
        if not probe.open_verified():
            raise SnapshotRefused("the snapshot's index file fails its checks")
        at = IndexFile.feed_position(probe.db())
    finally:
        probe.close(seal=False)
    if at != position:
        raise SnapshotRefused(f"the snapshot's index is at position {at}, not {position}")


def _install(service: SearchService, files: Path) -> None:
    """Move the unpacked index into place: the mirror first, the SQLite file last."""
    with service.index.lock:
        text = service.text
        if text is not None:
            text.close()
            if text.path.exists():
                shutil.rmtree(text.path)
            if (files / MIRROR_DIR).is_dir():
                (files / MIRROR_DIR).rename(text.path)
        service.index.path.parent.mkdir(parents=True, exist_ok=True)
        service.index.swap(files / INDEX_NAME)
        if text is not None:
            text.sync_with(service.index.db())  # rebuilt from the file if it does not match
