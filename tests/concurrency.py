"""Helpers for tests that need real threads against a real MariaDB/MySQL."""

import threading

import pytest
from django.db import connection, connections


def require_mysql():
    if connection.vendor != "mysql":
        pytest.skip(
            "needs MariaDB/MySQL: SQLite ignores SELECT ... FOR UPDATE, so row-lock races "
            "cannot happen there. CI runs this on MariaDB."
        )


def run_in_threads(target, count: int, timeout: float = 60.0):
    """Start ``count`` threads that wait at one barrier, then call target(i).

    Returns (results, errors) in thread order; each thread closes its own connection.
    """
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = [None] * count

    def worker(i):
        try:
            barrier.wait(timeout)
            results[i] = target(i)
        except BaseException as exc:  # reported to the test, never swallowed
            errors[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results, errors
