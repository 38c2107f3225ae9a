"""Small builders shared by the sample tests: a catalogue with one dataset per access level,
tiny Parquet files, and API clients with users of every role."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from catalog.accounts import Accounts, accounts_path
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
    accounts = Accounts(accounts_path(settings.home))
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
