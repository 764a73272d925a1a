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
from django.db.models import Exists, F, Func, Lookup, OuterRef, Q, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThan
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
    # Set by search_conversations when its words are everywhere and only the newest
    # RECENT_MESSAGES messages of the RECENT_WINDOW most recent conversations were
    # searched (the pages say so).
    recent_only: bool = field(default=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def recent_window(self) -> int:
        return RECENT_WINDOW

    @property
    def recent_messages(self) -> int:
        return RECENT_MESSAGES

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


# MariaDB: how many of the newest conversations in scope are read directly, how many
# of each one's newest messages, and how many full-text candidates are fetched as a list
# of ids. Reading costs about 60 µs per conversation at 100,000 (random reads through
# the conversation index, docs/BENCHMARKS.md, "Search"), and every search of a scope
# larger than the window pays it, so what is read is bounded twice: 200 conversations,
# and 20 messages of each (a customer keeps one conversation for years; a long thread is
# read only as far as its 20th newest message).
RECENT_WINDOW = 200
RECENT_MESSAGES = 20
# The newest conversations read first: a word in none of them is taken as rare and
# asked of the index straight away (a word in 1 in 20 conversations is missing from all
# 50 one time in 13, and then costs one slow index read, bounded by CANDIDATE_LIMIT).
PROBE_WINDOW = 50
# A word in at least 1 in 20 of the window's conversations is common: at that share it is
# in some 5,000 of 100,000 conversations, about as many as the full-text index lists
# quickly (CANDIDATE_LIMIT); past that, InnoDB takes seconds.
COMMON_MATCHES = RECENT_WINDOW // 20
CANDIDATE_LIMIT = 5000


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
    of 1,000,000 messages on the benchmark machine), and neither a LIMIT nor MariaDB's
    max_statement_time shortens that (it is checked only once the list is built). So the
    newest conversations in scope are read directly first (their newest RECENT_MESSAGES
    (20) messages, through the conversation index; LIKE then a word-boundary REGEXP; and
    their participants), to tell a common word from a rare one:

    1. Not in any of the newest PROBE_WINDOW (50): rare. Ask the FULLTEXT indexes for
       the candidate conversations (one UNION query, fast for rare words) and list
       those: every match, however old.
    2. Otherwise read the rest of the RECENT_WINDOW (200). When COMMON_MATCHES (1 in 20)
       of them match, the words are common: the answer is those matches
       (``query.recent_only``; the page says what was searched), never the slow
       full-text pass. Fewer: rare, as in 1.
    3. Should the index list more than CANDIDATE_LIMIT after all (rare lately, common
       years ago), the recent matches are the answer, as in 2.
    """
    ordered = queryset.order_by("-updated_at", "-id")
    probed = _window_matches(queryset, ordered[:PROBE_WINDOW], query, messages)

    def rest():
        return _window_matches(queryset, ordered[PROBE_WINDOW:RECENT_WINDOW], query, messages)

    found = probed + rest() if probed else []
    if len(found) < COMMON_MATCHES:
        candidates = _mysql_candidates(query, messages)
        if len(candidates) <= CANDIDATE_LIMIT:
            return queryset.filter(pk__in=candidates)
        if not probed:  # the index says common after all: the recent matches, as in 2
            found = rest()
    query.recent_only = True
    # The matches by id, and no older than the oldest of them: updated_at only ever moves
    # forward, so this keeps every one of them, and it lets the count and the page read a
    # short range of the recency index instead of walking all of it looking for these ids
    # (38 ms against 1 ms for a common word at 100,000).
    in_window = queryset.filter(pk__in=[pk for pk, _updated in found])
    if found:
        in_window = in_window.filter(updated_at__gte=min(updated for _pk, updated in found))
    return in_window


def _window_matches(queryset, window, query, messages) -> list[tuple[int, object]]:
    """(pk, updated_at) of the conversations of ``window`` (a slice of ``queryset``,
    newest first) that match, read row by row. The count and the page then look them up
    by primary key instead of running the EXISTS again (half the time for a common word)."""
    # A derived table: MariaDB refuses LIMIT directly inside IN.
    window_sql, window_params = window.values_list("pk").query.sql_with_params()
    rows = RawSQL(f"SELECT * FROM ({window_sql}) AS search_window", window_params)
    return list(queryset.filter(_direct_match(query, messages), pk__in=rows).order_by().values_list("pk", "updated_at"))


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


def _direct_match(query: SearchQuery, messages) -> Q:
    """The search as a condition on conversations, read row by row (no full-text index):
    their participant, or one of their newest RECENT_MESSAGES messages. Only for a few
    conversations (the window): it reads each one's messages."""
    messages = Message.objects.all() if messages is None else messages
    in_message = Q()
    for term in query.terms:
        in_message &= _word_condition("body", term)
    # Only each conversation's newest RECENT_MESSAGES: seq + 20 > last_seq (not seq >
    # last_seq - 20, which is below zero for a short thread: MariaDB refuses an unsigned
    # result under 0). Comparing with the outer row also keeps the EXISTS a dependent
    # subquery, run for each conversation of the window (the outer query reads only
    # those) and stopped at its first matching message, where an uncorrelated one would
    # be materialised: every match of every window conversation, read in full.
    recent = GreaterThan(F("seq") + RECENT_MESSAGES, OuterRef("last_seq"))
    matched = Exists(messages.filter(in_message, recent, conversation=OuterRef("pk")))
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
    query: for each of the page's conversations, its messages newest first (by their
    index) up to the first that matches. So it costs the same whatever the table size,
    and a common word stops at a conversation's last message or so, where ranking every
    match of a long thread would read them all; a conversation found by its participant
    may have none."""
    from .models import Conversation

    ids = [conversation.pk for conversation in conversations]
    if not ids or not query:
        return {}
    messages = Message.objects.all() if messages is None else messages
    contains = Q()
    for term in query.terms:
        contains &= _word_condition("body", term)
    newest_match = messages.filter(contains, conversation=OuterRef("pk")).order_by("-seq").values("pk")[:1]
    picked = Conversation.objects.filter(pk__in=ids).order_by().values(match=Subquery(newest_match))
    newest = Message.objects.filter(pk__in=picked).order_by().select_related("sender")
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
