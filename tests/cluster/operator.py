"""An operator's shell on one machine of the cluster: runs ``datalab`` commands on request.

Started as ``python -m tests.cluster.operator`` with a replica's environment (its home, the
shared database, graph server and S3). Each line read from standard input is a JSON list of
arguments; the command runs through the real command-line app and one JSON line answers
with its exit code, output and timing. Kept running between commands, so two operators on
two machines can be told to start a command at the same moment (a process start costs a
second or more of imports, which would spread two "concurrent" commands apart).
"""

from __future__ import annotations

import json
import sys
import time

from typer.testing import CliRunner

from cli import app  # the package registers every command, as `datalab` does


def main() -> None:
    runner = CliRunner()
    answer = sys.stdout
    for line in sys.stdin:
        argv = json.loads(line)
        started = time.time()
        result = runner.invoke(app, argv)
        error = None if result.exception is None else repr(result.exception)
        if isinstance(result.exception, SystemExit):
            error = None
        reply = {
            "code": result.exit_code,
            "output": result.stdout,
            "stderr": result.stderr,
            "error": error,
            "started": started,
            "ended": time.time(),
        }
        answer.write(json.dumps(reply) + "\n")
        answer.flush()


if __name__ == "__main__":
    main()
