"""API serializers for tickets: they parse and validate input and shape output; every write
goes through `tickets.services`.

Customer-facing shapes never carry internal notes: their messages come from the selectors'
`public_messages`, and no customer serializer has a field that could reveal a note.
"""

from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.models import Team
from agents.permissions import agent_display_name
from api.fields import SlugLookupField
from tickets.models import (
    PRIORITY_ALIASES,
    Attachment,
    Category,
    Priority,
    Sentiment,
    SlaState,
    Status,
    TicketMessage,
    TicketType,
)
from tickets.services.attachments import download_refusal

MAX_TAGS = 20
User = get_user_model()


class FileListField(serializers.ListField):
    """Files from a multipart body, where the key repeats once per file."""

    child = serializers.FileField(allow_empty_file=True, use_url=False)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", list)
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            return dictionary.getlist(self.field_name) or serializers.empty
        return super().get_value(dictionary)


class PriorityField(serializers.ChoiceField):
    """A priority, accepting the aliases `urgent` (critical) and `normal` (medium)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Priority.choices, **kwargs)

    def to_internal_value(self, data):
        key = str(data).strip().lower()
        return super().to_internal_value(PRIORITY_ALIASES.get(key, key))


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    scan_status = serializers.ChoiceField(
        choices=Attachment.ScanStatus.choices,
        help_text="pending and quarantined files are not served (the download answers 409).",
    )
    notice = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_notice(self, attachment) -> str | None:
        """Why the file cannot be downloaded (virus found, waiting for the scan), or null."""
        return download_refusal(attachment)

    def get_url(self, attachment) -> str:
        if self.context.get("audience") == "agent":
            return reverse("desk:attachment", args=[attachment.pk])
        # The ticket's public id comes from the context: no query per attachment.
        return reverse("portal:attachment", args=[self.context["public_id"], attachment.pk])


def _customer_author(message: TicketMessage) -> str:
    kind = message.author_kind
    if kind == TicketMessage.AuthorKind.CUSTOMER:
        return "You"
    if kind == TicketMessage.AuthorKind.AGENT and message.author is not None:
        return agent_display_name(message.author)
    if kind == TicketMessage.AuthorKind.AI:
        return "Support assistant"
    return "Support team"


class PublicMessageSerializer(serializers.Serializer):
    """A message as the customer sees it. Only public messages are ever passed in."""

    id = serializers.IntegerField()
    author_kind = serializers.CharField()
    author = serializers.SerializerMethodField()
    body = serializers.CharField()
    body_html = serializers.CharField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentSerializer(many=True)

    def get_author(self, message) -> str:
        return _customer_author(message)


class AgentMessageSerializer(PublicMessageSerializer):
    """A message as an agent sees it, internal notes included and marked."""

    is_internal = serializers.BooleanField()

    def get_author(self, message) -> str:
        if message.author_kind == TicketMessage.AuthorKind.CUSTOMER:
            return "Customer"
        if message.author_kind == TicketMessage.AuthorKind.AGENT:
            return agent_display_name(message.author)
        return _customer_author(message)


# Customer ------------------------------------------------------------------------------------


class CustomerTicketSerializer(serializers.Serializer):
    public_id = serializers.CharField()
    reference = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class CustomerTicketDetailSerializer(CustomerTicketSerializer):
    resolution = serializers.SerializerMethodField()
    messages = PublicMessageSerializer(many=True, source="public_messages")

    def get_resolution(self, ticket) -> str:
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            return ticket.resolution
        return ""


class TicketCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=50_000)
    category = SlugLookupField(
        slug_field="slug",
        queryset=Category.objects.filter(active=True),
        required=False,
        allow_null=True,
    )
    type = serializers.ChoiceField(choices=TicketType.choices, required=False)
    attachments = FileListField()


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=50_000)
    attachments = FileListField()


class CustomerTicketFilterSerializer(serializers.Serializer):
    status = serializers.MultipleChoiceField(choices=Status.choices, required=False)


# Agent ---------------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return agent_display_name(user)


class TicketCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class AgentTicketSerializer(serializers.Serializer):
    reference = serializers.CharField()
    public_id = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    type = serializers.ChoiceField(choices=TicketType.choices)
    channel = serializers.CharField()
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    team = serializers.CharField(source="team.slug", read_only=True, allow_null=True)
    assignee = PersonSerializer(allow_null=True)
    customer = TicketCustomerSerializer()
    tags = serializers.SerializerMethodField()
    sla_state = serializers.ChoiceField(choices=SlaState.choices)
    sla_due_at = serializers.DateTimeField(allow_null=True)
    escalation_level = serializers.IntegerField()
    sender_unverified = serializers.BooleanField(
        help_text=(
            "Filed signed out with the address of a customer who has an account, and not "
            "confirmed by them yet (a reply from the email or the ticket opened signed in)."
        )
    )
    sentiment = serializers.ChoiceField(
        choices=Sentiment.choices,
        allow_null=True,
        help_text="How the customer sounds, as the AI classification read it; null: unknown.",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    first_response_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)

    def get_tags(self, ticket) -> list[str]:
        # Prefetched by the selectors: sorted here, not with another query.
        return sorted(tag.name for tag in ticket.tags.all())


class AgentTicketDetailSerializer(AgentTicketSerializer):
    body = serializers.CharField()
    resolution = serializers.CharField()
    messages = AgentMessageSerializer(many=True)


class QueueFilterSerializer(serializers.Serializer):
    """The desk queue's filters, as query parameters (repeat a key for several values)."""

    status = serializers.MultipleChoiceField(choices=Status.choices, required=False)
    priority = serializers.MultipleChoiceField(choices=Priority.choices, required=False)
    sla = serializers.MultipleChoiceField(choices=SlaState.choices, required=False)
    category = serializers.SlugField(required=False)
    team = serializers.SlugField(required=False)
    tag = serializers.SlugField(required=False)
    assignee = serializers.RegexField(
        # At most 18 digits: a longer id overflows the database's integer (a 500 the fuzzer
        # found); no agent has one.
        r"^(me|unassigned|\d{1,18})$",
        required=False,
        error_messages={"invalid": "Use me, unassigned or an agent's id."},
    )
    q = serializers.CharField(required=False, max_length=200, allow_blank=True)


class AgentTicketPatchSerializer(serializers.Serializer):
    """The fields an agent may change. Each is applied through its lifecycle verb."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    resolution = serializers.CharField(required=False, max_length=50_000)
    priority = PriorityField(required=False)
    type = serializers.ChoiceField(choices=TicketType.choices, required=False)
    category = SlugLookupField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    team = SlugLookupField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=MAX_TAGS
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.select_related("agent_profile"), required=False, allow_null=True
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        if attrs.get("status") == Status.RESOLVED and not (attrs.get("resolution") or "").strip():
            raise serializers.ValidationError({"resolution": "A resolution is required."})
        return attrs


class AgentMessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=50_000)
    internal = serializers.BooleanField(
        default=False, help_text="True for an internal note, never shown to the customer."
    )
    attachments = FileListField()

    def validate(self, attrs):
        if attrs["internal"] and attrs.get("attachments"):
            raise serializers.ValidationError(
                {"attachments": "Internal notes take no attachments."}
            )
        return attrs


class EscalateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    raise_priority = serializers.BooleanField(default=True)


class AiQuerySerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=30, help_text="The ticket's reference.")
    question = serializers.CharField(max_length=2000)


class AiAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)
    interaction_id = serializers.IntegerField()


@extend_schema_field({"type": "object", "additionalProperties": True})
class DashboardField(serializers.DictField):
    pass
