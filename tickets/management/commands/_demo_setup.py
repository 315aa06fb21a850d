"""The demo's people, teams, categories, routing, canned responses, articles, on-call rota and
automation rules (`manage.py seed_demo`). Each is added only when missing.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import slugify

from agents.models import AgentProfile, OnCallShift, Team
from knowledge.defaults import install_default_canned_responses
from knowledge.models import Article, CannedResponse
from knowledge.services import article_create, canned_response_create
from tickets.automation.defaults import DEFAULT_RULE_NAMES, install_default_rules
from tickets.classification import link_default_teams
from tickets.management.commands import _demo_content as content
from tickets.management.commands._demo_articles import ARTICLES
from tickets.management.commands._demo_tickets import HISTORY_DAYS
from tickets.models import (
    Category,
    Customer,
    Organization,
    Priority,
    Rule,
    RuleAction,
    RuleCondition,
    Status,
)
from tickets.services import customer_get_or_create

User = get_user_model()

# The demo's own canned responses, next to the defaults the default automation rules send
# (knowledge.defaults): slug, name, category slug (None: any ticket), follow-up status, content.
CANNED_RESPONSES = [
    (
        "need_more_details",
        "Ask for more details",
        None,
        Status.WAITING_CUSTOMER,
        "Hi {customer_name},\n\nTo look into {ticket_id} we need a little more detail: "
        "the steps that lead to the problem, what you expected, and a screenshot if you "
        "can.\n\nThanks,\n{agent_name}",
    ),
    (
        "bug_acknowledged",
        "Bug acknowledged",
        "bug",
        "",
        "Hi {customer_name},\n\nThanks for the report filed on {created_date}. We can "
        "reproduce it and our engineers are on it; we'll update {ticket_id} as soon as a "
        "fix ships.\n\n{agent_name}",
    ),
    (
        "resolved_check_in",
        "Resolved, check-in",
        None,
        Status.RESOLVED,
        "Hi {customer_name},\n\nThis should now be fixed. If anything is still not right, "
        "reply here and {ticket_id} reopens.\n\n{agent_name}",
    ),
]


# Demo routing: billing hands tickets to whoever has the fewest open ones, technical support
# scores agents by skill (seed 001). username: (skills, languages, expertise 1-5, time zone).
DEMO_STRATEGIES = {"billing-accounts": "least_busy", "technical-support": "skill_scored"}
DEMO_AGENT_ROUTING = {
    "admin": ([], ["en"], 5, "Europe/London"),
    "agent": (["bug", "feature_help"], ["en"], 2, "Europe/London"),
    "lead": (["bug", "security", "data_loss"], ["en", "es"], 4, "America/New_York"),
    "dana": (["billing"], ["en"], 4, "Europe/London"),
    "sam": (["billing"], ["en", "fr"], 2, "Europe/Paris"),
    "priya": (["security", "data_loss", "bug"], ["en", "hi"], 5, "Asia/Kolkata"),
    "tomas": (["onboarding", "feature_help"], ["es", "en"], 3, "Europe/Madrid"),
    "li": (["billing", "onboarding"], ["zh", "en"], 3, "Asia/Singapore"),
}


Field, Op, Act = RuleCondition.Field, RuleCondition.Operator, RuleAction.Kind
# Demo-only rules, after the defaults: name, trigger, description, conditions (field,
# operator, value), actions (kind, value).
DEMO_RULES = [
    (
        "Remind customers after 3 days",
        Rule.Trigger.HOURLY,
        "A ticket waiting on the customer for 3 days sends them one reminder.",
        [(Field.STATUS, Op.EQUALS, "waiting_customer"), (Field.HOURS_IN_STATUS, Op.GTE, 72)],
        [(Act.REMIND_CUSTOMER, "")],
    ),
]
# Replaced by the auto-close job (tickets.services.auto_close); removed from older demo data.
RETIRED_CLOSE_RULE = "Close resolved tickets after 7 days"


class SetupSeeding:
    """The seeder's steps that set up who works the desk and how (a part of `Seeder`)."""

    # People, teams, categories ----------------------------------------------------------

    def seed_people(self) -> None:
        self.categories = {}
        for slug, name, prefix, _ in content.CATEGORIES:
            category, _ = Category.objects.get_or_create(
                slug=slug, defaults={"name": name, "prefix": prefix}
            )
            self.categories[slug] = category
        self.category_types = {slug: ticket_type for slug, _, _, ticket_type in content.CATEGORIES}

        self.teams = {}
        for slug, name, category_slugs in content.TEAMS:
            team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})
            team.categories.add(*[self.categories[s] for s in category_slugs])
            self.teams[slug] = team
        # The default categories the demo has no tickets for (form builder, import and
        # export, performance) get their default team too.
        link_default_teams(Category, Team)
        self.team_for_category = {
            category_slug: self.teams[team_slug]
            for team_slug, _, category_slugs in content.TEAMS
            for category_slug in category_slugs
        }

        self.agents = {}
        self.members: dict[str, list] = {slug: [] for slug in self.teams}
        for username, first, last, seniority, team_slugs, leads in content.AGENTS:
            superuser = username == "admin"
            user = self._user(
                username,
                email=f"{username}@example.com",
                first_name=first,
                last_name=last,
                is_staff=superuser,
                is_superuser=superuser,
            )
            profile, _ = AgentProfile.objects.get_or_create(
                user=user, defaults={"display_name": f"{first} {last}", "seniority": seniority}
            )
            profile.teams.add(*[self.teams[s] for s in team_slugs])
            if leads and self.teams[leads].lead_id is None:
                self.teams[leads].lead = user
                self.teams[leads].save(update_fields=["lead"])
            self.agents[username] = user
            if not superuser:
                for slug in team_slugs:
                    self.members[slug].append(user)
        self.team_leads = {
            slug: team.lead or self.agents["admin"] for slug, team in self.teams.items()
        }
        self.seed_routing()

        self.customers: list[Customer] = []
        created: list[int] = []
        for org_name, domain, tier, names in content.ORGANIZATIONS:
            organization, _ = Organization.objects.get_or_create(
                name=org_name, defaults={"domain": domain, "plan_tier": tier}
            )
            for name in names:
                email = f"{slugify(name).replace('-', '.')}@{domain}"
                self.customers.append(self._customer(email, name, tier, organization, created))
        for name, tier in content.INDIVIDUALS:
            email = f"{slugify(name).replace('-', '.')}@example.net"
            self.customers.append(self._customer(email, name, tier, None, created))

        email, name = content.DEMO_CUSTOMER
        example_co = Organization.objects.get(name="Example Co")
        self.demo_customer = self._customer(email, name, "professional", example_co, created)
        if self.demo_customer.user_id is None:
            first, last = name.split(" ", 1)
            self.demo_customer.user = self._user(
                email, email=email, first_name=first, last_name=last
            )
            self.demo_customer.save(update_fields=["user"])
        self.customers.append(self.demo_customer)

        # Customers signed up before their first demo ticket.
        Customer.objects.filter(pk__in=created).update(
            created_at=timezone.now() - timedelta(days=HISTORY_DAYS + 30)
        )

    def seed_routing(self) -> None:
        """Demo routing (seed 001): each team's strategy and each agent's skills, languages,
        expertise and time zone. Setting them again gives the same values."""
        for slug, strategy in DEMO_STRATEGIES.items():
            Team.objects.filter(slug=slug).update(assignment_strategy=strategy)
        for username, (skills, languages, expertise, tz) in DEMO_AGENT_ROUTING.items():
            profile = AgentProfile.objects.get(user=self.agents[username])
            profile.languages, profile.expertise, profile.timezone = languages, expertise, tz
            profile.save(update_fields=["languages", "expertise", "timezone"])
            profile.skills.set([self.categories[slug] for slug in skills])

    def seed_canned_responses(self) -> None:
        """The default canned responses (`refund_policy` and `onboarding_welcome`, which the
        default automation rules send) and the demo's own. Only the missing ones are added."""
        install_default_canned_responses(CannedResponse, Category)
        existing = set(CannedResponse.objects.values_list("slug", flat=True))
        for slug, name, category_slug, follow_up, text in CANNED_RESPONSES:
            if slug not in existing:
                canned_response_create(
                    slug=slug,
                    name=name,
                    category=self.categories[category_slug] if category_slug else None,
                    follow_up_status=follow_up,
                    content=text,
                )

    def seed_articles(self) -> None:
        """The demo help center: published articles in every category. Only the missing ones
        (by slug) are added, through the article services."""
        existing = set(Article.objects.values_list("slug", flat=True))
        for slug, category_slug, title, summary, tags, body in ARTICLES:
            if slug not in existing:
                article_create(
                    slug=slug,
                    title=title,
                    summary=summary,
                    body=body,
                    tags=tags,
                    category=self.categories[category_slug],
                    published=True,
                )

    def _user(self, username: str, **fields):
        user, _ = User.objects.get_or_create(
            username=username, defaults={**fields, "password": self.password}
        )
        return user

    def _customer(self, email, name, tier, organization, created: list[int]) -> Customer:
        existed = Customer.objects.filter(email__iexact=email).exists()
        customer = customer_get_or_create(email=email, name=name)
        if not existed:
            customer.plan_tier = tier
            customer.organization = organization
            customer.save(update_fields=["plan_tier", "organization"])
            created.append(customer.pk)
        return customer

    def seed_on_call_rota(self) -> None:
        """This week's on-call rota from today, midnight: each team's members take a day in
        turn for every priority, and the team lead covers high and critical all week."""
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        shifts = []
        for slug, team in self.teams.items():
            lead = self.team_leads[slug]
            members = [u for u in self.members[slug] if u != lead]
            for day in range(7):
                agent = members[day % len(members)]
                shifts.append(
                    OnCallShift(
                        agent=agent.agent_profile,
                        team=team,
                        starts_at=start + timedelta(days=day),
                        ends_at=start + timedelta(days=day + 1),
                        priorities=[p.value for p in Priority],
                        note="Daily rota",
                    )
                )
            shifts.append(
                OnCallShift(
                    agent=lead.agent_profile,
                    team=team,
                    starts_at=start,
                    ends_at=start + timedelta(days=7),
                    priorities=[Priority.HIGH.value, Priority.CRITICAL.value],
                    note="Lead backup for urgent tickets",
                )
            )
        OnCallShift.objects.bulk_create(shifts)

    # Automation rules ---------------------------------------------------------------------

    def seed_rules(self, *, switch_on_defaults: bool) -> None:
        """Seed 001's three automation rules, as the migrations install them (inactive), are
        switched on for the demo, next to a demo-only time-based rule. Rules are matched by
        name: an existing one (perhaps edited by an admin) is left alone, and the defaults
        are switched on only by the run that adds the demo tickets, so a rule an admin
        switched off stays off. Closing resolved tickets is the
        AUTO_CLOSE_RESOLVED_DAYS job now, so the old demo rule that did it is removed: one
        mechanism, not two racing each other."""
        Rule.objects.filter(name=RETIRED_CLOSE_RULE).delete()
        install_default_rules(Rule, RuleCondition, RuleAction)  # only the missing ones
        if switch_on_defaults:
            Rule.objects.filter(name__in=DEFAULT_RULE_NAMES).update(active=True)
        for position, (name, trigger, description, conditions, actions) in enumerate(
            DEMO_RULES, start=len(DEFAULT_RULE_NAMES) + 1
        ):
            if Rule.objects.filter(name=name).exists():
                continue
            rule = Rule.objects.create(
                name=name, trigger=trigger, description=description, position=position * 10
            )
            for field_name, operator, value in conditions:
                condition = RuleCondition(
                    rule=rule, field=field_name, operator=operator, value=value
                )
                condition.full_clean()
                condition.save()
            for index, (kind, value) in enumerate(actions, start=1):
                action = RuleAction(rule=rule, position=index, kind=kind, value=value)
                action.full_clean()
                action.save()
