"""What the benchmark data set is made of: chunk and conversation sizes, and the weights,
names, texts, categories, teams and tags it draws from. Mostly data tables.
"""

CHUNK = 10_000
LONG_CONVERSATION = 200
ROLLUP_DAYS = 31
BENCH_PASSWORD = "bench"  # noqa: S105 - the benchmark agents' password, bench database only


STATUS_WEIGHTS = {
    "open": 1.0,
    "in_progress": 1.2,
    "waiting_customer": 0.8,
    "waiting_internal": 0.4,
    "resolved": 8.0,
    "closed": 88.6,
}
OPEN = ("open", "in_progress", "waiting_customer", "waiting_internal")
# Mean age in days of a ticket in each status: open work is recent, the history is long.
MEAN_AGE_DAYS = {
    "open": 0.6,
    "in_progress": 1.5,
    "waiting_customer": 4,
    "waiting_internal": 2,
    "resolved": 6,
}
HISTORY_DAYS = 730
PRIORITY_WEIGHTS = {"low": 25, "medium": 45, "high": 22, "critical": 8}
CHANNEL_WEIGHTS = {"web": 55, "email": 30, "chat": 10, "api": 5}
TIER_WEIGHTS = {"enterprise": 3, "scale": 5, "professional": 12, "starter": 25, "free": 40, "": 15}

CATEGORIES = [
    # slug, name, prefix, type, weight, subjects
    (
        "billing",
        "Billing",
        "BIL",
        "billing",
        24,
        [
            "Invoice {n} charged twice",
            "Refund for invoice {n}",
            "Card declined when upgrading to {plan}",
            "VAT number missing on invoice {n}",
            "Downgrade from {plan} not reflected on the invoice",
        ],
    ),
    (
        "bug",
        "Bug report",
        "BUG",
        "bug",
        25,
        [
            "Export to CSV fails with error {n}",
            "{feature} page is blank in {browser}",
            "Timezone wrong in {feature} reports",
            "Search returns no results for {feature}",
            "Duplicate notifications from {feature}",
        ],
    ),
    (
        "onboarding",
        "Onboarding",
        "ONB",
        "onboarding",
        14,
        [
            "How do I invite my team to {feature}",
            "Importing {n} contacts from a spreadsheet",
            "Setting up single sign-on for {plan}",
            "Getting started with {feature}",
        ],
    ),
    (
        "feature_help",
        "Feature help",
        "FH",
        "question",
        17,
        [
            "How to schedule {feature} exports",
            "Can {feature} filter by custom fields",
            "Password reset email never arrives",
            "Cannot log in after password reset",
            "API rate limit for {feature}",
        ],
    ),
    (
        "security",
        "Security",
        "SEC",
        "technical",
        6,
        [
            "Suspicious login from a new device",
            "Two-factor codes rejected",
            "Request for our security questionnaire",
        ],
    ),
    (
        "data_loss",
        "Data loss",
        "DL",
        "bug",
        5,
        [
            "{feature} data missing since yesterday",
            "Deleted {n} records by mistake, can you restore",
        ],
    ),
]
NO_CATEGORY_WEIGHT = 9
TEAMS = [
    ("billing-accounts", "Billing & Accounts", ["billing"]),
    ("technical-support", "Technical Support", ["bug", "data_loss"]),
    ("onboarding", "Onboarding", ["onboarding"]),
    ("product-help", "Product Help", ["feature_help"]),
    ("security", "Security", ["security"]),
    ("tier-1", "Tier 1", []),
    ("enterprise", "Enterprise Success", []),
    ("platform", "Platform", []),
]
FEATURES = ["Dashboard", "Reports", "Calendar", "Inbox", "Billing", "Projects", "Analytics"]
BROWSERS = ["Safari", "Firefox", "Chrome", "Edge"]
PLANS = ["Starter", "Professional", "Scale", "Enterprise"]
FIRST_NAMES = [
    "Ada",
    "Ben",
    "Chloe",
    "David",
    "Elena",
    "Farah",
    "Gabriel",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Marco",
    "Nadia",
    "Omar",
    "Paula",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bruno",
    "Carmen",
    "Dmitri",
]
LAST_NAMES = [
    "Adams",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nguyen",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Urban",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
]
CUSTOMER_LINES = [
    "Hi, this started this morning and blocks our whole team. Could you take a look?",
    "I tried again after clearing the cache and it still happens.",
    "Thanks for the quick answer, that worked for most of us.",
    "Any update on this? Our month-end close depends on it.",
    "Attached the steps we followed; it fails at the last one.",
]
AGENT_LINES = [
    "Thanks for reaching out. I have reproduced the problem and escalated it to engineering.",
    "Could you tell us which browser and version you are on, and send a screenshot?",
    "A fix has shipped; please try again and let us know if anything is still wrong.",
    "I have applied the credit to your account; it shows on the next invoice.",
    "Here is the article that walks through it step by step.",
]
NOTE_LINES = [
    "Customer is on an old client version; asked engineering to confirm.",
    "Same root cause as last week's incident.",
]
RESOLUTIONS = ["Fixed in the latest release.", "Refund issued.", "Answered with the guide."]
TAGS = [
    "vip",
    "refund",
    "regression",
    "sso",
    "mobile",
    "api",
    "export",
    "outage",
    "follow-up",
    "churn-risk",
    "feedback",
    "invoice",
    "security-review",
    "import",
    "integration",
    "performance",
    "ui",
    "email",
    "onboarding-call",
    "beta",
]
ARTICLE_TOPICS = [
    ("Reset your password", "password reset email login account"),
    ("Set up single sign-on", "sso saml okta login identity provider"),
    ("Export your data to CSV", "export csv download spreadsheet data"),
    ("Understand your invoice", "invoice billing vat charge payment"),
    ("Request a refund", "refund billing money back cancel"),
    ("Invite your team", "invite team members seats users"),
    ("Schedule reports", "reports schedule email weekly export"),
    ("Two-factor authentication", "two-factor 2fa codes security login"),
    ("Restore deleted records", "restore deleted records backup data"),
    ("API rate limits", "api rate limit requests quota integration"),
]
