"""Rate limits: failed logins per username and address together (with ceilings per username
and per address), portal ticket filings per IP. Past the limit the answer is a clear 429
with Retry-After, and nothing is saved. A stranger cannot lock a known user out."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone

from accounts.login import KNOWN_DEVICE_COOKIE
from ratelimits.limits import parse_rate, windows_delete_ended
from ratelimits.models import RateLimitWindow
from tests.factories import CustomerWithAccountFactory
from tickets.models import Customer, Ticket

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def low_limits(settings):
    settings.RATELIMIT_LOGIN_PAIR = "3/15m"
    settings.RATELIMIT_LOGIN_USERNAME = "6/15m"
    settings.RATELIMIT_LOGIN_IP = "5/15m"
    settings.RATELIMIT_LOGIN_KNOWN = "1/30s"
    settings.RATELIMIT_TICKET_CREATE_IP = "2/h"


@pytest.fixture
def account():
    user = CustomerWithAccountFactory().user
    user.set_password(PASSWORD)
    user.save()
    return user


def login(client, username, password="wrong", ip="203.0.113.7"):  # noqa: S107
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def assert_rate_limited(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.text
    assert "try again in" in response.text


def test_a_failed_login_answers_400_with_the_form_message(client, low_limits, account):
    response = login(client, account.username)

    assert response.status_code == 400
    assert "Please enter a correct username and password" in response.text


PAIR_MESSAGE = "Too many attempts from your network for this account; try again in 15 minutes."
CEILING_MESSAGE = "Too many attempts for this account from many networks; try again in 15"
ATTACKER, USER_HOME, ELSEWHERE = "203.0.113.66", "198.51.100.9", "192.0.2.44"


def alert(response) -> str:
    return re.search(r'role="alert">([^<]*)<', response.text).group(1).strip()


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def known_device_client(account) -> Client:
    """A browser the user signed in from (at another address), signed out again: it keeps
    only the known-device cookie, as a browser does after signing out."""
    browser = Client()
    response = login(browser, account.username, password=PASSWORD, ip=ELSEWHERE)
    assert response.status_code == 302
    cookie = response.cookies[KNOWN_DEVICE_COOKIE]
    assert cookie["httponly"] and account.username not in cookie.value
    fresh = Client()
    fresh.cookies[KNOWN_DEVICE_COOKIE] = cookie.value
    return fresh


def test_a_strangers_failures_lock_only_the_strangers_address_and_say_so(
    client, low_limits, account
):
    for _ in range(3):
        assert login(client, account.username, ip=ATTACKER).status_code == 400

    # The attacker, even with the right password, is refused before the password check.
    blocked = login(client, account.username, password=PASSWORD, ip=ATTACKER)
    assert_rate_limited(blocked)
    assert PAIR_MESSAGE in blocked.text
    assert not signed_in(client)
    # The real user, from their own address, signs in at once.
    user = Client()
    assert login(user, account.username, password=PASSWORD, ip=USER_HOME).status_code == 302
    assert signed_in(user)


def test_the_blocked_answer_is_the_login_form_with_the_username_kept(client, low_limits, account):
    for _ in range(3):
        login(client, account.username, ip=ATTACKER)

    response = login(client, account.username, ip=ATTACKER)

    assert response.status_code == 429 and int(response["Retry-After"]) > 800
    assert 'role="alert"' in response.text and PAIR_MESSAGE in response.text
    assert f'name="username" value="{account.username}"' in response.text
    assert 'name="password"' in response.text


def test_the_message_does_not_reveal_whether_the_account_exists(client, low_limits, account):
    for username, ip in ((account.username, ATTACKER), ("nobody-by-this-name", ELSEWHERE)):
        for _ in range(3):
            login(client, username, ip=ip)
    existing = login(client, account.username, ip=ATTACKER)
    missing = login(client, "nobody-by-this-name", ip=ELSEWHERE)

    assert existing.status_code == missing.status_code == 429
    assert existing["Retry-After"] == missing["Retry-After"]
    assert alert(existing) == alert(missing) == PAIR_MESSAGE


def test_a_known_device_signs_in_from_the_attackers_address(client, low_limits, account):
    browser = known_device_client(account)
    for _ in range(3):
        assert login(client, account.username, ip=ATTACKER).status_code == 400
    assert_rate_limited(login(client, account.username, password=PASSWORD, ip=ATTACKER))

    # The user's own browser, behind the same address (an office, a café): slowed, not locked.
    assert login(browser, account.username, password=PASSWORD, ip=ATTACKER).status_code == 302
    assert signed_in(browser)


def test_a_known_device_is_slowed_down_not_locked(low_limits, account):
    browser = known_device_client(account)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            login(Client(), account.username, ip=ATTACKER)
        # One password check now (a typo), then the next waits its turn: 30 seconds.
        assert login(browser, account.username, ip=ATTACKER).status_code == 400
        slowed = login(browser, account.username, password=PASSWORD, ip=ATTACKER)
        assert slowed.status_code == 429 and int(slowed["Retry-After"]) == 30
        assert "Too many attempts for this account; try again in 30 seconds." in slowed.text
        assert not signed_in(browser)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert login(browser, account.username, password=PASSWORD, ip=ATTACKER).status_code == 302


def test_a_known_address_is_slowed_down_not_locked(client, low_limits, account):
    # The user signed in from the office before; a stranger in the same office keeps
    # guessing, and spends every counter (pair, username and address) at the pace allowed.
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert login(Client(), account.username, password=PASSWORD, ip=ATTACKER).status_code == 302
    for attempt in range(6):
        with time_machine.travel(start + timedelta(seconds=30 * attempt), tick=False):
            assert login(client, account.username, ip=ATTACKER).status_code == 400
    with time_machine.travel(start + timedelta(seconds=30 * 6 - 1), tick=False):
        # Slowed: the next check from this address waits its turn.
        assert login(client, account.username, ip=ATTACKER).status_code == 429

    with time_machine.travel(start + timedelta(seconds=30 * 7), tick=False):
        colleague_browser = Client()  # no cookie: known by the address only
        response = login(colleague_browser, account.username, password=PASSWORD, ip=ATTACKER)

    assert response.status_code == 302 and signed_in(colleague_browser)


def test_distributed_guessing_hits_the_per_username_ceiling_but_not_a_known_device(
    low_limits, account
):
    browser = known_device_client(account)
    for number in range(6):  # six addresses, one failure each: no pair is near its limit
        assert login(Client(), account.username, ip=f"203.0.113.{number}").status_code == 400

    stranger = login(Client(), account.username, password=PASSWORD, ip="203.0.113.200")
    unknown_user = Client()
    from_new_address = login(unknown_user, account.username, password=PASSWORD, ip=USER_HOME)

    assert_rate_limited(stranger)
    assert CEILING_MESSAGE in stranger.text
    assert from_new_address.status_code == 429 and not signed_in(unknown_user)
    assert login(browser, account.username, password=PASSWORD, ip=USER_HOME).status_code == 302
    assert signed_in(browser)


def test_the_admin_login_form_tells_the_blocked_attacker_too(client, low_limits, account):
    for _ in range(3):
        login(client, account.username, ip=ATTACKER)

    response = client.post(
        "/admin/login/",
        {"username": account.username, "password": PASSWORD},
        REMOTE_ADDR=ATTACKER,
    )

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert PAIR_MESSAGE in response.text and 'name="password"' in response.text


def test_a_forged_known_device_cookie_is_ignored(client, low_limits, account):
    for _ in range(3):
        login(client, account.username, ip=ATTACKER)
    forged = Client()
    forged.cookies[KNOWN_DEVICE_COOKIE] = "anything:signed-by-nobody"

    assert_rate_limited(login(forged, account.username, password=PASSWORD, ip=ATTACKER))


def test_failed_logins_per_ip_block_that_address_for_every_username(client, low_limits):
    for number in range(5):
        assert login(client, f"guess{number}").status_code == 400

    assert_rate_limited(login(client, "someone-else"))
    assert login(client, "someone-else", ip="198.51.100.20").status_code == 400


def test_successful_logins_are_not_counted(client, low_limits, account):
    for _ in range(6):
        assert login(client, account.username, password=PASSWORD).status_code == 302
        client.logout()


def test_the_admin_login_form_shares_the_login_counters(client, low_limits, account):
    for _ in range(3):
        login(client, account.username)

    response = client.post(
        "/admin/login/",
        {"username": account.username, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )

    assert_rate_limited(response)


def test_the_client_ip_comes_from_the_configured_proxy_header(client, low_limits, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    for number in range(5):
        response = client.post(
            "/login/",
            {"username": f"guess{number}", "password": "x"},
            HTTP_X_FORWARDED_FOR="198.51.100.50, 192.0.2.1",
        )
        assert response.status_code == 400

    # Same proxy (REMOTE_ADDR), another client address: not blocked; a forged or garbage
    # header falls back to REMOTE_ADDR instead of failing.
    other = client.post(
        "/login/", {"username": "x", "password": "x"}, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    garbage = client.post(
        "/login/", {"username": "x", "password": "x"}, HTTP_X_FORWARDED_FOR="not an ip"
    )
    blocked = client.post(
        "/login/", {"username": "x", "password": "x"}, HTTP_X_FORWARDED_FOR="10.0.0.1, 192.0.2.1"
    )

    assert other.status_code == 400
    assert garbage.status_code == 400
    assert_rate_limited(blocked)


def ticket_data(number: int) -> dict:
    return {
        "name": "Ada Lovelace",
        "email": f"ada{number}@example.com",
        "subject": f"Invoice question {number}",
        "description": "Where is my invoice?",
    }


def test_portal_ticket_creation_is_limited_per_ip_and_saves_nothing_past_it(client, low_limits):
    for number in range(2):
        response = client.post("/portal/", ticket_data(number), REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 302
    tickets, customers = Ticket.objects.count(), Customer.objects.count()

    response = client.post("/portal/", ticket_data(3), REMOTE_ADDR="203.0.113.7")

    assert_rate_limited(response)
    assert (Ticket.objects.count(), Customer.objects.count()) == (tickets, customers)
    # The form page itself still opens, and another address may still file.
    assert client.get("/portal/", REMOTE_ADDR="203.0.113.7").status_code == 200
    other = client.post("/portal/", ticket_data(4), REMOTE_ADDR="198.51.100.1")
    assert other.status_code == 302


def test_rates_can_be_switched_off_entirely(client, settings):
    settings.RATELIMIT_ENABLE = False
    settings.RATELIMIT_LOGIN_USERNAME = "1/h"
    for _ in range(3):
        assert login(client, "nobody").status_code == 400


def test_failing_counting_skips_the_limit_instead_of_failing_login(
    client, low_limits, account, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr("ratelimits.limits._count", broken)
    monkeypatch.setattr("ratelimits.limits._peek", broken)
    monkeypatch.setattr("accounts.login.cache.get", broken)
    monkeypatch.setattr("accounts.login.cache.set", broken)

    failed = login(client, "nobody")
    ok = login(client, account.username, password=PASSWORD)
    filed = client.post("/portal/", ticket_data(9))

    assert (failed.status_code, ok.status_code, filed.status_code) == (400, 302, 302)
    assert "not applied: counting failed" in caplog.text
    assert "Known sign-in address not recorded" in caplog.text


def test_a_window_that_ended_counts_again_from_one(client, low_limits):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for number in range(2):
            assert client.post("/portal/", ticket_data(number)).status_code == 302
        assert_rate_limited(client.post("/portal/", ticket_data(2)))
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        response = client.post("/portal/", ticket_data(3))
        assert_rate_limited(response)
        assert int(response["Retry-After"]) == 60
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert client.post("/portal/", ticket_data(4)).status_code == 302
        assert client.post("/portal/", ticket_data(5)).status_code == 302
        assert_rate_limited(client.post("/portal/", ticket_data(6)))


def test_the_daily_clean_up_deletes_only_windows_that_ended(client, low_limits):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post("/portal/", ticket_data(1))  # an hour's window
        login(client, "someone")  # three 15-minute windows: pair, username and address
        assert RateLimitWindow.objects.count() == 4
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        assert windows_delete_ended() == 3
        assert RateLimitWindow.objects.count() == 1


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("5/15m", (5, 900)),
        ("20/h", (20, 3600)),
        ("1/d", (1, 86400)),
        ("1000/hour", (1000, 3600)),
        ("5/minute", (5, 60)),
        ("2/sec", (2, 1)),
        ("3/day", (3, 86400)),
    ],
)
def test_rates_read_as_count_and_seconds(rate, parsed):
    assert parse_rate(rate) == parsed


def test_a_malformed_rate_is_a_configuration_error_naming_it():
    from django.core.exceptions import ImproperlyConfigured

    for rate in ("20 per hour", "20/mango", "20/hours"):
        with pytest.raises(ImproperlyConfigured, match=repr(rate)):
            parse_rate(rate)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_from_one_address_never_exceed_the_limit(settings):
    """Every submission counts exactly once, so exactly `limit` of them get through however
    many arrive at the same moment."""
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL.")
    from django.test import Client

    settings.RATELIMIT_TICKET_CREATE_IP = "5/h"
    n = 12
    barrier = threading.Barrier(n)
    statuses, errors = [], []

    def submit(number):
        try:
            barrier.wait()
            response = Client().post("/portal/", ticket_data(number), REMOTE_ADDR="203.0.113.9")
            statuses.append(response.status_code)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [302] * 5 + [429] * (n - 5)
    assert Ticket.objects.count() == 5
    assert RateLimitWindow.objects.get().count == n


def test_a_failed_count_inside_a_transaction_leaves_the_transaction_usable(monkeypatch, caplog):
    from django.db import transaction

    from ratelimits.limits import _usage

    # Fails in the database (an unknown column), with the four parameters the count passes.
    broken_sql = (
        "SELECT no_such_column FROM helpdesk_ratelimitwindow "
        "WHERE key = %s AND ends_at > %s AND ends_at > %s AND ends_at > %s"
    )
    monkeypatch.setattr("ratelimits.limits._COUNT", broken_sql)
    with transaction.atomic():
        assert _usage(group="portal", value="203.0.113.7", rate="5/h", increment=True) is None
        # On PostgreSQL a failed statement outside a savepoint would abort the transaction.
        assert Ticket.objects.count() == 0
    assert "not applied: counting failed" in caplog.text
