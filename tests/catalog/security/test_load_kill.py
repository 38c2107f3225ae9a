"""``datalab load --replace`` killed with SIGKILL at random points: one whole version is
served afterwards (the old or the new one, never a mix or an empty source), and the next
load works."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog.service import Catalogue
from catalog.settings import Settings

N = 2000
_RANDOM = random.Random(int.from_bytes(os.urandom(8), "big"))


def document(path: Path, tag: str) -> Path:
    lines = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> ."
    ]
    lines += [
        f'<https://ex.org/ds/{i}> a dcat:Dataset ; dct:title "{tag}"@en ; '
        f'dct:description "{tag} dataset number {i}"@en .'
        for i in range(N)
    ]
    path.write_text("\n".join(lines))
    return path


def served_tags(settings: Settings) -> tuple[set[str], int]:
    with Catalogue.open(settings) as cat:
        rows = cat.store.select(
            "SELECT DISTINCT ?t WHERE { GRAPH <urn:datalab:meta> { ?s "
            "<https://w3id.org/datalab/ns#currentGraph> ?g } GRAPH ?g "
            "{ ?d <http://purl.org/dc/terms/title> ?t } }"
        )
        return {r["t"].value for r in rows}, cat.count("bulk")


@pytest.mark.parametrize("attempt", range(3))
def test_a_killed_load_leaves_one_whole_version(
    settings: Settings, tmp_path: Path, attempt
) -> None:
    env = {**os.environ, "DATALAB_HOME": str(settings.home)}
    old = document(tmp_path / "old.ttl", "old")
    new = document(tmp_path / "new.ttl", "new")
    datalab = [sys.executable, "-m", "cli", "load", "--source", "bulk", "--replace"]
    subprocess.run([*datalab, str(old)], env=env, check=True, capture_output=True, timeout=300)
    proc = subprocess.Popen(
        [*datalab, str(new)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(_RANDOM.uniform(0.3, 2.5))
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(60)
    tags, count = served_tags(settings)
    assert tags in ({"old"}, {"new"}), tags
    assert count == N
    done = subprocess.run([*datalab, str(new)], env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert served_tags(settings) == ({"new"}, N)
