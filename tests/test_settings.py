"""Start-up behaviour of designpi/settings.py, checked in fresh processes."""

import pytest

from tests.commands import PRODUCTION_ENV, manage

def test_missing_secret_key_with_debug_off_stops_start_up_with_a_clear_message():
    result = manage("check", env={"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_on_runs_without_a_secret_key():
    result = manage("check", env={"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name, value", [("DEBUG", "maybe"), ("CONN_MAX_AGE", "forever")])
def test_bad_values_fail_loudly(name, value):
    result = manage("check", env={**PRODUCTION_ENV, name: value})
    assert result.returncode != 0


def test_mysql_url_gets_utf8mb4_strict_mode_and_timeouts():
    code = (
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['ENGINE'], d['OPTIONS']['charset'], d['OPTIONS']['init_command'],"
        " d['OPTIONS']['isolation_level'], d['OPTIONS']['connect_timeout'], d['CONN_HEALTH_CHECKS'])"
    )
    result = manage("shell", "--no-imports", "-c", code, env={"DEBUG": "true", "DATABASE_URL": "mysql://u:p@127.0.0.1:3306/db"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.mysql", "utf8mb4", "SET", "sql_mode='STRICT_TRANS_TABLES'", "read", "committed", "3", "True"
    ]


def test_argon2_is_the_first_password_hasher():
    from designpi import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


# --- TRUSTED_PROXIES (issue 9 A2) ----------------------------------------------------

def test_trusted_proxies_take_addresses_and_ranges_of_both_families():
    code = "from django.conf import settings; print(' '.join(str(n) for n in settings.TRUSTED_PROXIES))"
    result = manage("shell", "--no-imports", "-c", code,
                    env={**PRODUCTION_ENV, "TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8,::1 , fd00::/8,unix"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-5:] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8", "unix"]


@pytest.mark.parametrize("value", ["nginx", "10.0.0.1/8", "300.1.1.1", "127.0.0.1;10.0.0.1"])
def test_a_bad_trusted_proxies_value_stops_start_up_with_a_clear_message(value):
    result = manage("check", env={**PRODUCTION_ENV, "TRUSTED_PROXIES": value})
    assert result.returncode != 0
    assert "ImproperlyConfigured: TRUSTED_PROXIES entry" in result.stderr
    assert "is not an IP address, a CIDR range or" in result.stderr


@pytest.mark.parametrize("value", ["1", "0"])
def test_the_replaced_trusted_proxy_count_stops_start_up_naming_its_replacement(value):
    result = manage("check", env={**PRODUCTION_ENV, "TRUSTED_PROXY_COUNT": value})
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT was replaced by TRUSTED_PROXIES" in result.stderr


def test_the_deploy_check_warns_behind_a_tls_proxy_without_trusted_proxies():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "TRUSTED_PROXIES"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "(designpi.W001) BEHIND_TLS_PROXY is on but TRUSTED_PROXIES is empty" in result.stderr
    # Without a TLS proxy there is nothing to warn about.
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**env, "BEHIND_TLS_PROXY": "false"})
    assert "designpi.W001" not in result.stdout + result.stderr


def test_the_deploy_check_warns_when_every_address_is_a_trusted_proxy():
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    env={**PRODUCTION_ENV, "TRUSTED_PROXIES": "127.0.0.1, 0.0.0.0/0"})
    assert result.returncode != 0
    assert "(designpi.W002)" in result.stderr


def test_the_deploy_check_warns_when_emails_would_not_leave_or_link_without_tls():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k not in ("EMAIL_URL", "SITE_URL")}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "(designpi.W003) EMAIL_URL is not set to a mail server" in result.stderr
    assert "(designpi.W004) SITE_URL is 'http://127.0.0.1:8000'" in result.stderr
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


def test_the_mail_settings_are_read_from_email_url():
    result = manage("shell", "-c", "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, "
                    "s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_HOST_USER, s.SITE_URL)", env=PRODUCTION_ENV)
    assert result.stdout.strip().splitlines()[-1] == (
        "django.core.mail.backends.smtp.EmailBackend smtp.example.com 587 True support@example.com "
        "https://support.example.com")


@pytest.mark.parametrize("value", ["support.example.com", "ftp://support.example.com"])
def test_a_site_url_without_a_scheme_stops_start_up(value):
    result = manage("check", env={**PRODUCTION_ENV, "SITE_URL": value})
    assert result.returncode != 0
    assert "must start with http:// or https://" in result.stderr


@pytest.mark.parametrize("name, value", [
    ("SIGNIN_ACCOUNT_FAILURE_LIMIT", "0"), ("SIGNIN_ADDRESS_WINDOW_MINUTES", "-5"),
    ("SIGNIN_KNOWN_ADDRESS_DAYS", "-1"), ("SIGNIN_ADDRESS_FAILURE_LIMIT", "lots"),
])
def test_bad_sign_in_ceilings_stop_start_up(name, value):
    result = manage("check", env={**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert name in result.stderr or "invalid literal" in result.stderr
