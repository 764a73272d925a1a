"""Full-text search over conversations: message bodies and the participant's name,
email and company (issue 13).

The database's own full-text index does the work, one function per backend:
MariaDB/MySQL InnoDB ``FULLTEXT`` (``MATCH … AGAINST`` in boolean mode) and SQLite
``FTS5`` (external-content tables kept current by triggers). Both are created by
migration conversations/0005 and kept current on every write by the database itself
(InnoDB maintains its index; the FTS5 triggers fire on every insert, update and delete,
bulk ones included), so no service has to remember to index anything.

What people type is never handed to either engine as syntax. ``parse_search`` reduces
it to plain words of letters and digits; each becomes a required, quoted term. So
``+``, ``-``, ``*``, ``"``, ``(``, ``~``, ``@``, ``NEAR``, ``OR``… search for nothing
more than the words around them (SECURITY_CASES 40).

The rules, the same on both backends so results do not depend on the database:

- A conversation matches when **one** of its messages contains every word, or its
  participant's name, email and company together contain every word.
- Words shorter than 3 characters and the engine's stop words ("the", "and", "com"…)
  are not in InnoDB's index, so they are *ignored* (and the pages say which). A search
  with nothing left to look for finds nothing and says why; it never finds everything.
- A word typed with punctuation inside it (``jane@example.com``, ``#A-10293``,
  ``don't``) is searched by its indexable parts and then checked as typed, as a
  substring, so an email address or an order number finds exactly itself.

Only the rows the caller may see are searched: ``search_filter`` returns a condition
that the scoped list query (``conversation_list_for``, which starts from
``visible_to``) adds to its other filters. The snippets come from the messages the
caller passes in (``messages``): the team sees every message; a participant-facing
search would pass a queryset without the team's internal notes.
"""

import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, F, Func, Lookup, OuterRef, Q, TextField, Value, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from leads.models import Lead

from .models import Message

# InnoDB's defaults (innodb_ft_min_token_size, innodb_ft_max_token_size): shorter or
# longer words are not in its index. Applied on SQLite too, so both answer alike.
MIN_WORD_LENGTH = 3
MAX_WORD_LENGTH = 84
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
# INNODB_FT_DEFAULT_STOPWORD (MariaDB 10.11): never indexed, so never searchable.
STOP_WORDS = frozenset(
    "a about an are as at be by com de en for from how i in is it la of on or that the this to "
    "was what when where who will with und www".split()
)
_WORD = re.compile(r"[^\W_]+")  # letters and digits: what both engines index as a word
# Punctuation a person puts around a word ("(refund)", "#A-10293", "invoice?") rather than in it.
_EDGE_PUNCTUATION = "\"'`+-*~<>()[]{}@#.,;:!?/\\|&%^=$"

# The FTS5 tables (migration 0005) and the columns they index.
SQLITE_MESSAGE_TABLE = "conversations_message_fts"
SQLITE_USER_TABLE = "accounts_user_fts"
SQLITE_LEAD_TABLE = "leads_lead_fts"
PARTICIPANT_FIELDS = ("name", "email", "company")


@dataclass(frozen=True)
class Term:
    """One thing typed between spaces: its indexable words, and the text to check as
    typed when it had punctuation inside (an email address, an order number)."""

    words: tuple[str, ...]
    exact: str | None = None

    @property
    def label(self) -> str:
        return self.exact or " ".join(self.words)


@dataclass
class SearchQuery:
    text: str  # as typed (trimmed), for the search box
    terms: tuple[Term, ...]
    ignored: tuple[str, ...]  # what was typed but cannot be searched (too short, stop words)
    # Set by search_conversations when its words are everywhere and only the
    # RECENT_WINDOW most recent conversations were searched (the pages say so).
    recent_only: bool = field(default=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def recent_window(self) -> int:
        return RECENT_WINDOW

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(word for term in self.terms for word in term.words)


def parse_search(text: str) -> SearchQuery:
    """What a person typed, as plain words; never fails, whatever the input."""
    text = " ".join((text or "")[:MAX_QUERY_LENGTH].split())
    terms, ignored, seen = [], [], set()
    for chunk in text.split(" "):
        core = chunk.strip(_EDGE_PUNCTUATION).lower()
        parts = _WORD.findall(core)
        if not parts:
            continue
        words = tuple(
            word for word in parts
            if MIN_WORD_LENGTH <= len(word) <= MAX_WORD_LENGTH and word not in STOP_WORDS
        )
        if not words:
            ignored.append(core)
            continue
        term = Term(words=words, exact=core if len(parts) > 1 else None)
        if term not in seen and len(terms) < MAX_WORDS:
            seen.add(term)
            terms.append(term)
    return SearchQuery(text=text, terms=tuple(terms), ignored=tuple(dict.fromkeys(ignored)))


# --- One function per backend: a condition on one table's rows ----------------------


class _BooleanModeMatch(Lookup):
    """``MATCH (columns) AGAINST (%s IN BOOLEAN MODE)`` as a WHERE condition that InnoDB
    answers from its FULLTEXT index (a plain boolean expression would be compared with
    ``= 1`` by Django on MySQL, which no index serves)."""

    lookup_name = "fulltext_boolean"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"MATCH ({lhs}) AGAINST ({rhs} IN BOOLEAN MODE)", [*lhs_params, *rhs_params]


def _columns(*names):
    return Func(*[F(name) for name in names], template="%(expressions)s", output_field=TextField())


def _index_words(query: SearchQuery) -> tuple[str, ...]:
    """The words the full-text index is asked for. An email address is checked as typed
    anyway, so only the words before its @ are needed: its domain ("example", "com") is
    in thousands of rows and would make the index read them all for nothing."""
    words = []
    for term in query.terms:
        if term.exact and "@" in term.exact:
            local = tuple(w for w in _WORD.findall(term.exact.split("@", 1)[0]) if w in term.words)
            words.extend(local or term.words)
        else:
            words.extend(term.words)
    return tuple(dict.fromkeys(words))


def _mysql_match(columns, query: SearchQuery):
    # Every word required (+) and quoted: the words are letters and digits only, so
    # nothing in them can act as an operator, and the quotes keep it that way.
    against = " ".join(f'+"{word}"' for word in _index_words(query))
    return Q(_BooleanModeMatch(_columns(*columns), Value(against)))


def _sqlite_match(table, query: SearchQuery):
    # FTS5: each word a quoted string, all required; a bare word such as NOT or NEAR
    # would be an operator, a quoted one never is.
    against = " AND ".join(f'"{word}"' for word in _index_words(query))
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [against]))


def _contains_exact(query: SearchQuery, fields) -> Q:
    """The terms typed with punctuation inside, checked as typed in one of ``fields``."""
    condition = Q()
    for term in query.terms:
        if term.exact:
            either = Q()
            for field in fields:
                either |= Q(**{f"{field}__icontains": term.exact})
            condition &= either
    return condition


def _matching(queryset, *, columns, sqlite_table, query: SearchQuery):
    if connection.vendor == "mysql":
        match = _mysql_match(columns, query)
    elif connection.vendor == "sqlite":
        match = _sqlite_match(sqlite_table, query)
    else:  # pragma: no cover - the project runs on these two
        raise NotImplementedError(f"No full-text search for {connection.vendor}.")
    return queryset.filter(match, _contains_exact(query, columns))


# MariaDB: how many of the newest conversations in scope are read directly (see
# _mysql_search), and how many full-text candidates are fetched as a list of ids.
# Reading the window costs about 35 ms per 1,000 conversations at 100,000 (their
# messages are random reads through the conversation index), which every search of a
# scope larger than the window pays: 500 keeps a search page near 100 ms
# (docs/BENCHMARKS.md, "Search"), at the price of common words being searched among
# the 500 newest only.
RECENT_WINDOW = 500
CANDIDATE_LIMIT = 5000
PAGE_SIZE = 25  # enough matches among the newest to fill a page: the words are common


def search_conversations(queryset, query: SearchQuery, *, messages=None):
    """``queryset`` (scoped and filtered, e.g. conversation_list_for's) narrowed to the
    conversations ``query`` finds, newest activity first. One function per backend."""
    if not query:
        return queryset.none()
    if connection.vendor == "mysql":
        return _mysql_search(queryset, query, messages)
    return _sqlite_search(queryset, query, messages)


def _sqlite_search(queryset, query, messages):
    # FTS5 answers common and rare words alike from its index, in milliseconds.
    return queryset.filter(search_filter(query, messages=messages))


def _mysql_search(queryset, query, messages):
    """InnoDB FULLTEXT is fast for a rare word and slow for a common one: it builds the
    whole list of matching rows before anything else happens (8 s for a word in 375,000
    of 1,000,000 messages on the benchmark machine), and no LIMIT shortens that. So:

    1. Read the newest RECENT_WINDOW (500) conversations in scope directly (their messages
       through the conversation index, LIKE then a word-boundary REGEXP): when the
       scope is no bigger than that, this is the whole answer and no full-text index
       is used at all.
    2. When a page's worth of them matches, the words are common: the answer is the
       matches among those newest conversations (``query.recent_only``; the page says
       so), never the slow full-text pass.
    3. Otherwise the words are rare: ask the FULLTEXT indexes for the candidate
       conversations (one UNION query, fast for rare words) and list those.
    """
    ordered = queryset.order_by("-updated_at", "-id")
    larger = ordered.values_list("pk", flat=True)[RECENT_WINDOW : RECENT_WINDOW + 1].exists()
    # The window as a derived table (MariaDB refuses LIMIT directly inside IN). It is in
    # the message subquery too, so MariaDB reads only these conversations' messages,
    # whatever plan it picks for the EXISTS.
    window_sql, window_params = ordered.values_list("pk")[:RECENT_WINDOW].query.sql_with_params()
    window = RawSQL(f"SELECT * FROM ({window_sql}) AS search_window", window_params)
    # The window's matches, once: the count and the page then look them up by primary
    # key instead of running the EXISTS again (half the time for a common word).
    found = list(queryset.filter(_direct_match(query, messages, within=window), pk__in=window)
                 .order_by().values_list("pk", "updated_at"))
    # The matches by id, and no older than the oldest of them: updated_at only ever moves
    # forward, so this keeps every one of them, and it lets the count and the page read a
    # short range of the recency index instead of walking all of it looking for these ids
    # (38 ms against 1 ms for a common word at 100,000).
    in_window = queryset.filter(pk__in=[pk for pk, _updated in found])
    if found:
        in_window = in_window.filter(updated_at__gte=min(updated for _pk, updated in found))
    if not larger:  # the whole scope fits in the window: this is all of it
        return in_window
    if len(found) >= PAGE_SIZE:
        query.recent_only = True
        return in_window
    candidates = _mysql_candidates(query, messages)
    if len(candidates) > CANDIDATE_LIMIT:  # rare in the newest, common in older ones
        return queryset.filter(search_filter(query, messages=messages))
    return queryset.filter(pk__in=candidates)


def _word_condition(field: str, term: Term) -> Q:
    """``field`` contains ``term`` as the full-text index would find it: the text as
    typed for an email or order number, else each word whole (LIKE first: it is cheap
    and rules out most rows before the REGEXP runs; ``\\b`` means the same to MariaDB's
    PCRE and to Python's re, which Django's SQLite REGEXP uses)."""
    if term.exact:
        return Q(**{f"{field}__icontains": term.exact})
    condition = Q()
    for word in term.words:
        condition &= Q(**{f"{field}__icontains": word}) & Q(**{f"{field}__iregex": rf"\b{word}\b"})
    return condition


def _direct_match(query: SearchQuery, messages, *, within) -> Q:
    """The search as a condition on the conversations ``within`` (a subquery), read row by row
    (no full-text index)."""
    messages = Message.objects.all() if messages is None else messages
    in_message = Q()
    for term in query.terms:
        in_message &= _word_condition("body", term)
    matched = Exists(messages.filter(in_message, conversation_id__in=within, conversation=OuterRef("pk")))
    customer, lead = Q(), Q()
    for term in query.terms:
        customer &= _any_field("customer", term)
        lead &= _any_field("lead", term)
    return Q(matched) | (Q(customer__isnull=False) & customer) | (Q(lead__isnull=False) & lead)


def _any_field(prefix: str, term: Term) -> Q:
    either = Q()
    for name in PARTICIPANT_FIELDS:
        either |= _word_condition(f"{prefix}__{name}", term)
    return either


def _mysql_candidates(query, messages) -> list[int]:
    """Conversation ids the FULLTEXT indexes find, at most CANDIDATE_LIMIT + 1, in one query."""
    from .models import Conversation

    messages = Message.objects.all() if messages is None else messages
    by_message = _matching(messages, columns=("body",), sqlite_table=SQLITE_MESSAGE_TABLE, query=query)
    by_customer = _matching(User.objects.all(), columns=PARTICIPANT_FIELDS, sqlite_table=SQLITE_USER_TABLE, query=query)
    by_lead = _matching(Lead.objects.all(), columns=PARTICIPANT_FIELDS, sqlite_table=SQLITE_LEAD_TABLE, query=query)
    # order_by(): no model ordering in the parts (Message's would join the conversation
    # and make MariaDB walk it instead of the FULLTEXT index).
    union = by_message.order_by().values_list("conversation_id", flat=True).union(
        Conversation.objects.filter(customer__in=by_customer.values("pk")).order_by().values_list("pk", flat=True),
        Conversation.objects.filter(lead__in=by_lead.values("pk")).order_by().values_list("pk", flat=True),
    )
    return list(union[: CANDIDATE_LIMIT + 1])


def search_filter(query: SearchQuery, *, messages=None) -> Q:
    """The condition on Conversation rows for ``query``: one of ``messages`` (default:
    every message) matches, or the participant does. Add it to a scoped queryset."""
    if not query:
        return Q(pk__in=[])
    messages = Message.objects.all() if messages is None else messages
    by_message = _matching(messages, columns=("body",), sqlite_table=SQLITE_MESSAGE_TABLE, query=query)
    by_customer = _matching(User.objects.all(), columns=PARTICIPANT_FIELDS, sqlite_table=SQLITE_USER_TABLE, query=query)
    by_lead = _matching(Lead.objects.all(), columns=PARTICIPANT_FIELDS, sqlite_table=SQLITE_LEAD_TABLE, query=query)
    return (
        Q(pk__in=by_message.values("conversation_id"))
        | Q(customer__in=by_customer.values("pk"))
        | Q(lead__in=by_lead.values("pk"))
    )


# --- Snippets and highlighting ------------------------------------------------------


def search_snippets(conversations, query: SearchQuery, *, messages=None) -> dict[int, Message]:
    """The newest message containing every word, per conversation on the page, in one
    query. Only the page's few conversations are read (by their index), so it costs
    the same whatever the table size; a conversation found by its participant may
    have none."""
    ids = [conversation.pk for conversation in conversations]
    if not ids or not query:
        return {}
    messages = Message.objects.all() if messages is None else messages
    contains = Q()
    for term in query.terms:
        contains &= _word_condition("body", term)
    newest = (
        messages.filter(contains, conversation_id__in=ids)
        .annotate(rank=Window(RowNumber(), partition_by=F("conversation_id"), order_by=F("seq").desc()))
        .filter(rank=1)
        .select_related("sender")
    )
    return {message.conversation_id: message for message in newest}


def _pattern(query: SearchQuery):
    # Whole terms as typed first, longest first, so "jane@example.test" is marked as one.
    exact = sorted((term.exact for term in query.terms if term.exact), key=len, reverse=True)
    words = sorted({word for term in query.terms for word in term.words}, key=len, reverse=True)
    pieces = [re.escape(text) for text in exact] + [rf"(?<![^\W_]){re.escape(word)}(?![^\W_])" for word in words]
    return re.compile("|".join(pieces), re.IGNORECASE) if pieces else None


def highlight(text: str, query: SearchQuery, *, length: int = 160) -> SafeString:
    """``text`` escaped, cut to about ``length`` characters around the first match,
    with every match wrapped in <mark>. The text is escaped piece by piece and only
    our own <mark> tags are added, so a body holding markup shows as text."""
    pattern = _pattern(query)
    matches = list(pattern.finditer(text)) if pattern else []
    # Start a few words before the first match, so it shows even where the list clamps
    # the snippet to two short lines (phones).
    lead = min(40, length // 3)
    start = matches[0].start() - lead if matches and matches[0].start() > lead else 0
    end = min(len(text), start + length)
    out, position = ["…" if start else ""], start
    for match in matches:
        if match.start() < position:
            continue
        if match.start() >= end:
            break
        out += [escape(text[position:match.start()]), "<mark>", escape(match.group()), "</mark>"]
        position = match.end()
    out += [escape(text[position:max(end, position)]), "…" if max(end, position) < len(text) else ""]
    return mark_safe("".join(out))
