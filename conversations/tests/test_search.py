"""Full-text search (issue 13 part 1, SECURITY_CASES 40).

These run on SQLite (FTS5) and on MariaDB (InnoDB FULLTEXT). InnoDB's index sees a
row only once its transaction commits, so every test that writes and then searches
is ``transaction=True``: the rows are committed, as in production.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from conversations.models import Conversation, Status
from conversations.search import COMMON_MATCHES, highlight, parse_search, search_filter
from conversations.selectors import conversation_list_for
from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_post_message,
    conversation_set_status,
    conversation_start_for_lead,
)
from designpi.api_common import PAGE_DEFAULT
from tests.factories import CustomerFactory, LeadFactory

pytestmark = pytest.mark.django_db(transaction=True)

# What people type that full-text engines trip on: operators of both engines, quotes,
# unbalanced brackets, LIKE wildcards, SQL, column filters, nothing but punctuation.
HOSTILE = [
    '"', '""', "'", "+", "-", "*", "+-*", "~hello", "hello*", '"hello', "hello\"'", "(hello", "hello)",
    "NEAR(hello jane)", "hello OR jane", "hello AND NOT jane", "NOT hello", "hello -jane", "-hello",
    "body:hello", "{body} : hello", "^hello", "@hello", "hello@", "@@", "%", "_", "%hello%", "hel_o",
    "'; DROP TABLE conversations_message; --", "\\", "hello\\", "<script>", "@>(*)<~", "a",
    "the", "é", "日本語", "🙂", "x" * 500, "hello " * 40, "\t\nhello\r\n",
]


def ids(queryset):
    return {c.pk for c in queryset}


def search(user, text, **filters):
    return conversation_list_for(user, search=parse_search(text), **filters)


# --- parsing --------------------------------------------------------------------------


def test_operators_quotes_and_punctuation_become_plain_words():
    query = parse_search('+refund -"late parcel" (invoice*) ~NEAR OR')
    assert query.words == ("refund", "late", "parcel", "invoice", "near")
    assert query.ignored == ("or",)


def test_short_and_stop_words_are_ignored_and_reported():
    query = parse_search("my order is at the depot")
    assert query.words == ("order", "depot")
    assert query.ignored == ("my", "is", "at", "the")


def test_nothing_searchable_is_an_empty_query_not_everything():
    query = parse_search("to be or no")
    assert not query and query.words == () and query.ignored == ("to", "be", "or", "no")
    assert search_filter(query).children == [("pk__in", [])]


def test_emails_and_order_numbers_keep_their_exact_form():
    email, order = parse_search("Jane.Smith@Example.test #A-10293").terms
    assert (email.words, email.exact) == (("jane", "smith", "example", "test"), "jane.smith@example.test")
    assert (order.words, order.exact) == (("10293",), "a-10293")


def test_a_long_query_is_cut_to_a_few_words():
    query = parse_search(" ".join(f"word{n}" for n in range(50)))
    assert len(query.terms) == 8


# --- highlighting ---------------------------------------------------------------------


def test_highlight_escapes_first_then_marks():
    body = 'Look: <script>alert("refund")</script> & refunded refund'
    html = highlight(body, parse_search("refund script"))
    assert "<script>" not in html
    assert html == ('Look: &lt;<mark>script</mark>&gt;alert(&quot;<mark>refund</mark>&quot;)&lt;/<mark>script</mark>&gt; '
                    "&amp; refunded <mark>refund</mark>")


def test_highlight_cuts_around_the_first_match():
    body = "x" * 300 + " refund " + "y" * 300
    html = highlight(body, parse_search("refund"), length=100)
    assert html.startswith("…") and html.endswith("…") and "<mark>refund</mark>" in html
    assert len(html) < 140


def test_highlight_marks_an_email_as_typed():
    html = highlight("Write to jane@example.test please", parse_search("jane@example.test"))
    assert "<mark>jane@example.test</mark>" in html


# --- what it finds ----------------------------------------------------------------------


@pytest.fixture
def found(world):
    """The standard world plus a few searchable messages."""
    conversation_post_message(actor=world["john"], conversation=world["johns"],
                              body="My order #A-10293 never arrived, please refund it")
    conversation_post_message(actor=world["jane"], conversation=world["janes"],
                              body="Question about invoice 55501 and order #A-10294")
    return world


def test_finds_by_message_word_name_email_and_company(found):
    admin = found["admin"]
    johns, janes, alices = found["johns"].pk, found["janes"].pk, found["alices"].pk
    assert ids(search(admin, "refund")) == {johns}
    assert ids(search(admin, "REFUND")) == {johns}
    assert ids(search(admin, "Smith")) == {janes}
    assert ids(search(admin, "jane@example.test")) == {janes}
    assert ids(search(admin, "Acme")) == {johns}
    assert ids(search(admin, "alice@startup.test")) == {alices}
    assert ids(search(admin, "Alice Brown")) == {alices}
    assert ids(search(admin, "55501")) == {janes}
    assert ids(search(admin, "hello")) == {johns, janes, alices}
    assert ids(search(admin, "nothingmatchesthis")) == set()


def test_order_numbers_find_exactly_themselves(found):
    admin = found["admin"]
    assert ids(search(admin, "#A-10293")) == {found["johns"].pk}
    assert ids(search(admin, "A-10294")) == {found["janes"].pk}
    assert ids(search(admin, "10293")) == {found["johns"].pk}


def test_every_word_must_be_in_one_message_or_in_the_participant(found):
    admin = found["admin"]
    assert ids(search(admin, "refund arrived")) == {found["johns"].pk}
    assert ids(search(admin, "refund invoice")) == set()  # in two different conversations
    assert ids(search(admin, "jane invoice")) == set()  # name in one place, word in another: not a match


def test_ignored_words_neither_narrow_nor_widen(found):
    admin = found["admin"]
    assert ids(search(admin, "refund it to me")) == ids(search(admin, "refund"))


def test_operators_do_not_change_the_meaning(found):
    admin = found["admin"]
    everyone_saying_hello = {found["johns"].pk, found["janes"].pk, found["alices"].pk}
    assert ids(search(admin, "-hello")) == everyone_saying_hello  # not "everything without hello"
    assert ids(search(admin, "hello -jane")) == {found["janes"].pk}  # both words, not "hello but not jane"
    assert ids(search(admin, "refund OR arrived")) == {found["johns"].pk}  # OR is a stop word, the rest required
    assert ids(search(admin, "hel*")) == set()  # no prefix search
    assert ids(search(admin, '"hello from" jane')) == {found["janes"].pk}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_fails(found, text):
    list(search(found["admin"], text)[:25])


def test_staff_find_only_their_own(found):
    sarah, mike = found["sarah"], found["mike"]
    assert ids(search(sarah, "hello")) == {found["johns"].pk}
    assert ids(search(sarah, "invoice")) == set()  # only in Jane's, which is Mike's
    assert ids(search(sarah, "jane@example.test")) == set()
    assert ids(search(mike, "invoice")) == {found["janes"].pk}


def test_combines_with_filters_newest_first(found):
    admin = found["admin"]
    conversation_set_status(actor=admin, conversation=found["johns"], status=Status.PENDING)
    assert search(admin, "hello").first().pk == found["johns"].pk  # changed last
    assert ids(search(admin, "hello", status=Status.PENDING)) == {found["johns"].pk}
    assert ids(search(admin, "hello", unassigned=True)) == {found["alices"].pk}
    assert ids(search(admin, "hello", assigned_to=found["mike"])) == {found["janes"].pk}


def test_the_index_follows_every_write(world):
    admin, john = world["admin"], world["john"]
    assert ids(search(admin, "Zanzibar")) == set()
    conversation_post_message(actor=john, conversation=world["johns"], body="Greetings from Zanzibar")
    assert ids(search(admin, "Zanzibar")) == {world["johns"].pk}
    User.objects.filter(pk=john.pk).update(name="Johnny Quixote", company="Windmills Ltd")
    assert ids(search(admin, "Quixote windmills")) == {world["johns"].pk}
    assert ids(search(admin, "Acme")) == set()  # the old company is gone from the index
    world["alice"].email = "alice@renamed.test"
    world["alice"].save()
    assert ids(search(admin, "alice@renamed.test")) == {world["alices"].pk}
    assert ids(search(admin, "alice@startup.test")) == set()
    world["johns"].messages.filter(body__contains="Zanzibar").delete()
    assert ids(search(admin, "Zanzibar")) == set()


# --- pages and API ------------------------------------------------------------------


def test_admin_page_shows_the_snippet_escaped_and_highlighted(found, as_user):
    conversation_post_message(actor=found["john"], conversation=found["johns"],
                              body="<script>alert('refund')</script> about my refund")
    page = as_user(found["admin"]).get("/admin/conversations/", {"q": "refund", "status": "OPEN"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#x27;<mark>refund</mark>&#x27;)&lt;/script&gt; about my <mark>refund</mark>" in html
    assert "<script>alert" not in html
    assert 'value="refund"' in html  # the search box keeps the words
    assert "q=refund" in html  # and so do the poll URL and the pager


def test_staff_page_searches_only_their_inbox_and_says_what_was_ignored(found, as_user):
    page = as_user(found["sarah"]).get("/staff/conversations/", {"q": "hello at"})
    html = page.content.decode()
    assert f'id="conv-{found["johns"].pk}"' in html
    assert f'id="conv-{found["janes"].pk}"' not in html
    assert "Ignored “at”" in html
    page = as_user(found["sarah"]).get("/staff/conversations/", {"q": "invoice"})
    assert f'id="conv-{found["janes"].pk}"' not in page.content.decode()


def test_a_search_with_nothing_to_search_shows_nothing_and_says_why(found, as_user):
    html = as_user(found["admin"]).get("/admin/conversations/", {"q": "is it"}).content.decode()
    assert "Nothing to search for." in html and "conv-" not in html.split("conversation-rows", 1)[1]


def test_the_list_poll_keeps_the_search(found, as_user):
    client = as_user(found["admin"])
    rows = client.get("/admin/conversations/rows/", {"q": "invoice", "stamp": "0"})
    assert rows.status_code == 200
    assert f'id="conv-{found["janes"].pk}"' in rows.content.decode()
    assert f'id="conv-{found["johns"].pk}"' not in rows.content.decode()


@pytest.mark.parametrize("path", ["/admin/conversations/", "/admin/conversations/rows/", "/staff/conversations/"])
@pytest.mark.parametrize("text", HOSTILE[:20] + HOSTILE[-6:])
def test_hostile_input_on_the_pages_is_never_a_500(found, as_user, path, text):
    response = as_user(found["admin"]).get(path, {"q": text})
    assert response.status_code == (400 if len(text) > 200 else 200)


def test_api_search_with_snippets(found, as_user):
    client = as_user(found["admin"])
    body = client.get("/api/admin/conversations", {"q": "refund", "status": "OPEN"}).json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["id"] == found["johns"].pk
    assert item["snippet"] == "My order #A-10293 never arrived, please <mark>refund</mark> it"
    plain = client.get("/api/admin/conversations").json()
    assert all(item["snippet"] is None for item in plain["items"])
    by_name = client.get("/api/admin/conversations", {"q": "alice brown"}).json()
    assert [(i["id"], i["snippet"]) for i in by_name["items"]] == [(found["alices"].pk, None)]


def test_api_staff_search_is_scoped_and_refuses_an_empty_search(found, as_user):
    client = as_user(found["sarah"])
    assert client.get("/api/staff/conversations", {"q": "invoice"}).json() == {"items": [], "count": 0, "recent_only": False}
    assert client.get("/api/staff/conversations", {"q": "hello"}).json()["count"] == 1
    refused = client.get("/api/staff/conversations", {"q": "to be"})
    assert refused.status_code == 400 and "no word to search for" in refused.json()["detail"]
    assert client.get("/api/staff/conversations", {"q": "x" * 201}).status_code in (400, 422)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_on_the_api_is_never_a_500(found, as_user, text):
    response = as_user(found["admin"]).get("/api/admin/conversations", {"q": text})
    assert response.status_code in (200, 400, 422), response.content


# --- cost -----------------------------------------------------------------------------


@pytest.fixture
def searchable(admin_user, sarah, settings):
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 0

    def _make(n):
        for i in range(n):
            customer = CustomerFactory()
            conversation, _ = conversation_get_or_create_for_customer(customer=customer)
            conversation_assign(actor=admin_user, conversation=conversation, assignee=sarah)
            conversation_post_message(actor=customer, conversation=conversation, body=f"Parcel number {i} is late")
            conversation_post_message(actor=sarah, conversation=conversation, body="Looking into the parcel now")

    return _make


def mariadb_plan_queries(rows: int) -> int:
    """MariaDB reads the newest conversations before it picks a plan (search.py,
    _mysql_search); every generated conversation matches. The newest 50, then the rest
    of the 200: with 300 the words are common (the answer, no index read); with 3 they
    are in too few to be common, and the full-text index is asked (one UNION query)."""
    if connection.vendor != "mysql":
        return 0
    return 2 if rows >= COMMON_MATCHES else 3


@pytest.mark.parametrize("rows", [3, 300])
@pytest.mark.parametrize("path", ["/admin/conversations/", "/staff/conversations/"])
def test_search_page_query_count_is_pinned(searchable, admin_user, sarah, as_user, django_assert_num_queries, rows, path):
    searchable(rows)
    client = as_user(admin_user if path.startswith("/admin") else sarah)
    client.get(path, {"q": "parcel late"})
    # session, user, [admin: team list for the filter and every row's picker], [MariaDB:
    # the plan's reads, below], count and newest change of the matches (capped), the page
    # of conversations, unread counts, the viewer's @mention marks (issue 14), the
    # matching messages' snippets; no newest messages: every row quotes its snippet.
    expected = (8 if path.startswith("/admin") else 7) + mariadb_plan_queries(rows)
    with django_assert_num_queries(expected):
        response = client.get(path, {"q": "parcel late"})
    assert response.content.decode().count("<mark>") >= min(rows, 25)


@pytest.mark.parametrize("rows", [3, 300])
def test_api_search_query_count_is_pinned(searchable, admin_user, as_user, django_assert_num_queries, rows):
    searchable(rows)
    client = as_user(admin_user)
    client.get("/api/admin/conversations", {"q": "parcel"})
    # session, user, [MariaDB: the plan's reads, below], capped count, page, unread
    # counts, snippets
    with django_assert_num_queries(6 + mariadb_plan_queries(rows)):
        body = client.get("/api/admin/conversations", {"q": "parcel"}).json()
    assert len(body["items"]) == min(rows, PAGE_DEFAULT) and all(i["snippet"] for i in body["items"])


# --- MariaDB: the FULLTEXT index, not a table scan -----------------------------------


@pytest.mark.mariadb(reason="InnoDB FULLTEXT: MATCH ... AGAINST in boolean mode only exists on MariaDB/MySQL")
def test_mariadb_answers_from_the_fulltext_indexes(found):
    queryset = Conversation.objects.filter(search_filter(parse_search("jane@example.test refund")))
    with CaptureQueriesContext(connection) as queries:
        list(queryset)
    sql = queries[0]["sql"]
    assert sql.count("IN BOOLEAN MODE") == 3
    # (the logged SQL escapes the double quotes inside the literal)
    # (an email's domain is checked as typed, not asked of the index: it is in every row)
    assert """AGAINST ('+"jane" +"refund"' IN BOOLEAN MODE)""" in sql.replace("\\", "")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql.replace("%", "%%"))
        plan = cursor.fetchall()
    assert sum(1 for row in plan if row[3] == "fulltext") == 3, plan


@pytest.mark.mariadb(reason="InnoDB FULLTEXT indexes only committed rows; the test checks the commit makes them findable")
def test_mariadb_finds_a_lead_by_company(world):
    lead = LeadFactory(name="Orla Quinn", email="orla@quinn.test", company="Quinntessential Ltd")
    conversation = conversation_start_for_lead(actor=None, lead=lead)
    assert ids(search(world["admin"], "Quinntessential")) == {conversation.pk}


@pytest.fixture
def small_window(monkeypatch):
    monkeypatch.setattr("conversations.search.RECENT_WINDOW", 4)
    monkeypatch.setattr("conversations.search.PROBE_WINDOW", 2)
    monkeypatch.setattr("conversations.search.COMMON_MATCHES", 2)


@pytest.mark.mariadb(reason="the plan for common and rare words is MariaDB's (InnoDB FULLTEXT is slow for common words)")
def test_mariadb_common_words_search_the_newest_and_say_so(searchable, small_window, admin_user, as_user):
    searchable(6)
    query = parse_search("parcel")
    found = conversation_list_for(admin_user, search=query)
    assert query.recent_only and found.count() == 4  # the 4 newest conversations; all match
    client = as_user(admin_user)
    html = client.get("/admin/conversations/", {"q": "parcel"}).content.decode()
    assert "showing the matches in the latest 20 messages of the 4 most recently active ones" in html
    body = client.get("/api/admin/conversations", {"q": "parcel"}).json()
    assert body["recent_only"] is True and body["count"] == 4
    assert client.get("/api/admin/conversations", {"q": "number"}).json()["recent_only"] is True
    assert client.get("/api/admin/conversations").json()["recent_only"] is False


def window_reads(queries) -> int:
    return sum("search_window" in q["sql"] for q in queries.captured_queries)


@pytest.mark.mariadb(reason="the plan for common and rare words is MariaDB's (InnoDB FULLTEXT is slow for common words)")
def test_mariadb_reads_only_the_newest_messages_of_a_long_thread(searchable, small_window, monkeypatch, admin_user,
                                                                   sarah):
    monkeypatch.setattr("conversations.search.RECENT_MESSAGES", 2)
    searchable(6)  # each: "Parcel number i is late", "Looking into the parcel now"
    newest = Conversation.objects.order_by("-updated_at").first()
    for _ in range(2):  # "parcel" is now only in messages older than the newest 2
        conversation_post_message(actor=sarah, conversation=newest, body="Anything else I can help with?")
    query = parse_search("parcel")
    found = ids(conversation_list_for(admin_user, search=query))
    # Common (the other three of the window match), and the long thread's older
    # messages were not read: it is not among the recent matches.
    assert query.recent_only and newest.pk not in found and len(found) == 3


@pytest.mark.mariadb(reason="the plan for common and rare words is MariaDB's (InnoDB FULLTEXT is slow for common words)")
def test_mariadb_too_many_index_candidates_fall_back_to_the_recent_matches(searchable, small_window, monkeypatch,
                                                                           admin_user, sarah):
    monkeypatch.setattr("conversations.search.CANDIDATE_LIMIT", 1)
    searchable(6)
    by_age = list(Conversation.objects.order_by("updated_at"))
    for conversation in by_age[:3]:  # rare lately, common long ago
        conversation_post_message(actor=sarah, conversation=conversation, body="A chargeback was opened")
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=conversation.created_at)
    query = parse_search("chargeback")
    with CaptureQueriesContext(connection) as queries:
        found = ids(conversation_list_for(admin_user, search=query))
    newest_four = set(Conversation.objects.order_by("-updated_at", "-id").values_list("pk", flat=True)[:4])
    # The index listed 3 (> 1): the answer is the window's matches, and it says so;
    # the slow full-text pass over every match never ran.
    assert query.recent_only and found == newest_four & {c.pk for c in by_age[:3]}
    assert window_reads(queries) == 2
    assert sum("IN BOOLEAN MODE" in q["sql"] for q in queries.captured_queries) == 1


@pytest.mark.mariadb(reason="the plan for common and rare words is MariaDB's (InnoDB FULLTEXT is slow for common words)")
def test_mariadb_rare_words_come_from_the_fulltext_index(searchable, small_window, admin_user, sarah, as_user):
    searchable(6)
    oldest = Conversation.objects.order_by("updated_at").first()
    conversation_post_message(actor=sarah, conversation=oldest, body="A chargeback was opened")
    Conversation.objects.filter(pk=oldest.pk).update(updated_at=oldest.created_at)  # old again
    query = parse_search("chargeback")
    with CaptureQueriesContext(connection) as queries:
        assert ids(conversation_list_for(admin_user, search=query)) == {oldest.pk}
    assert not query.recent_only
    assert any("UNION" in q["sql"] and "IN BOOLEAN MODE" in q["sql"] for q in queries.captured_queries)
    # Missing from the newest PROBE_WINDOW: straight to the index, the rest of the window unread.
    assert window_reads(queries) == 1
    assert as_user(admin_user).get("/api/admin/conversations", {"q": "chargeback"}).json()["recent_only"] is False
