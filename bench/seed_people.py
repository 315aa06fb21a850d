"""The benchmark's reference data, people and articles: categories, teams, agents,
organizations, customers and help-center articles, written with COPY.
"""

import json
from datetime import timedelta

from bench.seed_copy import copy_rows, weighted
from bench.seed_data import (
    ARTICLE_TOPICS,
    BENCH_PASSWORD,
    CATEGORIES,
    FEATURES,
    FIRST_NAMES,
    HISTORY_DAYS,
    LAST_NAMES,
    NO_CATEGORY_WEIGHT,
    TAGS,
    TEAMS,
    TIER_WEIGHTS,
)


class ReferenceSeeding:
    """The seeder's steps for everything but tickets (a part of `bench.seed.BenchSeeder`)."""

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
            tier = weighted(rng, TIER_WEIGHTS) or "starter"
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
                tier = organizations[org - 1][3] if org else weighted(rng, TIER_WEIGHTS)
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
