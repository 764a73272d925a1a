"""`bin/bench --assignment` (issue 14): the automatic assignment decision and claim at
100,000 conversations (the last of ``--sizes``).

The data is made directly (bulk inserts, no messages: the claim reads conversations and
users only): one lead, 10 available staff members, conversations of which ~4 % are OPEN
and assigned (the members' loads), 1,000 wait (unassigned, OPEN, with a last message)
and the rest are resolved or closed. Then ``assignment_claim_next`` runs 500 times in
this process, for each rule: each call locks the oldest waiting conversation (SKIP
LOCKED), locks the members' rows, counts their loads, chooses, assigns and records.
Reported: the median and p99 time of one claim, and its queries.
"""

import os
import random
import statistics
import time
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from conversations.assignment import assignment_claim_next, assignment_policy
from conversations.models import AssignmentMode, AssignmentPolicy, AssignmentRecord, Conversation, Source, Status
from leads.models import Lead

STAFF = 10
WAITING = 1000
CLAIMS = 500
BATCH = 5000


LEAD_EMAIL = "assign@bench.designpi.test"


def remove_data():
    """This benchmark's own rows (its lead's conversations, the lead, its staff), so that a
    reused database neither refuses a second run nor keeps 100,000 extra conversations
    in the other rows' lists."""
    Conversation.objects.filter(lead__email=LEAD_EMAIL).delete()
    Lead.objects.filter(email=LEAD_EMAIL).delete()
    User.objects.filter(email__startswith="assign", email__endswith="@bench.designpi.test").delete()


def make_data(size):
    rng = random.Random(14)
    remove_data()
    lead = Lead.objects.create(name="Bench lead", email=LEAD_EMAIL)
    staff = [User.objects.create(email=f"assign{i}@bench.designpi.test", name=f"Agent {i}", role=Role.STAFF,
                                 available=True, capacity=1000) for i in range(STAFF)]
    start = timezone.now() - timedelta(days=365)
    rows = []
    for i in range(size):
        at = start + timedelta(seconds=i * 300)
        if i >= size - WAITING:
            assignee, status = None, Status.OPEN
        elif rng.random() < 0.04:
            assignee, status = rng.choice(staff), Status.OPEN
        else:
            assignee, status = rng.choice(staff), rng.choice([Status.RESOLVED, Status.CLOSED])
        rows.append(Conversation(lead=lead, source=Source.LEAD, status=status, assigned_to=assignee,
                                 created_at=at, updated_at=at, last_message_at=at, last_seq=1))
        if len(rows) == BATCH:
            Conversation.objects.bulk_create(rows)
            rows = []
    Conversation.objects.bulk_create(rows)


def run_assignment(options):
    from bench.run import machine_description, save_results
    from django.core.management import call_command

    size = int(options["sizes"].split(",")[-1])
    call_command("migrate", verbosity=0)
    print(f"== {size:,} conversations: generating…", flush=True)
    started = time.monotonic()
    make_data(size)
    print(f"   generated in {time.monotonic() - started:.0f} s", flush=True)
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE TABLE conversations_conversation, accounts_user")
    machine = machine_description(connection)
    results = {"machine": machine, "conversations": Conversation.objects.count(), "claims": CLAIMS,
               "load_before": [round(x, 2) for x in os.getloadavg()], "rules": {}}
    waiting_ids = list(Conversation.objects.filter(assigned_to__isnull=True).values_list("pk", flat=True))
    for mode in (AssignmentMode.ROUND_ROBIN, AssignmentMode.LEAST_LOADED):
        AssignmentPolicy.objects.filter(pk=assignment_policy().pk).update(mode=mode)
        times, queries = [], []
        for _ in range(CLAIMS):
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                record = assignment_claim_next()
                times.append((time.perf_counter() - began) * 1000)
            assert record is not None, "nothing was claimed"
            queries.append(len(captured.captured_queries))
        times.sort()
        results["rules"][mode] = {"p50_ms": round(statistics.median(times), 2),
                                  "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
                                  "queries": max(queries)}
        # Put them back in the queue for the next rule.
        AssignmentRecord.objects.all().delete()
        Conversation.objects.filter(pk__in=waiting_ids).update(assigned_to=None)
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    remove_data()
    lines = [f"Machine: {machine['cpu']} ({machine['cores']} cores), {machine['database']}",
             f"load average before {results['load_before']}, after {results['load_after']}", "",
             "| conversations | what | p50 ms | p99 ms | queries |", "| ---: | --- | ---: | ---: | ---: |"]
    for mode, row in results["rules"].items():
        lines.append(f"| {results['conversations']:,} | automatic assignment, one claim ({mode}, {STAFF} members, "
                     f"{WAITING:,} waiting) | {row['p50_ms']} | {row['p99_ms']} | {row['queries']} |")
    save_results(results, options, table="\n".join(lines), kind="-assignment")
