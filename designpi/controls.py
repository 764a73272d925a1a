"""`{% load controls %}{% select field … %}`: a form field's <select>, built here.

Django's widget rendering runs a template per <option>; a console list of 25 rows, each
with an assignee and a status control, spent two thirds of its time there (118 ms
against 42 ms for hand-written loops). This builds the same markup from the bound field
(its name, id, class, choices and value), so the form stays the one definition of the
control, at the cost of a loop. Registered in settings.TEMPLATES["OPTIONS"]["libraries"].
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

SELECTED = mark_safe(" selected")


@register.simple_tag
def select(field, id=None, current=None, css_class=None):
    """``field``: a BoundField of a ChoiceField. A list renders one field for all its rows,
    each with its own ``id`` and ``current`` value (None: the field's own value)."""
    value = field.value() if current is None else current
    value = "" if value is None else str(value)
    css_class = css_class or field.field.widget.attrs.get("class")
    return format_html(
        '<select name="{}" id="{}"{}>{}</select>',
        field.html_name,
        id or field.id_for_label,
        format_html(' class="{}"', css_class) if css_class else "",
        options(field, value),
    )


@register.simple_tag
def options(field, value=None):
    """Only the <option>s of a ChoiceField's BoundField (``value`` selected): for one list
    of options a page renders once and its script copies where needed."""
    value = None if value is None else str(value)  # None: none selected
    return format_html_join(
        "", '<option value="{}"{}>{}</option>',
        ((choice, SELECTED if str(choice) == value else "", label) for choice, label in field.field.choices),
    )
