"""Satisfaction surveys: one per resolution, emailed a while after the resolve, answered once.

Flow (docs/surveys.md):

1. `on_ticket_resolved`, a lifecycle after-hook on `transition`, queues
   `tickets.tasks.create_survey` for each move to resolved. The task calls `survey_create`,
   which records the survey for that resolution (unique on ticket and `resolved_at`) with
   `due_at` = resolved + `SURVEY_DELAY_MINUTES`.
2. The schedule `helpdesk:send-due-surveys` runs `surveys_send_due` every 5 minutes.
   `survey_send` locks the survey row, returns early when it was sent or skipped, and emails
   the customer a signed link through `notify()` (kind "survey"). A ticket that is no longer
   on that resolution (reopened, or resolved again later) is skipped, not surveyed: the
   customer is still talking to us, and the new resolution gets its own survey.
3. The link carries the survey id signed with a salted `django.core.signing` token: a
   changed token fails the signature, and an answered survey is never written again.
   `survey_answer` stores the rating on the survey and, through
   `tickets.services.satisfaction`, on the ticket; fires the `survey.submitted` webhook;
   a rating of 2 or less adds an internal note and alerts the team lead.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from common.exceptions import ApplicationError
from tickets.hooks import HookContext
from tickets.models import SatisfactionSurvey, Status, Ticket, TicketEvent

logger = logging.getLogger(__name__)

SIGNING_SALT = "tickets.survey.link"
# A survey link works for this long after it was made; a later click gets a clear "expired"
# page. Long enough for a customer back from holiday, short enough that old mail goes stale.
LINK_MAX_AGE = timedelta(days=60)
# A rating at or below this alerts the team lead and adds an internal note.
LOW_RATING = 2
MAX_COMMENT_LENGTH = 2000
# Upper bound per run of the send job, so a backlog drains over several runs.
SEND_BATCH = 200

RATING_LABELS = {
    1: "Very dissatisfied",
    2: "Dissatisfied",
    3: "Neutral",
    4: "Satisfied",
    5: "Very satisfied",
}


class SurveyLinkError(Exception):
    """A survey link that cannot be used: `reason` is "invalid" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------


def survey_token(survey: SatisfactionSurvey) -> str:
    """A signed, timestamped token carrying the survey id (salted: no other signed value of the
    project is accepted in its place)."""
    return signing.dumps({"survey": survey.pk}, salt=SIGNING_SALT)


def survey_link(survey: SatisfactionSurvey) -> str:
    return settings.SITE_URL + reverse("portal:survey", args=[survey_token(survey)])


def survey_from_token(token: str) -> SatisfactionSurvey:
    """The survey a link points at. Raises `SurveyLinkError` for a forged, changed, expired or
    dangling token; never tells which part was wrong."""
    try:
        payload = signing.loads(token, salt=SIGNING_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise SurveyLinkError("expired") from None
    except signing.BadSignature:
        raise SurveyLinkError("invalid") from None
    survey_id = payload.get("survey") if isinstance(payload, dict) else None
    if not isinstance(survey_id, int):
        raise SurveyLinkError("invalid")
    survey = (
        SatisfactionSurvey.objects.select_related("ticket", "ticket__customer")
        .filter(pk=survey_id)
        .first()
    )
    if survey is None:
        raise SurveyLinkError("invalid")
    return survey


# ---------------------------------------------------------------------------------------------
# Scheduling and sending
# ---------------------------------------------------------------------------------------------


def on_ticket_resolved(ctx: HookContext) -> None:
    """After-hook on `transition`: a move to resolved queues its survey and the organization's
    health refresh. Runs after commit; the tasks re-read everything."""
    for event in ctx.events:
        if event.kind == TicketEvent.Kind.STATUS_CHANGED and event.to_value == Status.RESOLVED:
            async_task("tickets.tasks.create_survey", ctx.ticket.pk, event.created_at.isoformat())
            organization_id = ctx.ticket.customer.organization_id
            if organization_id is not None:
                async_task("tickets.tasks.refresh_organization_health", organization_id)


def survey_create(*, ticket: Ticket, resolved_at: datetime) -> tuple[SatisfactionSurvey, bool]:
    """Record the survey for one resolution, due `SURVEY_DELAY_MINUTES` after it. Returns the
    survey and whether this call created it: the unique (ticket, resolved_at) makes a repeat
    return the existing one."""
    due_at = resolved_at + timedelta(minutes=settings.SURVEY_DELAY_MINUTES)
    return SatisfactionSurvey.objects.get_or_create(
        ticket=ticket, resolved_at=resolved_at, defaults={"due_at": due_at}
    )


def _still_on_resolution(ticket: Ticket, survey: SatisfactionSurvey) -> bool:
    # Closing keeps `resolved_at`; reopening clears it and a new resolve moves it.
    return (
        ticket.status in (Status.RESOLVED, Status.CLOSED)
        and ticket.resolved_at == survey.resolved_at
        and ticket.merged_into_id is None
    )


@transaction.atomic
def survey_send(*, survey: SatisfactionSurvey) -> bool:
    """Email the survey unless it was sent or skipped already. Returns whether it went out now.

    Locks the survey row, so two runs send once. A ticket no longer on this resolution gets
    `skipped_at` instead. Side effects: one `survey` email notification (delivered by
    `tickets.tasks.deliver_notification` on commit).
    """
    from tickets.notifications import notify

    survey = SatisfactionSurvey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
    if survey.sent_at is not None or survey.skipped_at is not None:
        return False
    ticket = Ticket.objects.select_related("customer").get(pk=survey.ticket_id)
    now = timezone.now()
    if not _still_on_resolution(ticket, survey):
        survey.skipped_at = now
        survey.save(update_fields=["skipped_at"])
        return False
    notify(
        kind="survey",
        recipients=[ticket.customer],
        ticket=ticket,
        template="survey",
        context={"survey": survey, "rating_labels": RATING_LABELS},
        dedupe=[survey],
        link=survey_link(survey),
    )
    survey.sent_at = now
    survey.save(update_fields=["sent_at"])
    return True


def surveys_due(*, now: datetime | None = None, limit: int = SEND_BATCH) -> list[int]:
    now = now or timezone.now()
    return list(
        SatisfactionSurvey.objects.filter(
            sent_at__isnull=True, skipped_at__isnull=True, due_at__lte=now
        )
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def surveys_send_due() -> int:
    """Send every due survey (the scheduled job). Returns how many went out. Each survey is
    sent in its own transaction, so one failure does not hold back the others."""
    sent = 0
    for survey_id in surveys_due():
        try:
            sent += survey_send(survey=SatisfactionSurvey(pk=survey_id))
        except Exception:
            logger.exception("Sending survey %s failed", survey_id)
    return sent


# ---------------------------------------------------------------------------------------------
# Answering
# ---------------------------------------------------------------------------------------------


def _clean_rating(rating) -> int:
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = None
    if value not in RATING_LABELS:
        raise ValidationError({"rating": "Please choose a rating from 1 to 5."})
    return value


def _clean_comment(comment: str) -> str:
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            {"comment": f"Please keep the comment under {MAX_COMMENT_LENGTH} characters."}
        )
    return text


def _team_leads(ticket: Ticket) -> list:
    """Who hears about an unhappy customer: the ticket team's lead, or, with no team or no
    lead, the managers."""
    from agents.models import AgentProfile

    if ticket.team_id and ticket.team.lead_id and ticket.team.lead.is_active:
        return [ticket.team.lead]
    managers = AgentProfile.objects.filter(
        seniority=AgentProfile.Seniority.MANAGER, user__is_active=True
    ).select_related("user")
    return [profile.user for profile in managers]


def _low_rating_note(survey: SatisfactionSurvey) -> str:
    text = f"Low satisfaction rating: **{survey.rating}/5** ({RATING_LABELS[survey.rating]})"
    text += f" for the resolution of {timezone.localtime(survey.resolved_at):%Y-%m-%d %H:%M}."
    if survey.comment:
        quoted = "\n".join(f"> {line}" for line in survey.comment.splitlines())
        text += f"\n\nThe customer wrote:\n\n{quoted}"
    else:
        text += "\n\nThe customer left no comment."
    return text


@transaction.atomic
def survey_answer(*, survey: SatisfactionSurvey, rating, comment: str = "") -> SatisfactionSurvey:
    """Record the customer's answer, once.

    Locks the survey row; an answered survey refuses (`already_answered`), so a reused link or
    a double submit never writes twice. Writes the rating and comment on the survey and, via
    `ticket_record_satisfaction`, on the ticket (one `satisfaction_rated` event). A rating of
    `LOW_RATING` or less adds an internal note (System) and notifies the team lead. Side
    effects on commit: the `survey.submitted` webhook, the organization's health refresh.
    """
    from tickets.notifications import notify
    from tickets.services import ticket_add_note
    from tickets.services.satisfaction import ticket_record_satisfaction
    from webhooks.services import webhook_emit

    rating = _clean_rating(rating)
    comment = _clean_comment(comment)
    survey = SatisfactionSurvey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
    if survey.answered_at is not None:
        raise ApplicationError(
            "This survey was already answered. Thank you, we have your rating.",
            code="already_answered",
        )
    survey.rating = rating
    survey.comment = comment
    survey.answered_at = timezone.now()
    survey.save(update_fields=["rating", "comment", "answered_at"])
    ticket = ticket_record_satisfaction(
        ticket=survey.ticket_id,
        rating=rating,
        comment=comment,
        resolved_at=survey.resolved_at,
        survey_id=survey.pk,
    )
    ticket = Ticket.objects.select_related("customer", "team__lead").get(pk=ticket.pk)
    if rating <= LOW_RATING:
        ticket_add_note(ticket=ticket, actor=None, body=_low_rating_note(survey))
        notify(
            kind="low_rating",
            recipients=_team_leads(ticket),
            ticket=ticket,
            template="survey_low_rating",
            context={"survey": survey, "rating_label": RATING_LABELS[rating]},
            dedupe=[survey],
        )
    webhook_emit(
        event="survey.submitted",
        ticket=ticket,
        data={
            "rating": rating,
            "comment": comment,
            "resolved_at": survey.resolved_at,
            "answered_at": survey.answered_at,
        },
        source_key=f"survey:{survey.pk}",
    )
    organization_id = ticket.customer.organization_id
    if organization_id is not None:
        transaction.on_commit(
            lambda: async_task("tickets.tasks.refresh_organization_health", organization_id)
        )
    return survey
