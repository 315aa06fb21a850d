"""The data the SLA engine starts with: the default matrix (product.md, seed 001), the
no-tier fallback (seed 000) and seed 001's escalation ladders.

Installed by migrations and editable in admin from then on; nothing reads these numbers at
run time. The install functions take the model classes, so migrations pass their historical
models, and they are idempotent (tests that flush the database reinstall them).
"""

TIERS = ("enterprise", "scale", "professional", "starter", "free")

MATRIX = {
    "critical": [(15, 120), (30, 240), (60, 480), (120, 1440), (1440, 2880)],
    "high": [(60, 480), (120, 960), (240, 1440), (480, 2880), (1440, 4320)],
    "medium": [(240, 1440), (480, 2880), (960, 4320), (1440, 5760), (2880, 7200)],
    "low": [(1440, 7200)] * 5,
}

# Customers without a tier: seed 000's resolution hours, no first-response target.
FALLBACK_RESOLUTION_HOURS = {"critical": 1, "high": 4, "medium": 24, "low": 72}


def default_target_rows() -> list[dict]:
    """One row per (priority, tier): next response uses the first-response minutes."""
    rows = []
    for priority, per_tier in MATRIX.items():
        for tier, (first, resolution) in zip(TIERS, per_tier, strict=True):
            rows.append(
                {
                    "priority": priority,
                    "plan_tier": tier,
                    "first_response_minutes": first,
                    "next_response_minutes": first,
                    "resolution_minutes": resolution,
                }
            )
    for priority, hours in FALLBACK_RESOLUTION_HOURS.items():
        rows.append(
            {
                "priority": priority,
                "plan_tier": "",
                "first_response_minutes": None,
                "next_response_minutes": None,
                "resolution_minutes": hours * 60,
            }
        )
    return rows


DEFAULT_POLICY_NAME = "Default"

BREACH_FIRST_LEVEL_BEFORE = {"after_minutes": 0, "notify_assignee": True, "notify_team_lead": True}
BREACH_FIRST_LEVEL = {
    **BREACH_FIRST_LEVEL_BEFORE,
    "notify_on_call": True,
    "escalate": True,
    "reassign_to": "on_call",
    "reassign_only_if_uncovered": True,
}

# Business minutes after the alert (for the escalate button, levels fire one per press).
DEFAULT_LADDERS = [
    {
        "name": "SLA at risk",
        "trigger": "warning",
        "levels": [{"after_minutes": 0, "notify_assignee": True}],
    },
    {
        "name": "SLA breached",
        "trigger": "breach",
        "levels": [
            # Seed 000: a breach escalates at once, and the on-call agent takes a ticket
            # nobody is working on (unassigned, or the assignee away or offline).
            BREACH_FIRST_LEVEL,
            {"after_minutes": 30, "reassign_to": "senior", "notify_team_lead": True},
            {"after_minutes": 60, "reassign_to": "team_lead", "notify_manager": True},
        ],
    },
    {
        "name": "Escalate button",
        "trigger": "manual",
        "levels": [
            {"after_minutes": 0, "reassign_to": "senior", "notify_team_lead": True},
            {"after_minutes": 0, "reassign_to": "team_lead", "notify_manager": True},
            {"after_minutes": 0, "notify_manager": True, "notify_on_call": True},
        ],
    },
]


def install_default_policy(policy_model, target_model) -> None:
    policy, created = policy_model.objects.get_or_create(
        name=DEFAULT_POLICY_NAME,
        defaults={
            "description": "Applies when no organization or category policy matches.",
            "pause_statuses": ["waiting_customer"],
        },
    )
    if created:
        target_model.objects.bulk_create(
            target_model(policy=policy, **row) for row in default_target_rows()
        )


def first_installed_ladders() -> list[dict]:
    """The default ladders as migration 0005 installed them (its models lack the fields the
    breach ladder's first level uses now; migration 0008 upgrades that level)."""
    return [
        {
            **spec,
            "levels": [
                BREACH_FIRST_LEVEL_BEFORE if level is BREACH_FIRST_LEVEL else level
                for level in spec["levels"]
            ],
        }
        for spec in DEFAULT_LADDERS
    ]


def install_default_ladders(ladder_model, level_model, ladders: list[dict] | None = None) -> None:
    for spec in DEFAULT_LADDERS if ladders is None else ladders:
        ladder, created = ladder_model.objects.get_or_create(
            name=spec["name"], defaults={"trigger": spec["trigger"]}
        )
        if created:
            for position, level in enumerate(spec["levels"], start=1):
                level_model.objects.create(ladder=ladder, position=position, **level)


def upgrade_breach_ladder(ladder_model, level_model) -> None:
    """Give an installed "SLA breached" ladder seed 000's first level, unless an admin has
    changed that level (then theirs stands)."""
    ladder = ladder_model.objects.filter(name="SLA breached", trigger="breach").first()
    if ladder is None:
        return
    unchanged = {
        "notify_manager": False,
        "notify_on_call": False,
        "reassign_to": "",
        "raise_priority": False,
        **BREACH_FIRST_LEVEL_BEFORE,
    }
    level_model.objects.filter(ladder=ladder, position=1, **unchanged).update(
        **{key: value for key, value in BREACH_FIRST_LEVEL.items() if key != "after_minutes"}
    )
