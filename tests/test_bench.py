"""The benchmark lives in the bench package (`python -m bench`, run by bin/bench), not in
an app; its gunicorn helper is the one the fault tests use (tests/serving.py).

The benchmark itself needs wrk and minutes; these tests check what can break without
running it: the entry point, the command that must be gone, the shared gunicorn
helper and the table the benchmark prints.
"""

import http.client
import os
import subprocess
import sys

import pytest

from bench import server
from bench.launch import server_environment

OPTIONS = ("--sizes", "--messages", "--duration", "--connections", "--workers", "--worker-class",
           "--threads", "--pollers", "--database-url", "--output", "--reuse-database", "--only-search", "--assignment")


def run_python(*argv):
    return subprocess.run([sys.executable, *argv], cwd=server.ROOT, env=os.environ.copy(),
                          capture_output=True, text=True, timeout=60)


def test_python_m_bench_help_lists_the_benchmark_options():
    result = run_python("-m", "bench", "--help")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m bench")
    for option in OPTIONS:
        assert option in result.stdout


def test_the_conversations_app_has_no_bench_command():
    result = run_python("manage.py", "help", "--commands")

    assert result.returncode == 0, result.stderr
    commands = result.stdout.split()
    assert "seed_demo" in commands  # the listing is the app's commands, not an empty answer
    assert "bench" not in commands


def test_the_shared_gunicorn_helper_serves_the_benchmark_app_and_stops_it():
    env = {**os.environ, **server_environment()}
    with server.gunicorn("bench.wsgi:application", options=["--workers", "1"], env=env) as port:
        connection = http.client.HTTPConnection(server.HOST, port, timeout=10)
        connection.request("GET", "/__bench__/floor")
        assert connection.getresponse().status == 204
        connection.close()

    assert not server.accepts_connections(port)


def test_the_shared_gunicorn_helper_reports_a_gunicorn_that_exits(tmp_path):
    def never_ready(port):
        # gunicorn's master listens before its workers load the app, so wait for the exit.
        return False

    with open(tmp_path / "gunicorn.log", "w+") as log:
        with pytest.raises(server.ServerError, match=r"exited with code \d+:\n(.|\n)*No module named 'no_such_module'"):
            with server.gunicorn("no_such_module:application", log=log, ready=never_ready):
                pass  # pragma: no cover - never reached


def test_the_table_keeps_its_columns_and_rows():
    from bench.run import render_table

    def row(rps, **extra):
        return {"rps": rps, "p50_ms": 1.5, "p99_ms": 3.25, "requests": 100, "errors": 0, **extra}

    def size(list_rps):
        measured = {key: row(100.0, ratio_to_floor=0.5) for key in (
            "idle_poll", "raw_poll", "poll_one", "admin_list", "staff_list", "detail", "earlier_page",
            "attention")}
        measured["admin_list"]["rps"] = list_rps
        measured["floor"] = row(200.0)
        measured["post"] = row(50.0, ratio_to_floor=0.25, stored=100, lost=0, seq_contiguous=True)
        measured["queries"] = {"idle_poll": {"queries": 3}, "admin_list": {"queries": 7}}
        return measured

    table = render_table({"sizes": {"1000": size(60.0), "10000": size(30.0)}}).splitlines()

    assert table[0] == "| conversations | what | req/s | ×floor | p50 ms | p99 ms | queries | errors |"
    assert table[2] == "| 1,000 | bare Django view (204, no database) | 200.0 | 1.0 | 1.5 | 3.25 | – | 0 |"
    assert table[3] == "| 1,000 | idle poll (204) | 100.0 | 0.5 | 1.5 | 3.25 | 3 | 0 |"
    assert table[9] == "| 1,000 | earlier page (?before=) of a 10,000-message thread | 100.0 | 0.5 | 1.5 | 3.25 | – | 0 |"
    assert table[11] == ("| 1,000 | post into one conversation (16 senders) (stored 100, lost 0, seq 1..n: True) "
                        "| 50.0 | 0.25 | 1.5 | 3.25 | – | 0 |")
    assert len(table) == 2 + 20 + 1 + 3
    assert table[-3] == "- admin_list: 2.00× slower at 10,000 than at 1,000 conversations"
