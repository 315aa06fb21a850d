"""Regression tests for what the schema fuzzer (tests/api/test_fuzz.py) and the probes around
it found: each was a 500, an answer outside the one error format, or an answer the OpenAPI
document did not describe."""

import base64

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_the_error_format(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            error = operation["responses"].get("4XX")
            assert error, f"{method.upper()} {path} documents no 4XX"
            ref = error["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Error"
    assert schema["components"]["schemas"]["Error"]["properties"]["error"]["required"] == [
        "code",
        "message",
        "fields",
    ]
    assert "503" in schema["paths"]["/api/v1/ai/query"]["post"]["responses"]


def test_a_nul_byte_in_an_api_url_is_a_json_400(alice):
    response = alice.get("/api/v1/tickets?status=%00")

    assert response["Content-Type"].startswith("application/json")
    assert_error(response, 400, "invalid")


def test_a_nul_byte_in_a_page_url_is_still_the_html_400(client):
    response = client.get("/portal/?q=%00")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_webhook_list_is_documented_as_a_page(schema):
    ok = schema["paths"]["/api/v1/webhooks"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/PaginatedWebhookSubscriptionList"


def test_webhook_patch_documents_secret_as_only_sometimes_there(schema, admin_client):
    operation = schema["paths"]["/api/v1/webhooks/{subscription_id}"]["patch"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ok.rsplit("/", 1)[1]]
    assert "secret" in component["properties"]
    assert "secret" not in component["required"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert "rotate_secret" in schema["components"]["schemas"][body.rsplit("/", 1)[1]]["properties"]

    created = admin_client.post(
        "/api/v1/webhooks",
        {"name": "CRM", "url": "https://crm.example.com/hook", "events": ["ticket.created"]},
        format="json",
    ).json()
    url = f"/api/v1/webhooks/{created['id']}"
    assert "secret" not in admin_client.patch(url, {"name": "CRM 2"}, format="json").json()
    assert admin_client.patch(url, {"rotate_secret": True}, format="json").json()["secret"]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        base64.b64encode(b"p=not-a-date").decode(),
        base64.b64encode(b"o=abc").decode(),
        base64.b64encode(b"r=zz").decode(),
    ],
)
def test_a_garbled_cursor_is_400_on_the_cursor_field(alice, ticket_a, cursor):
    error = assert_error(alice.get("/api/v1/tickets", {"cursor": cursor}), 400, "invalid")

    assert list(error["fields"]) == ["cursor"]


def test_a_real_cursor_still_pages(alice, customer_a):
    from tests.factories import TicketFactory

    for number in range(3):
        TicketFactory(customer=customer_a, subject=f"t{number}")
    first = alice.get("/api/v1/tickets", {"page_size": 2}).json()
    second = alice.get(first["next"]).json()

    assert len(first["results"]) == 2 and len(second["results"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        {"until": "0001-01-01T00:00:00Z"},
        {"since": "0001-01-01T00:00:00Z", "until": "0001-06-01T00:00:00Z"},
        {"since": "9999-12-01T00:00:00Z", "until": "9999-12-31T23:59:59Z"},
    ],
)
def test_dashboard_dates_at_the_ends_of_the_calendar_are_400_not_500(agent_client, query):
    error = assert_error(agent_client.get("/api/v1/agent/dashboard", query), 400, "invalid")

    assert set(error["fields"]) & {"since", "until"}


def test_dashboard_ordinary_range_still_answers(agent_client):
    response = agent_client.get(
        "/api/v1/agent/dashboard",
        {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"},
    )

    assert response.status_code == 200


def test_queue_assignee_id_too_large_for_the_database_is_400(agent_client):
    error = assert_error(
        agent_client.get("/api/v1/agent/tickets", {"assignee": "9" * 25}), 400, "invalid"
    )

    assert list(error["fields"]) == ["assignee"]


def test_queue_assignee_large_but_valid_id_is_an_empty_page(agent_client, ticket_a):
    response = agent_client.get("/api/v1/agent/tickets", {"assignee": "9" * 18})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_nul_byte_in_a_category_slug_is_400_not_a_database_error(alice):
    # PostgreSQL refuses NUL in a query parameter; the lookup must not reach the database.
    response = alice.post(
        "/api/v1/tickets",
        {"subject": "Hi", "description": "There", "category": "bil\x00ling"},
        format="json",
    )

    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["category"]


def test_a_nul_byte_in_patch_slugs_is_400_and_changes_nothing(agent_client, ticket_a):
    url = f"/api/v1/agent/tickets/{ticket_a.reference}"
    response = agent_client.patch(
        url, {"team": "a\x00", "category": "\x00", "priority": "high"}, format="json"
    )

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"team", "category"}
    assert agent_client.get(url).json()["priority"] == ticket_a.priority


def test_a_nul_byte_in_an_article_category_is_400(admin_client):
    response = admin_client.post(
        "/api/v1/articles", {"title": "T", "body": "B", "category": "x\x00"}, format="json"
    )

    assert list(assert_error(response, 400, "invalid")["fields"]) == ["category"]


def test_a_real_category_slug_still_works(alice):
    from tests.factories import CategoryFactory

    CategoryFactory()
    response = alice.post(
        "/api/v1/tickets",
        {"subject": "Hi", "description": "There", "category": "billing"},
        format="json",
    )

    assert response.status_code == 201, response.content


def test_patch_assignee_id_too_large_for_the_database_is_400(agent_client, ticket_a):
    response = agent_client.patch(
        f"/api/v1/agent/tickets/{ticket_a.reference}", {"assignee": 10**25}, format="json"
    )

    assert list(assert_error(response, 400, "invalid")["fields"]) == ["assignee"]


def test_nested_list_item_errors_are_flat_readable_strings():
    from rest_framework.exceptions import ValidationError as DrfValidationError

    from common.exceptions import api_exception_handler

    exc = DrfValidationError(
        {"tags": {0: ["Null characters are not allowed."]}, "url": ["Bad.", "Bad."]}
    )
    response = api_exception_handler(exc, {})
    fields = response.data["error"]["fields"]
    assert fields["tags"] == ["Item 1: Null characters are not allowed."]
    assert fields["url"] == ["Bad."]
