"""Helpers for tests that need real threads against a real MariaDB/MySQL."""

import threading
import time

from django.db import connection, connections


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


def connection_id() -> int:
    """This thread's MariaDB/MySQL connection id (for wait_until_blocked_on_row_lock)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        return cursor.fetchone()[0]


def wait_until_blocked_on_row_lock(connection_id: int, timeout: float = 10.0) -> None:
    """Return once connection ``connection_id`` is inside a SELECT … FOR UPDATE that has
    not returned, i.e. it waits for a row lock another transaction holds. Observed in
    information_schema.PROCESSLIST (a user sees its own connections without PROCESS),
    so a race test proves the race happened instead of assuming it after a sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = %s", [connection_id])
            row = cursor.fetchone()
        if row and row[0] and "FOR UPDATE" in row[0].upper():
            return
        time.sleep(0.005)
    raise AssertionError(f"connection {connection_id} never waited for a row lock within {timeout} s")
