"""Search index snapshots in a real S3 server (SeaweedFS), with the real index and catalogue.

An "origin" index publishes a snapshot; a "replica" index (another folder over the same
catalogue and change feed, as a new replica's home would be) starts from it: it answers
what the origin answers without projecting a single dataset, then follows the feed from
the snapshot's position. Snapshots it may not use (corrupt, another format, too large,
from another database, hostile archives) leave it building its index from the graph.
"""

from __future__ import annotations

import io
import logging
import sqlite3
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from catalog.demo import load_demo
from catalog.ids import dataset_id
from catalog.object_storage import ObjectStorage
from catalog.search import SearchService, snapshots
from catalog.search.providers import DEFAULT_PROVIDERS
from catalog.search.snapshot_archive import pack
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from tests.s3_server import ACCESS_KEY, SECRET_KEY

QUERIES: list[dict[str, Any]] = [
    {"q": ""},
    {"q": "health"},
    {"q": "Gesundheit"},  # a theme label in another language
    {"q": "satellite*"},
    {"q": "data", "sort": "title", "limit": 5},
]


def s3_settings(endpoint: str, **extra: Any) -> dict[str, Any]:
    """Settings of a snapshot location of its own in the test server."""
    return {
        "search_snapshot_s3_endpoint": endpoint,
        "search_snapshot_s3_bucket": "search-snapshots",
        "search_snapshot_s3_prefix": f"t-{uuid.uuid4().hex[:12]}",
        "search_snapshot_s3_access_key": ACCESS_KEY,
        "search_snapshot_s3_secret_key": SECRET_KEY,
        "samples_s3_use_ssl": False,
        **extra,
    }


@pytest.fixture
def snap_settings(settings: Settings, s3_endpoint: str) -> Settings:
    return get_settings(
        home=settings.home,
        search_text_engine=settings.search_text_engine,
        **s3_settings(s3_endpoint),
    )


@pytest.fixture
def catalogue(snap_settings: Settings) -> Iterator[Catalogue]:
    with Catalogue.open(snap_settings) as cat:
        load_demo(cat)
        yield cat


@pytest.fixture
def storage(snap_settings: Settings) -> ObjectStorage:
    found = snapshots.storage_for(snap_settings)
    assert found is not None
    return found


@pytest.fixture
def origin(catalogue: Catalogue, tmp_path: Path) -> Iterator[SearchService]:
    service = open_index(catalogue, tmp_path / "origin")
    assert service.origin == "build"  # nothing published yet
    yield service
    service.close()


def open_index(catalogue: Catalogue, folder: Path) -> SearchService:
    return SearchService.open(catalogue, DEFAULT_PROVIDERS, attach=False, folder=folder)


def answers(service: SearchService) -> list[tuple[int, list[str], Any]]:
    out = []
    for query in QUERIES:
        result = service.search(**query)
        out.append((result.total, [h.id for h in result.items], result.facets))
    return out


def pollen(name: str) -> bytes:
    return (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
        f'<https://ex.org/ds/{name}> a dcat:Dataset ; dct:title "Pollen {name}"@en .'
    ).encode()


@pytest.fixture
def replica_folder(tmp_path: Path) -> Path:
    return tmp_path / "replica"


# -- a new replica -------------------------------------------------------------------------


def test_a_new_replica_restores_the_snapshot_then_follows_the_feed_from_its_position(
    catalogue: Catalogue, origin: SearchService, storage: ObjectStorage, replica_folder: Path
) -> None:
    published = snapshots.publish(origin, storage, keep=3)
    manifest = published.manifest
    assert published.uploaded and snapshots.latest(storage) == manifest
    assert manifest.position == catalogue.changes.head()
    assert manifest.datasets == origin.index.stats()["datasets"] == 41
    assert manifest.format == snapshots.FORMAT and len(manifest.sha256) == 64

    replica = open_index(catalogue, replica_folder)
    try:
        assert replica.origin == "snapshot" and replica.restored == manifest
        assert list(replica.projected) == []  # restored, not built: nothing projected
        assert answers(replica) == answers(origin)
        assert not (replica_folder / "snapshot.in").exists()

        catalogue.load(pollen("fen"), fmt="turtle", source="late")
        mark = len(replica.projected)
        assert [h.id for h in replica.search("pollen").items] == [
            dataset_id("https://ex.org/ds/fen")
        ]
        late = frozenset({dataset_id("https://ex.org/ds/fen")})
        assert list(replica.projected)[mark:] == [("late", late)]  # the feed, per dataset
        assert replica.origin == "snapshot"
        status = replica.feed_status()
        assert status.position == catalogue.changes.head() and status.lag == 0
    finally:
        replica.close()


def test_publishing_an_unchanged_index_confirms_latest_and_retention_keeps_the_newest(
    catalogue: Catalogue, origin: SearchService, storage: ObjectStorage
) -> None:
    names = []
    for name in ("heath", "bog", "dune"):
        catalogue.load(pollen(name), fmt="turtle", source="late")
        published = snapshots.publish(origin, storage, keep=2)
        assert published.uploaded
        names.append(published.manifest.archive)
    assert published.deleted == [names[0]]
    kept = snapshots.snapshots(storage)
    assert [s.name for s in kept] == names[1:]
    assert snapshots.oldest_position(storage) == kept[0].position < kept[1].position
    stored = {o.name for o in storage.list()}
    assert stored == {"LATEST", *names[1:], *(n.replace(".tar.zst", ".json") for n in names[1:])}

    again = snapshots.publish(origin, storage, keep=2)
    assert not again.uploaded and again.manifest.archive == names[2]
    latest = snapshots.latest(storage)
    assert latest is not None and latest.confirmed is not None
    assert [s.name for s in snapshots.snapshots(storage)] == names[1:]
    now = datetime.now(UTC)
    assert not snapshots.due(storage, 3600, now)
    assert snapshots.due(storage, 3600, now + timedelta(hours=2))


def test_a_long_stopped_replica_takes_a_newer_snapshot_past_the_lag_threshold(
    catalogue: Catalogue,
    origin: SearchService,
    storage: ObjectStorage,
    replica_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    snapshots.publish(origin, storage, keep=3)
    open_index(catalogue, replica_folder).close()  # restored, then stopped
    for name in ("heath", "bog", "dune"):
        catalogue.load(pollen(name), fmt="turtle", source="late")
    snapshots.publish(origin, storage, keep=3)

    near = open_index(catalogue, replica_folder)  # 3 rows behind: catches up from the feed
    assert near.origin == "existing" and near.search("pollen").total == 3
    near.close()
    for name in ("fen", "moor"):
        catalogue.load(pollen(name), fmt="turtle", source="late")
    newest = snapshots.publish(origin, storage, keep=3).manifest

    strict = catalogue.settings.model_copy(update={"search_snapshot_restore_lag": 1})
    monkeypatch.setattr(catalogue, "settings", strict)
    far = open_index(catalogue, replica_folder)  # 2 rows behind, more than 1: restores
    try:
        assert far.origin == "snapshot" and far.restored == newest
        assert list(far.projected) == [] and far.search("pollen").total == 5
    finally:
        far.close()


# -- snapshots a replica may not use ---------------------------------------------------------


def _flip(storage: ObjectStorage, manifest: snapshots.Manifest) -> None:
    data = bytearray(storage.get(manifest.archive, manifest.size) or b"")
    data[len(data) // 2] ^= 0xFF
    storage.put(manifest.archive, bytes(data))


@pytest.mark.parametrize("spoil", ["corrupt", "foreign-format", "oversized", "lying-size"])
def test_an_unusable_snapshot_is_refused_and_the_replica_builds_its_index(
    spoil: str,
    catalogue: Catalogue,
    origin: SearchService,
    storage: ObjectStorage,
    replica_folder: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manifest = snapshots.publish(origin, storage, keep=3).manifest
    if spoil == "corrupt":
        _flip(storage, manifest)
    elif spoil == "foreign-format":
        other = replace(manifest, format="datalab-search-snapshot/0 index/1 tantivy/1")
        storage.put(snapshots.LATEST, other.to_json())
    elif spoil == "lying-size":
        storage.put(snapshots.LATEST, replace(manifest, size=manifest.size // 2).to_json())
    else:
        small = catalogue.settings.model_copy(update={"search_snapshot_max_bytes": 1024})
        monkeypatch.setattr(catalogue, "settings", small)
    expected = {
        "corrupt": "fails its SHA-256 check",
        "foreign-format": "format is 'datalab-search-snapshot/0",
        "oversized": "more than DATALAB_SEARCH_SNAPSHOT_MAX_BYTES",
        "lying-size": "larger than its manifest says",
    }[spoil]
    with caplog.at_level(logging.WARNING, logger="catalog.search.snapshots"):
        replica = open_index(catalogue, replica_folder)
    try:
        assert replica.origin == "build" and replica.restored is None
        assert expected in caplog.text and "building the index" in caplog.text
        assert answers(replica) == answers(origin)
        assert not (replica_folder / "snapshot.in").exists()
    finally:
        replica.close()


def test_a_snapshot_of_another_database_is_refused(
    origin: SearchService,
    storage: ObjectStorage,
    snap_settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A snapshot whose feed position is past this database's head was taken elsewhere."""
    snapshots.publish(origin, storage, keep=3)
    other = snap_settings.model_copy(update={"home": tmp_path / "other-home"})
    with Catalogue.open(other) as empty:
        with caplog.at_level(logging.WARNING, logger="catalog.search.snapshots"):
            replica = open_index(empty, tmp_path / "other-index")
        try:
            assert replica.origin == "build" and replica.search("").total == 0
            assert "taken from another database" in caplog.text
        finally:
            replica.close()


# -- hostile archives --------------------------------------------------------------------------


def hostile_archive(index_file: Path, kind: str) -> bytes:
    """A zstd tar holding a real index file and one member the rules refuse."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(index_file, arcname="index.sqlite")
        info = tarfile.TarInfo({
            "parent": "../escaped.txt",
            "absolute": "/tmp/datalab-escaped.txt",
            "symlink": "tantivy/meta.json",
            "hardlink": "tantivy/meta.json",
            "device": "tantivy/meta.json",
            "fifo": "tantivy/meta.json",
            "nested": "tantivy/sub/meta.json",
            "unknown": "run.sh",
            "duplicate": "index.sqlite",
        }[kind])  # fmt: skip
        info.type = {
            "symlink": tarfile.SYMTYPE,
            "hardlink": tarfile.LNKTYPE,
            "device": tarfile.CHRTYPE,
            "fifo": tarfile.FIFOTYPE,
        }.get(kind, tarfile.REGTYPE)
        info.linkname = "/etc/passwd" if kind in ("symlink", "hardlink") else ""
        body = b"escaped" if info.type == tarfile.REGTYPE else b""
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    out = pa.BufferOutputStream()
    with pa.CompressedOutputStream(out, "zstd") as zst:
        zst.write(raw.getvalue())
    return bytes(out.getvalue().to_pybytes())


KINDS = ["parent", "absolute", "symlink", "hardlink", "device", "fifo", "nested", "unknown"]


@pytest.mark.parametrize("kind", [*KINDS, "duplicate"])
def test_unpack_refuses_every_member_the_rules_do_not_allow(
    kind: str, origin: SearchService, tmp_path: Path
) -> None:
    from catalog.errors import SnapshotRefused
    from catalog.search.snapshot_archive import unpack

    archive = tmp_path / "hostile.tar.zst"
    archive.write_bytes(hostile_archive(origin.index.path, kind))
    with pytest.raises(SnapshotRefused):
        unpack(archive, tmp_path / "out" / "files", max_bytes=1 << 30)
    assert not (tmp_path / "out" / "escaped.txt").exists()
    assert not Path("/tmp/datalab-escaped.txt").exists()


@pytest.mark.parametrize("kind", ["parent", "symlink", "device"])
def test_a_hostile_snapshot_with_a_valid_checksum_is_refused_and_nothing_escapes(
    kind: str,
    catalogue: Catalogue,
    origin: SearchService,
    storage: ObjectStorage,
    replica_folder: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real = snapshots.publish(origin, storage, keep=3).manifest
    name = f"{real.position:012d}-20990101T000000Z.tar.zst"
    path = replica_folder.parent / name
    path.write_bytes(hostile_archive(origin.index.path, kind))
    size, digest = storage.upload(name, path)
    forged = replace(real, archive=name, size=size, sha256=digest)
    storage.put(snapshots.LATEST, forged.to_json())
    with caplog.at_level(logging.WARNING, logger="catalog.search.snapshots"):
        replica = open_index(catalogue, replica_folder)
    try:
        assert replica.origin == "build"
        assert "which a search index snapshot may not" in caplog.text
        assert not (replica_folder / "escaped.txt").exists()
        assert not (replica_folder.parent / "escaped.txt").exists()
        assert not (replica_folder / "snapshot.in").exists()
    finally:
        replica.close()


def test_a_snapshot_of_the_other_text_engine_is_refused_and_the_replica_builds_its_index(
    catalogue: Catalogue,
    origin: SearchService,
    storage: ObjectStorage,
    replica_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An FTS5 engine's index file keeps its text in FTS5, a Tantivy engine's in a plain
    table: a replica of the other engine cannot use it and builds its own."""
    snapshots.publish(origin, storage, keep=3)
    other = "fts5" if origin.settings.search_text_engine == "tantivy" else "tantivy"
    switched = catalogue.settings.model_copy(update={"search_text_engine": other})
    monkeypatch.setattr(catalogue, "settings", switched)
    with caplog.at_level(logging.WARNING, logger="catalog.search.snapshots"):
        replica = open_index(catalogue, replica_folder)
    try:
        assert replica.origin == "build" and replica.restored is None
        assert f"not of this index schema (for the {other} engine)" in caplog.text
        assert replica.index.text == other
        # the same matches (the engines' BM25 orders differ a little)
        counted = [(total, facets) for total, _, facets in answers(replica)]
        assert counted == [(total, facets) for total, _, facets in answers(origin)]
    finally:
        replica.close()


def test_an_index_file_with_objects_of_its_own_is_refused(
    catalogue: Catalogue,
    origin: SearchService,
    storage: ObjectStorage,
    replica_folder: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A checksum only says the archive is the one published: the index file inside must
    still hold exactly this schema (here a trigger was added), checked before it is used."""
    real = snapshots.publish(origin, storage, keep=3).manifest
    files = tmp_path / "forged"
    snapshots.take(origin, files)
    with sqlite3.connect(files / "index.sqlite") as conn:
        conn.execute("CREATE TRIGGER t AFTER INSERT ON docs BEGIN DELETE FROM docs; END")
    conn.close()
    name = f"{real.position:012d}-20990101T000000Z.tar.zst"
    packed = pack(files, tmp_path / name)
    size, digest = storage.upload(name, tmp_path / name)
    forged = replace(real, archive=name, size=size, sha256=digest, files=packed.files)
    storage.put(snapshots.LATEST, forged.to_json())
    with caplog.at_level(logging.WARNING, logger="catalog.search.snapshots"):
        replica = open_index(catalogue, replica_folder)
    try:
        assert replica.origin == "build"
        assert "not of this index schema" in caplog.text
    finally:
        replica.close()


def test_a_garbage_or_bomb_archive_is_refused(origin: SearchService, tmp_path: Path) -> None:
    from catalog.errors import SnapshotRefused
    from catalog.search.snapshot_archive import unpack

    garbage = tmp_path / "garbage.tar.zst"
    garbage.write_bytes(b"not a zstd stream at all" * 100)
    with pytest.raises(SnapshotRefused, match="could not be unpacked"):
        unpack(garbage, tmp_path / "g", max_bytes=1 << 30)
    bomb = tmp_path / "bomb.tar.zst"
    bomb.write_bytes(hostile_archive(origin.index.path, "unknown"))
    with pytest.raises(SnapshotRefused, match="unpacks to more than 1000 bytes"):
        unpack(bomb, tmp_path / "b", max_bytes=1000)
