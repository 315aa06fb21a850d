"""The access matrix: every URL the project serves, for every role, with the answer expected.

The URL list is read from the resolver, so a new page that is not in MATRIX fails
`test_every_url_is_in_the_matrix` with its name: add it with the outcome each role should get.
Each URL is requested once per role, inside a savepoint rolled back afterwards, so one role's
POST (a claim, a revoke) never changes what the next role sees.

Outcomes: a status code, or LOGIN for a redirect to the login page. POST-only endpoints are
posted with an empty body: the permission check must answer before validation does, and an
allowed role then gets its clear 4xx (or the action's redirect).
"""

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.security.access import INTERNAL_NOTE, ROLES, build_world, url_patterns
from tickets import services

pytestmark = pytest.mark.django_db

LOGIN = "login"
GET, POST = "GET", "POST"

# Role order: anonymous, customer A, customer B, agent, team lead, admin (superuser).
PUBLIC = (200,) * 6
DESK = (LOGIN, 403, 403, 200, 200, 200)

MATRIX: dict[str, tuple] = {
    # Site --------------------------------------------------------------------------------
    "home": (GET, 302, 302, 302, 302, 302, 302),
    "healthz": (GET, *PUBLIC),
    "login": (GET, *PUBLIC),
    "logout": (POST, 302, 302, 302, 302, 302, 302),
    # The admin's login form (rate limited like /login/); a logged-in admin goes on to it.
    "admin/login/": (GET, 200, 200, 200, 200, 200, 302),
    # Inbound email needs the mail provider's secret, whoever is logged in.
    "inbound-email": (POST, 403, 403, 403, 403, 403, 403),
    # Portal: the unguessable link is the key to a ticket, so anyone holding it gets in ------
    "portal:home": (GET, *PUBLIC),
    # Only the browser session that filed the ticket sees its confirmation page.
    "portal:submitted": (GET, 404, 404, 404, 404, 404, 404),
    "portal:submitted_check_email": (GET, 404, 404, 404, 404, 404, 404),
    "portal:suggestions": (GET, *PUBLIC),
    "portal:suggestion_helpful": (POST, 302, 302, 302, 302, 302, 302),
    "portal:my_tickets": (GET, LOGIN, 200, 200, 200, 200, 200),
    "portal:api_tokens": (GET, LOGIN, 200, 200, 403, 403, 403),
    # Customer A's token: B cannot even tell it exists.
    "portal:api_token_revoke": (POST, LOGIN, 302, 404, 403, 403, 403),
    "portal:survey": (GET, *PUBLIC),
    "portal:ticket": (GET, *PUBLIC),
    "portal:reply": (POST, 400, 400, 400, 400, 400, 400),
    # The message is an agent reply, not an auto-answer: nothing to mark for anyone.
    "portal:auto_answer_not_helpful": (POST, 404, 404, 404, 404, 404, 404),
    "portal:attachment": (GET, *PUBLIC),
    # Knowledge base ------------------------------------------------------------------------
    "kb:home": (GET, *PUBLIC),
    "kb:search": (GET, *PUBLIC),
    "kb:category": (GET, *PUBLIC),
    "kb:article": (GET, *PUBLIC),
    "kb:vote": (POST, *PUBLIC),
    # Desk: agents only (customers 403, visitors to the login page) --------------------------
    "notifications:list": (GET, *DESK),
    "notifications:bell": (GET, *DESK),
    # The admin has no agent profile, so no availability status to set.
    "notifications:agent_status": (POST, LOGIN, 403, 403, 400, 400, 403),
    "notifications:read_all": (POST, LOGIN, 403, 403, 302, 302, 302),
    "notifications:read": (POST, LOGIN, 403, 403, 404, 404, 404),
    # SLA reports: team leads and admins only.
    "sla:reports": (GET, LOGIN, 403, 403, 403, 200, 200),
    "sla:report": (GET, LOGIN, 403, 403, 403, 404, 404),
    "desk:queue": (GET, *DESK),
    "desk:queue_changes": (GET, *DESK),
    "desk:ticket_presence": (POST, *DESK),
    "desk:ticket": (GET, *DESK),
    # HTMX fragments of the ticket page: a plain GET is sent on to the page itself.
    "desk:ticket_conversation": (GET, LOGIN, 403, 403, 302, 302, 302),
    "desk:ticket_activity": (GET, LOGIN, 403, 403, 302, 302, 302),
    "desk:ticket_reply": (POST, LOGIN, 403, 403, 400, 400, 400),
    "desk:ticket_note": (POST, LOGIN, 403, 403, 400, 400, 400),
    "desk:ticket_claim": (POST, LOGIN, 403, 403, 302, 302, 302),
    "desk:ticket_assign": (POST, LOGIN, 403, 403, 302, 302, 302),
    "desk:ticket_team": (POST, LOGIN, 403, 403, 302, 302, 302),
    "desk:ticket_status": (POST, LOGIN, 403, 403, 400, 400, 400),
    "desk:ticket_priority": (POST, LOGIN, 403, 403, 400, 400, 400),
    "desk:ticket_category": (POST, LOGIN, 403, 403, 302, 302, 302),
    "desk:ticket_tags": (POST, LOGIN, 403, 403, 302, 302, 302),
    "desk:ticket_escalate": (POST, LOGIN, 403, 403, 400, 400, 400),
    "desk:ticket_resolve": (POST, LOGIN, 403, 403, 400, 400, 400),
    "desk:ticket_merge": (POST, LOGIN, 403, 403, 400, 400, 400),
    "desk:ticket_acknowledge": (POST, LOGIN, 403, 403, 302, 302, 302),
    "desk:canned_search": (GET, *DESK),
    "desk:canned_insert": (GET, *DESK),
    "desk:ticket_suggest": (POST, *DESK),
    "desk:ticket_suggestion": (GET, LOGIN, 403, 403, 404, 404, 404),
    "desk:ticket_suggestion_used": (POST, LOGIN, 403, 403, 404, 404, 404),
    "desk:organization": (GET, *DESK),
    "desk:approvals": (GET, *DESK),
    "desk:approval_approve": (POST, LOGIN, 403, 403, 404, 404, 404),
    "desk:approval_edit": (POST, LOGIN, 403, 403, 404, 404, 404),
    "desk:approval_reject": (POST, LOGIN, 403, 403, 404, 404, 404),
    "desk:api_tokens": (GET, *DESK),
    # The agent's own token: another agent, even a lead or the admin, gets a 404.
    "desk:api_token_revoke": (POST, LOGIN, 403, 403, 302, 404, 404),
    "desk:attachment": (GET, *DESK),
    "desk:analytics": (GET, *DESK),
    "desk:analytics_daily": (GET, *DESK),
    "desk:analytics_daily_csv": (GET, *DESK),
    # API v1 (session authentication here; bearer tokens have their own tests) ---------------
    "api:tickets": (GET, 401, 200, 200, 403, 403, 403),
    # Customer B asking for A's ticket learns nothing: 404, not 403.
    "api:ticket": (GET, 401, 200, 404, 403, 403, 403),
    "api:ticket_messages": (POST, 401, 400, 404, 403, 403, 403),
    "api:agent_tickets": (GET, 401, 403, 403, 200, 200, 200),
    "api:agent_dashboard": (GET, 401, 403, 403, 200, 200, 200),
    "api:agent_ticket": (GET, 401, 403, 403, 200, 200, 200),
    "api:agent_ticket_messages": (POST, 401, 403, 403, 400, 400, 400),
    "api:agent_ticket_escalate": (POST, 401, 403, 403, 400, 400, 400),
    "api:articles": (GET, *PUBLIC),
    "api:article": (GET, *PUBLIC),
    "api:ai_query": (POST, 401, 403, 403, 400, 400, 400),
    "api:webhooks": (GET, 401, 403, 403, 403, 403, 200),
    "api:webhook": (GET, 401, 403, 403, 403, 403, 404),
    "api:schema": (GET, *PUBLIC),
    "api:docs": (GET, *PUBLIC),
    "api/v1/^.*$": (GET, 404, 404, 404, 404, 404, 404),
    "^api/": (GET, 404, 404, 404, 404, 404, 404),
}

PATTERNS = {key: (route, names) for key, route, names in url_patterns()}


def test_every_url_is_in_the_matrix():
    missing = sorted(set(PATTERNS) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(PATTERNS))

    assert not missing, f"URLs with no access expectations, add them to MATRIX: {missing}"
    assert not stale, f"MATRIX lists URLs that no longer exist: {stale}"


def resolve_path(world, key: str) -> str:
    route, names = PATTERNS[key]
    if ":" in key or not route.startswith(("admin/", "api/", "^")):
        return reverse(key, kwargs=world.kwargs(key, names))
    # Unnamed routes: the admin login and the API's catch-all 404s.
    return "/" + route.replace("^", "").replace(".*$", "no-such-endpoint").replace("$", "")


def outcome(response) -> int | str:
    if response.status_code == 302 and "/login/" in response.get("Location", ""):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("key", sorted(MATRIX))
def test_each_role_gets_the_expected_answer(key, settings):
    if key not in PATTERNS:
        pytest.skip("not served (reported by test_every_url_is_in_the_matrix)")
    settings.RATELIMIT_ENABLE = False
    method, *expected = MATRIX[key]
    world = build_world()
    path = resolve_path(world, key)

    got = {}
    for role in ROLES:
        client = Client()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        savepoint = transaction.savepoint_create()
        try:
            response = client.post(path, {}) if method == POST else client.get(path)
            got[role] = outcome(response)
            if response.status_code < 300 and response.get("Content-Type", "").startswith(
                ("text/html", "application/json")
            ):
                # Whatever page or payload a role gets, an internal note is never in it
                # unless the role is staff.
                body = response.content.decode("utf-8", "replace")
                if role in ("anonymous", "customer_a", "customer_b"):
                    assert INTERNAL_NOTE not in body, f"{key} shows an internal note to {role}"
        finally:
            transaction.savepoint_rollback(savepoint)

    assert got == dict(zip(ROLES, expected, strict=True)), f"{method} {path}"


# Internal notes and other customers' tickets -------------------------------------------------


def login(world, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def test_internal_notes_show_on_the_desk_but_never_on_customer_pages_or_api(settings):
    world = build_world()
    public_id = world.ticket_a.public_id

    desk_page = login(world, "agent").get(reverse("desk:ticket", args=[world.ticket_a.reference]))
    assert INTERNAL_NOTE in desk_page.text
    for role in ("customer_a", "customer_b"):
        client = login(world, role)
        assert INTERNAL_NOTE not in client.get(f"/portal/t/{public_id}/").text
        assert INTERNAL_NOTE not in client.get("/portal/tickets/").text
        for path in (f"/api/v1/tickets/{public_id}", "/api/v1/tickets"):
            assert INTERNAL_NOTE not in client.get(path).content.decode()
    assert INTERNAL_NOTE not in Client().get(f"/portal/t/{public_id}/").text


def test_internal_notes_are_never_emailed_to_the_customer(django_capture_on_commit_callbacks):
    world = build_world()
    agent = world.users["agent"]
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_add_note(ticket=world.ticket_a, actor=agent, body=f"{INTERNAL_NOTE} #2")
        services.ticket_reply(ticket=world.ticket_a, actor=agent, body="Public answer")

    to_customer = [m for m in mail.outbox if world.ticket_a.customer.email in m.to]
    assert to_customer, "the public reply is emailed"
    for message in to_customer:
        bodies = [message.body] + [content for content, _ in getattr(message, "alternatives", [])]
        assert all(INTERNAL_NOTE not in body for body in bodies)


def test_customer_b_never_sees_customer_a_tickets_in_lists():
    world = build_world()
    client = login(world, "customer_b")

    my_tickets = client.get("/portal/tickets/").text
    api_list = client.get("/api/v1/tickets").content.decode()

    assert world.ticket_b.public_id in my_tickets
    assert world.ticket_a.public_id not in my_tickets
    assert world.ticket_a.subject not in my_tickets or world.ticket_a.subject == (
        world.ticket_b.subject
    )
    assert world.ticket_a.public_id not in api_list


def test_customer_b_cannot_reach_a_attachment_through_their_own_ticket_link():
    world = build_world()
    attachment_id = world.values["*"]["attachment_id"]
    client = login(world, "customer_b")

    response = client.get(f"/portal/t/{world.ticket_b.public_id}/attachments/{attachment_id}/")

    assert response.status_code == 404
