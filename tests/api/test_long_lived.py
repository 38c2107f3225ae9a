"""A started server keeps its long-lived objects (modules, open services) out of the
garbage collector's full passes, which walked them in 35-110 ms at whichever request set
one off; a stopped server hands them back, and the collector works as before."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from api.app import create_app
from catalog.settings import Settings


def test_a_started_server_is_frozen_out_of_full_collections(settings: Settings) -> None:
    gc.unfreeze()  # whatever an earlier test may have left
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        frozen = gc.get_freeze_count()
        assert frozen > 50_000  # the modules of the server and what its start opened
        tracked = len(gc.get_objects())
        assert tracked < frozen / 5  # what a full pass still walks
        # made after the start, by requests: collected as before
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    assert gc.get_freeze_count() == 0  # stopped: handed back
    assert len(gc.get_objects()) > frozen
