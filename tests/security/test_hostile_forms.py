"""The hostile-input corpus (tests.security.hostile) sent through every form.

For each form: a refused value answers 4xx with a message and writes nothing; an accepted
value is stored as text and every page and email that shows it again carries no executable
markup. Nothing ever answers 5xx.
"""

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from knowledge.models import ArticleVote, CannedResponse
from knowledge.services import article_create
from tests.factories import AgentFactory, CustomerWithAccountFactory, TicketFactory
from tests.security import hostile
from tickets import services
from tickets.models import Attachment, Customer, Status, Ticket, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
STORABLE = [pytest.param(p.value, id=p.name) for p in hostile.STORABLE_TEXT]
REJECTED = [pytest.param(p.value, id=p.name) for p in hostile.REJECTED_TEXT + hostile.EMPTY]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # The corpus files many tickets from one address; rate limits have their own tests.
    settings.RATELIMIT_ENABLE = False
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
    cache.clear()


def counts() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        Customer.objects.count(),
        TicketMessage.objects.count(),
        Attachment.objects.count(),
        TicketEvent.objects.count(),
    )


def ticket_data(**overrides) -> dict:
    data = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "subject": "Cannot download my invoice",
        "description": "The download button does nothing.",
    }
    data.update(overrides)
    return data


def assert_clear_rejection(response) -> None:
    assert 400 <= response.status_code < 500, response.status_code
    text = response.content.decode("utf-8", "replace")
    assert any(
        marker in text
        for marker in ("form-error", "errorlist", "This field", "required", "at most", "not")
    ), text[:500]


def assert_safe(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    hostile.assert_no_xss(response.text, where=path)


# Portal: filing a ticket --------------------------------------------------------------------


@pytest.mark.parametrize("payload", STORABLE)
def test_portal_ticket_with_hostile_text_is_stored_inert_on_every_page_and_email(
    client, payload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/portal/",
            ticket_data(name=payload[:200], subject=payload[:200], description=payload),
        )

    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        # Refused (e.g. a blank subject once stripped): said so, nothing saved.
        assert_clear_rejection(response)
        assert Ticket.objects.count() == 0
        return
    ticket = Ticket.objects.get()
    assert_safe(client, response["Location"])
    assert_safe(client, f"/portal/t/{ticket.public_id}/")
    agent = AgentFactory()
    client.force_login(agent)
    assert_safe(client, reverse("desk:ticket", args=[ticket.reference]))
    assert_safe(client, reverse("desk:queue"))
    assert_safe(client, reverse("desk:queue") + "?q=" + payload[:100].replace("&", "%26"))
    # The confirmation email went out, with an HTML part, and carries nothing executable.
    assert any(hostile.email_parts(message)[1] for message in mail.outbox)
    hostile.assert_no_xss_in_emails(mail.outbox)


@pytest.mark.parametrize("field", ["name", "subject", "description"])
@pytest.mark.parametrize("payload", REJECTED)
def test_portal_ticket_refuses_nul_huge_and_empty_fields_and_saves_nothing(client, field, payload):
    before = counts()

    response = client.post("/portal/", ticket_data(**{field: payload}))

    assert_clear_rejection(response)
    assert counts() == before
    hostile.assert_no_xss(response.text)


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@b", "<script>@x.com", "a@example.com\r\nBcc: x@y"]
)
def test_portal_ticket_refuses_invalid_emails(client, email):
    before = counts()

    response = client.post("/portal/", ticket_data(email=email))

    assert_clear_rejection(response)
    assert counts() == before


@pytest.mark.parametrize("upload", hostile.spoofed_uploads(), ids=lambda upload: upload.name)
def test_portal_ticket_refuses_spoofed_attachment_types_and_saves_nothing(client, upload):
    upload.seek(0)
    before = counts()

    response = client.post("/portal/", {**ticket_data(), "attachments": [upload]})

    assert response.status_code == 400
    assert "cannot be attached" in response.text
    assert counts() == before


def test_portal_ticket_refuses_an_oversized_file_and_saves_nothing(client, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    before = counts()

    response = client.post(
        "/portal/", {**ticket_data(), "attachments": [hostile.oversized_upload(1024)]}
    )

    assert response.status_code == 400
    assert "larger than" in response.text
    assert counts() == before


def test_a_body_past_the_upload_limit_is_a_400_not_a_500(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    before = counts()

    response = client.post("/portal/", ticket_data(description="x" * 5000))

    assert response.status_code == 400
    assert counts() == before


@pytest.mark.parametrize("category", hostile.INVALID_ENUMS)
def test_portal_ticket_refuses_invalid_categories(client, category):
    if category == "":
        pytest.skip("no category is a valid choice")
    before = counts()

    response = client.post("/portal/", ticket_data(category=category))

    assert_clear_rejection(response)
    assert counts() == before


def test_portal_ticket_with_invalid_utf8_never_fails(client):
    body = hostile.invalid_utf8_form_body(
        name="Ada", email="ada%40example.com", subject="Invoice", description="Broken"
    )

    response = client.generic(
        "POST", "/portal/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code in (302, 400)
    if response.status_code == 302:
        ticket = Ticket.objects.get()
        assert "\ufffd" in ticket.subject  # decoded with replacement characters, not raw bytes


# Portal: replying ---------------------------------------------------------------------------


@pytest.fixture
def portal_ticket(db):
    customer = CustomerWithAccountFactory()
    return TicketFactory(customer=customer)


@pytest.mark.parametrize("payload", STORABLE)
def test_portal_reply_with_hostile_text_is_inert_for_customer_and_agent(
    client, portal_ticket, payload, django_capture_on_commit_callbacks
):
    url = f"/portal/t/{portal_ticket.public_id}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "reply/", {"body": payload})

    assert response.status_code in (200, 302)
    assert_safe(client, url)
    client.force_login(AgentFactory())
    assert_safe(client, reverse("desk:ticket", args=[portal_ticket.reference]))
    hostile.assert_no_xss_in_emails(mail.outbox)


@pytest.mark.parametrize("payload", REJECTED)
def test_portal_reply_refuses_nul_huge_and_empty_bodies(client, portal_ticket, payload):
    before = counts()

    response = client.post(f"/portal/t/{portal_ticket.public_id}/reply/", {"body": payload})

    assert_clear_rejection(response)
    assert counts() == before


def test_portal_reply_refuses_spoofed_attachments(client, portal_ticket):
    before = counts()
    uploads = hostile.spoofed_uploads()[:3]

    response = client.post(
        f"/portal/t/{portal_ticket.public_id}/reply/",
        {"body": "Here are the files", "attachments": uploads},
    )

    assert response.status_code == 400
    assert "cannot be attached" in response.text
    assert counts() == before


# Desk: reply, note, tags, enums -------------------------------------------------------------


@pytest.fixture
def desk(client, portal_ticket):
    agent = AgentFactory()
    client.force_login(agent)
    return client


@pytest.mark.parametrize("payload", STORABLE)
def test_desk_reply_and_note_with_hostile_text_are_inert_and_the_note_stays_internal(
    desk, portal_ticket, payload, django_capture_on_commit_callbacks
):
    reference = portal_ticket.reference
    note = f"INTERNAL-NOTE {payload}"
    with django_capture_on_commit_callbacks(execute=True):
        reply = desk.post(reverse("desk:ticket_reply", args=[reference]), {"body": payload})
        noted = desk.post(reverse("desk:ticket_note", args=[reference]), {"body": note}, **HTMX)

    assert reply.status_code in (200, 302)
    assert noted.status_code == 200
    assert any(portal_ticket.customer.email in message.to for message in mail.outbox)
    assert_safe(desk, reverse("desk:ticket", args=[reference]))
    hostile.assert_no_xss(noted.content.decode(), where="note partial")
    hostile.assert_no_xss_in_emails(mail.outbox)
    # The internal note never reaches the customer: not on the page, not by email.
    desk.logout()
    portal_page = desk.get(f"/portal/t/{portal_ticket.public_id}/").text
    assert "INTERNAL-NOTE" not in portal_page
    customer_email = portal_ticket.customer.email
    for message in mail.outbox:
        if customer_email in message.to:
            text, html_parts = hostile.email_parts(message)
            assert "INTERNAL-NOTE" not in text + "".join(html_parts)


@pytest.mark.parametrize("action", ["ticket_reply", "ticket_note"])
@pytest.mark.parametrize("payload", REJECTED)
def test_desk_reply_and_note_refuse_nul_huge_and_empty_bodies(desk, portal_ticket, action, payload):
    before = counts()

    response = desk.post(
        reverse(f"desk:{action}", args=[portal_ticket.reference]), {"body": payload}, **HTMX
    )

    assert 400 <= response.status_code < 500
    assert counts() == before


@pytest.mark.parametrize("payload", STORABLE)
def test_desk_tags_with_hostile_text_are_refused_or_stored_inert(desk, portal_ticket, payload):
    response = desk.post(
        reverse("desk:ticket_tags", args=[portal_ticket.reference]), {"tags": payload}, **HTMX
    )

    assert response.status_code in (200, 400), response.status_code
    hostile.assert_no_xss(response.content.decode(), where="tags partial")
    assert_safe(desk, reverse("desk:ticket", args=[portal_ticket.reference]))
    assert_safe(desk, reverse("desk:queue"))
    for tag in portal_ticket.tags.values_list("name", flat=True):
        assert_safe(desk, reverse("desk:queue") + "?tag=" + tag[:50].replace("&", "%26"))


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ("ticket_status", "status"),
        ("ticket_priority", "priority"),
        ("ticket_team", "team"),
        ("ticket_category", "category"),
        ("ticket_assign", "assignee"),
    ],
)
@pytest.mark.parametrize("value", hostile.INVALID_ENUMS)
def test_desk_actions_refuse_invalid_enum_values_and_change_nothing(
    desk, portal_ticket, action, field, value
):
    if value == "" and field in {"team", "category", "assignee"}:
        pytest.skip("empty clears the field: a valid choice")
    before = (counts(), Ticket.objects.values().get(pk=portal_ticket.pk))

    response = desk.post(
        reverse(f"desk:{action}", args=[portal_ticket.reference]), {field: value}, **HTMX
    )

    assert 400 <= response.status_code < 500, response.status_code
    assert (counts(), Ticket.objects.values().get(pk=portal_ticket.pk)) == before
    hostile.assert_no_xss(response.content.decode(), where=action)


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "priority=<script>alert(1)</script>",
        "sort=' OR 1=1 --",
        "page=-1",
        "page=99999999999999999999",
        "assignee=" + "9" * 40,
        "tag=" + "x" * 500,
        "q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        hostile.INVALID_UTF8_QUERY,
        "q=%00%01%1b",
    ],
)
def test_desk_queue_survives_hostile_filters(desk, query):
    response = desk.get(reverse("desk:queue") + "?" + query)

    assert response.status_code in (200, 400), response.status_code
    hostile.assert_no_xss(response.content.decode("utf-8", "replace"))


def test_desk_status_change_with_a_hostile_reason_is_inert(desk, portal_ticket):
    payload = hostile.XSS[0].value
    services.ticket_transition(
        ticket=portal_ticket, to_status=Status.IN_PROGRESS, actor=AgentFactory()
    )

    response = desk.post(
        reverse("desk:ticket_status", args=[portal_ticket.reference]),
        {"status": Status.WAITING_CUSTOMER, "reason": payload},
        **HTMX,
    )

    assert response.status_code in (200, 400)
    assert_safe(desk, reverse("desk:ticket", args=[portal_ticket.reference]))


# Canned responses ---------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [pytest.param(p.value, id=p.name) for p in hostile.XSS])
def test_canned_insert_returns_json_text_never_markup_to_run(desk, payload):
    customer = CustomerWithAccountFactory(name=payload[:200])
    ticket = TicketFactory(customer=customer, subject=payload[:200])
    canned = CannedResponse.objects.create(
        name=f"Hostile {hash(payload)}",
        slug=f"hostile-{abs(hash(payload))}",
        content=f"Hello {{{{ customer.name }}}}, {payload}",
    )

    response = desk.post(reverse("desk:canned_insert", args=[ticket.reference, canned.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    search = desk.get(
        reverse("desk:canned_search", args=[ticket.reference]) + "?q=" + "Hostile", **HTMX
    )
    assert search.status_code == 200
    hostile.assert_no_xss(search.content.decode(), where="canned search")


def test_canned_insert_of_a_missing_or_foreign_response_is_404(desk, portal_ticket):
    response = desk.post(reverse("desk:canned_insert", args=[portal_ticket.reference, 999999]))

    assert response.status_code == 404


# Knowledge base: search and votes -----------------------------------------------------------


@pytest.mark.parametrize("payload", STORABLE + REJECTED)
def test_kb_search_reflects_hostile_queries_inert(client, payload):
    response = client.get("/kb/search/", {"q": payload[:5000]})

    assert response.status_code in (200, 400), response.status_code
    hostile.assert_no_xss(response.content.decode())


def test_kb_search_with_invalid_utf8_and_control_characters(client):
    for query in (hostile.INVALID_UTF8_QUERY, "q=%00", "q=%1b%5b31m", "q=" + "%ff" * 3000):
        response = client.get("/kb/search/?" + query)
        assert response.status_code in (200, 400), (query, response.status_code)


@pytest.fixture
def article(db):
    return article_create(
        title="Reset your password", body="Use the **Forgot password** link.", published=True
    )


@pytest.mark.parametrize("value", ["yes", "no", *hostile.INVALID_ENUMS])
def test_kb_votes_with_any_value_never_fail_and_count_once(client, article, value):
    response = client.post(f"/kb/{article.slug}/vote/", {"helpful": value}, **HTMX)
    again = client.post(f"/kb/{article.slug}/vote/", {"helpful": value}, **HTMX)

    assert response.status_code == 200 and again.status_code == 200
    assert ArticleVote.objects.filter(article=article).count() == 1


def test_kb_vote_on_a_missing_article_is_404(client):
    assert client.post("/kb/no-such-article/vote/", {"helpful": "yes"}).status_code == 404


# Login --------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", STORABLE + REJECTED)
def test_login_with_hostile_usernames_is_refused_inert(client, payload):
    response = client.post("/login/", {"username": payload, "password": payload})

    assert 400 <= response.status_code < 500
    hostile.assert_no_xss(response.content.decode())
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "next_url",
    ["javascript:alert(1)", "https://evil.example/", "//evil.example/", "/\\evil.example"],
)
def test_login_never_redirects_off_site(client, next_url):
    user = CustomerWithAccountFactory().user
    user.set_password("correct horse battery")
    user.save()

    page = client.get("/login/", {"next": next_url})
    response = client.post(
        "/login/",
        {"username": user.username, "password": "correct horse battery", "next": next_url},
    )

    hostile.assert_no_xss(page.content.decode())
    assert response.status_code == 302
    assert response["Location"].startswith("/")
    assert not response["Location"].startswith(("//", "/\\"))


# Paths and query strings --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/portal/t/%ff%fe/",
        "/portal/t/%00/",
        "/portal/submitted/%3Cscript%3E/",
        "/kb/%ff/",
        "/kb/category/%3Cscript%3E/",
        "/desk/tickets/%ff%fe/",
        "/portal/?" + hostile.INVALID_UTF8_QUERY,
        "/portal/suggestions/?subject=%ff%fe&category=%00",
        "/login/?next=%ff%fe",
    ],
)
def test_hostile_paths_answer_4xx_or_a_page_never_5xx(desk, path):
    response = desk.get(path)

    assert response.status_code < 500, (path, response.status_code)
    hostile.assert_no_xss(response.content.decode("utf-8", "replace"))


@pytest.mark.parametrize(
    "path",
    [
        "/portal/t/%00/",
        "/portal/t/abc%00def/reply/",
        "/desk/tickets/TKT-1%00/",
        "/kb/%00/",
        "/api/v1/tickets/%00",
        "/kb/search/?q=a%00b",
        "/desk/?tag=%00",
    ],
)
def test_a_nul_byte_anywhere_in_the_url_is_a_clear_400(desk, path):
    # PostgreSQL cannot store or compare text with NUL: refused before any view looks it up.
    response = desk.get(path)

    assert response.status_code == 400
    assert "contains a character no page accepts" in response.text


def test_desk_reply_refuses_spoofed_and_oversized_attachments(desk, portal_ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    before = counts()
    url = reverse("desk:ticket_reply", args=[portal_ticket.reference])

    spoofed = desk.post(url, {"body": "Files", "files": hostile.spoofed_uploads()[:2]}, **HTMX)
    oversized = desk.post(url, {"body": "Files", "files": [hostile.oversized_upload(1024)]}, **HTMX)

    assert spoofed.status_code == 400 and "cannot be attached" in spoofed.text
    assert oversized.status_code == 400 and "larger than" in oversized.text
    assert counts() == before


def test_an_accepted_file_with_hostile_content_is_only_ever_downloaded(client):
    # A text file may hold markup (a pasted page source): accepted as text, but served as a
    # plain-text download the browser may not sniff or render. (HTML bytes named .png are
    # refused: tests/tickets/test_attachment_types.py.)
    disguised = SimpleUploadedFile("page.txt", b"<script>alert('xss-file')</script>", "text/html")

    response = client.post("/portal/", {**ticket_data(), "attachments": [disguised]})

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    attachment = Attachment.objects.get()
    download = client.get(f"/portal/t/{ticket.public_id}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/plain")
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
