"""The login page in a real browser once a stranger spent the attempts for an account from
this address: the form comes back with what happened and when to try again, and the same
user's own browser (known from an earlier sign-in) still gets in."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import CustomerWithAccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: BROWSER_SCREENSHOTS when set (to look at them), else tmp."""
    return Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path)


def submit(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_the_blocked_login_says_why_and_a_known_browser_still_signs_in(
    live_server, browser, settings, shots, console_errors
):
    settings.RATELIMIT_LOGIN_PAIR = "3/15m"
    # Each browser comes from its own address, as behind a proxy that names it.
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    user = CustomerWithAccountFactory().user
    user.set_password(PASSWORD)
    user.save()
    own = browser.new_page(extra_http_headers={"X-Forwarded-For": "198.51.100.9"})
    submit(own, live_server, user.username, PASSWORD)  # the user's browser becomes known
    expect(own).not_to_have_url(f"{live_server.url}/login/")
    own.context.clear_cookies(name="sessionid")

    stranger = browser.new_page(extra_http_headers={"X-Forwarded-For": "203.0.113.66"})
    for _ in range(3):
        submit(stranger, live_server, user.username, "guess")
        expect(stranger.get_by_role("alert")).to_contain_text("correct username and password")
    submit(stranger, live_server, user.username, PASSWORD)

    alert = stranger.get_by_role("alert")
    expect(alert).to_have_text(
        "Too many attempts from your network for this account; try again in 15 minutes."
    )
    expect(stranger.get_by_label("Username or email")).to_have_value(user.username)
    stranger.screenshot(path=shots / "login-blocked.png", full_page=True)

    # The user's own browser, now at the stranger's address (the same café): it gets in.
    own.set_extra_http_headers({"X-Forwarded-For": "203.0.113.66"})
    submit(own, live_server, user.username, PASSWORD)
    expect(own).not_to_have_url(f"{live_server.url}/login/")
    assert console_errors == []
