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


def wait_until_blocked_on_row_lock(connection_id: int | None = None, *, table: str | None = None,
                                   timeout: float = 10.0) -> None:
    """Return once another connection to the test database (``connection_id`` if given)
    is inside a SELECT … FOR UPDATE (on ``table`` if given) that has not returned, i.e.
    it waits for a row lock another transaction holds. Observed in
    information_schema.PROCESSLIST (a user sees its own connections without the PROCESS
    privilege), so a race test proves the race happened instead of assuming it after a sleep."""
    sql = ("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
           "AND DB = DATABASE() AND COMMAND = 'Query' AND INFO LIKE %s")
    params = ["%FOR UPDATE%"]
    if connection_id is not None:
        sql += " AND ID = %s"
        params.append(connection_id)
    if table is not None:
        sql += " AND INFO LIKE %s"
        params.append(f"%`{table}`%")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.fetchone()[0]:
                return
        time.sleep(0.005)
    raise AssertionError(f"no connection ({connection_id or 'any'}) waited for a row lock on {table or 'any table'}")
