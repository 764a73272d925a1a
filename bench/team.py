"""`bin/bench --team` (issue 13): the admin list against the size of the team, and one
bulk assignment of 500 conversations.

On one database of ``--sizes`` conversations (generated once: with --reuse-database a
database already holding them is kept), for each team size in ``--team-sizes``:
the admin list's time for one request (wrk with one connection: its median), its
requests/s under load (wrk, 16 connections), the floor in the same run and the
queries per request. ``--baseline-tree DIR`` serves a checkout of the code before the
change (e.g. `git archive main | tar -x -C DIR`) on the same database and measures it
the same way, so "today" and "after" are compared in one run on the same data.

Then one PATCH /api/admin/conversations/bulk assigns 500 conversations to one staff
member, timed end to end; afterwards it checks that exactly those 500 changed and that
every ticket's assignee is its conversation's.
"""

import contextlib
import json
import os
import statistics
import time
import urllib.request
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from accounts.models import Role, User
from bench import server
from bench.database import analyse
from bench.scenario import session_cookie
from conversations.demo import SCALE_EMAIL_DOMAIN
from conversations.models import Conversation
from tickets.models import SupportTicket

BULK_SIZE = 500
STAFF_DOMAIN = "team.bench.designpi.test"


def run_team(options):
    from bench.run import Wrk, bench_gunicorn, machine_description, save_results

    size = int(options["sizes"].split(",")[-1])
    team_sizes = [int(n) for n in options["team_sizes"].split(",")]
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", force=True, stdout=quiet)
        have = Conversation.objects.filter(customer__email__endswith="@" + SCALE_EMAIL_DOMAIN).count()
        if have < size:
            print(f"== {size:,} conversations: generating {size - have:,}…", flush=True)
            call_command("seed_demo", force=True, scale=size - have, messages=options["messages"], stdout=quiet)
        else:
            print(f"== {have:,} generated conversations already there: reused", flush=True)
    analyse(connection)
    machine = machine_description(connection)
    print(f"Machine: {machine['cpu']} ({machine['cores']} cores), {machine['database']}", flush=True)
    results = {"machine": machine, "conversations": Conversation.objects.count(),
               "options": {k: options[k] for k in ("duration", "connections", "workers", "worker_class", "threads", "rounds")},
               "baseline_tree": options["baseline_tree"], "teams": {},
               # Other work on the machine shows here (the 2 cores are shared): 1/5/15-minute load.
               "load_before": [round(x, 2) for x in os.getloadavg()]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM conversations_message")
        results["messages"] = cursor.fetchone()[0]
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    lines = [("GET", "/admin/conversations/", session_cookie(admin), "", "")]
    floor_lines = [("GET", "/__bench__/floor", session_cookie(admin), "", "")]

    with contextlib.ExitStack() as servers:
        port = servers.enter_context(bench_gunicorn(options))
        baseline = None
        if options["baseline_tree"]:
            baseline = servers.enter_context(server.gunicorn(
                "designpi.wsgi:application", root=Path(options["baseline_tree"]),
                options=["--workers", str(options["workers"]), "--worker-class", options["worker_class"],
                         "--threads", str(options["threads"]), "--log-level", "warning"]))
        time.sleep(1.0)
        codes = {"this branch": Wrk(port, options)}
        if baseline:
            codes["before"] = Wrk(baseline, options)
        # Interleaved rounds (team sizes and code alternate, each round the same order), so
        # a change in the machine's other load hits every variant alike; medians per variant.
        runs = {}
        for round_number in range(1, options["rounds"] + 1):
            for team_size in team_sizes:
                set_team_size(team_size)
                print(f"\n== round {round_number}: team of {team_size} (admins and staff, active)", flush=True)
                runs.setdefault((team_size, "floor"), []).append(codes["this branch"].run("floor", floor_lines))
                for code, wrk in codes.items():
                    one = wrk.run(f"{code}: 1 connection", lines, connections=1)
                    load = wrk.run(f"{code}: 16 connections", lines)
                    runs.setdefault((team_size, code), []).append({"one": one, "load": load})
        for team_size in team_sizes:
            set_team_size(team_size)
            row = {"queries": count_queries(admin), "floor": median_row(runs[(team_size, "floor")]),
                   "codes": {code: {"one": median_row([r["one"] for r in runs[(team_size, code)]]),
                                    "load": median_row([r["load"] for r in runs[(team_size, code)]])}
                             for code in codes},
                   "runs": {code: runs[(team_size, code)] for code in codes}}
            results["teams"][team_size] = row
        results["bulk"] = bulk_assign(port, admin)
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    save_results(results, options, table=render_team_table(results), kind="-team")


def median_row(rows):
    """Each figure's median over the rounds (errors summed)."""
    keys = ("rps", "p50_ms", "p99_ms", "min_ms")
    row = {key: round(statistics.median(r.get(key, 0) for r in rows), 2) for key in keys}
    row["errors"] = sum(r["errors"] for r in rows)
    row["requests"] = sum(r["requests"] for r in rows)
    return row


def set_team_size(size: int) -> None:
    """Exactly ``size`` active team members: the demo team plus generated staff. Team
    members other benchmarks made in a reused database (the 16 posting admins) are set
    inactive meanwhile; bench/scenario.py makes them active again."""
    User.objects.team().filter(email__endswith="@bench.designpi.test").update(is_active=False)
    extra = User.objects.filter(email__endswith="@" + STAFF_DOMAIN)
    base = User.objects.team().exclude(email__endswith="@" + STAFF_DOMAIN).count()
    wanted = max(0, size - base)
    existing = extra.count()
    if existing < wanted:
        User.objects.bulk_create([
            User(email=f"staff{n:03d}@{STAFF_DOMAIN}", name=f"Bench Staff {n:03d}", role=Role.STAFF,
                 password="!")
            for n in range(existing + 1, wanted + 1)])
    keep = list(extra.order_by("email").values_list("pk", flat=True)[:wanted])
    extra.filter(pk__in=keep).update(is_active=True)
    extra.exclude(pk__in=keep).update(is_active=False)
    if User.objects.team().count() != size:
        raise SystemExit(f"bench: cannot make a team of {size} (the demo team alone has {base})")


def count_queries(admin):
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    client.get("/admin/conversations/")
    with CaptureQueriesContext(connection) as queries:
        status = client.get("/admin/conversations/").status_code
    return {"queries": len(queries), "status": status}


def bulk_assign(port, admin):
    """One PATCH assigning 500 conversations (the newest ones not the target's) to one
    staff member; then what changed and whether every ticket agrees."""
    target = User.objects.filter(email__endswith="@" + STAFF_DOMAIN, is_active=True).order_by("email").first()
    ids = list(Conversation.objects.exclude(assigned_to=target).order_by("-updated_at", "-id")
               .values_list("pk", flat=True)[:BULK_SIZE])
    cookie, token = session_cookie(admin, with_csrf=True)
    body = json.dumps({"ids": ids, "assigned_to": target.pk}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/admin/conversations/bulk", data=body, method="PATCH",
        headers={"Cookie": cookie, "X-CSRFToken": token, "Content-Type": "application/json",
                 "Host": "127.0.0.1", "Referer": "http://127.0.0.1/"})
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=300) as response:
        answer = json.loads(response.read())
        status = response.status
    seconds = time.monotonic() - started
    now_assigned = Conversation.objects.filter(pk__in=ids, assigned_to=target).count()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {SupportTicket._meta.db_table} t JOIN {Conversation._meta.db_table} c "
            "ON c.id = t.conversation_id WHERE COALESCE(t.assigned_to_id, 0) <> COALESCE(c.assigned_to_id, 0)")
        disagreeing = cursor.fetchone()[0]
    row = {"status": status, "seconds": round(seconds, 2), "per_conversation_ms": round(seconds * 1000 / len(ids), 2),
           "asked": len(ids), "changed": len(answer["changed"]), "unchanged": len(answer["unchanged"]),
           "failed": len(answer["failed"]), "now_assigned": now_assigned, "tickets_disagreeing": disagreeing}
    print(f"\n== bulk assign {len(ids)}: {seconds:.2f} s, changed {row['changed']}, failed {row['failed']}, "
          f"assigned now {now_assigned}, tickets disagreeing {disagreeing}", flush=True)
    return row


def ratio(a, b, digits=2) -> str:
    return f"{a / b:.{digits}f}" if b else "–"


def render_team_table(results):
    summary = (f"{results['conversations']:,} conversations, {results['messages']:,} messages; load average "
               f"{'/'.join(map(str, results['load_before']))} before, "
               f"{'/'.join(map(str, results['load_after']))} after; "
               f"medians of {results['options']['rounds']} interleaved rounds.")
    header = ("| team | code | one request: min ms | one request: p50 ms | req/s (16 conn.) | ×floor | p50 ms "
              "| p99 ms | queries | errors |")
    out = [summary, "", header,
           "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for team, row in results["teams"].items():
        floor = row["floor"]["rps"]
        for code, measured in row["codes"].items():
            one, load = measured["one"], measured["load"]
            queries = row["queries"]["queries"] if code == "this branch" else "–"
            out.append(f"| {team} | {code} | {one['min_ms']} | {one['p50_ms']} | {load['rps']:,.1f} | "
                       f"{ratio(load['rps'], floor, 3)} | {load['p50_ms']} | {load['p99_ms']} | {queries} | "
                       f"{one['errors'] + load['errors']} |")
        out.append(f"| {team} | floor (bare view) | | | {floor:,.1f} | 1.0 | {row['floor']['p50_ms']} | "
                   f"{row['floor']['p99_ms']} | – | {row['floor']['errors']} |")
    teams = list(results["teams"])
    if len(teams) >= 2:
        small, large = results["teams"][teams[0]]["codes"], results["teams"][teams[-1]]["codes"]
        out.append("")
        for code in small:
            out.append(f"- {code}: one request (p50) {ratio(large[code]['one']['p50_ms'], small[code]['one']['p50_ms'])}× "
                       f"the time with {teams[-1]} team members as with {teams[0]} (min: "
                       f"{ratio(large[code]['one']['min_ms'], small[code]['one']['min_ms'])}×); under load "
                       f"{ratio(large[code]['load']['rps'], small[code]['load']['rps'])}× the req/s")
        if "before" in large:
            out.append(f"- with {teams[-1]}: this branch {ratio(large['this branch']['load']['rps'], large['before']['load']['rps'])}× "
                       f"the req/s of before; one request (p50) "
                       f"{ratio(large['before']['one']['p50_ms'], large['this branch']['one']['p50_ms'])}× faster")
    bulk = results["bulk"]
    out.append("")
    out.append(f"Bulk assign: {bulk['asked']} conversations in one PATCH: {bulk['seconds']} s "
               f"({bulk['per_conversation_ms']} ms each); changed {bulk['changed']}, unchanged {bulk['unchanged']}, "
               f"failed {bulk['failed']}; assigned to the target afterwards {bulk['now_assigned']}; "
               f"tickets whose assignee differs from their conversation's (whole table): {bulk['tickets_disagreeing']}.")
    return "\n".join(out)
