"""The dashboard's API endpoint (`/api/v1/agent/dashboard`): the same figures as the desk's
analytics page, routed in helpdesk/api_urls.py."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Team
from analytics.selectors import dashboard_summary
from analytics.views import visible_teams
from api.permissions import IsAgent
from tickets.models import Category

DASHBOARD_DEFAULT_DAYS = 30
DASHBOARD_MAX_DAYS = 366
DASHBOARD_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
DASHBOARD_LATEST = datetime(2999, 12, 31, tzinfo=UTC)


class DashboardQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="Default: 30 days before until.")
    until = serializers.DateTimeField(required=False, help_text="Default: now.")
    team = serializers.SlugField(required=False)
    category = serializers.SlugField(required=False)

    def validate(self, attrs):
        # Dates near year 1 or 9999 overflow the default range and the previous period
        # computed from it (a 500 the API fuzzer found): keep both ends in a sane window.
        for name in ("since", "until"):
            if name in attrs and not DASHBOARD_EARLIEST <= attrs[name] <= DASHBOARD_LATEST:
                raise serializers.ValidationError(
                    {
                        name: [
                            f"Choose a date between {DASHBOARD_EARLIEST:%Y} "
                            f"and {DASHBOARD_LATEST:%Y}."
                        ]
                    }
                )
        until = attrs.get("until") or timezone.now()
        since = attrs.get("since") or until - timedelta(days=DASHBOARD_DEFAULT_DAYS)
        if since >= until:
            raise serializers.ValidationError({"until": ["until must be after since."]})
        if until - since > timedelta(days=DASHBOARD_MAX_DAYS):
            raise serializers.ValidationError(
                {"since": [f"Choose a range of at most {DASHBOARD_MAX_DAYS} days."]}
            )
        attrs["since"], attrs["until"] = since, until
        return attrs


# Figures that are desk-wide (no team or category): leads only, as on the dashboard page.
DESK_WIDE_CARDS = ("deflection", "ai_spend")


class AgentDashboard(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="agent_dashboard",
        summary="The dashboard metrics (cards, series, agents, trends)",
        description=(
            "The same figures as the desk's analytics page. A plain agent sees their own "
            "teams only, and no desk-wide figures (deflection, AI spend)."
        ),
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
            OpenApiParameter("team", str, description="Team slug"),
            OpenApiParameter("category", str, description="Category slug"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        query = DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        teams = visible_teams(request.user)
        team = category = None
        if values.get("team"):
            visible = Team.objects.all() if teams is None else Team.objects.filter(pk__in=teams)
            team = visible.filter(slug=values["team"]).first()
            if team is None:
                raise ValidationError({"team": ["No team with this slug that you can see."]})
        if values.get("category"):
            category = Category.objects.filter(slug=values["category"]).first()
            if category is None:
                raise ValidationError({"category": ["No category with this slug."]})
        summary = dashboard_summary(
            since=values["since"],
            until=values["until"],
            team=team,
            category=category,
            teams=teams,
        )
        if teams is not None:
            for key in DESK_WIDE_CARDS:
                summary["cards"].pop(key, None)
        return Response(summary)
