"""Who is knocking: the client address and the sign-in name, as django-axes keys them.

Lockouts are keyed on (account, client address) (settings.AXES_LOCKOUT_PARAMETERS),
so both halves must be impossible to vary at will:

* the address comes from REMOTE_ADDR unless settings.TRUSTED_PROXY_COUNT proxies
  sit in front of gunicorn; then it is the address the outermost trusted proxy saw,
  the N-th entry from the right of X-Forwarded-For. Entries a client adds itself
  stand to the left of that and are never read (SECURITY_CASES 21);
* the name is normalised the way the login form and User.objects.get_by_natural_key
  normalise it, so "Admin@X" and "admin@x " count against one lock.
"""

import ipaddress

from django.conf import settings


def _valid_ip(value: str) -> str | None:
    value = (value or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip_address(request) -> str | None:
    remote_addr = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote_addr
    chain = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(chain) < proxies:
        # Not every trusted proxy added its entry: the request did not come the way the
        # deployment says it does. Trust only the connection itself.
        return remote_addr
    return _valid_ip(chain[-proxies]) or remote_addr


def login_username(request, credentials=None) -> str | None:
    if credentials:
        raw = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        raw = getattr(request, "POST", {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if raw is None:
        return None
    return str(raw).strip().lower()
