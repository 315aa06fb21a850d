"""Collision detection in a real browser: two agents open the same ticket in two browsers and
see each other, "viewing" turning to "replying" as one writes; one sends a reply, and the
other's send is stopped with that reply shown until they choose "Send anyway". The ticket
page's shortcuts open the composer."""

import os
import re

import pytest
from playwright.sync_api import expect

from agents.models import TicketPresence
from tests.factories import AgentFactory, CustomerFactory, TicketFactory
from tickets.models import TicketMessage

# Set DESK_SCREENSHOTS to a path prefix to keep screenshots of the pages under test.
SCREENSHOTS = os.environ.get("DESK_SCREENSHOTS", "")


def snap(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}-{name}.png", caret="initial")


pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def agent_page(browser, live_server, username: str, errors: list[str]):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.clock.install()
    page.goto(f"{live_server.url}/login/?next=/desk/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/desk/"))
    return page


def next_beat(page) -> None:
    """Let the page's 10-second heartbeat run once and wait for its answer."""
    with page.expect_response(re.compile(r"/presence/$")):
        page.clock.fast_forward("00:11")


def test_two_agents_on_one_ticket_see_each_other_and_the_reply_collision(live_server, browser):
    AgentFactory(username="sam", agent_profile__display_name="Sam Agent")
    dana_user = AgentFactory(username="dana", agent_profile__display_name="Dana Scully")
    customer = CustomerFactory(name="Grace Hopper")
    ticket = TicketFactory(customer=customer, subject="Invoices are missing")
    ticket_url = f"{live_server.url}/desk/tickets/{ticket.reference}/"
    errors: list[str] = []

    sam = agent_page(browser, live_server, "sam", errors)
    sam.goto(ticket_url)
    expect(sam.locator("#presence-list .presence-agent")).to_have_count(0)

    dana = agent_page(browser, live_server, "dana", errors)
    with dana.expect_response(re.compile(r"/presence/$")):
        dana.goto(ticket_url)
    # Dana's first beat already finds Sam; Sam sees Dana on his next one.
    expect(dana.locator("#presence-list")).to_contain_text("Sam Agent is viewing")
    next_beat(sam)
    expect(sam.locator("#presence-list")).to_contain_text("Dana Scully is viewing")

    # Dana starts writing ("r" opens the reply box): Sam sees her replying.
    with dana.expect_response(re.compile(r"/presence/$")):
        dana.locator("h1").click()
        dana.keyboard.press("r")
    expect(dana.locator("#reply-form textarea[name=body]")).to_be_focused()
    dana.keyboard.type("Hi Grace, the invoices are back.")
    next_beat(sam)
    expect(sam.locator("#presence-list")).to_contain_text("Dana Scully is replying")
    expect(sam.locator(".presence-replying")).to_have_count(1)
    snap(sam, "presence")

    # Sam writes too, but Dana sends first.
    sam.locator("#composer-mode-reply").check(force=True)
    sam.locator("#reply-form textarea[name=body]").fill("Hello Grace, looking into it.")
    dana.get_by_role("button", name="Send reply").click()
    expect(dana.locator("#ticket-conversation")).to_contain_text("the invoices are back")

    # Sam's send is stopped: nothing is saved, Dana's reply is shown, his text is kept.
    sam.get_by_role("button", name="Send reply").click()
    warning = sam.locator("#reply-collision .collision-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Dana Scully")
    expect(warning).to_contain_text("the invoices are back")
    expect(sam.locator("#ticket-conversation")).to_contain_text("the invoices are back")
    expect(sam.locator("#reply-form textarea[name=body]")).to_have_value(
        "Hello Grace, looking into it."
    )
    assert not TicketMessage.objects.filter(body__startswith="Hello Grace").exists()
    snap(sam, "collision")

    # "Send anyway" sends it.
    warning.get_by_role("button", name="Send anyway").click()
    expect(sam.locator("#ticket-conversation")).to_contain_text("looking into it")
    expect(sam.locator("#reply-collision .collision-warning")).to_have_count(0)
    assert TicketMessage.objects.filter(body__startswith="Hello Grace").count() == 1

    # Leaving the page ends Dana's presence at once.
    dana.goto(f"{live_server.url}/desk/")
    expect(dana.locator("#queue-table")).to_be_visible()
    for _ in range(30):
        if not TicketPresence.objects.filter(user=dana_user).exists():
            break
        dana.wait_for_timeout(100)
    assert not TicketPresence.objects.filter(user=dana_user).exists()

    # The stopped send is a 409 by design; the browser logs every 4xx answer as an error.
    assert [error for error in errors if "status of 409" not in error] == []
    assert len(errors) == 1
