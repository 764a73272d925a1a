"""The traffic the benchmark replays: the people, their sessions, their requests.

Each request list is lines for bench/requests.lua:
(method, path, cookie, CSRF token, body).
"""

import json
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from conversations.models import Conversation
from conversations.services import conversation_get_or_create_for_customer, conversation_post_message


class Scenario:
    """Who polls, lists and posts during one size step, with signed-in sessions."""

    def __init__(self, customers, conversations, admin, staff, hot, senders, long=None):
        self.customers = customers
        self.conversations = conversations
        self.admin = admin
        self.staff = staff
        self.hot = hot
        self.senders = senders
        self.long = long  # one conversation of LONG_THREAD messages, read back a page at a time

    @classmethod
    def build(cls, *, pollers):
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
            if not sender.is_active:  # bench/team.py sets them inactive for its own rows
                User.objects.filter(pk=sender.pk).update(is_active=True)
                sender.is_active = True
            senders.append(sender)
        hot_customer, _ = User.objects.get_or_create(
            email="hot@bench.designpi.test", defaults={"role": Role.CUSTOMER, "name": "Hot conversation"})
        hot, created = conversation_get_or_create_for_customer(customer=hot_customer)
        if created:
            conversation_post_message(actor=hot_customer, conversation=hot, body="The hot conversation starts here.")
        return cls([c.customer for c in conversations], conversations, admin, staff, hot, senders,
                   long=long_thread(staff))

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

    def earlier_pages(self):
        """The admin reading the long thread back: every ?before= page from its end to its start."""
        cookie = self.cookie(self.admin)
        return [("GET", f"/admin/conversations/{self.long.pk}/messages/?before={before}", cookie, "", "")
                for before in range(self.long.last_seq + 1 - 200, 1, -200)]

    def attention(self):
        """The tab's count (staff: assigned conversations with unread customer messages)."""
        return [("GET", "/staff/attention/", self.cookie(self.staff), "", "")]

    # The searches (issue 13): in the generated messages "order" is in 3 of 8 and
    # "chargeback" in one message of every 1,000th conversation (conversations/demo.py);
    # the name and the email are of one demo customer and one generated customer.
    # "dashboard" is only in one demo conversation (fixtures/demo.json), never generated:
    # a rare word with the same single result at every size, so the sizes compare alike.
    SEARCHES = {
        "search_rare": "chargeback",
        "search_rare_fixed": "dashboard",
        "search_common": "order",
        "search_name": "Jane Smith",
        "search_email": "customer0000500@scale.designpi.test",
    }

    def search_path(self, key):
        if key == "list_single":  # the same page without a search, for comparison
            return "/admin/conversations/"
        return "/admin/conversations/?" + urlencode({"q": self.SEARCHES[key]})

    def search(self, key):
        return [("GET", self.search_path(key), self.cookie(self.admin), "", "")]

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
            "earlier_page": count(self.admin, f"/admin/conversations/{self.long.pk}/messages/?before=5000"),
            "attention": count(self.staff, "/staff/attention/"),

            **{key: count(self.admin, self.search_path(key)) for key in ("list_single", *self.SEARCHES)},
        }


LONG_THREAD = 10_000


def long_thread(staff):
    """A conversation of LONG_THREAD messages (made once, in bulk: seq 1..n, last_seq n),
    assigned to ``staff``, for the earlier-pages row (issue 15)."""
    from datetime import timedelta

    from django.utils import timezone

    from conversations.models import Message

    customer, _ = User.objects.get_or_create(
        email="long@bench.designpi.test", defaults={"role": Role.CUSTOMER, "name": "Long thread"})
    conversation, _ = conversation_get_or_create_for_customer(customer=customer)
    if conversation.last_seq >= LONG_THREAD:
        return conversation
    start = timezone.now() - timedelta(seconds=LONG_THREAD)
    Message.objects.bulk_create([
        Message(conversation=conversation, seq=seq, public_seq=seq, body=f"Long thread message {seq}",
                from_participant=seq % 2 == 1, sender=customer if seq % 2 == 1 else staff,
                created_at=start + timedelta(seconds=seq), read_at=start + timedelta(seconds=seq))
        for seq in range(conversation.last_seq + 1, LONG_THREAD + 1)
    ], batch_size=1000)
    # Stamped at its first message: it stays out of the newest conversations the other rows poll.
    Conversation.objects.filter(pk=conversation.pk).update(
        last_seq=LONG_THREAD, last_public_seq=LONG_THREAD, assigned_to=staff, last_message_at=start, updated_at=start)
    conversation.refresh_from_db()
    return conversation


def session_cookie(user, *, with_csrf=False):
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
