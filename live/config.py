"""The LIVE_* settings, read from the environment and checked (designpi/settings.py calls
this). Plain Python with no Django import, so settings can use it before Django is set up.
Every bad value raises ValueError naming the variable; settings turns that into
ImproperlyConfigured, which stops start-up."""

import math
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class LiveSettings:
    url: str
    origin: str | None  # scheme://host[:port] of an absolute url, for CSP connect-src
    allowed_origins: tuple[str, ...]
    tick_seconds: float
    overlap_seconds: float
    heartbeat_seconds: float
    session_recheck_seconds: float
    safety_poll_seconds: int


def parse_live_settings(env) -> LiveSettings:
    url = env.str("LIVE_URL", default="/live/stream").strip()
    tick = _seconds(env, "LIVE_TICK_SECONDS", "0.3", low=0.05, high=5)
    overlap = _seconds(env, "LIVE_OVERLAP_SECONDS", "10", low=0, high=300)
    # A window shorter than a tick cannot even cover the time between two ticks: every
    # change would be at the mercy of timing, not only late commits.
    if overlap < tick:
        raise ValueError(f"LIVE_OVERLAP_SECONDS ({overlap}) must be at least LIVE_TICK_SECONDS ({tick}).")
    heartbeat = _seconds(env, "LIVE_HEARTBEAT_SECONDS", "15", low=0.1, high=300)
    # Issue 10: a stream notices an ended session within a minute at the latest.
    recheck = _seconds(env, "LIVE_SESSION_RECHECK_SECONDS", "60", low=0.1, high=60)
    safety = env.str("LIVE_SAFETY_POLL_SECONDS", default="300").strip()
    if not (safety.isascii() and safety.isdigit()) or not 5 <= int(safety) <= 3600:
        raise ValueError(f"LIVE_SAFETY_POLL_SECONDS={safety!r} must be a whole number of seconds from 5 to 3600.")
    return LiveSettings(
        url=url,
        origin=_url_origin(url),
        allowed_origins=tuple(_origin(value) for value in env.list("LIVE_ALLOWED_ORIGINS", default=[]) if value.strip()),
        tick_seconds=tick,
        overlap_seconds=overlap,
        heartbeat_seconds=heartbeat,
        session_recheck_seconds=recheck,
        safety_poll_seconds=int(safety),
    )


def _seconds(env, name, default, *, low, high) -> float:
    raw = env.str(name, default=default).strip()
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name}={raw!r} must be a number of seconds from {low:g} to {high:g}.")
    return value


def _url_origin(url: str) -> str | None:
    """None for a path on the pages' own origin; the origin of an absolute http(s) URL."""
    if url.startswith("/") and not url.startswith("//"):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"LIVE_URL={url!r} must be a path such as /live/stream or an http(s) URL "
                         "such as http://127.0.0.1:8001/live/stream.")
    return f"{parts.scheme}://{parts.netloc}"


def _origin(value: str) -> str:
    """An origin exactly as a browser sends it in the Origin header: scheme://host[:port]."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or value != f"{parts.scheme}://{parts.netloc}":
        raise ValueError(f"LIVE_ALLOWED_ORIGINS: {value!r} is not an origin such as http://127.0.0.1:8000 "
                         "(scheme, host and optional port; no path, no trailing slash).")
    return value
