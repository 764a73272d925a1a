"""designpi/controls.py: the list rows' links and selects, built without a reverse() or an
option template per row, must be exactly what Django would have built."""

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse, set_script_prefix

from conversations.forms import StatusForm
from designpi.controls import id_url, options

ROUTES = ("console:conversation_detail", "console:conversation_assign", "console:conversation_status",
          "staff:conversation_detail")


@pytest.mark.parametrize("name", ROUTES)
@pytest.mark.parametrize("pk", [1, 7, 10, 123456789])
def test_id_url_is_what_reverse_gives(name, pk):
    assert id_url(pk, name) == reverse(name, args=[pk])


def test_id_url_follows_the_script_prefix():
    try:
        set_script_prefix("/support/")
        assert id_url(5, "console:conversation_detail") == "/support/admin/conversations/5/"
        assert id_url(5, "console:conversation_detail") == reverse("console:conversation_detail", args=[5])
    finally:
        set_script_prefix("/")
    assert id_url(5, "console:conversation_detail") == "/admin/conversations/5/"


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_a_row_renders_its_id_without_a_thousands_separator():
    rendered = Template("{% load controls %}{{ pk|id_url:'console:conversation_detail' }}").render(Context({"pk": 12345}))
    assert rendered == "/admin/conversations/12345/"


def test_options_built_once_per_value_still_mark_each_rows_value():
    field = StatusForm()["status"]
    first = str(options(field, "OPEN"))
    assert str(options(field, "CLOSED")) != first
    assert str(options(field, "OPEN")) == first
    assert '<option value="OPEN" selected>' in first and '<option value="CLOSED">' in first
    assert '<option value="CLOSED" selected>' in str(options(field, "CLOSED"))
