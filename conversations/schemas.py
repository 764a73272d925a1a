"""JSON shapes of the conversations API (SPEC §6).

Output is built explicitly by the *_out functions below from rows the selectors
already loaded, so a response can never carry a field nobody chose (a password
hash, another customer's email) and never triggers a lazy query per row.

Input schemas ignore unknown fields: a body carrying `sender`, `seq`,
`read_at`, `customer_id`… is accepted, and those keys change nothing.
The message body's rules (1..5,000 characters after trimming, no control
characters) live in conversations.services.message_clean_body only.
"""

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt, field_validator, model_validator

from designpi.api_common import PageQuery
from designpi.validators import MAX_ID as _MAX_ID

from .models import MESSAGE_MAX_LENGTH, Source, Status
from .services import BULK_LIMIT

ASSIGNED_TO_PATTERN = r"^(unassigned|[0-9]{1,19})$"


# --- Output -----------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str
    email: str


class SenderOut(Schema):
    id: int
    name: str
    role: str = Field(description="admin, staff or customer.")


class TicketOut(Schema):
    id: int
    status: Status
    priority: str = Field(description="low, normal, high or urgent.")


class ConversationOut(Schema):
    id: int
    status: Status
    source: Source
    customer: PersonOut | None = Field(description="The customer, for source=customer; otherwise null.")
    lead: PersonOut | None = Field(description="The lead, for source=lead; otherwise null.")
    assigned_to: PersonOut | None
    unread_count: int = Field(description="Messages from the other side not yet read by the caller's side.")
    last_message_at: datetime | None
    ticket: TicketOut | None
    snippet: str | None = Field(
        None,
        description="Only with `q`: the newest matching message, cut to about 160 characters, as HTML: "
        "its text escaped, each match wrapped in <mark>…</mark>. Null when `q` is not given or only the "
        "participant's name, email or company matched.",
    )


class ConversationListOut(Schema):
    items: list[ConversationOut]
    count: int = Field(
        description="All matching conversations, not just this page, counted up to 10,000 like the "
        "HTML lists: 10,001 means more than 10,000 (page on with `offset` until `items` is empty)."
    )
    recent_only: bool = Field(
        False,
        description="True when a search's words are in so many conversations that only the latest 20 messages "
        "of the 200 most recently active conversations in scope were searched (on MySQL/MariaDB, whose "
        "full-text index is slow for common words); add a word to find older ones.",
    )


class MessageOut(Schema):
    id: int
    seq: int = Field(description="1, 2, 3… per conversation, without gaps; the cursor for `after`. "
                     "The team's numbers count internal notes; the customer's count only what they see.")
    internal: bool = Field(description="An internal note: only the team sees it (always false for the customer).")
    body: str
    sender: SenderOut | None = Field(
        description="Null only for a lead's own messages (kept when the lead becomes a customer: "
        "their portal conversation shows what they wrote as a lead with sender null)."
    )
    created_at: datetime
    read_at: datetime | None = Field(description="When the other side first saw it.")


class MessageListOut(Schema):
    items: list[MessageOut]
    count: int = Field(description="All messages after the cursor; more than `items` when the page is full.")


# --- Input --------------------------------------------------------------------


class MessageIn(Schema):
    body: str = Field(
        description=f"1..{MESSAGE_MAX_LENGTH:,} characters after trimming; no control characters "
        "except tab and newline. Checked by the same rule as the portals; a longer body answers 400.",
        examples=["Hello, my order has not arrived yet."],
    )
    client_token: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Optional idempotency key, yours alone: a retried POST with the same key returns your first "
        "message with it (201) instead of posting again. Another person's key never matches yours.",
    )
    internal: StrictBool = Field(
        False,
        description="Team members only: true posts an internal note, which only the team sees (`@handle`, the "
        "part of a teammate's email before the @, mentions them if they can see the conversation). "
        "From a customer: 403, nothing stored.",
    )


class ConversationPatchIn(Schema):
    """Admin changes: only the assignee and the status. Other keys are ignored."""

    conversation_id: StrictInt = Field(description="The conversation to change.")
    assigned_to: StrictInt | None = Field(
        None,
        description="An active team member's id, or null to unassign. Leave the key out to keep the assignee.",
    )
    status: Status = Field(None, description="The new status. Leave the key out to keep it.")


SEARCH_DESCRIPTION = (
    "Search words: conversations where one message contains them all, or the participant's name, email "
    "and company do. Plain words only: quotes, operators and punctuation are not syntax. Words under 3 "
    "characters and very common words are ignored; a `q` with nothing left to search answers 400."
)


class SearchQueryParam(PageQuery):
    q: str | None = Field(None, max_length=200, description=SEARCH_DESCRIPTION)


class AdminConversationFilters(Schema):
    """The admin list's filters: the GET list and the bulk change's "all matching" alike."""

    q: str | None = Field(None, max_length=200, description=SEARCH_DESCRIPTION)
    status: Status | None = None
    source: Source | None = None
    assigned_to: Annotated[str, Field(pattern=ASSIGNED_TO_PATTERN)] | None = Field(
        None, description="A team member's id, or `unassigned`."
    )

    @field_validator("assigned_to")
    @classmethod
    def _id_in_range(cls, value):
        if value is not None and value != "unassigned" and not 0 < int(value) <= _MAX_ID:
            raise ValueError("not a valid user id")
        return value


class AdminConversationQuery(PageQuery, AdminConversationFilters):
    pass


ConversationId = Annotated[StrictInt, Field(gt=0, le=_MAX_ID)]


class ConversationBulkIn(Schema):
    """A bulk change (issue 13.2): `ids`, or `filters` with the `expected_count` you were
    shown; `assigned_to` and/or `status` as in the single PATCH. Other keys are ignored."""

    ids: list[ConversationId] | None = Field(
        None, max_length=BULK_LIMIT, description=f"The conversations to change (at most {BULK_LIMIT:,})."
    )
    filters: AdminConversationFilters | None = Field(
        None, description="Instead of `ids`: every conversation these filters select now (as the GET list's)."
    )
    expected_count: StrictInt | None = Field(
        None, ge=0, description="With `filters`: how many you expect them to select. Another number answers 409 "
        "with the current one in `count`, and nothing changes."
    )
    assigned_to: StrictInt | None = Field(
        None, description="An active team member's id, or null to unassign. Leave the key out to keep the assignees."
    )
    status: Status = Field(None, description="The new status. Leave the key out to keep the statuses.")
    unchanged_since: datetime | None = Field(
        None, description="Optional: leave alone (and report) any conversation changed after this moment, "
        "e.g. when you fetched the list you chose from."
    )


class BulkFailureOut(Schema):
    id: int
    reason: str


class ConversationBulkOut(Schema):
    changed: list[int] = Field(description="Conversations changed (their tickets followed).")
    unchanged: list[int] = Field(description="Conversations that were already so.")
    failed: list[BulkFailureOut] = Field(description="Conversations left as they were, each with the reason.")


class BulkCountOut(Schema):
    detail: str
    count: int = Field(description="How many conversations the filters select now.")


class StaffConversationQuery(SearchQueryParam):
    status: Status | None = None


class MessageQuery(Schema):
    after: int = Field(0, ge=0, le=_MAX_ID, description="Only messages with a greater seq (the last seq you have).")
    before: int | None = Field(
        None, ge=1, le=_MAX_ID,
        description="Instead of `after`: the newest `limit` messages with a smaller seq (the oldest seq you "
                    "have), still oldest first, to page back through history. Not together with `after`.",
    )
    limit: int = Field(100, ge=1, le=500, description="At most this many messages, oldest first.")

    @model_validator(mode="after")
    def _one_cursor(self):
        if self.before is not None and "after" in self.model_fields_set:
            raise ValueError("Give after or before, not both.")
        return self


# --- Serializers ----------------------------------------------------------------


def person_out(person) -> dict | None:
    if person is None:
        return None
    return {"id": person.pk, "name": person.display_name, "email": person.email}


def ticket_out(conversation) -> dict | None:
    # Reverse one-to-one: select_related("ticket") caches a missing ticket too.
    ticket = getattr(conversation, "ticket", None)
    if ticket is None:
        return None
    return {"id": ticket.pk, "status": ticket.status, "priority": ticket.priority}


def conversation_out(conversation, *, unread_count: int, snippet: str | None = None) -> dict:
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "source": conversation.source,
        "customer": person_out(conversation.customer) if conversation.customer_id else None,
        # A converted lead's conversation keeps lead_id as history; the API shows it as the
        # customer's, as documented (lead: only for source=lead).
        "lead": person_out(conversation.lead) if conversation.is_lead else None,
        "assigned_to": person_out(conversation.assigned_to) if conversation.assigned_to_id else None,
        "unread_count": unread_count,
        "last_message_at": conversation.last_message_at,
        "ticket": ticket_out(conversation),
        "snippet": snippet,
    }


def message_out(message, *, for_team: bool) -> dict:
    """``for_team``: the team's numbering (seq); otherwise the participant's (public_seq).
    A participant's answers are built from participant reads only, so never from a note."""
    sender = message.sender
    return {
        "id": message.pk,
        "seq": message.cursor_for(for_team=for_team),
        "internal": message.internal,
        "body": message.body,
        "sender": None if sender is None else {"id": sender.pk, "name": sender.display_name, "role": sender.role},
        "created_at": message.created_at,
        "read_at": message.read_at,
    }
