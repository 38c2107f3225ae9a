"""The ``datalab`` command line.

Each command group lives in its own module and is registered here; the catalogue's own
commands are in :mod:`cli.core`.
"""

from __future__ import annotations

from cli import (
    baskets,  # noqa: F401
    core,  # noqa: F401  (registers the core commands)
    dataspaces,  # noqa: F401
    db,  # noqa: F401
    harvest,  # noqa: F401
    labs,  # noqa: F401
    samples,  # noqa: F401
    search,  # noqa: F401
    search_snapshots,  # noqa: F401
    users,  # noqa: F401
    worker,  # noqa: F401
)
from cli.app import app


def main() -> None:
    """Entry point of the ``datalab`` script."""
    app(prog_name="datalab")


if __name__ == "__main__":  # pragma: no cover
    main()
