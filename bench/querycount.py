"""Count the SQL statements each benchmark server process sends, without asking the
database server (whose global counters also count every other client's queries:
other people's test suites share the MariaDB server on these machines).

When BENCH_QUERY_COUNTERS names a directory, `install()` (called by bench/wsgi.py and
bench/asgi.py once Django is set up) adds a Django execute wrapper to every database
connection the process opens; it keeps the process's running total in an 8-byte
memory-mapped file `<directory>/<pid>`, which the benchmark reads at any moment
(`read_total`). Without the variable it does nothing.
"""

import itertools
import mmap
import os
import struct
import threading
from pathlib import Path

ENV = "BENCH_QUERY_COUNTERS"
_state = {"pid": None}
_lock = threading.Lock()


def _slot():
    pid = os.getpid()
    if _state["pid"] != pid:  # first query of this process (or of a forked worker)
        with _lock:
            if _state["pid"] != pid:
                handle = open(Path(os.environ[ENV]) / str(pid), "w+b")
                handle.write(b"\0" * 8)
                handle.flush()
                _state.update(file=handle, map=mmap.mmap(handle.fileno(), 8), count=itertools.count(1), pid=pid)
    return _state


def _count(execute, sql, params, many, context):
    state = _slot()
    struct.pack_into("q", state["map"], 0, next(state["count"]))
    return execute(sql, params, many, context)


def _on_connection(sender, connection, **kwargs):
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count)


def install():
    if not os.environ.get(ENV):
        return
    from django.db.backends.signals import connection_created

    connection_created.connect(_on_connection, dispatch_uid="bench-querycount")


def read_total(directory, pids=None) -> int:
    """The statements sent so far by the processes counted in `directory` (only `pids`, if given)."""
    total = 0
    for path in Path(directory).iterdir():
        if pids is not None and int(path.name) not in pids:
            continue
        data = path.read_bytes()
        if len(data) == 8:
            total += struct.unpack("q", data)[0]
    return total
