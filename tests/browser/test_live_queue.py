"""The live queue in a real browser: an agent has a filtered queue open and scrolled down; a
customer files a ticket meanwhile, and it appears in the table without a reload, flashed as
new, with the filters, the scroll position and the keyboard selection kept. The help overlay
lists the shortcuts."""

import os
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.factories import AgentFactory, CustomerFactory, TicketFactory

# Set DESK_SCREENSHOTS to a path prefix to keep screenshots of the pages under test.
SCREENSHOTS = os.environ.get("DESK_SCREENSHOTS", "")


def snap(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}-{name}.png", caret="initial")


pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def log_in(page, live_server, username: str, next_url: str) -> None:
    page.goto(f"{live_server.url}/login/?next={quote(next_url)}")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill("demo")
    # Wait for the desk page's scripts (deferred) to run, or the first keys are lost.
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.get_by_role("button", name="Log in").click()


def test_a_new_ticket_appears_in_an_open_queue_without_reload(live_server, page, console_errors):
    AgentFactory(username="sam", agent_profile__display_name="Sam Agent")
    for index in range(18):
        TicketFactory(subject=f"High ticket {index:02}", priority="high")
    TicketFactory(subject="A low one", priority="low")

    page.set_viewport_size({"width": 1280, "height": 700})
    page.clock.install()
    log_in(page, live_server, "sam", "/desk/?priority=high&sort=newest")
    expect(page).to_have_url(re.compile(r"/desk/\?priority=high&sort=newest"))
    rows = page.locator("#queue-table tr.queue-row")
    expect(rows).to_have_count(18)
    snap(page, "queue")

    # The agent picks a row with the keyboard and scrolls down the list.
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bis-selected\b"))
    selected_ref = rows.nth(1).get_attribute("data-ref")
    page.evaluate("window.scrollTo(0, 400)")
    scroll = page.evaluate("window.scrollY")
    assert scroll > 200
    marker = page.evaluate("document.querySelector('#queue-table').dataset.marker = 'old'")
    assert marker == "old"

    # Nothing changed: the poll comes back empty and the table is left alone.
    with page.expect_response(re.compile(r"/desk/changes/")) as quiet:
        page.clock.fast_forward("00:11")
    assert quiet.value.status == 204
    expect(page.locator("#queue-table[data-marker=old]")).to_have_count(1)

    # A customer files two tickets; only the high one belongs in this view.
    customer = CustomerFactory(name="Grace Hopper")
    TicketFactory(customer=customer, subject="Payments page is blank", priority="high")
    TicketFactory(customer=customer, subject="Typo on the pricing page", priority="low")
    with page.expect_response(re.compile(r"/desk/changes/")) as changed:
        page.clock.fast_forward("00:11")
    assert changed.value.status == 200

    new_row = page.locator("tr.queue-row", has_text="Payments page is blank")
    expect(new_row).to_be_visible()
    expect(new_row).to_have_class(re.compile(r"\bis-new\b"))
    expect(page.locator("#queue-table[data-marker=old]")).to_have_count(0)
    expect(rows).to_have_count(19)
    expect(page.get_by_text("Typo on the pricing page")).to_have_count(0)
    expect(page.get_by_text("A low one")).to_have_count(0)

    # The scroll position, the address, the filters and the selection survived the refresh.
    assert abs(page.evaluate("window.scrollY") - scroll) < 5
    expect(page).to_have_url(re.compile(r"/desk/\?priority=high&sort=newest$"))
    page.locator("details.filter-menu", has_text="Priority").locator("summary").click()
    expect(page.get_by_role("checkbox", name="High")).to_be_checked()
    page.keyboard.press("Escape")
    page.locator("h1").click()
    expect(page.locator(f"tr.queue-row[data-ref='{selected_ref}']")).to_have_class(
        re.compile(r"\bis-selected\b")
    )
    page.evaluate("window.scrollTo(0, 0)")
    snap(page, "queue-live")

    # "?" lists the shortcuts; Esc closes the overlay.
    page.keyboard.press("?")
    overlay = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("Next / previous ticket")
    expect(overlay).to_contain_text("Assign to me")
    snap(page, "help")
    page.keyboard.press("Escape")
    expect(overlay).to_be_hidden()

    # Enter opens the selected ticket; "]" goes on to the next one of the queue, and "← Queue"
    # leads back to this view with its filters.
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/desk/tickets/{selected_ref}/$"))
    next_ref = page.evaluate(
        "JSON.parse(sessionStorage.getItem('desk.queue')).refs"
        f"[JSON.parse(sessionStorage.getItem('desk.queue')).refs.indexOf('{selected_ref}') + 1]"
    )
    page.keyboard.press("]")
    expect(page).to_have_url(re.compile(rf"/desk/tickets/{next_ref}/$"))
    expect(page.locator("[data-queue-link]")).to_have_attribute(
        "href", "/desk/?priority=high&sort=newest"
    )

    assert console_errors == []


def test_assign_to_me_from_the_queue_with_the_keyboard(live_server, page, console_errors):
    agent = AgentFactory(username="sam", agent_profile__display_name="Sam Agent")
    ticket = TicketFactory(subject="Nobody owns me")

    log_in(page, live_server, "sam", "/desk/")
    row = page.locator("tr.queue-row", has_text="Nobody owns me")
    expect(row.locator(".cell-assignee")).to_have_text("Unassigned")
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(row.locator(".cell-assignee")).to_have_text("You")
    expect(row).to_have_class(re.compile(r"\bis-selected\b"))
    ticket.refresh_from_db()
    assert ticket.assignee == agent

    assert console_errors == []
