"""`python -m bench` (bin/bench): load-test the hot paths under gunicorn with wrk.

The parent process picks a separate benchmark database on the configured server
(never the configured database itself), creates it empty, then re-runs itself
as a child with DATABASE_URL pointing at it. The child makes the data
through `seed_demo --scale`, signs people in, starts gunicorn as production
would, drives it with wrk on loopback and prints a table. Every throughput is
also given as a ratio to a bare Django view served by the same gunicorn
(bench/wsgi.py), so machine noise cancels.
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management import call_command

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = ROOT / "bench-results"
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
    parser.add_argument("--output", default=None, help="write the JSON results here (default bench-results/<time>.json)")
    return parser


def main(options):
    """Run as the parent (make the database, start the child) or as the child (measure)."""
    if not shutil.which("wrk"):
        raise BenchError("wrk is not installed: sudo apt-get install wrk")
    if os.environ.get(CHILD_FLAG):
        return run_child(options)

    url = options["database_url"] or bench_database_url()
    vendor = "mysql" if url.startswith("mysql") else "sqlite"
    recreate_database(url)
    print(f"Benchmark database: {redact(url)} (created empty)", flush=True)
    env = {**os.environ, CHILD_FLAG: "1", "DATABASE_URL": url, **server_environment()}
    argv = [sys.executable, "-m", "bench", *child_arguments(options, vendor)]
    result = subprocess.run(argv, cwd=ROOT, env=env)
    if result.returncode:
        raise BenchError(f"benchmark failed (exit {result.returncode})")


# ----------------------------------------------------------------------- child

def run_child(options):
    from django.db import connection

    sizes = [int(size) for size in options["sizes"].split(",")]
    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, stdout=open(os.devnull, "w"))
    machine = machine_description(connection)
    print(f"Machine: {machine['cpu']} ({machine['cores']} cores), {machine['database']}", flush=True)

    results = {"machine": machine, "options": {k: options[k] for k in (
        "messages", "duration", "connections", "workers", "worker_class", "threads", "pollers")}, "sizes": {}}
    made = 0
    for size in sizes:
        print(f"\n== {size:,} conversations: generating data…", flush=True)
        started = time.monotonic()
        call_command("seed_demo", force=True, scale=size - made, messages=options["messages"],
                     stdout=open(os.devnull, "w"))
        made = size
        analyse(connection)
        print(f"   generated in {time.monotonic() - started:.0f} s", flush=True)
        results["sizes"][size] = measure_size(options)

    path = Path(options["output"]) if options["output"] else RESULTS_DIR / (
        datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S") + f"-{connection.vendor}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    print("\n" + render_table(results))
    print(f"\nRaw results: {path}")


def measure_size(options):
    scenario = Scenario.build(pollers=options["pollers"])
    measured = {"queries": scenario.count_queries()}
    with Gunicorn(options) as server:
        wrk = Wrk(server.port, options)
        measured["floor"] = wrk.run("floor", scenario.floor())
        measured["idle_poll"] = wrk.run("idle poll", scenario.idle_polls())
        measured["raw_poll"] = wrk.run("reference: raw-SQL idle poll", scenario.raw_polls())
        measured["poll_one"] = wrk.run("poll with one message", scenario.polls_with_one_message())
        measured["admin_list"] = wrk.run("admin conversation list", scenario.admin_list())
        measured["staff_list"] = wrk.run("staff conversation list", scenario.staff_list())
        measured["detail"] = wrk.run("conversation page", scenario.detail_pages())
        before = scenario.hot_count()
        measured["post"] = wrk.run("post into one conversation", scenario.posts(), connections=16, warm_up=False)
        post = measured["post"]
        post["stored"] = scenario.hot_count() - before
        # Every answered request must be a stored message (a request cut off when wrk
        # stops may still be stored, so stored can exceed answered, never the reverse).
        post["lost"] = max(0, post["requests"] - post["errors"] - post["stored"])
        measured["post"]["seq_contiguous"] = scenario.hot_seq_contiguous()
    for name, row in measured.items():
        if name not in ("queries", "floor") and "rps" in row:
            row["ratio_to_floor"] = round(row["rps"] / measured["floor"]["rps"], 3)
    return measured


# ---------------------------------------------------------------------- data

class Scenario:
    """Who polls, lists and posts during one size step, with signed-in sessions."""

    def __init__(self, customers, conversations, admin, staff, hot, senders):
        self.customers = customers
        self.conversations = conversations
        self.admin = admin
        self.staff = staff
        self.hot = hot
        self.senders = senders

    @classmethod
    def build(cls, *, pollers):
        from accounts.models import Role, User
        from conversations.models import Conversation
        from conversations.services import conversation_get_or_create_for_customer, conversation_post_message

        conversations = list(
            Conversation.objects.filter(source="customer", last_seq__gt=1).select_related("customer")
            .order_by("-updated_at")[:pollers]
        )
        admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
        staff = User.objects.get(email="sarah@designpi.com")
        senders = []
        for i in range(16):
            sender, _ = User.objects.get_or_create(
                email=f"bench-sender{i:02d}@bench.designpi.test",
                defaults={"role": Role.ADMIN, "name": f"Bench sender {i}"},
            )
            senders.append(sender)
        hot_customer, _ = User.objects.get_or_create(
            email="hot@bench.designpi.test", defaults={"role": Role.CUSTOMER, "name": "Hot conversation"})
        hot, created = conversation_get_or_create_for_customer(customer=hot_customer)
        if created:
            conversation_post_message(actor=hot_customer, conversation=hot, body="The hot conversation starts here.")
        return cls([c.customer for c in conversations], conversations, admin, staff, hot, senders)

    @staticmethod
    def cookie(user):
        return session_cookie(user)

    def floor(self):
        cookie = self.cookie(self.customers[0])
        return [("GET", "/__bench__/floor", cookie, "", "")]

    def idle_polls(self):
        return [("GET", f"/portal/chat/messages/?after={c.last_seq}", self.cookie(c.customer), "", "")
                for c in self.conversations]

    def raw_polls(self):
        return [("GET", f"/__bench__/raw-poll?after={c.last_seq}", self.cookie(c.customer), "", "")
                for c in self.conversations]

    def polls_with_one_message(self):
        return [("GET", f"/portal/chat/messages/?after={c.last_seq - 1}", self.cookie(c.customer), "", "")
                for c in self.conversations]

    def admin_list(self):
        return [("GET", "/admin/conversations/", self.cookie(self.admin), "", "")]

    def staff_list(self):
        return [("GET", "/staff/conversations/", self.cookie(self.staff), "", "")]

    def detail_pages(self):
        admin_cookie = self.cookie(self.admin)
        return [("GET", f"/admin/conversations/{c.pk}/", admin_cookie, "", "") for c in self.conversations[:50]]

    def posts(self):
        lines = []
        for sender in self.senders:
            cookie, token = session_cookie(sender, with_csrf=True)
            body = json.dumps({"body": f"Load test message from {sender.name}"})
            lines.append(("POST", f"/api/conversations/{self.hot.pk}/messages", cookie, token, body))
        return lines

    def hot_count(self):
        return self.hot.messages.count()

    def hot_seq_contiguous(self):
        seqs = list(self.hot.messages.order_by("seq").values_list("seq", flat=True))
        return seqs == list(range(1, len(seqs) + 1))

    def count_queries(self):
        """Queries per request, measured in-process on the same database (session + user included)."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        def count(user, path):
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            # Steady state, as under load: the first request may also mark messages read
            # (one UPDATE), which every later one finds already done.
            client.get(path)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            return {"queries": len(queries), "status": response.status_code}

        first = self.conversations[0]
        return {
            "idle_poll": count(first.customer, f"/portal/chat/messages/?after={first.last_seq}"),
            "poll_one": count(first.customer, f"/portal/chat/messages/?after={first.last_seq - 1}"),
            "admin_list": count(self.admin, "/admin/conversations/"),
            "staff_list": count(self.staff, "/staff/conversations/"),
            "detail": count(self.admin, f"/admin/conversations/{first.pk}/"),
        }


def session_cookie(user, *, with_csrf=False):
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    if not with_csrf:
        return cookie
    token = secrets.token_urlsafe(24)[:32].ljust(32, "a")
    token = "".join(ch if ch.isalnum() else "a" for ch in token)
    return f"{cookie}; {settings.CSRF_COOKIE_NAME}={token}", token


def analyse(connection):
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            for table in ("conversations_conversation", "conversations_message", "tickets_supportticket", "accounts_user"):
                cursor.execute(f"ANALYZE TABLE {table}")
                cursor.fetchall()
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# ------------------------------------------------------------------- servers

class Gunicorn:
    def __init__(self, options):
        self.options = options
        self.port = free_port()

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        argv = [str(gunicorn), "bench.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.options["workers"]), "--worker-class", self.options["worker_class"],
                "--threads", str(self.options["threads"]), "--no-control-socket", "--log-level", "warning"]
        self.process = subprocess.Popen(argv, cwd=ROOT, env=os.environ.copy())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    time.sleep(1.0)  # let every worker boot
                    return self
            except OSError:
                time.sleep(0.2)
        self.process.kill()
        raise BenchError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Wrk:
    def __init__(self, port, options):
        self.port = port
        self.options = options

    def run(self, label, lines, connections=None, warm_up=True):
        connections = connections or self.options["connections"]
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as handle:
            for line in lines:
                handle.write("\t".join(line) + "\n")
            requests_file = handle.name
        # A short warm-up, then the measured run.
        argv = ["wrk", "-t", "2", "-c", str(connections), "--latency", "-s", str(BENCH_DIR / "requests.lua"),
                f"http://127.0.0.1:{self.port}/"]
        env = {**os.environ, "BENCH_REQUESTS": requests_file}
        if warm_up:
            subprocess.run([*argv[:1], "-d", "2s", *argv[1:]], env=env, capture_output=True, text=True)
        output = subprocess.run([*argv[:1], "-d", f"{self.options['duration']}s", *argv[1:]],
                                env=env, capture_output=True, text=True).stdout
        os.unlink(requests_file)
        stats = json.loads(output.split("BENCH-JSON ", 1)[1].splitlines()[0])
        seconds = stats["duration_us"] / 1e6
        errors = stats["errors_status"] + stats["errors_connect"] + stats["errors_timeout"]
        row = {
            "rps": round(stats["requests"] / seconds, 1),
            "p50_ms": round(stats["p50_us"] / 1000, 2),
            "p99_ms": round(stats["p99_us"] / 1000, 2),
            "requests": stats["requests"],
            "errors": errors,
        }
        print(f"   {label:<28} {row['rps']:>9,.1f} req/s  p50 {row['p50_ms']:>7.2f} ms  p99 {row['p99_ms']:>7.2f} ms"
              f"  errors {errors}", flush=True)
        return row


# ------------------------------------------------------------------- helpers

def bench_database_url():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("mysql"):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench"))
    return f"sqlite:///{ROOT / 'bench.sqlite3'}"


def recreate_database(url):
    parts = urlsplit(url)
    if parts.scheme.startswith("mysql"):
        import MySQLdb

        name = parts.path.lstrip("/")
        connection = MySQLdb.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                                     user=parts.username or "root", password=parts.password or "")
        cursor = connection.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        connection.close()
    else:
        path = Path(parts.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


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
    if options["output"]:
        argv += ["--output", options["output"]]
    return argv


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redact(url):
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def machine_description(connection):
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()" if connection.vendor == "mysql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "os": platform.platform(),
        "database": f"{connection.vendor} {version}",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }


def render_table(results):
    rows = [
        ("floor", "bare Django view (204, no database)"),
        ("idle_poll", "idle poll (204)"),
        ("raw_poll", "reference: its 3 reads in hand-written SQL (not shipped)"),
        ("poll_one", "poll returning one message"),
        ("admin_list", "admin conversation list"),
        ("staff_list", "staff conversation list"),
        ("detail", "conversation page"),
        ("post", "post into one conversation (16 senders)"),
    ]
    out = ["| conversations | what | req/s | ×floor | p50 ms | p99 ms | queries | errors |",
           "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size, measured in results["sizes"].items():
        for key, label in rows:
            row = measured[key]
            queries = measured["queries"].get(key, {}).get("queries", "–")
            ratio = row.get("ratio_to_floor", 1.0 if key == "floor" else "–")
            extra = ""
            if key == "post":
                extra = f" (stored {row['stored']:,}, lost {row['lost']}, seq 1..n: {row['seq_contiguous']})"
            out.append(f"| {int(size):,} | {label}{extra} | {row['rps']:,.1f} | {ratio} | {row['p50_ms']} | "
                       f"{row['p99_ms']} | {queries} | {row['errors']} |")
    sizes = list(results["sizes"])
    if len(sizes) >= 2:
        small, large = results["sizes"][sizes[0]], results["sizes"][sizes[-1]]
        out.append("")
        for key in ("admin_list", "staff_list", "detail"):
            slowdown = small[key]["rps"] / large[key]["rps"] if large[key]["rps"] else float("inf")
            out.append(f"- {key}: {slowdown:.2f}× slower at {int(sizes[-1]):,} than at {int(sizes[0]):,} conversations")
    return "\n".join(out)
