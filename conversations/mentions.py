"""@mentions in internal notes (issue 14).

A handle is the part of a teammate's email before the @, lower case: sarah@designpi.com
is ``@sarah`` (User.mention_handle). Email addresses are unique and do not change with
a name, so a handle names one account. An ``@`` right after a letter, digit or one of
``._+-`` is part of an address written in the note (``bob@example.com``), not a mention.

A mention never widens access: every handle must name an active team member who may
already see the conversation (visibility_q's rule, judged on the locked row); otherwise
the whole note is refused with the reason, and nothing is stored.
"""

import re
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Role, User

from .models import conversation_row_visible_to

MENTION = re.compile(r"(?<![\w.+\-@])@([A-Za-z0-9](?:[A-Za-z0-9._+\-]*[A-Za-z0-9])?)")
# More distinct handles than this in one note is refused (the body is at most 5,000
# characters; this keeps the lookup one small query).
MAX_MENTIONS = 20


def mention_handles(body: str) -> list[str]:
    """The distinct handles in ``body``, lower case, in the order written."""
    return list(dict.fromkeys(match.lower() for match in MENTION.findall(body)))


def mention_resolve(*, body: str, conversation, author) -> list[User]:
    """The teammates ``body`` mentions (the author excluded), each one checked; raises
    ValidationError naming every handle that is refused and why. One query."""
    handles = mention_handles(body)
    if not handles:
        return []
    if len(handles) > MAX_MENTIONS:
        raise ValidationError(f"A note can mention at most {MAX_MENTIONS} people.", code="too_many_mentions")
    team = User.objects.filter(role__in=[Role.ADMIN, Role.STAFF]).filter(
        reduce(or_, (Q(email__istartswith=f"{handle}@") for handle in handles))
    )
    by_handle: dict[str, list[User]] = {}
    for member in team:
        by_handle.setdefault(member.mention_handle, []).append(member)
    problems, mentioned = [], []
    for handle in handles:
        matches = by_handle.get(handle, [])
        if not matches:
            problems.append(f"@{handle} is not anyone on the team")
        elif len(matches) > 1:
            problems.append(f"@{handle} matches more than one teammate")
        elif not matches[0].is_active:
            problems.append(f"@{handle} is deactivated")
        elif not conversation_row_visible_to(matches[0], conversation):
            problems.append(f"@{handle} cannot see this conversation (a mention does not share it; assign it first)")
        elif matches[0].pk != author.pk:
            mentioned.append(matches[0])
    if problems:
        raise ValidationError("Note not saved: " + "; ".join(problems) + ".", code="invalid_mention")
    return mentioned
