"""Property-based fuzzing of /api/v1/ from its own OpenAPI document (schemathesis).

For every operation in the document, requests are generated from the schema (valid ones, and
invalid ones that should be refused) and sent in-process through the WSGI application as each
kind of caller: anonymous, a customer, an agent and an administrator, each with a real API
token. A few real rows exist, and path parameters are sometimes theirs, so detail endpoints
hit real tickets, articles and subscriptions as well as made-up ones.

Every answer must be:
- never a server error (5xx), except the documented 503 of the AI proxy when AI is off;
- a 4xx in the one error format `{"error": {"code", "message", "fields"}}`;
- what the document promises: documented status code, content type and body schema.

Bounded and deterministic for CI: a handful of examples per operation and mode, derandomized
(the same requests every run), no example database. Findings are fixed in the API and each
gets a plain regression test (tests/api/test_fuzz_findings.py).
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.tokens import api_token_create
from knowledge import services as knowledge_services
from tests.factories import AgentFactory, CustomerWithAccountFactory, TicketFactory, UserFactory
from webhooks.api import webhook_subscription_create

ROLES = ("anonymous", "customer", "agent", "admin")
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The one documented 5xx: the AI proxy with AI switched off (docs/api.md, "Errors").
ALLOWED_5XX = {("POST", "/api/v1/ai/query"): {503: "ai_unavailable"}}


@pytest.fixture
def world(db, settings):
    """A few real rows to aim at, one token per role, and throttles out of the way."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.API_THROTTLE_RATES = {
        "user": "100000/hour",
        "ip": "100000/hour",
        "ticket_create": "100000/hour",
        "ai": "100000/hour",
    }
    settings.AI_BASE_URL = ""
    cache.clear()
    customer = CustomerWithAccountFactory(email="fuzz-customer@example.org")
    other = CustomerWithAccountFactory(email="fuzz-other@example.org")
    agent = AgentFactory()
    admin = UserFactory(username="fuzz-admin", is_staff=True, is_superuser=True)
    own = TicketFactory(customer=customer, subject="My printer")
    theirs = TicketFactory(customer=other, subject="Someone else's printer")
    article = knowledge_services.article_create(
        title="Reset your password", body="Use the link.", published=True
    )
    draft = knowledge_services.article_create(title="Draft", body="Not yet.")
    hook = webhook_subscription_create(
        owner=admin, name="CRM", url="https://crm.example.com/hook", events=["ticket.created"]
    )
    headers = {"anonymous": {}}
    for role, user in (("customer", customer.user), ("agent", agent), ("admin", admin)):
        _, key = api_token_create(user=user, name="fuzz")
        headers[role] = {"Authorization": f"Bearer {key}"}
    real_paths = {
        "public_id": [str(own.public_id), str(theirs.public_id)],
        "reference": [own.reference, theirs.reference],
        "slug": [article.slug, draft.slug],
        "subscription_id": [hook.pk],
    }
    return {"headers": headers, "real_paths": real_paths}


@pytest.fixture
def wsgi_app():
    """The real WSGI application, in-process. Django closes the database connection after
    each request (request_started/finished); inside a test's transaction that would drop it,
    so, like Django's test client, keep it open while the fuzzer runs."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _strategy(operation, mode: GenerationMode, real_paths: dict):
    """Generated cases, plus the same with path parameters set to real rows."""
    strategies = [operation.as_strategy(generation_mode=mode)]
    names = [p.name for p in operation.path_parameters]
    if names and all(name in real_paths for name in names):
        for values in zip(*(real_paths[name] for name in names), strict=False):
            strategies.append(
                operation.as_strategy(
                    generation_mode=mode, path_parameters=dict(zip(names, values, strict=True))
                )
            )
    return st.one_of(strategies)


def assert_error_format(response, label: str) -> dict:
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{label}: {response.status_code} is not JSON") from None
    assert isinstance(body, dict) and set(body) == {"error"}, f"{label}: {body}"
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "fields"}, label
    assert isinstance(error["code"], str) and error["code"], label
    assert isinstance(error["message"], str) and error["message"], label
    assert isinstance(error["fields"], dict), label
    return error


def _fuzz_operation(operation, mode: GenerationMode, headers: dict, real_paths: dict) -> None:
    label = f"{operation.label} [{mode.value}]"

    @hypothesis_settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=_strategy(operation, mode, real_paths))
    def run(case):
        cache.clear()
        case.headers = {**(case.headers or {}), **headers}
        response = case.call()
        status = response.status_code
        allowed = ALLOWED_5XX.get((operation.method.upper(), operation.path), {})
        if status in allowed:
            assert assert_error_format(response, label)["code"] == allowed[status]
            return
        checks = CHECKS
        if mode is GenerationMode.NEGATIVE:
            # Invalid requests are judged by our own rules (no 5xx, the error format); whether
            # the document "should" have refused a given mutation is schemathesis' guess.
            checks = [not_a_server_error, content_type_conformance]
        case.validate_response(response, checks=checks, headers=case.headers)
        if 400 <= status < 500:
            assert_error_format(response, label)

    run()


@pytest.mark.parametrize("role", ROLES)
def test_api_survives_fuzzing(role, world, wsgi_app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    findings = []
    for operation in operations:
        for mode in EXAMPLES:
            try:
                _fuzz_operation(operation, mode, world["headers"][role], world["real_paths"])
            except Exception as exc:  # noqa: BLE001 - collected, reported all at once below
                findings.append(f"{operation.label} [{mode.value}] as {role}:\n{exc}"[:3000])
    assert not findings, "\n\n".join(findings)
