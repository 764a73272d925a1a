"""Which address a sign-in is counted against (issue 9 A2; SECURITY_CASES 20, 21).

X-Forwarded-For is believed only from a connection that comes from TRUSTED_PROXIES,
walked from the right past trusted hops; without a usable address sign-in is refused
instead of being keyed on one value shared by everyone.
"""

import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.test import Client, RequestFactory

from accounts.models import SignInFailure
from designpi.client_ip import client_ip_address, parse_trusted_proxies
from tests.personas import PASSWORD, client_for

LOGIN_URL = "/accounts/login/"
LIMIT = settings.AXES_FAILURE_LIMIT
NGINX = "127.0.0.1"  # README, Deploying: nginx on the same host, TRUSTED_PROXIES=127.0.0.1
HOME_IP = "203.0.113.10"
ATTACKER_IP = "198.51.100.66"


@pytest.fixture
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = parse_trusted_proxies(NGINX)


def sign_in(email, password, *, remote, forwarded=None, path=LOGIN_URL):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post(path, {"username": email, "password": password}, **extra)


def guard_errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "designpi.signin" and r.levelname == "ERROR"]


def is_signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def assert_locked(response):
    assert response.status_code == 429 and "Sign-in paused" in response.content.decode()


# --- the rule, address by address ----------------------------------------------------

@pytest.mark.parametrize("trusted, remote, forwarded, client", [
    # No trusted proxy: the connection is the client, whatever the header says.
    ("", "198.51.100.66", "203.0.113.10", "198.51.100.66"),
    # A client that reaches gunicorn directly cannot choose its address with the header.
    ("127.0.0.1", "198.51.100.66", "203.0.113.10", "198.51.100.66"),
    # Through nginx: the address nginx appended; the client-written left part is never read.
    ("127.0.0.1", "127.0.0.1", "203.0.113.10", "203.0.113.10"),
    ("127.0.0.1", "127.0.0.1", "127.0.0.1, 10.9.9.9, 203.0.113.10", "203.0.113.10"),
    ("127.0.0.1", "127.0.0.1", "not-an-address, 203.0.113.10", "203.0.113.10"),
    # A load balancer range and nginx: walk right past every trusted hop.
    ("127.0.0.1, 10.0.0.0/8", "127.0.0.1", "6.6.6.6, 198.51.100.66, 10.1.2.3", "198.51.100.66"),
    # IPv6 proxies and clients; an IPv4 proxy seen on a dual-stack socket.
    ("fd00::/8", "fd00::1", "2001:db8::5", "2001:db8::5"),
    ("127.0.0.1", "::ffff:127.0.0.1", "2001:db8::5", "2001:db8::5"),
    ("::1, 127.0.0.1", "::1", "::ffff:203.0.113.10", "203.0.113.10"),
    # The request started on the proxy host itself: every hop is trusted.
    ("127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"),
    # gunicorn on a Unix socket: no REMOTE_ADDR; the header counts only if "unix" is trusted.
    ("unix", "", "127.0.0.1, 203.0.113.10", "203.0.113.10"),
    ("unix, 10.0.0.0/8", "", "203.0.113.10, 10.0.0.7", "203.0.113.10"),
    ("unix", "198.51.100.66", "203.0.113.10", "198.51.100.66"),  # a TCP client is not the socket
    ("unix", "", None, None),
    ("127.0.0.1", "", "203.0.113.10", None),
    # No usable address: None, never a shared stand-in.
    ("", "", None, None),
    ("", "unix:/run/gunicorn.sock", None, None),
    ("127.0.0.1", "127.0.0.1", None, None),  # the proxy does not send the header
    ("127.0.0.1", "127.0.0.1", "203.0.113.10, bogus", None),  # the trusted proxy wrote garbage
])
def test_the_client_is_the_first_untrusted_address_from_the_right(settings, trusted, remote, forwarded, client):
    settings.TRUSTED_PROXIES = parse_trusted_proxies(trusted)
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip_address(RequestFactory().post(LOGIN_URL, **meta)) == client


# --- the documented deployment ------------------------------------------------------

def test_behind_the_documented_proxy_each_client_has_its_own_lock(behind_nginx, john):
    """The README's deployment: before, every attempt was keyed on nginx's address and
    five wrong passwords from anywhere locked John out for everyone."""
    for index in range(LIMIT + 2):
        sign_in(john.email, "wrong-password", remote=NGINX, forwarded=f"203.0.113.{index}, {ATTACKER_IP}")
    assert_locked(sign_in(john.email, PASSWORD, remote=NGINX, forwarded=ATTACKER_IP))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER_IP}
    assert is_signed_in(sign_in(john.email, PASSWORD, remote=NGINX, forwarded=HOME_IP))


def test_a_client_reaching_gunicorn_directly_cannot_choose_its_address(behind_nginx, john):
    """With a proxy configured, a header from anyone else is still not believed."""
    for index in range(LIMIT):
        sign_in(john.email, "wrong-password", remote=ATTACKER_IP, forwarded=f"203.0.113.{index}")
    assert_locked(sign_in(john.email, PASSWORD, remote=ATTACKER_IP, forwarded=HOME_IP))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER_IP}


# --- no usable address: refused, clearly, changing nothing ---------------------------

def test_without_a_client_address_sign_in_is_refused_clearly_and_nothing_is_stored(john, caplog):
    """gunicorn on a Unix socket without TRUSTED_PROXIES: REMOTE_ADDR is empty. Before,
    every such attempt shared one bucket per account."""
    with caplog.at_level(logging.ERROR, logger="designpi.signin"):
        for _ in range(LIMIT + 2):
            response = sign_in(john.email, "wrong-password", remote="")
            assert response.status_code == 503
        refused = sign_in(john.email, PASSWORD, remote="")
    assert refused.status_code == 503 and "_auth_user_id" not in refused.wsgi_request.session
    assert "cannot tell where this request comes from" in refused.content.decode()
    assert len(guard_errors(caplog)) == LIMIT + 3 and "TRUSTED_PROXIES" in guard_errors(caplog)[-1]
    assert not AccessAttempt.objects.exists()
    assert not AccessFailureLog.objects.exists()
    assert not SignInFailure.objects.exists()
    # No shared bucket was filled: John, from a real address, is not locked out.
    assert is_signed_in(sign_in(john.email, PASSWORD, remote=HOME_IP))


def test_behind_a_proxy_on_gunicorns_unix_socket_each_client_has_its_own_lock(settings, john):
    settings.TRUSTED_PROXIES = parse_trusted_proxies("unix")
    for _ in range(LIMIT):
        sign_in(john.email, "wrong-password", remote="", forwarded=ATTACKER_IP)
    assert_locked(sign_in(john.email, PASSWORD, remote="", forwarded=ATTACKER_IP))
    assert is_signed_in(sign_in(john.email, PASSWORD, remote="", forwarded=HOME_IP))


def test_a_proxy_that_sends_no_forwarded_for_does_not_become_one_shared_bucket(behind_nginx, john, caplog):
    with caplog.at_level(logging.ERROR, logger="designpi.signin"):
        for _ in range(LIMIT + 1):
            assert sign_in(john.email, "wrong-password", remote=NGINX).status_code == 503
    assert "X-Forwarded-For" in guard_errors(caplog)[-1]
    assert not AccessAttempt.objects.exists()
    assert is_signed_in(sign_in(john.email, PASSWORD, remote=NGINX, forwarded=HOME_IP))


def test_the_django_admin_sign_in_without_a_client_address_is_refused_too(admin_user, caplog):
    """/django-admin/login/ is not our view; the authentication backend refuses it."""
    with caplog.at_level(logging.ERROR, logger="designpi.signin"):
        response = sign_in(admin_user.email, PASSWORD, remote="", path="/django-admin/login/")
    assert response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session
    assert "TRUSTED_PROXIES" in guard_errors(caplog)[-1]
    assert not SignInFailure.objects.exists()


def test_a_password_change_without_a_client_address_is_refused(john):
    client = client_for(john)
    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "a-much-better-pass-42", "new_password2": "a-much-better-pass-42",
    }, REMOTE_ADDR="")
    assert response.status_code == 503
    john.refresh_from_db()
    assert john.check_password(PASSWORD)
