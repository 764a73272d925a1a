"""`{% load controls %}{% select field … %}`: a form field's <select>, built here; and
`{{ pk|id_url:"console:conversation_detail" }}`, a row's link without a reverse() per row.

Django's widget rendering runs a template per <option>; a console list of 25 rows, each
with an assignee and a status control, spent two thirds of its time there (118 ms
against 42 ms for hand-written loops). This builds the same markup from the bound field
(its name, id, class, choices and value), so the form stays the one definition of the
control, at the cost of a loop. Registered in settings.TEMPLATES["OPTIONS"]["libraries"].
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
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
    # One list of rows renders the same field with the same few values again and again
    # (a status per row): built once per value for this bound field, i.e. per page.
    built = field.__dict__.setdefault("_options_by_value", {})
    if value not in built:
        built[value] = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            ((choice, SELECTED if str(choice) == value else "", label) for choice, label in field.field.choices),
        )
    return built[value]


# Any id: reverse() checks it against the route's <int:pk> converter like a real one.
_ID_MARKER = 9_876_543_210_123


@lru_cache(maxsize=256)
def _id_url_parts(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    head, marker, tail = reverse(name, args=[_ID_MARKER]).partition(str(_ID_MARKER))
    if not marker:  # pragma: no cover - a route that does not put its id in the path
        raise ValueError(f"{name} does not take an id in its path.")
    return head, tail


@register.filter
def id_url(pk, name):
    """``reverse(name, args=[pk])`` for a route whose one argument is an integer id.

    A list renders three such links per row; ``{% url %}`` costs a full reverse() each
    (a quarter of the console list's template time for 25 rows). This reverses once per
    route name (and script prefix) and fills in the id. ``pk`` must be an integer."""
    return id_urls(name)(pk)


def id_urls(name):
    """``id_url`` for many ids of one route (a list's rows, worked out in the view):
    a function from id to URL, with the route looked up once."""
    head, tail = _id_url_parts(name, get_script_prefix(), get_urlconf())
    return lambda pk: f"{head}{int(pk)}{tail}"
