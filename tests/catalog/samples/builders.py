"""Small builders shared by the sample tests: a catalogue with one dataset per access level,
tiny Parquet files, API clients with users of every role, and a small real file system to
fill up."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalog.accounts import Accounts
from catalog.db import Database
from catalog.ids import dataset_id
from catalog.service import Catalogue
from catalog.settings import Settings

AR = "http://publications.europa.eu/resource/authority/access-right/"
LEVELS = {"public": "PUBLIC", "restricted": "RESTRICTED", "non_public": "NON_PUBLIC"}
IRIS = {level: f"https://data.example.org/dataset/{level}-sales" for level in LEVELS}
IRIS["unstated"] = "https://data.example.org/dataset/unstated-sales"
#: declares both PUBLIC and RESTRICTED: the most closed must hold everywhere
IRIS["contradictory"] = "https://data.example.org/dataset/contradictory-sales"
IDS = {level: dataset_id(iri) for level, iri in IRIS.items()}

SECRET = "TOP-SECRET-ROW-VALUE"


def catalogue_ttl() -> str:
    parts = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .",
        '<https://data.example.org/org/a> a foaf:Agent ; foaf:name "Org A" .',
    ]
    for level, iri in IRIS.items():
        rights = f" ; dct:accessRights <{AR}{LEVELS[level]}>" if level in LEVELS else ""
        if level == "contradictory":
            rights = f" ; dct:accessRights <{AR}PUBLIC>, <{AR}RESTRICTED>"
        parts.append(
            f'<{iri}> a dcat:Dataset ; dct:title "{level} sales"@en ; '
            f'dct:description "Sales, {level}."@en ; '
            f"dct:publisher <https://data.example.org/org/a>{rights} ."
        )
    return "\n".join(parts) + "\n"


def load_datasets(settings: Settings) -> None:
    with Catalogue.open(settings) as cat:
        cat.load(catalogue_ttl().encode(), fmt="turtle", source="test", replace=True)


def sales_table(rows: int = 250, secret: bool = False) -> pa.Table:
    names = [f"item {i % 7}" for i in range(rows)]
    if secret:
        names[0] = SECRET
    return pa.table(
        {
            "id": pa.array(range(rows), pa.int64()),
            "name": pa.array(names),
            "price": pa.array([round(i * 1.5, 2) if i % 10 else None for i in range(rows)]),
            "day": pa.array([f"2024-01-{1 + i % 28:02d}" for i in range(rows)]).cast(pa.date32()),
            "ok": pa.array([i % 2 == 0 for i in range(rows)]),
        }
    )


def write_parquet(path: Path, table: pa.Table | None = None, **kwargs: object) -> Path:
    pq.write_table(table if table is not None else sales_table(), path, **kwargs)  # type: ignore[arg-type]
    return path


def users(settings: Settings) -> dict[str, str]:
    """Tokens of one user per role in the access matrix (grants on every dataset for 'granted')."""
    with Database.open(settings) as database:
        return _users(Accounts(database))


def _users(accounts: Accounts) -> dict[str, str]:
    spec = {
        "developer": ("developer", None),
        "granted": ("developer", None),
        "steward_other": ("steward", "Org B"),
        "steward_own": ("steward", "Org A"),
        "staff": ("staff", None),
        "admin": ("admin", None),
    }
    tokens = {}
    for name, (role, org) in spec.items():
        accounts.add_user(name, role, org, "factory-x" if role == "staff" else None)
        tokens[name] = accounts.issue_token(name)
    for ds in IDS.values():
        accounts.grant("granted", ds)
    return tokens


@contextmanager
def tmpfs(path: Path, size: str = "2m") -> Iterator[Path]:
    """A real tmpfs of ``size`` mounted at ``path`` (the tests run as root); skipped, saying
    why, where mounting is not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        run = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        pytest.skip("no mount command: the disk-full tests need a small tmpfs")
    if run.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({run.stderr.strip()[:200]})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, timeout=30)


def free_bytes(path: Path) -> int:
    info = os.statvfs(path)
    return info.f_bavail * info.f_frsize


def fill(path: Path, leave: int) -> Path:
    """Fill the file system of ``path`` until only about ``leave`` bytes are free."""
    filler = path / "filler"
    filler.unlink(missing_ok=True)
    with open(filler, "wb") as fh:
        fh.write(bytes(max(free_bytes(path) - leave, 0)))
    return filler
