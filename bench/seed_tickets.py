"""The benchmark's tickets: planned from the weights, generated with their messages, events
and SLA clocks, and written with COPY in chunks.
"""

from datetime import datetime, timedelta

from bench.seed_copy import CLOCK_COLUMNS, TICKET_COLUMNS, Progress, copy_rows, weighted
from bench.seed_data import (
    AGENT_LINES,
    BROWSERS,
    CHANNEL_WEIGHTS,
    CHUNK,
    CUSTOMER_LINES,
    FEATURES,
    HISTORY_DAYS,
    LONG_CONVERSATION,
    MEAN_AGE_DAYS,
    NOTE_LINES,
    OPEN,
    PLANS,
    PRIORITY_WEIGHTS,
    RESOLUTIONS,
    STATUS_WEIGHTS,
    TAGS,
)


class TicketSeeding:
    """The seeder's steps for tickets (a part of `bench.seed.BenchSeeder`)."""

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
        priority = weighted(rng, PRIORITY_WEIGHTS)
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
            + (priority, status, weighted(rng, CHANNEL_WEIGHTS), 0, resolution, created, updated)
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
