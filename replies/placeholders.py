"""The placeholders a canned reply may contain, and how they are filled.

Plain substitution: the fixed names below are replaced by their values in one
left-to-right scan of the stored body. Nothing is rendered as a template, so ``{{ }}``,
``{% %}``, ``<script>`` or any other ``{...}`` in a body or in a person's name comes out
exactly as typed (the message is then posted and shown escaped like any other).
One scan, not a str.replace per name: with chained replaces a value that looks like a
placeholder (a customer called "{agent.first_name}") would be expanded by the next one.
"""

import re

# The company the team answers for (the product's own name, as the pages show it).
COMPANY = "DesignPi"

PLACEHOLDERS = ("{customer.first_name}", "{customer.name}", "{agent.first_name}", "{company}")
_PATTERN = re.compile("|".join(re.escape(name) for name in PLACEHOLDERS))


def first_name(person) -> str:
    """The first word of the person's name; without a name, the part of their email
    before the @ (what the team would call them by anyway)."""
    if person is None:
        return ""
    words = (person.name or "").split()
    if words:
        return words[0]
    return (person.email or "").split("@")[0]


def placeholder_values(*, conversation, agent) -> dict:
    participant = conversation.participant
    return {
        "{customer.first_name}": first_name(participant),
        "{customer.name}": participant.display_name if participant is not None else "",
        "{agent.first_name}": first_name(agent),
        "{company}": COMPANY,
    }


def fill(body: str, values: dict) -> str:
    """``body`` with each known placeholder replaced by its value; the rest as typed.

    One left-to-right scan (re.sub with a function, no template engine): replaced text
    is never scanned again, so a value cannot introduce a further substitution.
    """
    return _PATTERN.sub(lambda match: values[match.group(0)], body)
