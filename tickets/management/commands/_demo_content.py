"""The words and people of the demo data (`manage.py seed_demo`). Data only, no logic.

Placeholders filled in by the seeder: {first} the customer's first name, {agent} the agent's
first name, {org} the customer's organization (or "your team").
"""

# username, first name, last name, seniority, teams (by slug), leads team (slug or None)
AGENTS = [
    ("admin", "Alex", "Admin", "manager", ["billing-accounts", "technical-support"], None),
    ("agent", "Jordan", "Lee", "agent", ["technical-support"], None),
    ("lead", "Morgan", "Reyes", "team_lead", ["technical-support"], "technical-support"),
    ("dana", "Dana", "Whitfield", "team_lead", ["billing-accounts"], "billing-accounts"),
    ("sam", "Sam", "Okafor", "agent", ["billing-accounts"], None),
    ("priya", "Priya", "Nair", "senior", ["technical-support"], None),
    ("tomas", "Tomás", "García", "agent", ["technical-support"], None),
    ("li", "Li", "Wei", "agent", ["technical-support", "billing-accounts"], None),
]

# slug, name, categories (by slug)
TEAMS = [
    ("billing-accounts", "Billing & Accounts", ["billing"]),
    (
        "technical-support",
        "Technical Support",
        ["bug", "onboarding", "feature_help", "security", "data_loss"],
    ),
]

# slug, name, reference prefix (seed 001), ticket type
CATEGORIES = [
    ("billing", "Billing", "BIL", "billing"),
    ("bug", "Bug report", "BUG", "bug"),
    ("onboarding", "Onboarding", "ONB", "onboarding"),
    ("feature_help", "Feature help", "FH", "question"),
    ("security", "Security", "SEC", "technical"),
    ("data_loss", "Data loss", "DL", "bug"),
]

# name, domain, plan tier, customer names
ORGANIZATIONS = [
    (
        "Northwind Logistics",
        "northwind.example",
        "enterprise",
        ["Hannah Becker", "Omar Haddad", "Grace Liu", "Peter Novak"],
    ),
    (
        "Umbrella Health",
        "umbrella-health.example",
        "enterprise",
        ["Sofia Rossi", "Daniel Kim", "Amara Mensah"],
    ),
    ("Globex Retail", "globex.example", "scale", ["Lucas Martin", "Yuki Tanaka", "Chloe Dubois"]),
    ("Vandelay Imports", "vandelay.example", "scale", ["Art Vandelay", "Nina Petrova"]),
    ("Example Co", "example.com", "professional", ["Ravi Patel", "Julia Weber"]),
    (
        "Initech",
        "initech.example",
        "professional",
        ["Bill Lumbergh", "Joanna Park", "Samir Nagheenanajar"],
    ),
    ("Hooli Labs", "hooli.example", "starter", ["Gavin Blake", "Monica Hall"]),
    ("Acme Analytics", "acme-analytics.example", "starter", ["Wile Carter", "Elena Vargas"]),
    ("Blue Harbor Studio", "blueharbor.example", "free", ["Marco Bianchi", "Freya Nilsson"]),
]

# The customer login from product.md, a member of Example Co.
DEMO_CUSTOMER = ("customer@example.com", "Casey Morgan")

# Customers on their own: a free tier, and some with no tier at all (fallback SLA hours).
INDIVIDUALS = [
    ("Tom Fischer", "free"),
    ("Aisha Bello", "free"),
    ("Jonas Berg", ""),
    ("Mei Chen", ""),
    ("Carlos Mendes", ""),
    ("Ingrid Holm", "starter"),
]

# Per category: (subject, body, tags). Bodies are what a customer would write.
TICKETS = {
    "billing": [
        (
            "Charged twice for our March invoice",
            "Hi,\n\nOur card was charged twice for invoice INV-2291 (same amount, same day). "
            "Can you refund the duplicate charge?\n\nThanks, {first}",
            ["payment", "refund"],
        ),
        (
            "Card declined when upgrading to the annual plan",
            "I tried to upgrade {org} to the annual plan and the payment page says "
            "*card declined*. The card works everywhere else. What can we do?",
            ["payment", "upgrade"],
        ),
        (
            "Need a VAT number on our invoices",
            "Our finance team needs our VAT number (EU) printed on every invoice, "
            "including the last three. Where can I add it?",
            ["invoice"],
        ),
        (
            "Downgrade from Scale to Professional",
            "We'd like to move to the Professional plan at the end of this billing period. "
            "Will we lose any data when we downgrade?",
            ["plan-change"],
        ),
        (
            "Refund for unused seats",
            "We removed 6 seats last week but the invoice still shows 20. "
            "Can we get a prorated refund for the unused seats?",
            ["refund", "seats"],
        ),
        (
            "Billing error: invoice in the wrong currency",
            "Our invoices suddenly switched from EUR to USD. Our contract is in EUR. "
            "Please correct the invoice and tell us what happened.",
            ["invoice"],
        ),
    ],
    "bug": [
        (
            "Export to CSV never finishes",
            "When I export the monthly report to CSV the spinner keeps going forever. "
            "Small date ranges work, anything over two weeks never finishes.\n\n"
            "Browser: Firefox 131, Windows 11.",
            ["export", "performance"],
        ),
        (
            "Dashboard charts are blank since this morning",
            "All charts on the dashboard show *No data* since about 9:00 today, for every user "
            "at {org}. The raw tables still have the numbers.",
            ["dashboard"],
        ),
        (
            "Form won't save when a field contains an emoji",
            "Saving a form whose title contains an emoji fails with *Something went wrong*. "
            "Steps:\n\n1. Create a form\n2. Name it `Launch 🚀`\n3. Click save",
            ["forms"],
        ),
        (
            "Webhook deliveries stopped",
            "Our endpoint has not received a single webhook since yesterday afternoon. "
            "Nothing changed on our side and the endpoint answers 200 to manual tests.",
            ["webhooks", "integration"],
        ),
        (
            "Search returns results from deleted projects",
            "Global search still lists items from projects we deleted last month. "
            "Clicking them gives a 404.",
            ["search"],
        ),
        (
            "Page is very slow to load with 10k rows",
            "The records page takes 30+ seconds to load for our biggest workspace (about "
            "10,000 rows). Other workspaces are fine.",
            ["performance"],
        ),
    ],
    "onboarding": [
        (
            "How do we import our users from a spreadsheet?",
            "We're just getting started at {org}. We have ~120 people in a spreadsheet. "
            "Is there a CSV import, and which columns does it expect?",
            ["import", "csv"],
        ),
        (
            "Setting up SSO for our team",
            "We use Okta. Can you walk us through connecting it so people sign in with SSO "
            "from day one?",
            ["sso"],
        ),
        (
            "Welcome call for our new workspace",
            "We signed up yesterday. Could we book a short onboarding call for the three admins "
            "on our side this week?",
            ["training"],
        ),
        (
            "Which roles should our admins get?",
            "I'm setting up the workspace for {org}. What's the difference between the Owner "
            "and Admin roles, and which should our IT staff have?",
            ["permissions"],
        ),
        (
            "Inviting users without sending emails yet",
            "We want to prepare all accounts before launch day without emailing anyone yet. "
            "Is that possible?",
            ["invitations"],
        ),
    ],
    "feature_help": [
        (
            "How do I schedule a recurring report?",
            "I'd like the weekly summary to be emailed to our managers every Monday at 8:00. "
            "Where do I set that up?",
            ["reports"],
        ),
        (
            "Can we restrict a dashboard to one team?",
            "Is it possible to share a dashboard with the sales team only, and hide it "
            "from everyone else?",
            ["permissions", "dashboard"],
        ),
        (
            "API rate limits for bulk updates",
            "We're syncing about 50k records a night through the API and started seeing 429s. "
            "What are the limits and is there a bulk endpoint?",
            ["api"],
        ),
        (
            "Custom fields in the export",
            "Our custom fields don't appear in the CSV export. Is there a setting for that?",
            ["export"],
        ),
        (
            "Feature request: dark mode",
            "Several people on our team asked for a dark mode. Is that on the roadmap?",
            ["feature-request"],
        ),
    ],
    "security": [
        (
            "Suspicious login attempts on our account",
            "Our audit log shows failed logins for {first}'s account from a country where we "
            "have no staff. Can you check and advise?",
            ["account", "audit"],
        ),
        (
            "Requesting your latest SOC 2 report",
            "Our security team needs your latest SOC 2 Type II report for our vendor review.",
            ["compliance"],
        ),
        (
            "Enforce two-factor authentication for everyone",
            "How can we require 2FA for every member of {org}, including existing users?",
            ["2fa", "account"],
        ),
        (
            "Former employee still has access",
            "We removed a former employee from our directory but they can still sign in with "
            "their password. This is urgent for us.",
            ["account", "access"],
        ),
    ],
    "data_loss": [
        (
            "Records disappeared after bulk edit",
            "After a bulk edit of 300 records this morning, about 40 of them are gone. "
            "We need them back as soon as possible.",
            ["bulk-edit", "restore"],
        ),
        (
            "Form responses from yesterday are missing",
            "We collected about 80 responses yesterday; today the form shows only 12. "
            "Can you restore the rest?",
            ["forms", "restore"],
        ),
        (
            "Accidentally deleted a project",
            "One of our admins deleted the project *Q3 Planning* by mistake. "
            "Is there a way to restore it?",
            ["restore"],
        ),
    ],
    None: [
        (
            "Question about your status page",
            "Where can we subscribe to incident updates for the service?",
            [],
        ),
        ("Contact for a partnership", "Who should I talk to about a reseller partnership?", []),
        (
            "Can't find where to change my email address",
            "I need to change the email address on my account. Where is that?",
            ["account"],
        ),
    ],
}

FIRST_REPLIES = {
    "billing": [
        "Hi {first},\n\nthanks for reaching out. I'm looking at your billing history now "
        "and will get back to you today.\n\n{agent}",
        "Hi {first},\n\nI can see the charge you mean. I've asked our payments provider for "
        "the details and will update you as soon as I hear back.\n\n{agent}",
    ],
    "bug": [
        "Hi {first},\n\nthanks for the detailed report. I could reproduce this on our side "
        "and I'm working on it now.\n\n{agent}",
        "Hi {first},\n\nsorry about this. Could you tell me roughly when it started, and "
        "whether it happens in another browser too?\n\n{agent}",
    ],
    "onboarding": [
        "Hi {first},\n\nwelcome aboard! Happy to help you get set up. "
        "Here's our getting-started checklist; I'll follow up with the details.\n\n{agent}",
    ],
    "feature_help": [
        "Hi {first},\n\ngood question. Let me check the best way to do this for your plan "
        "and I'll send you the steps.\n\n{agent}",
    ],
    "security": [
        "Hi {first},\n\nthank you for flagging this; we take it seriously. I've started "
        "looking into it and involved our security team.\n\n{agent}",
    ],
    "data_loss": [
        "Hi {first},\n\nI understand how stressful this is. We keep point-in-time backups, "
        "and I'm checking what we can restore right now.\n\n{agent}",
    ],
    None: [
        "Hi {first},\n\nthanks for your message. I'll find the right answer for you "
        "and get back to you shortly.\n\n{agent}",
    ],
}

FOLLOW_UPS = [
    "Quick update: I'm still on this and expect to have an answer for you by tomorrow.\n\n{agent}",
    "Thanks {first}, that helps a lot. I'm passing this on with the details you sent.\n\n{agent}",
    "I've applied a change on our side. Could you try again and let me know?\n\n{agent}",
]

INFO_REQUESTS = [
    "Hi {first},\n\ncould you send us a screenshot of what you see, and the exact time it "
    "happened? That will help us narrow it down.\n\n{agent}",
    "Hi {first},\n\ncould you confirm the email address of the affected user, so I can check "
    "their account?\n\n{agent}",
    "Hi {first},\n\nwhich workspace is this about? I see several under {org}.\n\n{agent}",
]

CUSTOMER_FOLLOW_UPS = [
    "Thanks for the quick reply! Here are the details you asked for.",
    "Any update on this? It's blocking part of our team.",
    "I tried again just now and it still happens.",
    "Screenshot attached in the original report. It happened around 10:15 our time.",
    "That worked for me, but a colleague still sees the problem.",
]

CUSTOMER_REOPENS = [
    "Sorry, this is happening again since this morning.",
    "The fix worked for a day, but the problem is back.",
]

NOTES = [
    "Checked the logs: the first error is from the nightly job. Looping in engineering.",
    "Customer is on an enterprise contract, keep them updated at least daily.",
    "Same issue as last week's ticket from another customer; probably one root cause.",
    "Asked in #payments whether the provider had an incident at that time.",
    "Reproduced on staging with the customer's settings.",
]

WAITING_INTERNAL_NOTES = [
    "Raised with engineering; waiting for their fix before replying.",
    "Waiting for finance to approve the refund.",
    "Security team is reviewing the access logs.",
]

ESCALATION_REASONS = [
    "Customer impact is growing: several users affected.",
    "Enterprise customer, SLA at risk.",
    "Needs a senior agent: possible data issue.",
]

RESOLUTIONS = {
    "billing": "Refunded the duplicate charge and corrected the invoice.",
    "bug": "Fixed in today's release; confirmed working with the customer.",
    "onboarding": "Walked the customer through the setup; import completed.",
    "feature_help": "Sent the step-by-step guide; the customer has it working.",
    "security": "Access revoked, sessions ended and 2FA enforced for the workspace.",
    "data_loss": "Restored the missing records from the point-in-time backup.",
    None: "Answered the question and shared the relevant help article.",
}

FINAL_REPLIES = [
    "Hi {first},\n\ngood news: this is sorted now. {resolution}\n\n"
    "If anything else comes up, just reply here.\n\n{agent}",
    "Hi {first},\n\n{resolution} Let me know if you see anything odd.\n\n{agent}",
]

CLOSE_REASONS = ["No reply for 3 days after resolution.", "Customer confirmed the fix."]
