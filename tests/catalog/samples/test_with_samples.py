"""Which datasets have a sample, asked for many at once (the search build's ``has_sample``
facet, a batch of 2,000 at a time): the same answer as asking each dataset, on the local
store here and on S3 in ``test_s3.py``."""

from __future__ import annotations

from pathlib import Path

from catalog.samples import SampleStore, Upload
from catalog.samples.backends import LocalBackend
from tests.catalog.samples.builders import write_parquet


def check_with_samples(store: SampleStore, tmp_path: Path) -> None:
    """Three datasets with a sample, one removed again, one folder without ``CURRENT`` (a
    publish cut short), and ids with none: each answer as :meth:`has_sample` gives it."""
    for ident in ("ds-a", "ds-b", "ds-c"):
        store.add(
            ident, Upload(path=write_parquet(tmp_path / f"{ident}.parquet")), uploaded_by=None
        )
    store.delete("ds-c")
    if isinstance(store.backend, LocalBackend):  # its files go into existing folders
        (store.backend.root / "ds-half" / "v1").mkdir(parents=True)
    store.backend.add_file("ds-half", "v1", "sample.parquet", b"PAR1")  # no CURRENT
    asked = ["ds-a", "ds-b", "ds-c", "ds-half", "ds-none", "ds-other"]
    held = store.backend.with_samples(asked)
    assert held == {"ds-a", "ds-b"}
    assert held == {i for i in asked if store.has_sample(i)}
    assert store.backend.with_samples([]) == set()


def test_the_local_store_says_which_datasets_have_a_sample(
    store: SampleStore, tmp_path: Path
) -> None:
    check_with_samples(store, tmp_path)
