"""A disk that fills up during a sample upload (hostile-inputs K78), on a real 2 MB tmpfs:
a clear InsufficientStorage error at whatever step the space runs out (body copy, Parquet
write, DuckDB's sorted copies, metadata, the CURRENT switch), no partial file left, and the
previous sample still served."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from catalog.errors import InsufficientStorage
from catalog.samples import SampleStore, Upload
from catalog.settings import Settings, get_settings
from tests.catalog.samples.builders import fill, free_bytes, sales_table, tmpfs, write_parquet


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "fs", "2m") as mounted:
        yield mounted


@pytest.fixture
def small(disk: Path, settings: Settings) -> SampleStore:
    """A store on the tmpfs; every sample gets sorted copies, so DuckDB writes too."""
    return SampleStore(
        get_settings(home=settings.home, samples_dir=disk, sample_sort_copy_min_rows=0)
    )


def _bigger(tmp_path: Path, rows: int = 5000) -> Path:
    table = pa.table(
        {
            "x": pa.array(np.random.default_rng(3).random(rows)),
            "s": pa.array([f"value {i}" for i in range(rows)]),
        }
    )
    return write_parquet(tmp_path / "bigger.parquet", table)


def _state(store: SampleStore, dataset_id: str) -> tuple:
    return store.meta(dataset_id), store.rows(dataset_id), store.statistics(dataset_id)


def _assert_clean(disk: Path, dataset_id: str, store: SampleStore) -> None:
    """One served version and CURRENT, nothing else; an empty staging folder."""
    version = store.backend.current(dataset_id)
    assert sorted(p.name for p in (disk / dataset_id).iterdir()) == sorted(["CURRENT", version])
    assert list(store.staging.iterdir()) == []


def test_k78_full_disk_keeps_the_previous_sample(
    small: SampleStore, disk: Path, tmp_path: Path
) -> None:
    small.add("ds", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)
    before = _state(small, "ds")
    fill(disk, 0)
    with pytest.raises(InsufficientStorage) as caught:
        small.add("ds", Upload(path=_bigger(tmp_path)), uploaded_by=None)
    error = caught.value
    assert error.status == 507
    assert error.code == "insufficient_storage"
    assert "ran out of space (No space left on device)" in error.message
    assert f"previous sample (version {before[0]['version']}) is still served" in error.message
    assert error.details == {"errno": "ENOSPC", "served_version": before[0]["version"]}
    assert _state(small, "ds") == before
    _assert_clean(disk, "ds", small)


def test_k78_first_sample_on_a_full_disk_leaves_no_folder(
    small: SampleStore, disk: Path, tmp_path: Path
) -> None:
    fill(disk, 0)
    with pytest.raises(InsufficientStorage, match="the dataset still has no sample"):
        small.add("fresh", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)
    assert not small.has_sample("fresh")
    assert not (disk / "fresh").exists()
    assert list(small.staging.iterdir()) == []


def test_k78_space_running_out_at_every_step(
    small: SampleStore, disk: Path, tmp_path: Path
) -> None:
    """Free space from 0 up to enough, 4 kB at a time: each upload either succeeds or fails
    with InsufficientStorage, and the store is consistent after each."""
    small.add("ds", Upload(path=write_parquet(tmp_path / "a.parquet", sales_table(50))),
              uploaded_by=None)  # fmt: skip
    bigger = _bigger(tmp_path)
    steps: set[str] = set()
    outcomes = []
    for leave in range(0, 400_000, 4096):
        filler = fill(disk, leave)
        before = _state(small, "ds")
        try:
            small.add("ds", Upload(path=bigger), uploaded_by=None)
            outcomes.append("ok")
        except InsufficientStorage as exc:
            cause = exc.__context__
            assert cause is not None
            steps.add(
                f"{type(cause).__name__} in {traceback.extract_tb(cause.__traceback__)[-1].name}"
            )
            assert _state(small, "ds") == before
            outcomes.append("full")
        _assert_clean(disk, "ds", small)
        filler.unlink()
        if outcomes[-1] == "ok":
            break
    assert outcomes[0] == "full"
    assert outcomes[-1] == "ok", f"never enough space: {free_bytes(disk)} bytes free"
    assert len(steps) >= 3, steps  # the body copy, DuckDB's copies, metadata or CURRENT
    assert any(step.startswith("IOException") for step in steps), steps  # DuckDB's own
