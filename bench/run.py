"""The child process of `python -m bench`: make the data, measure, print the table.

It runs on the benchmark database with production-like settings (bench/launch.py).
It makes the data through `seed_demo --scale`, signs people in, starts gunicorn as
production would (bench/server.py), drives it with wrk on loopback and prints a
table. Every throughput is also given as a ratio to a bare Django view served by
the same gunicorn (bench/wsgi.py), so machine noise cancels.
"""

import json
import os
import platform
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from accounts.models import User
from bench import server
from bench.database import analyse
from bench.launch import BenchError
from bench.scenario import Scenario
from conversations.demo import SCALE_EMAIL_DOMAIN

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = server.ROOT / "bench-results"


def run(options):
    if options["live"]:
        from bench.live import run_live

        return run_live(options)
    if options["emails"]:
        from bench.emails import run_emails

        return run_emails(options)
    if options["assignment"]:
        from bench.assignment import run_assignment

        return run_assignment(options)
    if options["team"]:
        from bench.team import run_team

        return run_team(options)
    sizes = [int(size) for size in options["sizes"].split(",")]
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", force=True, stdout=quiet)
    machine = machine_description(connection)
    print(f"Machine: {machine['cpu']} ({machine['cores']} cores), {machine['database']}", flush=True)

    results = {"machine": machine, "options": {k: options[k] for k in (
        "messages", "duration", "connections", "workers", "worker_class", "threads", "pollers")}, "sizes": {}}
    # Generated conversations already there (--reuse-database keeps a seeded database).
    made = User.objects.filter(email__endswith="@" + SCALE_EMAIL_DOMAIN).count()
    for size in sizes:
        if made > size:
            raise BenchError(f"the database already holds {made:,} generated conversations, more than {size:,}")
        print(f"\n== {size:,} conversations: generating {size - made:,} more…", flush=True)
        started = time.monotonic()
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", force=True, scale=size - made, messages=options["messages"], stdout=quiet)
        made = size
        analyse(connection)
        print(f"   generated in {time.monotonic() - started:.0f} s", flush=True)
        results["sizes"][size] = measure_size(options)

    save_results(results, options, table=render_table(results))


def save_results(results, options, *, table: str, kind: str = "") -> None:
    """Print the table and keep the raw results (--output, or bench-results/<time>[-kind]-<vendor>.json)."""
    path = Path(options["output"]) if options["output"] else RESULTS_DIR / (
        datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S") + f"{kind}-{connection.vendor}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    print("\n" + table)
    print(f"\nRaw results: {path}")


SEARCH_ROWS = [
    ("list_single", "admin list without search (the baseline)"),
    ("search_rare", 'search, a rare word ("chargeback")'),
    ("search_rare_fixed", 'search, a rare word with one result at any size ("dashboard")'),
    ("search_common", 'search, a common word ("order")'),
    ("search_name", 'search, a name ("Jane Smith")'),
    ("search_email", "search, an email address"),
]


def measure_size(options):
    scenario = Scenario.build(pollers=options["pollers"])
    measured = {"queries": scenario.count_queries()}
    with bench_gunicorn(options) as port:
        time.sleep(1.0)  # let every worker boot
        wrk = Wrk(port, options)
        measured["floor"] = wrk.run("floor", scenario.floor())
        # Searches: one request at a time (a single connection), so p50 is one request's latency.
        for key, label in SEARCH_ROWS:
            measured[key] = wrk.run(label, scenario.search(key), connections=1)
        if options["only_search"]:
            return with_ratios(measured)
        measured["idle_poll"] = wrk.run("idle poll", scenario.idle_polls())
        measured["raw_poll"] = wrk.run("reference: raw-SQL idle poll", scenario.raw_polls())
        measured["poll_one"] = wrk.run("poll with one message", scenario.polls_with_one_message())
        measured["admin_list"] = wrk.run("admin conversation list", scenario.admin_list())
        measured["staff_list"] = wrk.run("staff conversation list", scenario.staff_list())
        measured["detail"] = wrk.run("conversation page", scenario.detail_pages())
        measured["earlier_page"] = wrk.run("earlier page, 10,000 messages", scenario.earlier_pages())
        measured["attention"] = wrk.run("tab count (staff)", scenario.attention())
        before = scenario.hot_count()
        measured["post"] = wrk.run("post into one conversation", scenario.posts(), connections=16, warm_up=False)
        post = measured["post"]
        post["stored"] = scenario.hot_count() - before
        # Every answered request must be a stored message (a request cut off when wrk
        # stops may still be stored, so stored can exceed answered, never the reverse).
        post["lost"] = max(0, post["requests"] - post["errors"] - post["stored"])
        measured["post"]["seq_contiguous"] = scenario.hot_seq_contiguous()
    return with_ratios(measured)


def with_ratios(measured):
    for name, row in measured.items():
        if name not in ("queries", "floor") and "rps" in row:
            row["ratio_to_floor"] = round(row["rps"] / measured["floor"]["rps"], 3)
    return measured


def bench_gunicorn(options):
    """The app as production serves it, plus bench/wsgi.py's two reference routes."""
    return server.gunicorn("bench.wsgi:application", options=[
        "--workers", str(options["workers"]), "--worker-class", options["worker_class"],
        "--threads", str(options["threads"]), "--log-level", "warning"])


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
        # --timeout 10s: a slow page under load is measured, not dropped as an error at wrk's 2 s.
        argv = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "--timeout", "10s", "--latency",
                "-s", str(BENCH_DIR / "requests.lua"), f"http://127.0.0.1:{self.port}/"]
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
            "min_ms": round(stats.get("min_us", 0) / 1000, 2),
            "requests": stats["requests"],
            "errors": errors,
        }
        print(f"   {label:<28} {row['rps']:>9,.1f} req/s  p50 {row['p50_ms']:>7.2f} ms  p99 {row['p99_ms']:>7.2f} ms"
              f"  errors {errors}", flush=True)
        return row


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
        ("earlier_page", "earlier page (?before=) of a 10,000-message thread"),
        ("attention", "the tab's count (staff attention)"),
        ("post", "post into one conversation (16 senders)"),
        *[(key, f"{label}, 1 connection") for key, label in SEARCH_ROWS],
    ]
    out = ["| conversations | what | req/s | ×floor | p50 ms | p99 ms | queries | errors |",
           "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size, measured in results["sizes"].items():
        for key, label in rows:
            if key not in measured:  # --only-search
                continue
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
        for key in ("admin_list", "staff_list", "detail", *(key for key, _label in SEARCH_ROWS)):
            if key not in small:
                continue
            slowdown = small[key]["rps"] / large[key]["rps"] if large[key]["rps"] else float("inf")
            out.append(f"- {key}: {slowdown:.2f}× slower at {int(sizes[-1]):,} than at {int(sizes[0]):,} conversations")
    return "\n".join(out)
