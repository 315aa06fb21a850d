"""The demo tickets' past (`manage.py seed_demo`): their timestamps moved back in time, and the
emails and surveys they would have sent recorded as sent.
"""

from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone

from agents import routing
from knowledge import autoanswer
from sla import hooks as sla_hooks
from tickets import hooks, notification_rendering, notifications, surveys
from tickets.automation import engine as rules_engine
from tickets.management.commands._demo_tickets import TICKET_TIMESTAMPS, weighted
from tickets.models import (
    Notification,
    Organization,
    SatisfactionSurvey,
    Ticket,
    TicketEvent,
    TicketMessage,
)


@contextmanager
def customer_emails_detached():
    """Demo tickets are history: nobody should be emailed about them now, and thousands of
    queued emails would flood the console (or the outbox in tests) on the first `make run`.

    So the two email after-hooks are detached while seeding, and the seeder then records the
    emails those tickets would have produced as already delivered (`sent_at` set), which keeps
    the admin's notification list realistic and gives the retry job nothing to send.
    """
    detached = [
        ("create", notifications.on_ticket_created),
        ("reply", notifications.on_agent_replied),
        # The SLA clocks follow "now"; the seeder rebuilds them from the rewritten history.
        *((verb, sla_hooks.on_ticket_changed) for verb in sla_hooks.SLA_VERBS),
        # Demo tickets are history: automation rules must not act on them as they are filed.
        *((verb, rules_engine.on_ticket_event) for verb in rules_engine.HOOK_VERBS),
        # The seeder assigns demo tickets itself: routing must not hand them out again.
        ("create", routing.on_ticket_created),
        ("assign", routing.on_capacity_freed),
        ("transition", routing.on_capacity_freed),
        # Nor may the auto-answer cascade answer them (the default policy would).
        ("create", autoanswer.answer_new_ticket),
        # Nor survey their customers now: the seeder records answered demo surveys itself.
        ("transition", surveys.on_ticket_resolved),
    ]
    in_transaction = [hooks.unregister(verb, hook) for verb, hook in detached]
    try:
        yield
    finally:
        for (verb, hook), was_in_transaction in zip(detached, in_transaction, strict=True):
            hooks.register_again(verb, hook, in_transaction=was_in_transaction)


# Demo survey answers: mostly satisfied, some not (rating: weight), and what people write.
DEMO_RATING_WEIGHTS = {5: 45, 4: 30, 3: 12, 2: 8, 1: 5}
DEMO_SURVEY_COMMENTS = {
    5: ["Quick and kind, thank you!", "Solved in no time.", "", "Great support as always."],
    4: ["Good, took a little while.", "", "Helpful answer."],
    3: ["It works now, but it took several emails.", ""],
    2: ["Slow to answer and I had to explain twice.", "The fix did not last long."],
    1: ["Nobody read my messages properly.", "Still broken in my opinion."],
}


class HistorySeeding:
    """The seeder's steps that give the demo tickets a past (a part of `Seeder`)."""

    def _move_back_in_time(self) -> None:
        """Rewrite the timestamps the services stamped as "now" to the planned demo times.
        Only ever runs on a database whose tickets are all demo tickets."""
        to_demo = self.clock.demo_time
        tickets = list(Ticket.objects.only("pk", *TICKET_TIMESTAMPS))
        for ticket in tickets:
            for name in TICKET_TIMESTAMPS:
                setattr(ticket, name, to_demo(getattr(ticket, name)))
        Ticket.objects.bulk_update(tickets, TICKET_TIMESTAMPS, batch_size=500)
        for model in (TicketMessage, TicketEvent):
            rows = list(model.objects.only("pk", "created_at"))
            for row in rows:
                row.created_at = to_demo(row.created_at)
            model.objects.bulk_update(rows, ["created_at"], batch_size=500)

    def _record_delivered_emails(self) -> None:
        """The emails the demo tickets would have sent (see `customer_emails_detached`),
        rendered and keyed exactly as `notifications.notify` would have."""
        rows = []

        def record(kind: str, ticket: Ticket, message: TicketMessage | None, sent_at) -> None:
            customer = ticket.customer
            link = notifications.ticket_link(ticket)
            context = {"ticket": ticket, "message": message, "customer": customer, "link": link}
            rendered = notification_rendering.render_notification(
                kind, context, ticket=ticket, email=True
            )
            parts = [ticket] if message is None else [ticket, message]
            rows.append(
                Notification(
                    kind=kind,
                    channel=Notification.Channel.EMAIL,
                    recipient_email=customer.email,
                    ticket=ticket,
                    message=message,
                    subject=rendered.subject,
                    body_text=rendered.text,
                    body_html=rendered.html,
                    link=link,
                    dedupe_key=notifications.build_dedupe_key(
                        kind=kind,
                        channel=Notification.Channel.EMAIL,
                        recipient_key=f"customer:{customer.pk}",
                        parts=parts,
                    ),
                    created_at=sent_at,
                    sent_at=sent_at,
                    attempts=1,
                )
            )

        for ticket in Ticket.objects.select_related("customer"):
            record("ticket_created", ticket, None, ticket.created_at)
        replies = TicketMessage.objects.filter(
            author_kind=TicketMessage.AuthorKind.AGENT, is_internal=False
        ).select_related("ticket__customer")
        for message in replies:
            record("agent_replied", message.ticket, message, message.created_at)
        Notification.objects.bulk_create(rows, batch_size=500)

    def _record_surveys(self) -> None:
        """The satisfaction surveys the demo resolutions would have produced (the after-hook is
        detached while seeding), already sent, about 60 % answered, mostly happily, so the
        dashboard's CSAT and the organization pages have figures. Like the other demo history
        they are written in bulk with their demo times, each answer with its
        `satisfaction_rated` event; then every organization's health is computed."""
        from tickets.organization_health import organization_refresh_health

        rng, now = self.rng, timezone.now()
        resolved = Ticket.objects.filter(resolved_at__isnull=False).order_by("pk")
        rows, events, rated = [], [], []
        for ticket in resolved:
            sent_at = min(ticket.resolved_at + timedelta(hours=1), now)
            survey = SatisfactionSurvey(
                ticket=ticket,
                resolved_at=ticket.resolved_at,
                created_at=ticket.resolved_at,
                due_at=sent_at,
                sent_at=sent_at,
            )
            if rng.random() < 0.6:
                survey.rating = weighted(rng, DEMO_RATING_WEIGHTS)
                survey.comment = rng.choice(DEMO_SURVEY_COMMENTS[survey.rating])
                survey.answered_at = min(sent_at + timedelta(minutes=rng.uniform(5, 2880)), now)
                ticket.satisfaction_rating = survey.rating
                ticket.satisfaction_comment = survey.comment
                rated.append(ticket)
            rows.append(survey)
        SatisfactionSurvey.objects.bulk_create(rows, batch_size=500)
        for survey in rows:
            if survey.rating is not None:
                events.append(
                    TicketEvent(
                        ticket=survey.ticket,
                        kind=TicketEvent.Kind.SATISFACTION_RATED,
                        to_value=str(survey.rating),
                        data={
                            "survey_id": survey.pk,
                            "resolved_at": survey.resolved_at.isoformat(),
                            "comment": survey.comment,
                            "current": True,
                        },
                        created_at=survey.answered_at,
                    )
                )
        TicketEvent.objects.bulk_create(events, batch_size=500)
        Ticket.objects.bulk_update(
            rated, ["satisfaction_rating", "satisfaction_comment"], batch_size=500
        )
        for organization in Organization.objects.all():
            organization_refresh_health(organization=organization, now=now)
