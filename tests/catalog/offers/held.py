"""A store whose whole-table reads wait until released (a mirror's rows still loading)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from catalog.offers.stored import OfferStore


class HeldSnapshots:
    """Holds every whole-table read of one store until released: answers meanwhile must
    come from the tables row by row."""

    def __init__(self, store: OfferStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.reads = 0
        original: Callable[[], Any] = store.snapshot

        def held() -> Any:
            self.reads += 1
            self.started.set()
            assert self.release.wait(30), "the snapshot was never released"
            return original()

        monkeypatch.setattr(store, "snapshot", held)
