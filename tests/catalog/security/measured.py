"""Run a piece of catalogue code in a fresh interpreter and measure it: wall time and the
growth of peak RSS (``resource.getrusage``) over the process's peak just before."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

_HARNESS = """
import json, resource, time, traceback
def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
{setup}
_before = _peak_mb()
_start = time.monotonic()
_out = {{"error": None}}
try:
{body}
except Exception as _exc:
    _out["error"] = {{"type": type(_exc).__name__, "text": str(_exc),
                     "body": getattr(_exc, "to_body", lambda: None)()}}
_out["seconds"] = time.monotonic() - _start
_out["rss_growth_mb"] = _peak_mb() - _before
print("MEASURED " + json.dumps(_out))
"""


def measure(setup: str, body: str, timeout: float = 120) -> dict:
    """Run ``setup`` (not measured) then ``body`` (measured; may set ``_out[...]``)."""
    code = _HARNESS.format(
        setup=textwrap.dedent(setup), body=textwrap.indent(textwrap.dedent(body), "    ")
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("MEASURED ")]
    assert lines, f"the measured run crashed:\n{done.stdout}\n{done.stderr}"
    return json.loads(lines[-1].removeprefix("MEASURED "))
