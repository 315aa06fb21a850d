"""One model call, logged and budgeted: `ai_complete_json`.

Every call writes exactly one `AIInteraction`: outcome `sent` with the answer, tokens, latency
and cost; `failed` with the error; `skipped_budget` when the month's spend has reached
`AI_MONTHLY_BUDGET_USD`, or `skipped_paused` while the provider's circuit breaker has calls
paused (`knowledge.ai.breaker`); no request is made then. Nothing here raises to the caller: any
fault (timeout, connection error, an HTTP error including 429, a refusal, an answer that is
not a JSON object) is logged and the caller gets None, so a feature built on the model always
has its non-AI path to fall back on.

Every call ends within its deadline (`AI_DEADLINE_SECONDS`, connect, reads and retries
together; `knowledge.ai.client`) and is logged however it ends: a call interrupted from outside
(the web server's worker timeout, a shutdown) is logged `failed` on its way out. Callers run in
background jobs, never inside a customer's request or a ticket transaction; the agents' AI
query (`knowledge.api.AiQuery`) is the one call made in a request, with the shorter
`AI_REQUEST_DEADLINE_SECONDS`.
"""

import json
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openai
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from knowledge.ai import breaker
from knowledge.ai.client import call_within_deadline
from knowledge.models import AIBudgetAlert, AIInteraction, AIModelPrice

logger = logging.getLogger(__name__)

Outcome = AIInteraction.Outcome

# Percent of the monthly budget at which superusers and managers are told, once a month each.
ALERT_THRESHOLDS = (80, 100)
MILLION = Decimal(1_000_000)
COST_QUANTUM = Decimal("0.000001")
# Kept in the log, not sent anywhere: enough to see what went wrong.
MAX_ERROR_LENGTH = 2000


@dataclass
class AIResult:
    """What `ai_call_json` returns: the parsed object (None on any failure or refusal) and
    the interaction it logged, so a feature can record what became of the answer."""

    data: dict[str, Any] | None
    interaction: AIInteraction
    fault: Exception | None = None

    @property
    def timed_out(self) -> bool:
        """No answer in time (the deadline, or every attempt's timeout)."""
        return isinstance(self.fault, openai.APITimeoutError)


class AIAnswerError(Exception):
    """The model answered, but not with something usable (refusal, not a JSON object)."""


def month_start(today: date | None = None) -> date:
    return (today or timezone.localdate()).replace(day=1)


def month_spend(month: date | None = None) -> Decimal:
    """US dollars logged since the first of this calendar month (local time)."""
    start = timezone.make_aware(datetime.combine(month or month_start(), datetime.min.time()))
    total = AIInteraction.objects.filter(created_at__gte=start).aggregate(total=Sum("cost_usd"))
    return total["total"] or Decimal(0)


def monthly_budget() -> Decimal:
    return Decimal(str(settings.AI_MONTHLY_BUDGET_USD))


def price_for(model: str) -> AIModelPrice | None:
    return AIModelPrice.objects.filter(model=model).first()


def cost_for(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    """The cost from the price table; a model without a price costs 0 (and is still logged)."""
    price = price_for(model)
    if price is None:
        return Decimal(0)
    cost = (
        Decimal(input_tokens) * price.input_per_million_usd
        + Decimal(output_tokens) * price.output_per_million_usd
    ) / MILLION
    return cost.quantize(COST_QUANTUM)


def build_messages(messages: list[dict[str, str]], schema_hint: str) -> list[dict[str, str]]:
    """JSON mode needs the word JSON in the prompt; the hint says which object is wanted."""
    instruction = (
        "Answer with one JSON object only, no prose, matching this description:\n" + schema_hint
    )
    return [{"role": "system", "content": instruction}, *messages]


def ai_call_json(
    *,
    purpose: str,
    messages: list[dict[str, str]],
    schema_hint: str,
    ticket=None,
    deadline: float | None = None,
) -> AIResult:
    """Ask the model for one JSON object and log the call, within `deadline` seconds
    (`AI_DEADLINE_SECONDS` when None). Never raises, except what interrupts the call from
    outside (SystemExit, KeyboardInterrupt), which goes on after the call is logged.

    Side effects: one `AIInteraction`; after it, a budget alert (and its notifications) when
    this month's spend has crossed 80 % or 100 % of the budget for the first time.
    """
    model = settings.AI_MODEL
    full_messages = build_messages(messages, schema_hint)
    prompt = json.dumps(full_messages, ensure_ascii=False, indent=1)
    log = {"purpose": purpose, "model": model, "prompt": prompt, "ticket": ticket}

    skipped, permit = call_permit(log)
    if skipped is not None:
        return AIResult(None, skipped)

    started = time.monotonic()
    content = ""
    input_tokens = output_tokens = 0
    fault = None
    try:
        completion = call_within_deadline(
            lambda client: client.chat.completions.create(
                model=model,
                messages=full_messages,
                response_format={"type": "json_object"},
            ),
            seconds=deadline,
        )
        usage = getattr(completion, "usage", None)
        if usage is not None:
            input_tokens = int(usage.prompt_tokens or 0)
            output_tokens = int(usage.completion_tokens or 0)
        data = parse_answer(completion)
        content = completion.choices[0].message.content or ""
        error = ""
    except Exception as exc:  # noqa: BLE001 - the model is optional; every fault is logged
        data = None
        fault = exc
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        logger.warning("AI call for %s failed: %s", purpose, error)
    except BaseException as exc:
        log_interrupted_call(log, started=started, exc=exc)
        raise
    latency_ms = round((time.monotonic() - started) * 1000)
    breaker.record(fault, permit)

    confidence = data.get("confidence") if data else None
    interaction = AIInteraction.objects.create(
        **log,
        response=content,
        latency_ms=latency_ms,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost_for(model, input_tokens, output_tokens),
        confidence=clean_confidence(confidence),
        outcome=Outcome.SENT if data is not None else Outcome.FAILED,
        error=error,
    )
    check_budget_alerts()
    return AIResult(data, interaction, fault)


def log_interrupted_call(log: dict[str, Any], *, started: float, exc: BaseException) -> None:
    """Log a call that something outside ended mid-request (the web server's worker timeout
    raises SystemExit in it, a shutdown KeyboardInterrupt), so no model call goes unlogged.
    The breaker is not told: the provider gave no verdict."""
    try:
        AIInteraction.objects.create(
            **log,
            latency_ms=round((time.monotonic() - started) * 1000),
            outcome=Outcome.FAILED,
            error=f"Interrupted ({type(exc).__name__}) while waiting for the provider.",
        )
    except Exception:  # noqa: BLE001 - never hide what interrupted the call
        logger.exception("Could not log the interrupted AI call for %s", log.get("purpose"))


def call_permit(log: dict[str, Any]) -> tuple[AIInteraction | None, breaker.Gate | None]:
    """Whether a model call may go ahead: the skipped call, logged from `log` (outcome
    `skipped_budget` or `skipped_paused`, no request made), or the breaker's permit to
    report the call's result to (`breaker.record`)."""
    if month_spend() >= monthly_budget():
        interaction = AIInteraction.objects.create(
            **log, outcome=Outcome.SKIPPED_BUDGET, error="Monthly AI budget reached."
        )
        check_budget_alerts()
        return interaction, None
    permit = breaker.gate()
    if not permit.open:
        interaction = AIInteraction.objects.create(
            **log, outcome=Outcome.SKIPPED_PAUSED, error=breaker.paused_message(permit.paused_until)
        )
        return interaction, None
    return None, permit


def ai_complete_json(
    *,
    purpose: str,
    messages: list[dict[str, str]],
    schema_hint: str,
    ticket=None,
) -> dict[str, Any] | None:
    """The model's JSON object, or None when the AI failed, refused or is over budget.
    Logs one `AIInteraction` (see `ai_call_json`). Never raises."""
    return ai_call_json(
        purpose=purpose, messages=messages, schema_hint=schema_hint, ticket=ticket
    ).data


def parse_answer(completion) -> dict[str, Any]:
    if not completion.choices:
        raise AIAnswerError("The answer has no choices.")
    message = completion.choices[0].message
    if getattr(message, "refusal", None):
        raise AIAnswerError(f"The model refused: {message.refusal}")
    try:
        data = json.loads(message.content or "")
    except ValueError as exc:
        raise AIAnswerError(f"The answer is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise AIAnswerError(f"The answer is JSON but not an object: {type(data).__name__}.")
    return data


def clean_confidence(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 0 <= value <= 1:
        return None
    return Decimal(str(value)).quantize(Decimal("0.001"))


def ai_interaction_set_outcome(*, interaction: AIInteraction, outcome: str) -> AIInteraction:
    """Record what became of an answer (used, approved, edited, rejected)."""
    if outcome not in Outcome.values:
        raise ValueError(f"Unknown outcome {outcome!r}.")
    if interaction.outcome != outcome:
        interaction.outcome = outcome
        interaction.save(update_fields=["outcome"])
    return interaction


def budget_alert_recipients():
    from agents.models import AgentProfile

    User = get_user_model()
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(agent_profile__seniority=AgentProfile.Seniority.MANAGER))
        .distinct()
        .order_by("pk")
    )


def check_budget_alerts() -> list[AIBudgetAlert]:
    """Create this month's alert for each threshold the spend has reached, once (unique per
    month and threshold), and notify superusers and managers. Returns the alerts created now."""
    from tickets.notifications import notify

    budget = monthly_budget()
    if budget <= 0:
        return []
    month = month_start()
    spend = month_spend(month)
    created = []
    for threshold in ALERT_THRESHOLDS:
        if spend * 100 < budget * threshold:
            continue
        try:
            with transaction.atomic():
                alert, is_new = AIBudgetAlert.objects.get_or_create(
                    month=month, threshold=threshold
                )
        except IntegrityError:  # another worker created it first
            continue
        if not is_new:
            continue
        created.append(alert)
        if threshold >= 100:
            headline = f"The AI budget for {month:%B %Y} is used up"
            text = (
                f"AI spend this month is ${spend:.2f} of the ${budget:.2f} budget. Model calls "
                "are refused until next month or until AI_MONTHLY_BUDGET_USD is raised; "
                "everything else keeps working without the AI."
            )
        else:
            headline = f"{threshold} % of the AI budget for {month:%B %Y} is spent"
            text = f"AI spend this month is ${spend:.2f} of the ${budget:.2f} budget."
        notify(
            kind="ai_budget",
            recipients=budget_alert_recipients(),
            template="agent_notice",
            context={"headline": headline, "text": text},
            dedupe=[month.isoformat(), threshold],
            link=reverse("admin:knowledge_aiinteraction_changelist"),
        )
    return created
