"""Customer portal forms: filing a ticket and replying on one.

They parse and validate only. The views hand the cleaned values to `tickets.services`, which
check everything again and do the writing.
"""

import mimetypes
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from common.exceptions import ApplicationError, error_messages
from tickets.models import Category, Customer
from tickets.services import validate_uploads
from tickets.services.messages import MAX_MESSAGE_LENGTH

MARKDOWN_HINT = "You can use Markdown: **bold**, _italic_, `code`, lists and links."


@dataclass(frozen=True)
class AttachmentRules:
    """The upload limits as customers should read them, taken from settings."""

    max_files: int
    max_bytes: int
    extensions: list[str]  # every file name ending the service accepts
    labels: list[str]  # one readable name per allowed type

    @property
    def max_size(self) -> str:
        return filesizeformat(self.max_bytes)

    @property
    def accept(self) -> str:
        return ",".join(self.extensions)

    @property
    def kinds(self) -> str:
        return ", ".join(self.labels)

    @property
    def summary(self) -> str:
        files = "1 file" if self.max_files == 1 else f"{self.max_files} files"
        return f"Up to {files}, {self.max_size} each. Allowed: {self.kinds}."


def attachment_rules() -> AttachmentRules:
    extensions: list[str] = []
    labels: list[str] = []
    for content_type in settings.ATTACHMENT_ALLOWED_TYPES:
        # The attachment service judges a file by its name, so the extensions are the rule.
        for ext in sorted(mimetypes.guess_all_extensions(content_type)):
            if ext not in extensions:
                extensions.append(ext)
        preferred = mimetypes.guess_extension(content_type)
        label = preferred.lstrip(".").upper() if preferred else content_type
        if label not in labels:
            labels.append(label)
    return AttachmentRules(
        max_files=settings.ATTACHMENT_MAX_FILES,
        max_bytes=settings.ATTACHMENT_MAX_BYTES,
        extensions=extensions,
        labels=labels,
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more uploaded files, checked against the attachment limits."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_clean = super().clean
        if isinstance(data, list | tuple):
            files = [single_clean(item, initial) for item in data if item]
        else:
            files = [single_clean(data, initial)] if data else []
        validate_uploads(files)
        return files


def _textarea(placeholder: str, rows: int = 7) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder})


class TicketForm(forms.Form):
    """A new ticket from the portal. A logged-in customer's name and email come from their
    customer record and cannot be changed here."""

    name = forms.CharField(
        label="Your name",
        max_length=200,
        error_messages={"required": "Tell us your name."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We send a private link to follow your request here.",
        error_messages={
            "required": "Enter the email address where we can reach you.",
            "invalid": "Enter a valid email address, like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    subject = forms.CharField(
        label="Subject",
        max_length=200,
        help_text="A short summary, like “Cannot download my invoice”.",
        error_messages={"required": "Add a subject: a few words about the problem."},
    )
    category = forms.ModelChoiceField(
        label="Topic",
        queryset=Category.objects.none(),
        required=False,
        empty_label="Not sure / something else",
        help_text="Helps us send your request to the right people.",
    )
    description = forms.CharField(
        label="Description",
        max_length=MAX_MESSAGE_LENGTH,
        help_text=(
            "What happened, what you expected, and any steps to reproduce it. " + MARKDOWN_HINT
        ),
        error_messages={"required": "Describe the problem so we can help."},
        widget=_textarea("Describe what you need help with…", rows=8),
    )
    attachments = MultipleFileField(label="Attachments")

    def __init__(self, *args, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.rules = attachment_rules()
        self.fields["category"].queryset = Category.objects.filter(active=True).order_by("name")
        self.fields["attachments"].help_text = self.rules.summary
        self.fields["attachments"].widget.attrs["accept"] = self.rules.accept
        # While the subject is typed, matching help articles load under it (HTMX). Without
        # JavaScript these attributes do nothing and the form works as before.
        self.fields["subject"].widget.attrs.update(
            {
                "hx-get": reverse("portal:suggestions"),
                "hx-trigger": "keyup changed delay:400ms, search",
                "hx-params": "subject",
                "hx-target": "#portal-suggestions",
                "hx-swap": "outerHTML",
                "hx-sync": "this:replace",
                "aria-controls": "portal-suggestions",
                "autocomplete": "off",
            }
        )
        if customer is not None:
            for field, value in (("name", customer.name), ("email", customer.email)):
                self.fields[field].disabled = True
                self.fields[field].required = False
                self.initial[field] = value
            self.fields["email"].help_text = "From your account. We email updates here."


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=MAX_MESSAGE_LENGTH,
        help_text=MARKDOWN_HINT,
        error_messages={"required": "Write a message before sending."},
        widget=_textarea("Write your reply…", rows=5),
    )
    attachments = MultipleFileField(label="Attachments")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = attachment_rules()
        self.fields["attachments"].help_text = self.rules.summary
        self.fields["attachments"].widget.attrs["accept"] = self.rules.accept


def add_service_error(
    form: forms.Form,
    exc: ValidationError | ApplicationError,
    *,
    field_map: dict[str, str] | None = None,
    list_field: str | None = "attachments",
) -> None:
    """Show an error raised by a service on the form: a field error where the service named a
    field this form has, otherwise a message for the whole form."""
    field_map = field_map or {}
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            target = field_map.get(key, key)
            form.add_error(target if target in form.fields else None, errors)
    elif isinstance(exc, ValidationError) and list_field in form.fields:
        # The one service error without a field name: attachments that fail the limits.
        form.add_error(list_field, exc.messages)
    else:
        form.add_error(None, error_messages(exc))
