"""Help-center articles of the demo: slug, category slug, title, summary, tags, markdown body."""

ARTICLES = [
    (
        "how-refunds-work",
        "billing",
        "How refunds work",
        "When you can get money back, and how long it takes to reach your card.",
        ["refund", "billing"],
        """Monthly plans can be refunded for the unused part of the current month when you
cancel. Annual plans are refunded in full within **30 days** of purchase, and pro rata after.

## How to ask for a refund
1. Open **Settings → Billing**.
2. Choose **Cancel plan** and tick *Request a refund*.
3. We confirm by email; the money reaches your card in 5–10 business days.

If you were charged twice, send us a request with both invoice numbers.""",
    ),
    (
        "update-payment-method",
        "billing",
        "Update your card or payment method",
        "Change the card we charge, or switch to paying by invoice.",
        ["payment", "card"],
        """Go to **Settings → Billing → Payment method** and choose **Replace card**. The new
card is charged from the next invoice; nothing is charged when you save it.

Enterprise customers can pay by bank transfer against an invoice: ask your account manager.""",
    ),
    (
        "download-invoices",
        "billing",
        "Download invoices and receipts",
        "Every invoice as a PDF, with your VAT number on it.",
        ["invoice", "vat"],
        """All invoices are under **Settings → Billing → Invoices**. Add your VAT number under
*Billing details* before the next invoice and it will appear on it. Past invoices cannot be
re-issued with a different company name; contact us if you need a correction.""",
    ),
    (
        "report-a-bug",
        "bug",
        "How to report a bug we can fix fast",
        "What to include so our engineers can reproduce the problem.",
        ["bug", "report"],
        """A good report has:

- the steps to reproduce, starting from a fresh page load;
- what you expected, and what happened instead;
- your browser and version, and a screenshot or screen recording;
- the time it happened, with your time zone.

Attach files to your request: images and PDFs up to 10 MB each.""",
    ),
    (
        "export-stuck",
        "bug",
        "Exports that never finish",
        "Why a report export can hang, and how to get your file.",
        ["export", "reports"],
        """Large exports run in the background and are emailed when ready. If the export
button keeps spinning, reload the page: the file will still arrive by email. Exports over
one million rows are split into several files.""",
    ),
    (
        "getting-started",
        "onboarding",
        "Getting started in five minutes",
        "Create your workspace, invite your team and send your first project.",
        ["onboarding", "setup"],
        """1. **Create your workspace** and pick its name and address.
2. **Invite your team** from *Settings → Members*; they get an email link valid for 7 days.
3. **Import your data** from a CSV file or connect an integration.

Need a hand? Book a free onboarding call from the dashboard.""",
    ),
    (
        "invite-team-members",
        "onboarding",
        "Invite and manage team members",
        "Add colleagues, choose their role and remove access when they leave.",
        ["members", "roles"],
        """Admins invite members from **Settings → Members → Invite**. Roles:

| Role | Can |
| --- | --- |
| Admin | everything, including billing |
| Member | create and edit projects |
| Viewer | read only |

Removing a member keeps their work; it is reassigned to you.""",
    ),
    (
        "custom-fields",
        "feature_help",
        "Use custom fields",
        "Add your own fields to records and filter by them.",
        ["fields", "customisation"],
        """Create custom fields under **Settings → Fields**. Text, number, date and choice
fields are available on every plan; formula fields need the Professional plan. Filters and
exports include custom fields automatically.""",
    ),
    (
        "connect-integrations",
        "feature_help",
        "Connect Slack and other integrations",
        "Send notifications to Slack and sync with your calendar.",
        ["integrations", "slack"],
        """Open **Settings → Integrations**, choose the app and follow the sign-in prompt.
Each integration can be paused without losing its settings. Webhooks are available for
anything not listed.""",
    ),
    (
        "two-factor-authentication",
        "security",
        "Turn on two-factor authentication",
        "Protect your account with an authenticator app or a security key.",
        ["2fa", "login", "security"],
        """Go to **Profile → Security → Two-factor authentication** and scan the QR code with
an authenticator app. Save your recovery codes somewhere safe: support cannot bypass
two-factor authentication for you. Admins can require it for the whole workspace.""",
    ),
    (
        "suspicious-login",
        "security",
        "I got a suspicious login alert",
        "What to do when we warn you about a sign-in you do not recognise.",
        ["login", "password", "security"],
        """Change your password at once, then sign out all other sessions from
**Profile → Security → Sessions**. Turn on two-factor authentication, and tell us if you see
changes you did not make: we keep an audit log of every change for 90 days.""",
    ),
    (
        "restore-deleted-data",
        "data_loss",
        "Restore deleted projects and records",
        "Deleted items stay in the trash for 30 days; backups cover the rest.",
        ["restore", "backup", "trash"],
        """Deleted projects and records go to the **Trash** for 30 days, where you can restore
them in one click. After that, we can restore from the nightly backups of the last 14 days on
request: send us a request with what was lost and roughly when.""",
    ),
]
