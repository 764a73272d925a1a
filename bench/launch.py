"""The parent process of `python -m bench`: its options, the benchmark database, the child.

The parent picks a separate benchmark database on the configured server (never the
configured database itself), creates it empty, then re-runs `python -m bench` as a
child with DATABASE_URL pointing at it and production-like settings (bench/run.py).
"""

import argparse
import os
import secrets
import subprocess
import sys

from bench.database import bench_database_url, database_exists, recreate_database, redact
from bench.server import ROOT

CHILD_FLAG = "DESIGNPI_BENCH_CHILD"


class BenchError(Exception):
    """The benchmark cannot go on; shown as one line, without a traceback."""


def argument_parser():
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark polls, lists, pages and posting under gunicorn + wrk on a separate database.")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated conversation counts (default: 1000,100000 on MySQL, 1000,10000 on SQLite)")
    parser.add_argument("--messages", type=int, default=10, help="messages per generated conversation (default 10)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (default sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--pollers", type=int, default=200, help="distinct customers whose polls are replayed")
    parser.add_argument("--database-url", default=None, help="benchmark database URL (default: <configured>_bench)")
    parser.add_argument("--reuse-database", action="store_true",
                        help="keep the benchmark database and the data already generated in it (generate only "
                             "what a size still lacks): a seeded 100,000 is reused instead of made again")
    parser.add_argument("--only-search", action="store_true",
                        help="measure only the floor and the search rows (issue 13)")
    parser.add_argument("--output", default=None, help="write the JSON results here (default bench-results/<time>.json)")
    team = parser.add_argument_group(
        "team size and bulk changes (issue 13)",
        "--team runs only these, instead of the rows above: the admin list against the team's size, "
        "and one bulk assignment of 500 conversations")
    team.add_argument("--team", action="store_true", help="measure the admin list per team size and a bulk assign")
    team.add_argument("--team-sizes", default="3,60", help="active team members (admins and staff) (default 3,60)")
    team.add_argument("--rounds", type=int, default=3,
                      help="interleaved rounds over team sizes (and the baseline); medians reported (default 3)")
    team.add_argument("--baseline-tree", default=None,
                      help="also serve this checkout of older code on the same database and measure it alike")
    parser.add_argument("--assignment", action="store_true",
                        help="automatic assignment (issue 14): one claim's time at the last of --sizes")
    live = parser.add_argument_group(
        "live updates (issue 10)",
        "--live runs only these, instead of the rows above: pages on gunicorn's sync workers, "
        "the live process (live.asgi) under gunicorn's uvicorn worker")
    live.add_argument("--live", action="store_true",
                      help="measure live updates only: browser latency, idle cost, fan-out")
    live.add_argument("--live-parts", default="latency,idle,fanout",
                      help="which live measurements (default latency,idle,fanout)")
    live.add_argument("--live-messages", type=int, default=30,
                      help="latency: messages each way, measured in Chromium (default 30)")
    live.add_argument("--streams", type=int, default=2000,
                      help="idle cost and fan-out: open streams / polling pages (default 2000)")
    live.add_argument("--idle-seconds", type=int, default=60, help="idle cost: seconds per row (default 60)")
    emails = parser.add_argument_group(
        "emails (issue 11)",
        "--emails runs only this: participant messages within the notification delay, then the real "
        "worker (db_worker) drains the queue to an SMTP server on loopback")
    emails.add_argument("--emails", action="store_true", help="measure the email batching and queue drain only")
    emails.add_argument("--email-conversations", type=int, default=100, help="conversations (default 100)")
    emails.add_argument("--email-messages", type=int, default=10,
                        help="participant messages per conversation (default 10)")
    return parser


def launch(options):
    """Make the benchmark database, empty, and run the measuring child on it."""
    url = options["database_url"] or bench_database_url()
    vendor = "mysql" if url.startswith("mysql") else "sqlite"
    if options["reuse_database"] and database_exists(url):
        print(f"Benchmark database: {redact(url)} (reused)", flush=True)
    else:
        recreate_database(url)
        print(f"Benchmark database: {redact(url)} (created empty)", flush=True)
    env = {**os.environ, CHILD_FLAG: "1", "DATABASE_URL": url, **server_environment()}
    argv = [sys.executable, "-m", "bench", *child_arguments(options, vendor)]
    result = subprocess.run(argv, cwd=ROOT, env=env)
    if result.returncode:
        raise BenchError(f"benchmark failed (exit {result.returncode})")


def server_environment():
    """Production-like settings for gunicorn, minus TLS (wrk speaks plain HTTP on loopback)."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        # 16 senders posting flat out would trip the per-person limit by design.
        "MESSAGE_RATE_LIMIT_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    }


def child_arguments(options, vendor):
    sizes = options["sizes"] or ("1000,100000" if vendor == "mysql" else "1000,10000")
    argv = ["--sizes", sizes]
    for name in ("messages", "duration", "connections", "workers", "threads", "pollers"):
        argv += [f"--{name}", str(options[name])]
    argv += ["--worker-class", options["worker_class"]]
    if options["only_search"]:
        argv += ["--only-search"]
    if options["team"]:
        argv += ["--team", "--team-sizes", options["team_sizes"], "--rounds", str(options["rounds"])]
        if options["baseline_tree"]:
            argv += ["--baseline-tree", os.path.abspath(options["baseline_tree"])]
    if options["assignment"]:
        argv += ["--assignment"]
    if options["live"]:
        argv += ["--live", "--live-parts", options["live_parts"]]
        for name in ("live_messages", "streams", "idle_seconds"):
            argv += [f"--{name.replace('_', '-')}", str(options[name])]
    if options["emails"]:
        argv += ["--emails", "--email-conversations", str(options["email_conversations"]),
                 "--email-messages", str(options["email_messages"])]
    if options["output"]:
        argv += ["--output", options["output"]]
    return argv
