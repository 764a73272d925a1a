"""Validators shared by every app's forms, API schemas and services."""

import unicodedata

from django.core.exceptions import ValidationError

# Tab, newline and carriage return are ordinary text; every other control
# character (NUL included) is refused rather than stored or rendered.
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def reject_control_characters(value: str) -> None:
    for char in value:
        if char not in _ALLOWED_CONTROLS and unicodedata.category(char) == "Cc":
            raise ValidationError(
                "Control characters (such as NUL) are not allowed.",
                code="control_character",
            )


# Largest id any of our databases stores (signed 64-bit BigAutoField).
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """``value`` as a database id, or None when it cannot be one (not an integer,
    not positive, or too large to store). Callers answer 404/400 on None, so a
    20-digit or non-numeric id never reaches the database."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None
