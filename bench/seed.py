"""The benchmark data set: a realistic helpdesk of any size, bulk-loaded with PostgreSQL COPY.

At one million tickets the desk has 50,000 customers, 100 agents in 8 teams, 500 articles,
a few messages and audit events per ticket, an open backlog of a few percent (tens of
thousands of tickets, with their SLA clocks) and everything else resolved or closed over two
years. One open ticket has a 200-message conversation for the ticket-page scenario.

Rows are written straight into the tables with `COPY ... FROM STDIN` (psycopg 3), in chunks,
with the big tables' secondary indexes dropped during the load and rebuilt afterwards, which
is an order of magnitude faster than the ORM. The ORM-level invariants the services keep
(one CREATED event per ticket, the SLA summary on the ticket matching its clocks, warnings
and breaches recorded so an idle sweep has nothing to do) are kept by construction here.

A marker table records the size and `SEED_VERSION`, so a second run with the same size reuses
the data; a different size or version starts from an empty database.
"""

import json
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SEED_VERSION = 1
MARKER_TABLE = "bench_seed_marker"
CHUNK = 10_000
LONG_CONVERSATION = 200
ROLLUP_DAYS = 31
BENCH_PASSWORD = "bench"  # noqa: S105 - the benchmark agents' password, bench database only
BENCH_AGENT = "agent001"

# Tables whose secondary indexes are dropped while they load and rebuilt after.
BULK_TABLES = [
    "tickets_ticket",
    "tickets_ticketmessage",
    "tickets_ticketevent",
    "tickets_ticket_tags",
    "sla_slaclock",
    "tickets_customer",
]

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


@dataclass
class Sizes:
    tickets: int
    customers: int
    organizations: int
    agents: int
    articles: int

    @classmethod
    def for_tickets(cls, tickets: int) -> "Sizes":
        customers = max(50, min(50_000, tickets // 20))
        return cls(
            tickets=tickets,
            customers=customers,
            organizations=max(5, customers // 25),
            agents=max(10, min(100, tickets // 2_000)),
            articles=max(20, min(500, tickets // 2_000)),
        )


def _log(out: Callable[[str], None] | None, text: str) -> None:
    (out or (lambda line: print(line, file=sys.stderr)))(text)


class Progress:
    """A one-line progress bar on a terminal, a line per ten percent elsewhere."""

    def __init__(self, label: str, total: int, stream=None) -> None:
        self.label, self.total, self.stream = label, total, stream or sys.stderr
        self.started = time.monotonic()
        self.tty = self.stream.isatty()
        self.last_decile = -1

    def update(self, done: int) -> None:
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed else 0.0
        share = done / self.total if self.total else 1.0
        eta = (self.total - done) / rate if rate else 0.0
        bar = "#" * int(share * 30)
        line = (
            f"{self.label:<9} [{bar:<30}] {done:>9,}/{self.total:,} "
            f"{share:4.0%} {rate:8,.0f}/s eta {eta:4.0f}s"
        )
        if self.tty:
            self.stream.write("\r" + line)
            if done >= self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif int(share * 10) != self.last_decile or done >= self.total:
            self.last_decile = int(share * 10)
            self.stream.write(line + "\n")
            self.stream.flush()


# ---------------------------------------------------------------------------------------------
# The database: create, reuse or start again
# ---------------------------------------------------------------------------------------------


def _conninfo(settings_dict: dict, dbname: str) -> dict:
    info = {
        "dbname": dbname,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
    }
    return {key: value for key, value in info.items() if value}


def prepare_database(settings_dict: dict, *, tickets: int, out=None) -> bool:
    """Make sure the bench database (Django's settings dict for it) exists. Returns True when
    it already holds this size and seed version, to reuse; otherwise it is dropped and
    created empty, ready to migrate."""
    import psycopg

    name = settings_dict["NAME"]
    try:
        with psycopg.connect(**_conninfo(settings_dict, name), autocommit=True) as conn:
            found = seeded_marker(conn.cursor())
        if found and found == (tickets, SEED_VERSION):
            return True
        _log(out, f"Bench database {name} holds {found or 'something else'}: starting again.")
    except psycopg.OperationalError:
        _log(out, f"Creating the bench database {name}.")
    with psycopg.connect(**_conninfo(settings_dict, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return False


def seeded_marker(cursor) -> tuple[int, int] | None:
    cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute(f"SELECT tickets, version FROM {MARKER_TABLE} ORDER BY id DESC LIMIT 1")  # noqa: S608
    row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def marker_details(cursor) -> dict:
    cursor.execute(f"SELECT details FROM {MARKER_TABLE} ORDER BY id DESC LIMIT 1")  # noqa: S608
    row = cursor.fetchone()
    details = row[0] if row else {}
    return json.loads(details) if isinstance(details, str) else details


# ---------------------------------------------------------------------------------------------
# COPY helpers
# ---------------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n")
    return str(value)


# Values for NOT NULL columns this seeder does not know (added by a newer migration without a
# database default): the type's zero, so the seeder keeps working as the schema grows.
ZERO_BY_TYPE = {
    "integer": "0",
    "smallint": "0",
    "bigint": "0",
    "double precision": "0",
    "numeric": "0",
    "real": "0",
    "boolean": "f",
    "jsonb": "{}",
    "json": "{}",
    "date": "1970-01-01",
    "timestamp with time zone": "1970-01-01T00:00:00+00:00",
    "time without time zone": "00:00",
}


def _missing_required(cursor, table: str, columns: list[str]) -> tuple[list[str], str]:
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s AND is_nullable = 'NO' "
        "AND column_default IS NULL AND is_identity = 'NO' ORDER BY ordinal_position",
        [table],
    )
    extra = [(name, kind) for name, kind in cursor.fetchall() if name not in columns]
    suffix = "".join("\t" + ZERO_BY_TYPE.get(kind, "") for _, kind in extra)
    return [name for name, _ in extra], suffix


def copy_rows(cursor, table: str, columns: Iterable[str], rows: Iterable[tuple]) -> int:
    """COPY rows (tuples in `columns` order) into `table` in text format; returns the count."""
    raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
    columns = list(columns)
    extra, suffix = _missing_required(raw, table, columns)
    count = 0
    buffer: list[str] = []
    with raw.copy(f"COPY {table} ({', '.join(columns + extra)}) FROM STDIN") as copy:
        for row in rows:
            buffer.append("\t".join(map(_text, row)) + suffix)
            count += 1
            if len(buffer) >= 5000:
                copy.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            copy.write("\n".join(buffer) + "\n")
    return count


def _secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = %s
          AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(i.indexname)
          )
        """,
        [table],
    )
    return list(cursor.fetchall())


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class BenchSeeder:
    def __init__(self, cursor, *, sizes: Sizes, seed: int = 1, out=None, stream=None) -> None:
        self.cursor, self.sizes, self.out, self.stream = cursor, sizes, out, stream
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.superuser = False

    def run(self) -> dict:
        self._fast_session()
        try:
            return self._run()
        finally:
            self._checks_back_on()
            self.cursor.execute("RESET synchronous_commit")
            self.cursor.execute("RESET maintenance_work_mem")

    def _run(self) -> dict:
        started = time.monotonic()
        self.seed_reference_data()
        self.seed_people()
        self.seed_articles()
        dropped = self._drop_indexes()
        details = self.seed_tickets()
        self._rebuild_indexes(dropped)
        self._reset_sequences()
        from django.db import connection

        if connection.in_atomic_block:
            _log(self.out, "Analyzing the tables.")
            self.cursor.execute("ANALYZE")
        else:
            # VACUUM also sets the visibility map, so index-only scans skip the heap as they
            # would on a table that has lived for a while.
            _log(self.out, "Vacuuming and analyzing the tables.")
            self.cursor.execute("VACUUM ANALYZE")
        details["rollup_rows"] = self._backfill_rollups()
        details |= {
            "seconds": round(time.monotonic() - started, 1),
            "seeded_at": self.now.isoformat(),
            "agent": BENCH_AGENT,
        }
        self.cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id serial PRIMARY KEY, "
            "tickets integer NOT NULL, version integer NOT NULL, details jsonb NOT NULL)"
        )
        self.cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (tickets, version, details) VALUES (%s, %s, %s)",  # noqa: S608
            [self.sizes.tickets, SEED_VERSION, json.dumps(details)],
        )
        return details

    def _backfill_rollups(self) -> int | None:
        """The analytics dashboard reads hourly rollups: fill the range it shows by default,
        as the backfill command would after an import. None when there is no rollup."""
        try:
            from tickets.analytics.rollup import metrics_backfill
        except ImportError:
            return None
        _log(self.out, f"Backfilling {ROLLUP_DAYS} days of analytics rollups.")
        self._checks_back_on()
        return metrics_backfill(days=ROLLUP_DAYS)

    def _fast_session(self) -> None:
        self.cursor.execute("SET synchronous_commit = off")
        self.cursor.execute("SET maintenance_work_mem = '512MB'")
        # Foreign keys are right by construction; skipping their per-row triggers halves the
        # load time. Only a superuser may; everyone else loads with the checks on.
        self.cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        self.superuser = bool(self.cursor.fetchone()[0])
        if self.superuser:
            self.cursor.execute("SET session_replication_role = replica")

    def _checks_back_on(self) -> None:
        """Foreign-key triggers on again (only a superuser could have turned them off)."""
        if self.superuser:
            self.cursor.execute("RESET session_replication_role")

    def _drop_indexes(self) -> list[str]:
        definitions = []
        for table in BULK_TABLES:
            for name, definition in _secondary_indexes(self.cursor, table):
                self.cursor.execute(f'DROP INDEX "{name}"')
                definitions.append(definition)
        return definitions

    def _rebuild_indexes(self, definitions: list[str]) -> None:
        from django.db import connection

        if connection.in_atomic_block:
            # Inside a transaction (the tests), Django's deferred foreign-key checks are still
            # pending when the loading role is not a superuser, and PostgreSQL refuses
            # CREATE INDEX on a table with pending trigger events: run the checks now.
            self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        progress = Progress("indexes", len(definitions), self.stream)
        for done, definition in enumerate(definitions, 1):
            self.cursor.execute(definition)
            progress.update(done)

    def _reset_sequences(self) -> None:
        for table in [
            "auth_user",
            "agents_team",
            "agents_agentprofile",
            "agents_agentprofile_teams",
            "agents_team_categories",
            "tickets_organization",
            "tickets_customer",
            "tickets_tag",
            "tickets_ticket",
            "tickets_ticket_tags",
            "tickets_ticketmessage",
            "tickets_ticketevent",
            "sla_slaclock",
            "knowledge_article",
        ]:
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )

    # Reference data ----------------------------------------------------------------------

    def seed_reference_data(self) -> None:
        """Categories (the migrations' own, by slug), teams, tags and the SLA targets."""
        c = self.cursor
        c.execute("SELECT slug, id, prefix FROM tickets_category")
        existing = {slug: (pk, prefix) for slug, pk, prefix in c.fetchall()}
        self.categories: list[tuple[int | None, str, str, list[str]]] = []
        weights = []
        for slug, name, prefix, ticket_type, weight, subjects in CATEGORIES:
            if slug not in existing:
                c.execute(
                    "INSERT INTO tickets_category (slug, name, prefix, active) "
                    "VALUES (%s, %s, %s, true) RETURNING id",
                    [slug, name, prefix],
                )
                existing[slug] = (c.fetchone()[0], prefix)
            pk, prefix = existing[slug]
            self.categories.append((pk, existing[slug][1], ticket_type, subjects, slug))
            weights.append(weight)
        self.categories.append((None, "TKT", "question", CATEGORIES[3][5], ""))
        weights.append(NO_CATEGORY_WEIGHT)
        self.category_weights = weights

        team_rows, team_categories = [], []
        self.team_for_category: dict[str, int] = {}
        for pk, (slug, name, category_slugs) in enumerate(TEAMS, 1):
            team_rows.append((pk, name, slug, "skill_scored"))
            for category_slug in category_slugs:
                team_categories.append((len(team_categories) + 1, pk, existing[category_slug][0]))
                self.team_for_category[category_slug] = pk
        self.team_ids = [pk for pk, *_ in team_rows]
        copy_rows(c, "agents_team", ["id", "name", "slug", "assignment_strategy"], team_rows)
        copy_rows(c, "agents_team_categories", ["id", "team_id", "category_id"], team_categories)
        copy_rows(c, "tickets_tag", ["id", "name"], enumerate(TAGS, 1))

        c.execute(
            "SELECT t.priority, t.plan_tier, t.first_response_minutes, t.resolution_minutes, "
            "p.id FROM sla_slatarget t JOIN sla_slapolicy p ON p.id = t.policy_id "
            "WHERE p.active AND p.organization_id IS NULL AND p.category_id IS NULL"
        )
        self.targets = {(p, tier): (first, res, policy) for p, tier, first, res, policy in c}

    def seed_people(self) -> None:
        from django.contrib.auth.hashers import make_password

        sizes, rng = self.sizes, self.rng
        password = make_password(BENCH_PASSWORD)
        joined = self.now - timedelta(days=HISTORY_DAYS + 30)
        users, profiles, memberships = [], [], []
        self.agents_by_team: dict[int, list[int]] = {pk: [] for pk in self.team_ids}
        for pk in range(1, sizes.agents + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            username = f"agent{pk:03d}"
            users.append(
                (pk, password, False, username, first, last, f"{username}@example.com", False)
                + (True, joined)
            )
            seniority = "manager" if pk == sizes.agents else rng.choice(["agent"] * 6 + ["senior"])
            profiles.append(
                (pk, f"{first} {last}", seniority, "available", pk, 25, rng.randint(1, 5))
                + ('["en"]', "UTC", "17:00", "09:00")
            )
            teams = {self.team_ids[(pk - 1) % len(self.team_ids)]}
            if rng.random() < 0.3:
                teams.add(rng.choice(self.team_ids))
            for team in sorted(teams):
                memberships.append((len(memberships) + 1, pk, team))
                self.agents_by_team[team].append(pk)
        columns = "id password is_superuser username first_name last_name email is_staff"
        copy_rows(self.cursor, "auth_user", [*columns.split(), "is_active", "date_joined"], users)
        copy_rows(
            self.cursor,
            "agents_agentprofile",
            [
                "id",
                "display_name",
                "seniority",
                "status",
                "user_id",
                "capacity",
                "expertise",
                "languages",
                "timezone",
                "work_ends",
                "work_starts",
            ],
            profiles,
        )
        copy_rows(
            self.cursor,
            "agents_agentprofile_teams",
            ["id", "agentprofile_id", "team_id"],
            memberships,
        )
        self.agent_ids = list(range(1, sizes.agents + 1))

        organizations = []
        for pk in range(1, sizes.organizations + 1):
            tier = _weighted(rng, TIER_WEIGHTS) or "starter"
            organizations.append(
                (pk, f"{rng.choice(LAST_NAMES)} Group {pk}", f"org{pk}.example", tier)
            )
        copy_rows(
            self.cursor,
            "tickets_organization",
            ["id", "name", "domain", "plan_tier", "created_at"],
            ((*row, joined) for row in organizations),
        )
        self.customer_tiers = []
        self.customer_names = []

        def customers():
            for pk in range(1, sizes.customers + 1):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                org = rng.randint(1, sizes.organizations) if rng.random() < 0.6 else None
                tier = organizations[org - 1][3] if org else _weighted(rng, TIER_WEIGHTS)
                self.customer_tiers.append(tier)
                email = f"{first.lower()}.{last.lower()}.{pk}@customer{pk % 97}.example"
                yield (pk, f"{first} {last}", email, tier, "en", joined, None, org)

        copy_rows(
            self.cursor,
            "tickets_customer",
            [
                "id",
                "name",
                "email",
                "plan_tier",
                "language",
                "created_at",
                "user_id",
                "organization_id",
            ],
            customers(),
        )

    def seed_articles(self) -> None:
        rng = self.rng
        rows = []
        for pk in range(1, self.sizes.articles + 1):
            title, words = ARTICLE_TOPICS[pk % len(ARTICLE_TOPICS)]
            feature = rng.choice(FEATURES)
            title = f"{title} in {feature} ({pk})"
            summary = f"Step by step: {title.lower()}."
            paragraphs = [
                f"This guide explains how to {title.lower()}. Keywords: {words}.",
                f"Open {feature}, choose Settings, then follow the steps for your plan.",
                "If something does not work as described, reply to your ticket and we help.",
            ] * 3
            body = "\n\n".join(paragraphs)
            html = "".join(f"<p>{p}</p>" for p in paragraphs)
            category = self.categories[pk % (len(self.categories) - 1)][0]
            published = rng.random() < 0.9
            when = self.now - timedelta(days=rng.uniform(1, HISTORY_DAYS))
            rows.append(
                (
                    pk,
                    title,
                    f"bench-article-{pk}",
                    summary,
                    body,
                    html,
                    json.dumps(words.split()[:3]),
                )
                + (published, when if published else None, rng.randint(0, 5000), 0, 0)
                + (when, when, category)
            )
        copy_rows(
            self.cursor,
            "knowledge_article",
            [
                "id",
                "title",
                "slug",
                "summary",
                "body",
                "body_html",
                "tags",
                "published",
                "published_at",
                "view_count",
                "helpful_count",
                "not_helpful_count",
                "created_at",
                "updated_at",
                "category_id",
            ],
            rows,
        )

    # Tickets ------------------------------------------------------------------------------

    def _plan(self) -> list[tuple[datetime, str]]:
        """(created_at, status) for every ticket, oldest first, so ids follow creation."""
        rng, now = self.rng, self.now
        statuses = list(STATUS_WEIGHTS)
        weights = list(STATUS_WEIGHTS.values())
        plan = []
        for status in rng.choices(statuses, weights=weights, k=self.sizes.tickets):
            if status == "closed":
                age = rng.uniform(1, HISTORY_DAYS)
            else:
                age = min(rng.expovariate(1 / MEAN_AGE_DAYS[status]), 60)
            plan.append((now - timedelta(days=age, seconds=rng.randint(0, 59)), status))
        plan.sort()
        # One open ticket, at the newest end, carries the long conversation.
        for index in range(len(plan) - 1, -1, -1):
            if plan[index][1] == "in_progress":
                self.long_index = index
                break
        else:
            self.long_index = len(plan) - 1
            plan[-1] = (plan[-1][0], "in_progress")
        return plan

    def seed_tickets(self) -> dict:
        plan = self._plan()
        counts = dict.fromkeys(["tickets", "messages", "events", "clocks", "tags"], 0)
        ids = {"message": 0, "event": 0, "clock": 0, "tag": 0}
        progress = Progress("tickets", len(plan), self.stream)
        for start in range(0, len(plan), CHUNK):
            rows = {"tickets": [], "messages": [], "events": [], "clocks": [], "tags": []}
            for index in range(start, min(start + CHUNK, len(plan))):
                created, status = plan[index]
                self._ticket(index + 1, created, status, index == self.long_index, rows, ids)
            self._copy_chunk(rows)
            for key in counts:
                counts[key] += len(rows[key])
            progress.update(min(start + CHUNK, len(plan)))
        counts["open"] = sum(1 for _, status in plan if status in OPEN)
        counts["long_ticket"] = self.long_reference
        counts["customers"] = self.sizes.customers
        counts["agents"] = self.sizes.agents
        counts["articles"] = self.sizes.articles
        return counts

    def _copy_chunk(self, rows: dict) -> None:
        c = self.cursor
        copy_rows(c, "tickets_ticket", TICKET_COLUMNS, rows["tickets"])
        copy_rows(
            c,
            "tickets_ticketmessage",
            [
                "id",
                "author_kind",
                "body",
                "body_html",
                "is_internal",
                "created_at",
                "author_id",
                "ticket_id",
            ],
            rows["messages"],
        )
        copy_rows(
            c,
            "tickets_ticketevent",
            ["id", "kind", "from_value", "to_value", "data", "created_at", "actor_id", "ticket_id"],
            rows["events"],
        )
        copy_rows(c, "sla_slaclock", CLOCK_COLUMNS, rows["clocks"])
        copy_rows(c, "tickets_ticket_tags", ["id", "ticket_id", "tag_id"], rows["tags"])

    def _ticket(self, pk, created, status, long, rows, ids) -> None:  # noqa: C901, PLR0912, PLR0915
        rng, now = self.rng, self.now
        category_id, prefix, ticket_type, subjects, slug = rng.choices(
            self.categories, weights=self.category_weights
        )[0]
        # One customer in a hundred files a fifth of the tickets.
        if rng.random() < 0.2:
            customer = rng.randint(1, max(1, self.sizes.customers // 100))
        else:
            customer = rng.randint(1, self.sizes.customers)
        tier = self.customer_tiers[customer - 1]
        priority = _weighted(rng, PRIORITY_WEIGHTS)
        team = self.team_for_category.get(slug) or rng.choice(self.team_ids[5:])
        if tier == "enterprise" and rng.random() < 0.5:
            team = self.team_ids[6]
        is_open = status in OPEN
        assignee = None
        if not is_open or status != "open" or rng.random() < 0.3:
            members = self.agents_by_team.get(team) or self.agent_ids
            assignee = rng.choice(members)
        subject = rng.choice(subjects).format(
            n=rng.randint(1000, 99999),
            plan=rng.choice(PLANS),
            feature=rng.choice(FEATURES),
            browser=rng.choice(BROWSERS),
        )
        body = f"{subject}.\n\n{rng.choice(CUSTOMER_LINES)}"
        reference = f"{prefix}-{pk:05d}"
        if long:
            self.long_reference = reference

        # The conversation: the customer's message, then replies in turn.
        replies = LONG_CONVERSATION - 1 if long else rng.randint(1, 4)
        if status == "open":
            replies = 0
        span = (now - created) if is_open else timedelta(hours=rng.uniform(2, 120))
        at = created
        messages = [("customer", body, False, created, None)]
        first_response = None
        for turn in range(replies):
            at = at + span / (replies + 1) * rng.uniform(0.5, 1.0)
            if turn % 2 == 0:
                if rng.random() < 0.15:
                    messages.append(("agent", rng.choice(NOTE_LINES), True, at, assignee))
                else:
                    messages.append(("agent", rng.choice(AGENT_LINES), False, at, assignee))
                    first_response = first_response or at
            else:
                messages.append(("customer", rng.choice(CUSTOMER_LINES), False, at, None))
        updated = max(at, created)
        resolved = closed = None
        resolution = ""
        rating = None
        if status in ("resolved", "closed"):
            resolved = updated + timedelta(minutes=rng.randint(5, 600))
            resolution = rng.choice(RESOLUTIONS)
            updated = resolved
            if status == "closed":
                closed = resolved + timedelta(days=rng.uniform(0, 7))
                closed = min(closed, now)
                updated = closed
                if rng.random() < 0.3:
                    rating = rng.choices([1, 2, 3, 4, 5], weights=[4, 4, 10, 30, 52])[0]
        updated = min(updated, now)

        for kind, text, internal, when, author in messages:
            ids["message"] += 1
            rows["messages"].append(
                (ids["message"], kind, text, f"<p>{text}</p>", internal, when)
                + (author if kind == "agent" else None, pk)
            )

        def event(kind, when, actor=None, old="", new="", data="{}"):
            ids["event"] += 1
            rows["events"].append((ids["event"], kind, old, new, data, when, actor, pk))

        event("created", created, data='{"channel": "web"}')
        if assignee:
            event("assigned", created + timedelta(minutes=1), None, "", str(assignee))
        for kind, _text, internal, when, author in messages[1:]:
            if kind == "customer":
                event("customer_replied", when)
            else:
                event("note_added" if internal else "replied", when, author)
        if status != "open":
            event("status_changed", created + timedelta(minutes=2), assignee, "open", "in_progress")
        if status in ("waiting_customer", "waiting_internal"):
            event("status_changed", updated, assignee, "in_progress", status)
        if resolved:
            event("status_changed", resolved, assignee, "in_progress", "resolved")
        if closed:
            event("status_changed", closed, None, "resolved", "closed")

        if rng.random() < 0.25:
            for tag in rng.sample(range(1, len(TAGS) + 1), rng.randint(1, 2)):
                ids["tag"] += 1
                rows["tags"].append((ids["tag"], pk, tag))

        sla_due, sla_state = None, ""
        if is_open:
            sla_due, sla_state = self._clocks(
                pk, created, status, priority, tier, first_response, rows, ids
            )
        rows["tickets"].append(
            (pk, reference, f"b{pk:x}-{rng.getrandbits(64):016x}", subject, body, ticket_type)
            + (priority, status, _weighted(rng, CHANNEL_WEIGHTS), 0, resolution, created, updated)
            + (first_response, resolved, closed, rating, "", assignee, category_id, customer)
            + (team, sla_due, sla_state, None)
        )

    def _clocks(self, pk, created, status, priority, tier, first_response, rows, ids):
        """First-response and resolution clocks (24/7 default policy). Thresholds already
        passed are recorded as warned/breached, as the sweep would have, so the sweep is idle."""
        targets = self.targets.get((priority, tier)) or self.targets.get((priority, ""))
        if not targets:
            return None, ""
        first_minutes, resolution_minutes, policy = targets
        now = self.now
        states, due = [], []
        for metric, minutes in (
            ("first_response", first_minutes),
            ("resolution", resolution_minutes),
        ):
            if not minutes:
                continue
            deadline = created + timedelta(minutes=minutes)
            warn_at = created + timedelta(minutes=minutes * 0.75)
            clock_status, met_at, paused_since = "running", None, None
            if metric == "first_response" and first_response:
                clock_status, met_at = "stopped", first_response
            elif status == "waiting_customer":
                clock_status, paused_since = "paused", now - timedelta(hours=1)
            warned = clock_status == "running" and warn_at <= now
            breached = clock_status == "running" and deadline <= now
            if met_at:
                warned, breached = met_at >= warn_at, met_at >= deadline
            ids["clock"] += 1
            rows["clocks"].append(
                (ids["clock"], metric, 1, clock_status, minutes, created, paused_since, 0.0)
                + (warn_at, deadline, 1, warned, breached, met_at, pk, policy)
            )
            if clock_status == "running":
                due.append(deadline)
                states.append("breached" if breached else "at_risk" if warned else "on_track")
            elif clock_status == "paused":
                states.append("paused")
        for state in ("breached", "at_risk", "on_track", "paused"):
            if state in states:
                return (min(due) if due else None), state
        return None, "met"


TICKET_COLUMNS = [
    "id",
    "reference",
    "public_id",
    "subject",
    "body",
    "type",
    "priority",
    "status",
    "channel",
    "escalation_level",
    "resolution",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "satisfaction_rating",
    "satisfaction_comment",
    "assignee_id",
    "category_id",
    "customer_id",
    "team_id",
    "sla_due_at",
    "sla_state",
    "merged_into_id",
]
CLOCK_COLUMNS = [
    "id",
    "metric",
    "cycle",
    "status",
    "target_minutes",
    "started_at",
    "paused_since",
    "paused_minutes",
    "warn_at",
    "deadline",
    "generation",
    "warned",
    "breached",
    "met_at",
    "ticket_id",
    "policy_id",
]


def seed(*, tickets: int, seed: int = 1, out=None, stream=None) -> dict:
    """Load the data set into the default database, which must be migrated and empty."""
    from django.db import connection

    with connection.cursor() as cursor:
        return BenchSeeder(
            cursor, sizes=Sizes.for_tickets(tickets), seed=seed, out=out, stream=stream
        ).run()
