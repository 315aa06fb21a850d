"""The world the access matrix runs in: six roles and one object of each kind to point URLs at.

Customer A owns ticket A (with a public reply, an internal note and an attachment) and belongs
to organization A; customer B owns ticket B. URLs are filled from `World.kwargs`, so a URL
with a new argument name fails loudly until its value is added here.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.factories import (
    AgentFactory,
    CustomerWithAccountFactory,
    OrganizationFactory,
    TicketFactory,
    UserFactory,
)
from tickets import services
from tickets.services.attachments import store_attachments

ROLES = ("anonymous", "customer_a", "customer_b", "agent", "lead", "admin")
MISSING = 999_999
INTERNAL_NOTE = "INTERNAL-ONLY: refund approved by finance, do not tell the customer yet"

# Admin internals (the model admin pages) have Django's own permission checks and tests.
EXCLUDED_NAMESPACES = {"admin"}


def url_patterns() -> list[tuple[str, str, list[str]]]:
    """Every URL the project serves: (key, route, argument names). The key is the URL's
    namespaced name, or its route when it has none."""
    found = []

    def walk(patterns, prefix: str, namespace: str | None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in EXCLUDED_NAMESPACES:
                    continue
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                key = route
                if pattern.name:
                    key = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.append((key, route, list(pattern.pattern.converters)))

    walk(get_resolver().url_patterns, "", None)
    return found


@dataclass
class World:
    users: dict
    ticket_a: object
    ticket_b: object
    values: dict = field(default_factory=dict)

    def kwargs(self, key: str, names: list[str]) -> dict:
        per_url = self.values.get(key, {})
        found = {name: per_url.get(name, self.values["*"].get(name)) for name in names}
        missing = [name for name, value in found.items() if value is None]
        assert not missing, (
            f"{key}: no value for URL argument(s) {missing}; add one to build_world() "
            "in tests/security/access.py"
        )
        return found


def build_world() -> World:
    from knowledge.models import CannedResponse
    from knowledge.services import article_create
    from tickets.models import Category

    agent = AgentFactory()
    lead = AgentFactory(agent_profile__seniority="team_lead")
    admin = UserFactory(is_staff=True, is_superuser=True)
    organization_a = OrganizationFactory()
    customer_a = CustomerWithAccountFactory(organization=organization_a)
    customer_b = CustomerWithAccountFactory()
    ticket_a = TicketFactory(customer=customer_a)
    ticket_b = TicketFactory(customer=customer_b)

    reply = services.ticket_reply(ticket=ticket_a, actor=agent, body="Here is the fix.")
    attachment = store_attachments(
        message=reply, files=[SimpleUploadedFile("fix.txt", b"steps", "text/plain")]
    )[0]
    services.ticket_add_note(ticket=ticket_a, actor=agent, body=INTERNAL_NOTE)
    category = Category.objects.create(slug="access-billing", name="Billing", prefix="ACB")
    article = article_create(
        title="Reset your password", body="Use the link.", published=True, category=category
    )
    canned = CannedResponse.objects.create(name="Thanks", slug="thanks", content="Thanks!")

    survey_token = _survey_token(ticket_a)
    token_a = _api_token(customer_a.user)
    token_agent = _api_token(agent)

    values = {
        "*": {
            "reference": ticket_a.reference,
            "public_id": ticket_a.public_id,
            "attachment_id": attachment.pk,
            "message_id": reply.pk,
            "article_id": article.pk,
            "slug": article.slug,
            "notification_id": MISSING,
            "organization_id": organization_a.pk,
            "token": survey_token,
            "pk": MISSING,
            "subscription_id": MISSING,
        },
        "kb:category": {"slug": category.slug},
        "desk:canned_insert": {"pk": canned.pk},
        "portal:api_token_revoke": {"pk": token_a},
        "desk:api_token_revoke": {"pk": token_agent},
    }
    users = {
        "anonymous": None,
        "customer_a": customer_a.user,
        "customer_b": customer_b.user,
        "agent": agent,
        "lead": lead,
        "admin": admin,
    }
    return World(users=users, ticket_a=ticket_a, ticket_b=ticket_b, values=values)


def _survey_token(ticket) -> str | None:
    try:
        from tickets.surveys import survey_create, survey_token
    except ImportError:  # pragma: no cover - surveys not installed
        return None
    survey, _ = survey_create(ticket=ticket, resolved_at=timezone.now())
    return survey_token(survey)


def _api_token(user) -> int | None:
    try:
        from api.tokens import api_token_create
    except ImportError:  # pragma: no cover - API not installed
        return None
    token, _ = api_token_create(user=user, name="matrix")
    return token.pk


def user_model():
    return get_user_model()
