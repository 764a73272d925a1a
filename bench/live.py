"""`python -m bench --live`: what live updates (issue 10) cost and how fast they are.

Runs in the benchmark's child process (bench/run.py), on the benchmark database:

* **latency**: a customer and a staff member chat in Chromium (Playwright), each on
  their own page; for each message, the sender's page stamps the send and a
  MutationObserver on the receiver's `#messages` stamps the row's arrival, both with
  `performance.timeOrigin + performance.now()` (one machine, one clock). With the
  live process running, and with polling only (the live process not started: the
  page's EventSource is refused and it polls every 5 s) as the reference.
* **idle**: N open streams (bench/sse.py, real database sessions) for a while with
  nothing happening, against N pages polling every 5 s, and the safety poll the pages
  still make while their stream is healthy: CPU seconds of the live process and of the
  page workers (/proc/<pid>/stat of each gunicorn master and its workers) and the
  database's `Questions` and `Com_select` deltas (MariaDB; server-wide, so another
  client's activity is measured beforehand and shown beside them).
* **fanout**: with those streams open, one message: the time until every stream that
  may see it has its event, and the events on streams that may not (must be 0).

Pages run on gunicorn's sync workers through bench/wsgi.py like the other rows; the
live process runs as production would (`live.asgi:application`, uvicorn worker).
"""

import contextlib
import http.client
import math
import os
import random
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from accounts.models import Role, User
from bench import querycount, server
from bench.database import analyse
from bench.run import save_results
from bench.scenario import session_cookie
from bench.sse import Fleet
from conversations.demo import SCALE_EMAIL_DOMAIN
from conversations.models import Conversation
from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_post_message,
)

# Debian's Chromium as the browser tests launch it (tests/browser/conftest.py; the
# benchmark does not import test code, so the list is repeated here).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
POLL_SECONDS = 5  # the pages' poll interval (hx-trigger "every 5s")


def run_live(options):
    from bench.run import machine_description

    parts = {part.strip() for part in options["live_parts"].split(",") if part.strip()}
    unknown = parts - {"latency", "idle", "fanout"}
    if unknown:
        raise SystemExit(f"bench: unknown --live-parts {', '.join(sorted(unknown))}")
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", force=True, stdout=quiet)
        call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)  # whitenoise serves STATIC_ROOT
    machine = machine_description(connection)
    print(f"Machine: {machine['cpu']} ({machine['cores']} cores), {machine['database']}", flush=True)
    results = {"machine": machine, "options": {k: options[k] for k in (
        "workers", "worker_class", "threads", "live_messages", "streams", "idle_seconds")},
        "settings": {"LIVE_SAFETY_POLL_SECONDS": safety_poll_seconds()}}

    if "latency" in parts:
        results["latency"] = measure_latency(options)
    if parts & {"idle", "fanout"}:
        print(f"\n== {options['streams']:,} customers with a conversation: generating data…", flush=True)
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", force=True, scale=options["streams"], messages=options["messages"], stdout=quiet)
        analyse(connection)
        results.update(measure_idle_and_fanout(options, parts))

    save_results(results, options, table=render_live_tables(results), kind="-live")


def safety_poll_seconds():
    return int(getattr(settings, "LIVE_SAFETY_POLL_SECONDS", 120))


def load():
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


# -- the two servers ----------------------------------------------------------------

def live_environment(page_port, live_port, counters=None):
    """Pages and stream on different ports: LIVE_URL absolute, the pages' origin allowed;
    `counters`: a directory for the per-process query counts (bench/querycount.py)."""
    return {**os.environ,
            "LIVE_URL": f"http://{server.HOST}:{live_port}/live/stream",
            "LIVE_ALLOWED_ORIGINS": f"http://{server.HOST}:{page_port}",
            **({querycount.ENV: str(counters)} if counters else {})}


def pages_gunicorn(options, env, port):
    return server.gunicorn("bench.wsgi:application", env=env, port=port, options=[
        "--workers", str(options["workers"]), "--worker-class", options["worker_class"],
        "--threads", str(options["threads"]), "--log-level", "warning"])


def live_gunicorn(env, port):
    """The live process as the spec starts it (bench/asgi.py is live.asgi plus the query
    counter); a short graceful timeout, since open streams would otherwise hold the stop
    for gunicorn's default 30 s."""
    return server.gunicorn("bench.asgi:application", env=env, port=port, ready=_stream_answers, options=[
        "-k", "uvicorn_worker.UvicornWorker", "--workers", "1", "--graceful-timeout", "3",
        "--log-level", "warning"])


def _stream_answers(port):
    """Ready once the worker has loaded the app: /live/stream answers (401 without a session)."""
    try:
        conn = http.client.HTTPConnection(server.HOST, port, timeout=2)
        conn.request("GET", "/live/stream")
        status = conn.getresponse().status
        conn.close()
        return status in (200, 401, 403)
    except OSError:
        return False


# -- CPU and database counters ------------------------------------------------------

def gunicorn_pids(port):
    """The gunicorn master bound to 127.0.0.1:<port> and its workers (forked: same command line)."""
    bind = f"{server.HOST}:{port}".encode()
    parents, matching = {}, set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
        if bind in cmdline and any(b"gunicorn" in part for part in cmdline):
            matching.add(pid)
    masters = [pid for pid in matching if parents.get(pid) not in matching]
    if len(masters) != 1:
        raise RuntimeError(f"expected one gunicorn master on port {port}, found {masters}")
    return masters + [pid for pid, parent in parents.items() if parent == masters[0]]


def cpu_seconds(pids):
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def database_counters():
    """Server-wide (MariaDB) Questions and Com_select; None on SQLite."""
    if connection.vendor != "mysql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select')")
        return {name.lower(): int(value) for name, value in cursor.fetchall()}


class Sample:
    """CPU of both servers and the database counters between start() and stop()."""

    def __init__(self, counters, page_port, live_port=None):
        self.counters = counters
        self.page_pids = gunicorn_pids(page_port)
        self.live_pids = gunicorn_pids(live_port) if live_port else []

    def _queries(self, pids):
        return querycount.read_total(self.counters, set(pids))

    def start(self):
        self.load_before = load()
        self.began = time.monotonic()
        self.pages0, self.live0 = cpu_seconds(self.page_pids), cpu_seconds(self.live_pids)
        self.pq0, self.lq0 = self._queries(self.page_pids), self._queries(self.live_pids)
        self.db0 = database_counters()

    def stop(self):
        db1 = database_counters()
        result = {
            "seconds": round(time.monotonic() - self.began, 1),
            "pages_cpu": round(cpu_seconds(self.page_pids) - self.pages0, 2),
            "live_cpu": round(cpu_seconds(self.live_pids) - self.live0, 2) if self.live_pids else None,
            "pages_queries": self._queries(self.page_pids) - self.pq0,
            "live_queries": self._queries(self.live_pids) - self.lq0 if self.live_pids else None,
            "load": f"{self.load_before} → {load()}",
        }
        if db1 is not None:
            # The two SHOW STATUS of this sample count as one Question each.
            result["questions"] = db1["questions"] - self.db0["questions"] - 1
            result["com_select"] = db1["com_select"] - self.db0["com_select"]
        return result


def background_rate(seconds=10):
    """Questions/s on the database server while nothing of ours runs (other clients)."""
    before = database_counters()
    if before is None:
        return None
    time.sleep(seconds)
    after = database_counters()
    return round((after["questions"] - before["questions"] - 1) / seconds, 2)


# -- 1. latency in the browser --------------------------------------------------------

OBSERVE_JS = """() => {
  window.__benchSeen = {};
  const list = document.querySelector("#messages");
  new MutationObserver((records) => {
    const now = performance.timeOrigin + performance.now();
    for (const record of records) {
      for (const node of record.addedNodes) {
        const body = node.nodeType === 1 && node.querySelector(".msg-body");
        const match = body && /bench-live-(\\d+-[a-z]+)/.exec(body.textContent);
        if (match && !(match[1] in window.__benchSeen)) { window.__benchSeen[match[1]] = now; }
      }
    }
  }).observe(list, {childList: true});
}"""

SEND_JS = """(text) => {
  const box = document.querySelector("textarea[data-enter-sends]");
  box.value = text;
  const sent = performance.timeOrigin + performance.now();
  box.form.requestSubmit();
  return sent;
}"""


def latency_people():
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    staff = User.objects.get(email="sarah@designpi.com")
    customer, _ = User.objects.get_or_create(
        email="live-latency@bench.designpi.test", defaults={"role": Role.CUSTOMER, "name": "Latency customer"})
    conversation, created = conversation_get_or_create_for_customer(customer=customer)
    if created:
        conversation_post_message(actor=customer, conversation=conversation, body="The latency chat starts here.")
    conversation_assign(actor=admin, conversation=conversation, assignee=staff)
    return customer, staff, conversation


def measure_latency(options):
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise SystemExit("bench: --live latency needs Playwright: pip install -r requirements-dev.txt") from None
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"bench: --live latency needs {CHROMIUM} (apt-get install chromium)")
    customer, staff, conversation = latency_people()
    cookies = {"customer": session_cookie(customer), "staff": session_cookie(staff)}
    paths = {"customer": "/portal/chat/", "staff": f"/staff/conversations/{conversation.pk}/"}
    rows = {}
    for mode in ("stream", "polling"):
        print(f"\n== latency in Chromium, {mode}: {options['live_messages']} messages each way…", flush=True)
        page_port, live_port = server.free_port(), server.free_port()
        env = live_environment(page_port, live_port)
        with contextlib.ExitStack() as stack:
            if mode == "stream":
                stack.enter_context(live_gunicorn(env, live_port))
            stack.enter_context(pages_gunicorn(options, env, page_port))
            time.sleep(1.0)
            rows[mode] = chat_in_browser(f"http://{server.HOST}:{page_port}", cookies, paths,
                                         options["live_messages"], mode)
    return rows


def chat_in_browser(base, cookies, paths, count, mode, warm_up=2):
    from playwright.sync_api import sync_playwright

    load_before = load()
    samples = {"customer→staff": [], "staff→customer": []}
    stream_status = {}
    rng = random.Random(10)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = {}
        for who in ("customer", "staff"):
            context = browser.new_context(base_url=base)
            name, value = cookies[who].split("=", 1)
            context.add_cookies([{"name": name, "value": value, "url": base}])
            page = context.new_page()
            page.on("response", lambda response, who=who: "/live/stream" in response.url
                    and stream_status.setdefault(who, response.status))
            page.on("requestfailed", lambda request, who=who: "/live/stream" in request.url
                    and stream_status.setdefault(who, request.failure or "failed"))
            page.goto(paths[who])
            page.evaluate(OBSERVE_JS)
            pages[who] = page
        deadline = time.monotonic() + 10
        while len(stream_status) < 2 and time.monotonic() < deadline:
            pages["customer"].wait_for_timeout(100)
        for i in range(warm_up + count):
            for direction, sender, receiver, tag in (("customer→staff", "customer", "staff", "cs"),
                                                     ("staff→customer", "staff", "customer", "sc")):
                # A random pause, so a send falls anywhere in the receiver's 5 s poll cycle.
                pages[sender].wait_for_timeout(rng.uniform(0, POLL_SECONDS) * 1000)
                key = f"{i}-{tag}"
                sent = pages[sender].evaluate(SEND_JS, f"bench-live-{key} from the {sender}")
                pages[receiver].wait_for_function("key => window.__benchSeen[key] !== undefined", arg=key,
                                                  polling=10, timeout=30_000)
                seen = pages[receiver].evaluate("key => window.__benchSeen[key]", key)
                if i >= warm_up:
                    samples[direction].append(seen - sent)
        hidden = {who: page.evaluate("document.hidden") for who, page in pages.items()}
        browser.close()
    row = {"load": f"{load_before} → {load()}", "stream": {k: str(v) for k, v in stream_status.items()},
           "hidden": hidden, "directions": {}}
    for direction, values in samples.items():
        row["directions"][direction] = summary(values)
        s = row["directions"][direction]
        print(f"   {mode:<8} {direction:<15} n {s['n']:>3}  p50 {s['p50_ms']:>7.0f} ms  p95 {s['p95_ms']:>7.0f} ms"
              f"  max {s['max_ms']:>7.0f} ms  (stream: {row['stream']}, load {row['load']})", flush=True)
    return row


def percentile(values, fraction):
    """Nearest rank: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(values):
    if not values:
        return {"n": 0, "p50_ms": float("nan"), "p95_ms": float("nan"), "max_ms": float("nan")}
    return {"n": len(values), "p50_ms": round(percentile(values, 0.5), 1),
            "p95_ms": round(percentile(values, 0.95), 1), "max_ms": round(max(values), 1),
            "samples_ms": [round(v, 1) for v in values]}


# -- 2. idle cost and 3. fan-out --------------------------------------------------------

def stream_people(total):
    """Who holds the streams: mostly customers (each their own account and conversation,
    from seed_demo --scale), some staff and admins (a few accounts, one session per
    stream, as people with several tabs). Returns (people, pages, conversations by customer)."""
    admins = list(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"))
    staff = list(User.objects.team().filter(role=Role.STAFF).order_by("pk"))
    n_admin = max(1, total // 50)  # 2%
    n_staff = max(1, total // 20)  # 5%
    n_customer = total - n_admin - n_staff
    conversations = list(Conversation.objects.filter(customer__email__endswith="@" + SCALE_EMAIL_DOMAIN)
                         .select_related("customer").order_by("-pk")[:n_customer])
    assigned = {}
    for conversation in conversations:
        if conversation.assigned_to_id:
            assigned.setdefault(conversation.assigned_to_id, conversation)
    people, pages = [], []
    for conversation in conversations:
        cookie = session_cookie(conversation.customer)
        people.append(("customer", conversation.customer_id, cookie))
        pages.append(("/portal/chat/messages/", conversation.pk, cookie))
    for i in range(n_staff):
        member = staff[i % len(staff)]
        cookie = session_cookie(member)
        people.append(("staff", member.pk, cookie))
        mine = assigned.get(member.pk) or conversations[0]
        pages.append((f"/staff/conversations/{mine.pk}/messages/", mine.pk, cookie))
    for i in range(n_admin):
        admin = admins[i % len(admins)]
        cookie = session_cookie(admin)
        people.append(("admin", admin.pk, cookie))
        first = conversations[0]
        pages.append((f"/admin/conversations/{first.pk}/messages/", first.pk, cookie))
    accounts = {"customer": len({p[1] for p in people if p[0] == "customer"}),
                "staff": len({p[1] for p in people if p[0] == "staff"}),
                "admin": len({p[1] for p in people if p[0] == "admin"})}
    return people, pages, conversations, accounts


def idle_polls(pages):
    """The pages' thread polls with today's cursors: each answers 204 (nothing new)."""
    last_seq = dict(Conversation.objects.filter(pk__in={pk for _, pk, _ in pages}).values_list("pk", "last_seq"))
    return [(f"{path}?after={last_seq[pk]}", cookie) for path, pk, cookie in pages]


def database_connections():
    """(max_connections, connections to the whole server, connections to the benchmark
    database other than ours) on MariaDB; None on SQLite."""
    if connection.vendor != "mysql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@max_connections, (SELECT COUNT(*) FROM information_schema.PROCESSLIST), "
                       "(SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                       "AND ID <> CONNECTION_ID())")
        return cursor.fetchone()


PROBE = 20
MARGIN = 40  # connections left to the pages, this process and the other clients of the server


def open_streams(fleet, people, out):
    """Open the streams; first PROBE of them, to see whether each holds a database
    connection in the live process. If so, stop where the shared database server would
    run out of connections (for everyone on it), and say so."""
    started = time.monotonic()
    before = database_connections()
    held = fleet.open_streams(people[:PROBE])
    rest = people[PROBE:]
    if before is not None:
        time.sleep(1.0)
        most, connected, ours = database_connections()
        per_stream = (ours - before[2]) / max(1, len(held))
        out["people"]["db_connections_per_stream"] = round(per_stream, 2)
        if per_stream >= 0.5:
            room = max(0, int((most - connected - MARGIN) / per_stream))
            if room < len(rest):
                print(f"   the live process holds about {per_stream:.1f} database connection(s) per open stream "
                      f"(connections to the benchmark database {before[2]} → {ours} for {len(held)} streams; "
                      f"{connected} of max_connections {most} in use on the server): "
                      f"opening only {room} more, so the shared server keeps {MARGIN} for everyone else", flush=True)
                out["people"]["capped_by_db_connections"] = True
                rest = rest[:room]
    held += fleet.open_streams(rest)
    failures = {}
    for stream in fleet.streams:
        if stream.ready_at is None:
            failures[stream.error or "no ready event"] = failures.get(stream.error or "no ready event", 0) + 1
    out["people"].update({"held": len(held), "open_seconds": round(time.monotonic() - started, 1),
                          "failures": failures})
    print(f"   held {len(held):,} of {len(people):,} in {out['people']['open_seconds']} s"
          f"{'; failures: ' + str(failures) if failures else ''}", flush=True)
    return held


def measure_idle_and_fanout(options, parts):
    total, seconds = options["streams"], options["idle_seconds"]
    safety = safety_poll_seconds()
    people, pages, conversations, accounts = stream_people(total)
    # Personas interleaved, so that however many streams the box holds, they are a mix.
    order = list(range(len(people)))
    random.Random(2000).shuffle(order)
    people, pages = [people[i] for i in order], [pages[i] for i in order]
    out = {"idle": {}, "people": {"streams": len(people), "accounts": accounts}}
    page_port, live_port = server.free_port(), server.free_port()
    with tempfile.TemporaryDirectory(prefix="bench-queries-") as counters:
        env = live_environment(page_port, live_port, counters)
        with pages_gunicorn(options, env, page_port):
            with live_gunicorn(env, live_port):
                time.sleep(1.0)
                print("\n== other clients of the database server (10 s, nothing of ours running)…", flush=True)
                out["background_questions_per_s"] = background_rate()
                print(f"   {out['background_questions_per_s']} questions/s", flush=True)
                fleet = Fleet(server.HOST, live_port)
                try:
                    print(f"\n== opening {len(people):,} streams ({accounts} accounts)…", flush=True)
                    held = open_streams(fleet, people, out)
                    held_pages = [page for stream, page in zip(fleet.streams, pages) if stream.ready_at is not None]
                    out["people"]["held_by_persona"] = {label: sum(1 for s in held if s.label == label)
                                                        for label in ("customer", "staff", "admin")}
                    time.sleep(5)  # let the connect-time work settle
                    sample = Sample(counters, page_port, live_port)
                    if "idle" in parts:
                        print(f"\n== {len(held):,} open streams, nothing happening, {seconds} s…", flush=True)
                        sample.start()
                        pings = sum(s.pings for s in held)
                        time.sleep(seconds)
                        row = sample.stop()
                        row.update({"pages": len(held), "pings": sum(s.pings for s in held) - pings,
                                    "still_open": sum(1 for s in held if not s.closed)})
                        out["idle"]["streams"] = row
                        print_idle("streams, idle", row)

                        print(f"\n== the same streams + the pages' safety poll (every {safety} s), {seconds} s…",
                              flush=True)
                        safety_fleet = Fleet(server.HOST, page_port)
                        sample.start()
                        polled = safety_fleet.poll(idle_polls(held_pages), every=safety, seconds=seconds)
                        time.sleep(max(0.0, seconds - (time.monotonic() - sample.began)))
                        row = sample.stop()
                        safety_fleet.stop()
                        row.update({"pages": len(held), "requests": polled["requests"],
                                    "statuses": polled["statuses"], "still_open": sum(1 for s in held if not s.closed)})
                        out["idle"]["streams_safety"] = row
                        print_idle("streams + safety poll", row)
                    if "fanout" in parts:
                        out["fanout"] = fan_out(fleet, held, conversations)
                finally:
                    fleet.stop()
            if "idle" in parts:
                print(f"\n== no live process: {len(held):,} pages polling every {POLL_SECONDS} s, {seconds} s…",
                      flush=True)
                polling_fleet = Fleet(server.HOST, page_port)
                polls = idle_polls(held_pages)
                polling_fleet.poll(polls[:100], every=1, seconds=2)  # warm both workers up
                time.sleep(2)
                sample = Sample(counters, page_port)
                sample.start()
                polled = polling_fleet.poll(polls, every=POLL_SECONDS, seconds=seconds)
                row = sample.stop()
                polling_fleet.stop()
                row.update({"pages": len(held), "requests": polled["requests"], "statuses": polled["statuses"],
                            "late": polled["late"]})
                out["idle"]["polling"] = row
                print_idle("polling every 5 s", row)
    return out


def print_idle(label, row):
    live = "–" if row.get("live_cpu") is None else f"{row['live_cpu']:.2f}"
    print(f"   {label:<24} live CPU {live} s  pages CPU {row['pages_cpu']:.2f} s  queries live {row.get('live_queries')}"
          f" pages {row['pages_queries']}  server Questions {row.get('questions', '–')}"
          f"  Com_select {row.get('com_select', '–')}  ({row['seconds']} s, load {row['load']})"
          f"{'  requests ' + str(row['requests']) + ' ' + str(row['statuses']) if 'requests' in row else ''}",
          flush=True)


def fan_out(fleet, held, conversations):
    """One customer message into a conversation assigned to a staff member with open streams."""
    staff_ids = {s.user_id for s in held if s.label == "staff"}
    customer_ids = {s.user_id for s in held if s.label == "customer"}
    candidates = [c for c in conversations if c.customer_id in customer_ids]
    target = next((c for c in candidates if c.assigned_to_id in staff_ids), candidates[0])
    may_see = [s for s in held if (s.label == "admin")
               or (s.label == "staff" and s.user_id == target.assigned_to_id)
               or (s.label == "customer" and s.user_id == target.customer_id)]
    may_see_ids = {id(s) for s in may_see}
    marks = {id(s): len(s.events) for s in held}
    print(f"\n== fan-out: one message into conversation {target.pk}; {len(may_see)} of {len(held):,} streams may see it…",
          flush=True)
    load_before = load()
    conversation_post_message(actor=target.customer, conversation=target, body="bench fan-out message")
    committed = time.monotonic()

    def arrivals():
        got = {}
        for s in may_see:
            for when, name, data, _ in s.events[marks[id(s)]:]:
                if name == "conversation" and isinstance(data, dict) and data.get("id") == target.pk:
                    got[id(s)] = when - committed
                    break
        return got

    deadline = committed + 15
    while time.monotonic() < deadline and len(arrivals()) < len(may_see):
        time.sleep(0.02)
    time.sleep(3)  # ten ticks more, for stray events
    got = arrivals()
    strays = 0
    other_events = 0
    for s in held:
        for _, name, data, _ in s.events[marks[id(s)]:]:
            if id(s) in may_see_ids:
                continue
            if name == "conversation" and isinstance(data, dict) and data.get("id") == target.pk:
                strays += 1
            elif name != "ready":
                other_events += 1
    times = sorted(v * 1000 for v in got.values())
    row = {"streams": len(held), "may_see": len(may_see), "got": len(got), "strays": strays,
           "other_events": other_events, "load": f"{load_before} → {load()}",
           "first_ms": round(times[0], 1) if times else None,
           "p50_ms": round(percentile(times, 0.5), 1) if times else None,
           "last_ms": round(times[-1], 1) if times else None}
    print(f"   {row['got']} of {row['may_see']} got it: first {row['first_ms']} ms, p50 {row['p50_ms']} ms, "
          f"last {row['last_ms']} ms; events on streams that may not see it: {strays} (other events: {other_events})",
          flush=True)
    return row


# -- the tables -------------------------------------------------------------------------

def render_live_tables(results):
    out = []
    if "latency" in results:
        out += ["Latency, send → visible on the other page (Chromium, MutationObserver on #messages):", "",
                "| mode | direction | messages | p50 ms | p95 ms | max ms | load (1/5/15 min) |",
                "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
        labels = {"stream": "live stream", "polling": "polling only (reference)"}
        for mode, row in results["latency"].items():
            for direction, s in row["directions"].items():
                out.append(f"| {labels.get(mode, mode)} | {direction} | {s['n']} | {s['p50_ms']:,.0f} | "
                           f"{s['p95_ms']:,.0f} | {s['max_ms']:,.0f} | {row['load']} |")
    idle = results.get("idle") or {}
    if idle:
        people = results["people"]
        polling = idle.get("polling")
        out += ["", f"Idle cost, {people['held']:,} open pages (streams held: {people['held']:,} of "
                f"{people['streams']:,}). Queries: counted in the live process and the page workers themselves; "
                f"the server's Questions count every client (others: "
                f"{results.get('background_questions_per_s')} questions/s measured beforehand):", "",
                "| what | pages | seconds | CPU s live process | CPU s page workers | CPU s total | ×polling "
                "| queries live process | queries pages | queries total | ×polling | server Questions | load (1/5/15 min) |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        labels = {"streams": "streams open, nothing happening",
                  "streams_safety": f"streams + safety poll every {results['settings']['LIVE_SAFETY_POLL_SECONDS']} s",
                  "polling": f"polling every {POLL_SECONDS} s (no live process)"}

        def totals(row):
            return (row["live_cpu"] or 0) + row["pages_cpu"], (row.get("live_queries") or 0) + row["pages_queries"]

        for key in ("streams", "streams_safety", "polling"):
            row = idle.get(key)
            if not row:
                continue
            cpu, queries = totals(row)
            cpu_ratio = ratio(cpu, totals(polling)[0] if polling else None)
            q_ratio = ratio(queries, totals(polling)[1] if polling else None)
            live = "–" if row["live_cpu"] is None else f"{row['live_cpu']:.2f}"
            live_q = "–" if row.get("live_queries") is None else f"{row['live_queries']:,}"
            out.append(f"| {labels[key]} | {row['pages']:,} | {row['seconds']} | {live} | {row['pages_cpu']:.2f} | "
                       f"{cpu:.2f} | {cpu_ratio} | {live_q} | {row['pages_queries']:,} | {queries:,} | {q_ratio} | "
                       f"{row.get('questions', '–')} | {row['load']} |")
    fanout = results.get("fanout")
    if fanout:
        out += ["", "Fan-out of one message (time after its commit until the stream has the event):", "",
                "| streams open | may see it | got it | first ms | p50 ms | last ms | events on streams that may not |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
                f"| {fanout['streams']:,} | {fanout['may_see']} | {fanout['got']} | {fanout['first_ms']} | "
                f"{fanout['p50_ms']} | {fanout['last_ms']} | {fanout['strays']} |"]
    return "\n".join(out).strip("\n")


def ratio(value, reference):
    if value is None or not reference:
        return "–"
    return f"1/{reference / value:.0f}" if value and value < reference else f"{value / reference:.2f}"
