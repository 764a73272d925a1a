"""Running manage.py in a fresh process with only the environment a test gives it
(start-up and deploy checks, a shell on the test database)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-like-secret-key-with-plenty-of-entropy-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "support.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://support.example.com",
    "BEHIND_TLS_PROXY": "true",
    "TRUSTED_PROXIES": "127.0.0.1",  # README, Deploying: nginx on the same host
    "EMAIL_URL": "smtp+tls://support%40example.com:app-password@smtp.example.com:587",
    "SITE_URL": "https://support.example.com",
}


def manage(*args, env):
    # Only the variables this test sets: nothing from the test run's own environment.
    inherited = {"DEBUG", "SECRET_KEY", "STATICFILES_BACKEND", "SECURE_SSL_REDIRECT", "SECURE_COOKIES",
                 "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL",
                 "EMAIL_URL", "SITE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )
