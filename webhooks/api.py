"""Webhook subscriptions through the API, for administrators (staff): list, create, read,
change and delete. The signing secret is shown once, in the answer to the create (and to a
rotation); reads never show it.

The writes are the small services below; validation is the model's own (events, URL scheme).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import paginated
from api.permissions import IsStaff
from common.api_errors import service_errors
from webhooks.models import (
    WEBHOOK_EVENTS,
    WebhookSubscription,
    validate_webhook_address,
    validate_webhook_url,
)
from webhooks.recording import webhook_subscription_enable, webhook_subscription_rotate_secret

EDITABLE = ("name", "url", "events", "active")


class WebhookSubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)
    url = serializers.URLField(
        max_length=500, validators=[validate_webhook_url, validate_webhook_address]
    )
    events = serializers.MultipleChoiceField(choices=WEBHOOK_EVENTS)
    active = serializers.BooleanField(default=True)
    consecutive_failures = serializers.IntegerField(read_only=True)
    disabled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    disabled_reason = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["events"] = list(instance.events)
        return data

    def validate_events(self, value):
        if not value:
            raise serializers.ValidationError("Choose at least one event.")
        # In the documented order, so the stored list is stable.
        return [event for event in WEBHOOK_EVENTS if event in value]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Shown once: keep it to verify X-Helpdesk-Signature."
    )


class RotateSecretSerializer(serializers.Serializer):
    rotate_secret = serializers.BooleanField(default=False)


class WebhookSubscriptionPatchSerializer(WebhookSubscriptionSerializer):
    """The PATCH body as documented: the editable fields plus `rotate_secret`."""

    rotate_secret = serializers.BooleanField(
        default=False, write_only=True, help_text="Issue a new signing secret (shown once)."
    )


class WebhookSubscriptionUpdatedSerializer(WebhookSubscriptionSerializer):
    """The PATCH answer as documented: `secret` only after a rotation."""

    secret = serializers.CharField(
        required=False, help_text="Only with `rotate_secret: true`: the new secret, shown once."
    )


# Services ------------------------------------------------------------------------------------


@transaction.atomic
def webhook_subscription_create(*, owner, **fields) -> WebhookSubscription:
    """A new subscription owned by `owner` (told if it is disabled after failures)."""
    subscription = WebhookSubscription(owner=owner, **fields)
    subscription.full_clean(exclude=["owner"])
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_update(*, subscription: WebhookSubscription, **changes):
    """Change name, URL, events or active. Turning an auto-disabled subscription back on
    clears its failures (as the admin action does)."""
    active = changes.pop("active", None)
    for name, value in changes.items():
        if name not in EDITABLE:
            raise ValueError(name)
        setattr(subscription, name, value)
    if active is False:
        subscription.active = False
    subscription.full_clean(exclude=["owner"])
    subscription.save()
    if active is True:
        webhook_subscription_enable(subscription=subscription)
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete a subscription and its delivery log."""
    subscription.delete()


# Views ---------------------------------------------------------------------------------------


class WebhookList(generics.GenericAPIView):
    permission_classes = [IsStaff]
    pagination_class = paginated(("-created_at", "-id"))
    serializer_class = WebhookSubscriptionSerializer

    @extend_schema(
        operation_id="webhooks_list",
        summary="Webhook subscriptions",
        responses=WebhookSubscriptionSerializer(many=True),
    )
    def get(self, request):
        page = self.paginate_queryset(WebhookSubscription.objects.all())
        return self.get_paginated_response(WebhookSubscriptionSerializer(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        summary="Subscribe a URL to events",
        request=WebhookSubscriptionSerializer,
        responses={201: WebhookSubscriptionCreatedSerializer},
    )
    def post(self, request):
        serializer = WebhookSubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            subscription = webhook_subscription_create(
                owner=request.user, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from None
        data = WebhookSubscriptionCreatedSerializer(subscription).data
        return Response(data, status=status.HTTP_201_CREATED)


class WebhookDetail(APIView):
    permission_classes = [IsStaff]

    def _subscription(self, subscription_id: int) -> WebhookSubscription:
        try:
            return WebhookSubscription.objects.get(pk=subscription_id)
        except WebhookSubscription.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        operation_id="webhooks_retrieve",
        summary="One subscription",
        responses=WebhookSubscriptionSerializer,
    )
    def get(self, request, subscription_id: int):
        return Response(WebhookSubscriptionSerializer(self._subscription(subscription_id)).data)

    @extend_schema(
        operation_id="webhooks_partial_update",
        summary="Change a subscription; `rotate_secret: true` issues a new secret (shown once)",
        request=WebhookSubscriptionPatchSerializer,
        responses=WebhookSubscriptionUpdatedSerializer,
    )
    def patch(self, request, subscription_id: int):
        subscription = self._subscription(subscription_id)
        serializer = WebhookSubscriptionSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rotate = RotateSecretSerializer(data=request.data)
        rotate.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                subscription = webhook_subscription_update(
                    subscription=subscription, **serializer.validated_data
                )
                if rotate.validated_data["rotate_secret"]:
                    webhook_subscription_rotate_secret(subscription=subscription)
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from None
        if rotate.validated_data["rotate_secret"]:
            return Response(WebhookSubscriptionCreatedSerializer(subscription).data)
        return Response(WebhookSubscriptionSerializer(subscription).data)

    @extend_schema(
        operation_id="webhooks_destroy", summary="Delete a subscription", responses={204: None}
    )
    def delete(self, request, subscription_id: int):
        webhook_subscription_delete(subscription=self._subscription(subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
