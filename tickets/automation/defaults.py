"""Seed 001's three automation rules, shipped as defaults: installed inactive by a data
migration, so nothing acts until an admin switches a rule on in admin (and may adapt it).

The rules refer to the default categories (tickets.classification) and to the default
canned responses `refund_policy` and `onboarding_welcome` (knowledge.defaults). A canned
response is signed by the ticket's assignee, else the lead of its team, else the lead of a
team that handles its category (tickets.automation.actions); with none of them the action is
skipped and the event says why. Rules are matched by name: an existing rule (perhaps edited)
is left as it is.
"""

DEFAULT_RULES = [
    {
        "name": "Refund requests",
        "description": "Billing tickets asking for a refund are tagged, raised to high and get "
        "the refund policy at once (seed 001).",
        "conditions": [("category", "equals", "billing"), ("body", "contains", "refund")],
        "actions": [
            ("add_tags", ["refund_request"]),
            ("set_priority", "high"),
            ("send_canned_response", "refund_policy"),
        ],
    },
    {
        "name": "New customer onboarding",
        "description": "Customers who signed up less than a day ago are tagged and welcomed "
        "(seed 001). Routing then hands the ticket to an agent with the onboarding skill; to "
        "name one onboarding specialist instead, add an “Assign to an agent” action first.",
        "conditions": [("category", "equals", "onboarding"), ("account_age_hours", "lt", 24)],
        "actions": [
            ("add_tags", ["new_user"]),
            ("send_canned_response", "onboarding_welcome"),
        ],
    },
    {
        "name": "At-risk customer",
        "description": "Frequent, unhappy customers (more than 5 tickets, average satisfaction "
        "below 3) are escalated, a manager is told and the ticket tagged (seed 001).",
        "conditions": [("previous_tickets", "gt", 5), ("average_satisfaction", "lt", 3)],
        "actions": [
            ("escalate", "At-risk customer: many tickets, low satisfaction"),
            ("notify_manager", ""),
            ("add_tags", ["at_risk_customer"]),
        ],
    },
]
DEFAULT_RULE_NAMES = [row["name"] for row in DEFAULT_RULES]


def install_default_rules(Rule, RuleCondition, RuleAction) -> None:
    """Install the default rules, inactive, idempotently by name. Takes the model classes so
    migrations can pass their historical models."""
    for position, row in enumerate(DEFAULT_RULES, start=1):
        if Rule.objects.filter(name=row["name"]).exists():
            continue
        rule = Rule.objects.create(
            name=row["name"],
            description=row["description"],
            trigger="ticket_created",
            position=position * 10,
            active=False,
        )
        RuleCondition.objects.bulk_create(
            RuleCondition(rule=rule, field=field, operator=operator, value=value)
            for field, operator, value in row["conditions"]
        )
        RuleAction.objects.bulk_create(
            RuleAction(rule=rule, position=index, kind=kind, value=value)
            for index, (kind, value) in enumerate(row["actions"], start=1)
        )
