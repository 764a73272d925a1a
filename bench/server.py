"""Run the project under gunicorn on a free loopback port, as production would.

The one copy of "find a free port" and "start gunicorn, wait for it, stop it",
used by the benchmark (bench/run.py) and by the tests' fault harness
(tests/serving.py). It lives here, not in tests/, so that the benchmark never
imports test code; and not in a product app, because nothing the product serves
needs it. It imports nothing from Django, so either side may import it first.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """gunicorn exited or did not answer in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def gunicorn(app: str, *, options: Sequence[str] = (), env: dict | None = None, log: IO | None = None,
             ready: Callable[[int], bool] = accepts_connections, start_timeout: float = 30,
             port: int | None = None, root: Path = ROOT) -> Iterator[int]:
    """Serve the WSGI `app` ("module:callable") on 127.0.0.1 and yield the port once
    `ready(port)` is true; stop gunicorn on the way out.

    `options` are further gunicorn flags (workers, worker class…); `env` is the whole
    environment (default: this process's); `log` is a file for gunicorn's output (a
    file, not a pipe: a pipe nobody reads fills up and blocks the workers' logging);
    without it the output goes where this process's goes. `port` is a port chosen
    beforehand (two servers that must know each other's address); default a free one.
    `root` is the code to serve (default this checkout; the benchmark may serve an older one).
    An ASGI app runs the same way with `-k uvicorn_worker.UvicornWorker` in `options`.
    """
    port = port or free_port()
    argv = [sys.executable, "-m", "gunicorn", app, "--bind", f"{HOST}:{port}", "--no-control-socket", *options]
    process = subprocess.Popen(argv, cwd=root, env=os.environ.copy() if env is None else env,
                               stdout=log, stderr=subprocess.STDOUT if log else None, text=True)
    try:
        _wait_until_ready(process, port, ready, log, start_timeout)
        yield port
    finally:
        _stop(process)


def _wait_until_ready(process, port, ready, log, start_timeout):
    deadline = time.monotonic() + start_timeout
    while not ready(port):
        if process.poll() is not None:
            output = ""
            if log is not None:
                log.seek(0)
                output = ":\n" + log.read()
            raise ServerError(f"gunicorn exited with code {process.returncode}{output}")
        if time.monotonic() > deadline:
            raise ServerError(f"gunicorn did not start in {start_timeout:.0f} s")
        time.sleep(0.1)


def _stop(process, timeout=15):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
