"""Who may show our pages in a frame (issue 12, SECURITY_CASES 38).

Every page answers ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``
(settings: X_FRAME_OPTIONS, CONTENT_SECURITY_POLICY). The one exception is the contact
chat's widget page (/contact/widget/ and the form answers rendered into it): it names
the sites in WIDGET_ALLOWED_ORIGINS as its frame-ancestors, and drops X-Frame-Options
only when that list is not empty. Read at each response, so the setting is never
captured at import time.

The contact pages also let the ALTCHA proof of work start its Web Workers from blob:
URLs (its script builds them; ``worker-src`` falls back to script-src 'self', which
refuses blob:). Nothing else on those pages changes.
"""

import re

from csp.constants import NONE, SELF
from django.conf import settings
from django.core.checks import Error

# scheme://host[:port], the host optionally starting with "*." (CSP host-source wildcards).
ORIGIN_RE = re.compile(r"^https?://(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$")


def contact_page_headers(response, *, embedded: bool):
    response._csp_update = {"worker-src": [SELF, "blob:"]}
    if embedded:
        origins = list(settings.WIDGET_ALLOWED_ORIGINS)
        response._csp_replace = {"frame-ancestors": origins or [NONE]}
        if origins:
            response.xframe_options_exempt = True
    return response


def widget_origins_check(app_configs=None, **kwargs):
    """WIDGET_ALLOWED_ORIGINS must be origins (no path, no quotes, no bare '*'): a value
    like "*" or "https://a.com/page" would frame the chat for everyone or for nobody."""
    errors = []
    for value in settings.WIDGET_ALLOWED_ORIGINS:
        if not ORIGIN_RE.match(value):
            errors.append(Error(
                f"WIDGET_ALLOWED_ORIGINS: {value!r} is not an origin.",
                hint="Give origins such as https://www.example.com or https://*.example.com, comma-separated "
                     "(scheme, host and optional port; no path, no bare *).",
                id="designpi.E010",
            ))
    return errors
