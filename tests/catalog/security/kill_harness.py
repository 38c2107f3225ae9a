"""``python -m tests.catalog.security.kill_harness POINT ARGS…``: the ``datalab`` command,
which sends itself SIGKILL at POINT. ``after-publish``: the moment a version is published
(a publish listener), before the harvest run records its outcome. Other points are reached
from outside, by the test, with ``kill -9``."""

from __future__ import annotations

import os
import signal
import sys

from catalog.service import Catalogue
from catalog.settings import Settings


def main() -> None:
    point, args = sys.argv[1], sys.argv[2:]
    original = Catalogue.open.__func__  # type: ignore[attr-defined]

    def open_killing(cls: type[Catalogue], settings: Settings) -> Catalogue:
        cat = original(cls, settings)
        if point == "after-publish":
            cat.on_publish.append(lambda *_: os.kill(os.getpid(), signal.SIGKILL))
        return cat

    Catalogue.open = classmethod(open_killing)  # type: ignore[method-assign,assignment]
    sys.argv = ["datalab", *args]
    from cli import main as datalab

    datalab()


if __name__ == "__main__":
    main()
