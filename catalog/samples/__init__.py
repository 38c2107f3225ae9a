"""Dataset samples: Parquet files read through a sandboxed DuckDB, gated by terms.

:class:`SampleStore` stores and reads samples; :class:`SampleService` decides, for each
caller, whether rows and statistics may be shown, and audits restricted reads.
"""

from catalog.samples.store import PARQUET_MEDIA_TYPE, SampleStore, Upload

__all__ = ["PARQUET_MEDIA_TYPE", "SampleStore", "Upload"]
