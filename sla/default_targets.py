"""The default SLA matrix (product.md, seed 001) and the no-tier fallback (seed 000).

Minutes: (first response, resolution). Installed as data by a migration and editable in admin
from then on; nothing reads these numbers at run time.
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
