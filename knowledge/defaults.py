"""The canned responses seed 001's default automation rules send (tickets.automation.defaults):
the refund policy and the onboarding welcome. Installed by a data migration and editable in
admin from then on; an existing response with the slug is left as it is. The install
function takes the model classes, so migrations pass their historical models."""

DEFAULT_CANNED_RESPONSES = [
    {
        "slug": "refund_policy",
        "name": "Refund policy",
        "category": "billing",
        "follow_up_status": "waiting_customer",
        "content": "Hi {customer_name},\n\nThanks for getting in touch about a refund "
        "({ticket_id}). Annual plans can be refunded in full within 30 days of payment, and "
        "monthly plans for the current month when you cancel within 7 days.\n\nReply with "
        "the invoice number and we will process it straight away.\n\n{agent_name}",
    },
    {
        "slug": "onboarding_welcome",
        "name": "Onboarding welcome",
        "category": "onboarding",
        "follow_up_status": "",
        "content": "Welcome aboard, {customer_name}!\n\nI'm {agent_name} and I'll help "
        "{company} get set up. The [getting started guide](https://example.com/docs/start) "
        "covers the first steps; tell me which part you would like to go through together.",
    },
]
DEFAULT_CANNED_SLUGS = [row["slug"] for row in DEFAULT_CANNED_RESPONSES]


def install_default_canned_responses(CannedResponse, Category) -> None:
    """Create the default canned responses missing by slug (or by name, which is unique
    too: a response an admin already has under that name is kept)."""
    categories = {c.slug: c for c in Category.objects.all()}
    for row in DEFAULT_CANNED_RESPONSES:
        if CannedResponse.objects.filter(slug=row["slug"]).exists():
            continue
        if CannedResponse.objects.filter(name=row["name"]).exists():
            continue
        CannedResponse.objects.create(
            slug=row["slug"],
            name=row["name"],
            category=categories.get(row["category"]),
            follow_up_status=row["follow_up_status"],
            content=row["content"],
        )
