"""DesignPi Support settings.

Everything comes from the environment (or a `.env` file beside manage.py).
Defaults are for local development on SQLite; production values are only
ever read from the environment, and a missing one stops start-up loudly.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from designpi.client_ip import parse_trusted_proxies

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def env_flag(name: str, default: bool) -> bool:
    """A yes/no setting; anything but a clear yes or no stops start-up."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value (use true or false).")


DEBUG = env_flag("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development only."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "ninja",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "leads",
    "conversations",
    "tickets",
    "notifications",
    "live",
    "replies",
    "django_altcha",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session, CSRF and everything else that may read the body: an oversized
    # body is refused from its headers alone. After SecurityMiddleware, so the refusal
    # still gets the HTTPS redirect and its headers; after WhiteNoise, which reads no body.
    "designpi.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "designpi.middleware.HtmxLoginRedirectMiddleware",
    "designpi.middleware.PrivateCacheMiddleware",
    "designpi.middleware.AccessRefusalLogMiddleware",
    # Last, so a lockout answers before any view runs (django-axes docs).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "designpi.urls"
WSGI_APPLICATION = "designpi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "live.context_processors.live",
            ],
            # {% load controls %}: form fields' <select>s without a template per option.
            "libraries": {"controls": "designpi.controls"},
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite by default; DATABASE_URL=mysql://user:pass@host:3306/name for MySQL/MariaDB.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
_db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
_db["CONN_HEALTH_CHECKS"] = True
if _db["ENGINE"] == "django.db.backends.mysql":
    _db["OPTIONS"] = {
        "charset": "utf8mb4",
        # Strict mode: out-of-range or truncated values are errors, not warnings.
        "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
        # Django's default for MySQL, stated so nobody "fixes" it: REPEATABLE READ
        # breaks get_or_create under concurrent first messages.
        "isolation_level": "read committed",
        # A stopped database must answer 503 within seconds, not hang a worker.
        "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=3),
        **_db.get("OPTIONS", {}),
    }
    _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # WAL lets the poller read while someone writes; a write waits for the lock
        # instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses before anything is hashed when the client address is unknown or a
    # ceiling per account / per network is reached (accounts/signin_guard.py).
    "accounts.backends.SignInGuardBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login lockout (django-axes): failures are kept in the database, so every
# gunicorn worker and host shares them. Keyed on account + client address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Keep failing while locked out and the lock keeps running: only the pair
# (account, address) that keeps guessing stays locked; everyone else is unaffected.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
# Every refused sign-in is kept (capped per account) for the admins' audit in /django-admin/.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Reverse proxies whose X-Forwarded-For is believed: comma-separated addresses or CIDR
# ranges (IPv4 and IPv6), e.g. "127.0.0.1" for nginx on the same host. Empty (the
# default): the client is REMOTE_ADDR and X-Forwarded-For is ignored. The header is
# read only when the connection itself comes from one of these, walking it from the
# right past trusted hops (designpi/client_ip.py), so a client that reaches gunicorn
# directly, or writes the header itself, cannot choose its address. django-ipware is
# not used: axes only reads its AXES_IPWARE_* settings when that package is
# installed, and its proxy-count rules accept a spoofed left-most address.
if "TRUSTED_PROXY_COUNT" in env:
    # A count trusted the header from anyone who connected; silently ignoring it would
    # leave an operator believing their setting still applies.
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT was replaced by TRUSTED_PROXIES: remove TRUSTED_PROXY_COUNT and set "
        "TRUSTED_PROXIES to the address(es) of your reverse proxy, e.g. TRUSTED_PROXIES=127.0.0.1 "
        "(comma-separated addresses or CIDR ranges; see README, Deploying)."
    )
try:
    TRUSTED_PROXIES = parse_trusted_proxies(env.str("TRUSTED_PROXIES", default=""))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
AXES_CLIENT_IP_CALLABLE = "designpi.client_ip.client_ip_address"
AXES_USERNAME_CALLABLE = "designpi.client_ip.login_username"

# Ceilings above the per-(account, address) lock, counted in the database
# (accounts.models.SignInFailure; why not axes: accounts/signin_guard.py):
# failures per account from every address (a slow distributed guesser), and per
# client network across accounts (password spraying; IPv6 by /64, IPv4 by address).
SIGNIN_ACCOUNT_FAILURE_LIMIT = env.int("SIGNIN_ACCOUNT_FAILURE_LIMIT", default=50)
SIGNIN_ACCOUNT_WINDOW_MINUTES = env.int("SIGNIN_ACCOUNT_WINDOW_MINUTES", default=60)
SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("SIGNIN_ADDRESS_FAILURE_LIMIT", default=100)
SIGNIN_ADDRESS_WINDOW_MINUTES = env.int("SIGNIN_ADDRESS_WINDOW_MINUTES", default=60)
# An address the account signed in from within this many days is not held back by the
# per-account ceiling, so strangers cannot lock the owner out for good (SECURITY_CASES
# 21). 0 turns the exemption off.
SIGNIN_KNOWN_ADDRESS_DAYS = env.int("SIGNIN_KNOWN_ADDRESS_DAYS", default=30)
for _name in ("SIGNIN_ACCOUNT_FAILURE_LIMIT", "SIGNIN_ACCOUNT_WINDOW_MINUTES",
              "SIGNIN_ADDRESS_FAILURE_LIMIT", "SIGNIN_ADDRESS_WINDOW_MINUTES"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more.")
if SIGNIN_KNOWN_ADDRESS_DAYS < 0:
    raise ImproperlyConfigured("SIGNIN_KNOWN_ADDRESS_DAYS must be 0 or more.")

# Invitations and password resets (issue 11): the links are signed, single-use (the token
# hashes the password, which setting one changes) and expire.
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_MINUTES", default=60) * 60
# At most this many reset emails per account per hour; requests beyond it get the same
# answer and send nothing (they also count toward SIGNIN_ADDRESS_FAILURE_LIMIT).
PASSWORD_RESET_LIMIT_PER_HOUR = env.int("PASSWORD_RESET_LIMIT_PER_HOUR", default=3)
for _name in ("INVITATION_MAX_AGE_DAYS", "PASSWORD_RESET_TIMEOUT", "PASSWORD_RESET_LIMIT_PER_HOUR"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more.")

# --- Sessions, cookies, security headers ------------------------------------
SESSION_SAVE_EVERY_REQUEST = False  # polling must write nothing
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
SECURE_COOKIES = env_flag("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_FAILURE_VIEW = "designpi.views.csrf_failure"
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_flag("BEHIND_TLS_PROXY", default=False) else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Live updates (issue 10; live/, README "Deploying") ----------------------------
# The stream is served by a separate ASGI process (live/asgi.py); pages keep polling as
# the safety net. Bad values stop start-up (live/config.py says what is accepted).
from live.config import parse_live_settings  # noqa: E402  (needs only env and its own checks)

try:
    _live = parse_live_settings(env)
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
LIVE_URL = _live.url
LIVE_ALLOWED_ORIGINS = _live.allowed_origins
LIVE_TICK_SECONDS = _live.tick_seconds
LIVE_OVERLAP_SECONDS = _live.overlap_seconds
LIVE_HEARTBEAT_SECONDS = _live.heartbeat_seconds
LIVE_SESSION_RECHECK_SECONDS = _live.session_recheck_seconds
LIVE_SAFETY_POLL_SECONDS = _live.safety_poll_seconds

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        # The live stream's origin when it is served from another one (dev: port 8001).
        "connect-src": [SELF, *([_live.origin] if _live.origin else [])],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Largest request body Django will read into memory (a message is at most 5,000
# characters; 256 KiB is generous and keeps a 10 MB body from growing a worker).
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# Largest request body at all, file parts included (which the setting above leaves out):
# a larger Content-Length is answered 413 before the body is read
# (designpi.middleware.RequestSizeLimitMiddleware). Match it in the reverse proxy.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=1024 * 1024)
if MAX_REQUEST_BYTES < 1:
    raise ImproperlyConfigured("MAX_REQUEST_BYTES must be a positive number of bytes.")

# Coarse per-user limit on posting messages (per minute), kept in the database.
MESSAGE_RATE_LIMIT_PER_MINUTE = env.int("MESSAGE_RATE_LIMIT_PER_MINUTE", default=30)

# A bulk change (issue 13) stops taking new conversations after this many seconds and
# reports the rest as not reached: well inside gunicorn's 30 s worker timeout, so a slow
# moment answers with a report instead of a killed worker.
BULK_TIME_LIMIT_SECONDS = env.float("BULK_TIME_LIMIT_SECONDS", default=20.0)
if BULK_TIME_LIMIT_SECONDS <= 0:
    raise ImproperlyConfigured("BULK_TIME_LIMIT_SECONDS must be a positive number of seconds.")

# --- Email and background work (issue 11) -------------------------------------
# EMAIL_URL in django-environ's form: smtp+tls://user:password@host:587, smtps://… for TLS from
# the first byte, smtp://host:25 without TLS. Default: printed to the worker's stdout
# (consolemail://), for development. Requests never send mail: they queue a task on commit,
# and `manage.py db_worker` (a second process, README "Deploying") sends it.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="DesignPi Support <support@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address people reach the app at, for the links in emails (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with http:// or https://.")
# Unread messages wait this long before they are emailed, so an open page reads them first.
NOTIFICATION_DELAY_SECONDS = env.int("NOTIFICATION_DELAY_SECONDS", default=120)
if NOTIFICATION_DELAY_SECONDS < 0:
    raise ImproperlyConfigured("NOTIFICATION_DELAY_SECONDS must be 0 or more.")
# Django's tasks API (the django-tasks backport) on the database: queued work survives a
# restart of the worker or the database, with no broker to run.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Website visitors: the contact chat and the widget (issue 12; leads/visitor.py) ----------
# How long a visitor's browser keeps its conversation (the cookie's life and its signature's
# age limit), and how long an emailed "continue on another device" link works (once).
VISITOR_COOKIE_MAX_AGE_DAYS = env.int("VISITOR_COOKIE_MAX_AGE_DAYS", default=90)
VISITOR_CONTINUE_LINK_MAX_AGE_HOURS = env.int("VISITOR_CONTINUE_LINK_MAX_AGE_HOURS", default=24)
# Contact forms (new conversations, or a message into a lead's open one) per client address
# and per email per hour; visitor chat messages per address and per email per minute.
CONTACT_LIMIT_PER_HOUR = env.int("CONTACT_LIMIT_PER_HOUR", default=5)
VISITOR_MESSAGE_LIMIT_PER_MINUTE = env.int("VISITOR_MESSAGE_LIMIT_PER_MINUTE", default=10)
for _name in ("VISITOR_COOKIE_MAX_AGE_DAYS", "VISITOR_CONTINUE_LINK_MAX_AGE_HOURS",
              "CONTACT_LIMIT_PER_HOUR", "VISITOR_MESSAGE_LIMIT_PER_MINUTE"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more.")
# Sites that may show the chat widget (/contact/widget/) in a frame: origins such as
# https://www.example.com, comma-separated, sent as CSP frame-ancestors on that route only.
# Empty (the default): nobody may frame it. A malformed origin fails `manage.py check`
# (designpi.checks.widget_origins_check).
WIDGET_ALLOWED_ORIGINS = env.list("WIDGET_ALLOWED_ORIGINS", default=[])
# The contact form's proof of work (django-altcha, self-hosted: no outside calls). Its replay
# protection remembers spent challenges in a cache every worker shares: Django's database
# cache (`manage.py createcachetable` makes its table; bin/dev, CI and the deploy steps run it).
ALTCHA_HMAC_KEY = env.str("ALTCHA_HMAC_KEY", default="") or f"altcha:{SECRET_KEY}"
ALTCHA_CACHE_ALIAS = "shared"
# The highest number the browser may have to try (SHA-256 each): about a second on a phone.
ALTCHA_MAX_NUMBER = env.int("ALTCHA_MAX_NUMBER", default=100_000)
ALTCHA_CHALLENGE_EXPIRE = 20 * 60 * 1000  # milliseconds
if ALTCHA_MAX_NUMBER < 1:
    raise ImproperlyConfigured("ALTCHA_MAX_NUMBER must be 1 or more.")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "designpi_cache"},
}

# --- Static files ---------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Logging: stdout, one line per event -------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"()": "designpi.log.OneLineFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"}},
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
