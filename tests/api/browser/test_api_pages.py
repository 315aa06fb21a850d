"""In a real browser: an agent creates an API token on the desk page (shown once), and the
API docs page renders Swagger UI from our static files under the nonce CSP, with no request
leaving the site."""

import os
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from api.models import ApiToken
from tests.factories import AgentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("API_SCREENSHOT_DIR", "")


def shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def test_agent_creates_a_token_and_reads_the_docs(live_server, page, console_errors):
    agent = AgentFactory(username="riley")
    origins = set()
    page.on("request", lambda request: origins.add(urlsplit(request.url).netloc))

    page.goto(f"{live_server.url}/login/?next=/desk/api-tokens/")
    page.get_by_label("Username or email").fill(agent.username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()

    page.get_by_label("Name").fill("CRM sync")
    page.get_by_role("button", name="Create token").click()
    key = page.get_by_test_id("new-token").inner_text()
    token = ApiToken.objects.get(user=agent)
    assert key.startswith(token.prefix)
    expect(page.get_by_role("cell", name="CRM sync")).to_be_visible()
    shot(page, "api-tokens-created.png")

    page.reload()  # the key is never shown again
    expect(page.get_by_test_id("new-token")).to_have_count(0)

    page.goto(f"{live_server.url}/api/v1/schema/docs/")
    expect(page.get_by_text("Helpdesk API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/agent/tickets/{reference}/escalate")).to_be_visible()
    shot(page, "api-docs.png")

    assert origins == {urlsplit(live_server.url).netloc}
    assert console_errors == []
    assert re.match(r"^hd_", key)
