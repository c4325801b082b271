"""Starts real uvicorn server processes for the crash test, quickly: this process imports the service once,
then for each port read from stdin forks a child that serves the app there, and prints the child's pid.

The test kills the children with SIGKILL; this process holds no thread and no database connection when it
forks, so each child starts clean. Usage: python tests/crash_launcher.py DATABASE_URL
"""

from __future__ import annotations

import os
import signal
import sys

import uvicorn

from api.app import create_app


def serve(url: str, port: int) -> None:
    uvicorn.run(create_app(url), host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    url = sys.argv[1]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed children are reaped at once
    print("ready", flush=True)
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            sys.stdin.close()
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                serve(url, int(line))
            finally:
                os._exit(0)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
