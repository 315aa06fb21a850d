"""The satisfaction survey page: the customer arrives by the signed link in the survey email.

The link is the only credential (no login): `tickets.surveys.survey_from_token` refuses a
changed, forged or expired token with a clear 400/410 page. A survey answers once: an
answered survey shows "already answered", and a second POST writes nothing (409).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from common.exceptions import ApplicationError
from tickets.surveys import (
    LINK_MAX_AGE,
    MAX_COMMENT_LENGTH,
    RATING_LABELS,
    SurveyLinkError,
    survey_answer,
    survey_from_token,
)

TEMPLATE = "portal/survey.html"
LINK_PROBLEMS = {
    "invalid": (
        400,
        "This survey link is not valid",
        "The link may have been cut off or changed. Please open it again from the email we "
        "sent you, copying the whole address.",
    ),
    "expired": (
        410,
        "This survey link has expired",
        f"Survey links work for {LINK_MAX_AGE.days} days. Thank you for coming back: if "
        "something is still wrong, please send us a new request.",
    ),
}


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Your rating",
        choices=list(RATING_LABELS.items()),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose a rating from 1 to 5.",
            "invalid_choice": "Please choose a rating from 1 to 5.",
        },
    )
    comment = forms.CharField(
        label="Anything you would like to tell us?",
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the 1–5 rating form (or "already answered"); POST records the answer once
    and redirects to the thanks page."""
    try:
        survey = survey_from_token(token)
    except SurveyLinkError as exc:
        status, title, text = LINK_PROBLEMS[exc.reason]
        context = {"state": "link_problem", "title": title, "text": text}
        return render(request, TEMPLATE, context, status=status)

    context = {"survey": survey, "ticket": survey.ticket, "token": token}
    if survey.answered_at is not None:
        if request.method == "GET" and request.GET.get("thanks"):
            return render(request, TEMPLATE, {**context, "state": "thanks"})
        status = 409 if request.method == "POST" else 200
        return render(request, TEMPLATE, {**context, "state": "answered"}, status=status)

    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = survey_answer(
                survey=survey,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError:
            # Answered in another tab a moment ago: nothing was written by this request.
            return render(request, TEMPLATE, {**context, "state": "answered"}, status=409)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            # POST/redirect/GET: a reload shows the thanks again instead of re-posting.
            return redirect(f"{reverse('portal:survey', args=[token])}?thanks=1")
    status = 400 if form.is_bound else 200
    return render(request, TEMPLATE, {**context, "state": "form", "form": form}, status=status)
