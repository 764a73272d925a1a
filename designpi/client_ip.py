"""Who is knocking: the client address and the sign-in name, as django-axes keys them.

Lockouts are keyed on (account, client address) (settings.AXES_LOCKOUT_PARAMETERS),
so both halves must be impossible to vary at will:

* the address is REMOTE_ADDR, unless the connection comes from one of
  settings.TRUSTED_PROXIES. Then X-Forwarded-For is walked from the right (each
  trusted proxy appends the address it saw) while the hop is itself a trusted proxy;
  the first untrusted address is the client. Whatever a client wrote into the header
  stands to the left of that and is never read (SECURITY_CASES 21). A client that
  reaches gunicorn directly is not a trusted proxy, so its header is ignored;
* gunicorn on a Unix socket gives an empty REMOTE_ADDR; the header is then believed
  only when TRUSTED_PROXIES includes the word "unix";
* when no address can be told (an empty REMOTE_ADDR without "unix"; a trusted proxy
  that sent no usable X-Forwarded-For), the answer is None
  and sign-in is refused (accounts/signin_guard.py) rather than keying everyone on
  one shared value;
* the name is normalised the way the login form and User.objects.get_by_natural_key
  normalise it, so "Admin@X" and "admin@x " count against one lock.
"""

import ipaddress

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# In TRUSTED_PROXIES: connections on gunicorn's Unix socket come from the proxy. They
# carry no address (REMOTE_ADDR is empty), so only an explicit word can trust them;
# whoever may write to the socket file is the operator's choice.
UNIX_SOCKET = "unix"


def parse_trusted_proxies(raw: str) -> tuple[Network | str, ...]:
    """TRUSTED_PROXIES as written in the environment: comma-separated addresses, CIDR
    ranges or the word "unix". A ValueError names the entry that is wrong, for a
    start-up message."""
    trusted = []
    for entry in (part.strip() for part in (raw or "").split(",")):
        if not entry:
            continue
        if entry.lower() == UNIX_SOCKET:
            trusted.append(UNIX_SOCKET)
            continue
        try:
            network = ipaddress.ip_network(entry, strict=True)
        except ValueError as error:
            # strict: "10.0.0.1/8" is more likely a typo than a wish to trust 10.0.0.0/8.
            raise ValueError(
                f"TRUSTED_PROXIES entry {entry!r} is not an IP address, a CIDR range or \"unix\" "
                f"({error}); use e.g. 127.0.0.1, 10.0.0.0/8, fd00::/8 or unix, comma-separated."
            ) from None
        trusted.append(_unmapped_network(network))
    return tuple(trusted)


def _unmapped_network(network: Network) -> Network:
    # ::ffff:10.0.0.1 (an IPv4 proxy seen on a dual-stack socket) must match 10.0.0.1.
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network


def _parse_ip(value: str):
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted_proxy(address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES if network != UNIX_SOCKET)


def client_ip_address(request) -> str | None:
    """The client's address, or None when it cannot be told (see the module docstring)."""
    raw_remote = request.META.get("REMOTE_ADDR", "")
    if not raw_remote.strip():
        if UNIX_SOCKET not in settings.TRUSTED_PROXIES:
            return None
    else:
        remote = _parse_ip(raw_remote)
        if remote is None or not _is_trusted_proxy(remote):
            return str(remote) if remote is not None else None
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = None
    for hop in reversed(hops):
        client = _parse_ip(hop)
        if client is None:
            # Right of this only trusted proxies wrote, so a trusted proxy wrote garbage:
            # a misconfigured proxy, not a client to key on.
            return None
        if not _is_trusted_proxy(client):
            return str(client)
    # Every hop was a trusted proxy: the request started on a proxy host itself (the
    # left-most hop). No header at all from a proxy means it does not append one.
    return str(client) if client is not None else None


def login_username(request, credentials=None) -> str | None:
    if credentials:
        raw = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        raw = getattr(request, "POST", {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if raw is None:
        return None
    return str(raw).strip().lower()
