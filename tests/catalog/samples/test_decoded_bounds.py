"""Parquet bombs that the encoded sizes hide (hostile-inputs H62): run-length and dictionary
encoded columns whose footer declares a few kilobytes and which decode to hundreds of
megabytes. They must be refused from the footer alone, in a moment, with flat memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalog.errors import LimitExceeded
from catalog.samples import SampleStore, Upload
from catalog.settings import Settings, get_settings
from tests.catalog.samples.builders import sales_table, write_parquet

ROOT = Path(__file__).resolve().parents[3]

#: Runs one upload in a fresh interpreter and reports its time and peak-RSS growth, so the
#: figure is not hidden by what earlier tests of this process allocated.
MEASURE = """
import json, resource, sys, time
from pathlib import Path
from catalog.errors import DatalabError
from catalog.samples import SampleStore, Upload
from catalog.settings import get_settings

store = SampleStore(get_settings(home=Path(sys.argv[2])))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
try:
    store.add("bomb", Upload(path=Path(sys.argv[1])), uploaded_by=None)
    outcome = {"accepted": True}
except DatalabError as exc:
    outcome = {"accepted": False, "code": exc.code, "message": exc.message,
               "details": exc.details}
outcome["seconds"] = time.monotonic() - started
outcome["rss_growth_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps(outcome))
"""


def _constant_strings(value: str, rows: int) -> pa.DictionaryArray:
    """``rows`` copies of ``value``, held as one dictionary entry (the test stays small)."""
    return pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array([value]))


def _repeated(path: Path, column: pa.Array, times: int) -> Path:
    """``column`` written ``times`` times (one row group each), dictionary-encoded, zstd:
    the writer never holds more than one chunk in memory."""
    chunk = pa.table({"v": column})
    with pq.ParquetWriter(path, chunk.schema, use_dictionary=True, compression="zstd") as w:
        for _ in range(times):
            w.write_table(chunk)
    return path


def _measure(path: Path, home: Path) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(home)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=True,
    )  # fmt: skip
    return json.loads(run.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("name", "column", "decoded"),
    [
        ("int64", pa.array([7] * 1_000_000, pa.int64()), 50_000_000 * 8),
        ("string", _constant_strings("x" * 100, 1_000_000), 50_000_000 * 100),
    ],
)
def test_h62_fifty_million_identical_values_are_refused_fast_with_flat_memory(
    tmp_path: Path, name: str, column: pa.Array, decoded: int
) -> None:
    path = _repeated(tmp_path / f"{name}.parquet", column, 50)
    footer = pq.read_metadata(path)
    assert footer.num_rows == 50_000_000
    assert path.stat().st_size < 1_000_000  # a few hundred kilobytes...
    declared = sum(footer.row_group(i).total_byte_size for i in range(footer.num_row_groups))
    assert declared < 1_000_000  # ...which even the footer's "uncompressed" size hides
    outcome = _measure(path, tmp_path / "home")
    assert outcome["accepted"] is False
    assert outcome["code"] == "limit_exceeded"
    assert "column 'v'" in outcome["message"]
    assert "Parquet bomb" in outcome["message"]
    assert outcome["details"]["column"] == "v"
    assert outcome["details"]["decoded_bytes"] >= min(decoded, 100_000_000)
    assert outcome["details"]["stored_bytes"] < 1_000_000
    assert outcome["seconds"] < 2.0
    assert outcome["rss_growth_kb"] < 48 * 1024  # decoding would take 400 MB or more


def test_h62_a_constant_long_string_is_sized_from_its_statistics(
    store: SampleStore, tmp_path: Path
) -> None:
    """A million copies of one 2 kB string: 16 MB of string slots (under the ratio's
    exemption), 2 GB of text; the chunk's statistics (min == max) give the text's size."""
    path = _repeated(tmp_path / "long.parquet", _constant_strings("y" * 2_000, 1_000_000), 1)
    with pytest.raises(LimitExceeded, match="Parquet bomb") as caught:
        store.add("long", Upload(path=path), uploaded_by=None)
    assert caught.value.details["decoded_bytes"] >= 2_000_000_000
    assert not store.has_sample("long")
    assert list(store.staging.iterdir()) == []


def test_decoded_size_cap(settings: Settings, tmp_path: Path) -> None:
    small = SampleStore(get_settings(home=settings.home, sample_max_decoded_bytes=4000))
    with pytest.raises(LimitExceeded, match=r"the limit is 4,000") as caught:
        small.add("s", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)
    assert caught.value.details["limit"] == 4000
    assert caught.value.details["column"] in {"id", "name", "price", "day", "ok"}


def test_rows_times_columns_cap(settings: Settings, tmp_path: Path) -> None:
    small = SampleStore(get_settings(home=settings.home, sample_max_cells=1000))
    with pytest.raises(LimitExceeded, match=r"250 rows of 5 columns, 1,250 values"):
        small.add("s", Upload(path=write_parquet(tmp_path / "a.parquet")), uploaded_by=None)


def test_ratio_applies_only_past_the_exempt_size(settings: Settings, tmp_path: Path) -> None:
    """A small constant column compresses 1000-fold and is harmless: accepted under the
    exemption (24 MB decoded), refused once the exemption is lowered below that."""
    path = _repeated(tmp_path / "zeros.parquet", pa.array([0] * 1_000_000, pa.int64()), 3)
    SampleStore(settings).add("flag", Upload(path=path), uploaded_by=None)
    strict = SampleStore(get_settings(home=settings.home, sample_ratio_exempt_bytes=1000))
    with pytest.raises(LimitExceeded, match="more than 1000x"):
        strict.add("flag2", Upload(path=path), uploaded_by=None)


def test_real_samples_with_constant_and_null_columns_pass(
    store: SampleStore, tmp_path: Path
) -> None:
    """3 million rows (72 MB decoded, past the exemption): random floats next to a null
    column and a constant one stay far below the ratio."""
    import numpy as np

    rows = 3_000_000
    table = pa.table(
        {
            "x": pa.array(np.random.default_rng(7).random(rows)),
            "empty": pa.nulls(rows, pa.float64()),
            "same": pa.array(np.zeros(rows, dtype=np.int64)),
        }
    )
    meta = store.add("real", Upload(path=write_parquet(tmp_path / "r.parquet", table)),
                     uploaded_by=None)  # fmt: skip
    assert meta["rows"] == rows


def test_the_estimate_never_trusts_a_small_declared_size(tmp_path: Path) -> None:
    from catalog.samples.bounds import DecodedLimits, check_decoded

    path = write_parquet(tmp_path / "a.parquet", sales_table(1000))
    footer = pq.read_metadata(path)
    estimate = check_decoded(footer, path.stat().st_size, DecodedLimits(2**40, 2**40, 1000, 0))
    declared = sum(footer.row_group(i).total_byte_size for i in range(footer.num_row_groups))
    assert estimate.decoded >= declared
    assert estimate.decoded >= 1000 * (8 + 16 + 8 + 4 + 1)  # id, name slot, price, day, ok
