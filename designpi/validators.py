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
