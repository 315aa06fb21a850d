"""The approval queue: drafts of the auto-response cascade (knowledge.autoanswer) waiting for
an agent. The page's "Approve and send" posts the textarea to the edit action, which records
`approved` when the text is unchanged and `edited` otherwise, so an agent's edit is never lost;
the approve action (the draft as it is) stays for other clients. Reject sends nothing. Each
decision is recorded. HTMX posts get the draft's row back (now decided); plain posts redirect
to the queue."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from agents.access import HtmxHttpRequest, agent_required
from common.exceptions import ApplicationError
from knowledge import autoanswer
from tickets.services.messages import MAX_MESSAGE_LENGTH


class DraftEditForm(forms.Form):
    body = forms.CharField(max_length=MAX_MESSAGE_LENGTH, strip=True)


@agent_required
@require_GET
def approval_queue(request: HtmxHttpRequest) -> HttpResponse:
    drafts = autoanswer.pending_auto_answers(agent=request.user)
    return render(request, "desk/approvals.html", {"drafts": drafts})


def _done(request: HtmxHttpRequest, draft, *, notice: str = "", error: str = "", status=200):
    if request.htmx:
        context = {"draft": draft, "notice": notice, "error": error}
        return render(request, "desk/approvals.html#draft", context, status=status)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("desk:approvals")


def _decide(request: HtmxHttpRequest, pk: int, action) -> HttpResponse:
    draft = autoanswer.pending_auto_answer(agent=request.user, pk=pk)
    try:
        draft = action(draft)
    except ValidationError as exc:
        return _done(request, draft, error=" ".join(exc.messages), status=400)
    except ApplicationError as exc:
        return _done(request, draft, error=exc.message, status=409)
    notice = {
        "approved": f"Sent to {draft.ticket.reference}.",
        "edited": f"Your edit was sent to {draft.ticket.reference}.",
        "rejected": f"Draft for {draft.ticket.reference} rejected.",
    }[draft.status]
    return _done(request, draft, notice=notice)


@agent_required
@require_POST
def approval_approve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request, pk, lambda d: autoanswer.auto_answer_approve(answer=d, agent=request.user)
    )


@agent_required
@require_POST
def approval_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    form = DraftEditForm(request.POST)
    if not form.is_valid():
        draft = autoanswer.pending_auto_answer(agent=request.user, pk=pk)
        return _done(request, draft, error="The answer cannot be empty.", status=400)
    body = form.cleaned_data["body"]
    return _decide(
        request,
        pk,
        lambda d: autoanswer.auto_answer_approve(answer=d, agent=request.user, body=body),
    )


@agent_required
@require_POST
def approval_reject(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request, pk, lambda d: autoanswer.auto_answer_reject(answer=d, agent=request.user)
    )
