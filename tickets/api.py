"""The tickets API: customers file and follow their own tickets; agents work the queue.

One view per action. Views parse with a serializer, read through `tickets.selectors` and
write through `tickets.services`, exactly as the portal and desk pages do; permission
scoping is the pages' own (customers see their tickets and public messages only, and
another customer's ticket is a 404; agents see every ticket).

Over 400 lines for now: the API's URL configuration (`helpdesk/api_urls.py`, becoming an app
of its own) names every view here; the customer and agent views split in two once it can
point at both.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.idempotency import idempotent
from api.pagination import paginated
from api.permissions import IsAgent, IsCustomer
from api.throttles import DEFAULT_THROTTLES, TicketCreateThrottle
from common.api_errors import service_errors
from tickets import selectors, services
from tickets.models import Channel, Status, Ticket
from tickets.queue_selectors import QueueFilters, ticket_queue_for_agent
from tickets.serializers import (
    AgentMessageCreateSerializer,
    AgentMessageSerializer,
    AgentTicketDetailSerializer,
    AgentTicketPatchSerializer,
    AgentTicketSerializer,
    CustomerTicketDetailSerializer,
    CustomerTicketFilterSerializer,
    CustomerTicketSerializer,
    EscalateSerializer,
    MessageCreateSerializer,
    PublicMessageSerializer,
    QueueFilterSerializer,
    TicketCreateSerializer,
)

UPLOAD_PARSERS = [JSONParser, MultiPartParser, FormParser]


def _customer_ticket(request, public_id: str) -> Ticket:
    """The customer's own ticket with its public messages; anyone else's is a 404, so its
    existence is not revealed."""
    ticket = selectors.ticket_for_public_link(public_id=public_id)
    if ticket.customer_id != request.customer.pk:
        raise Http404
    return ticket


def _customer_detail(ticket: Ticket) -> dict:
    return CustomerTicketDetailSerializer(ticket, context={"public_id": ticket.public_id}).data


# Customer ------------------------------------------------------------------------------------


class CustomerTicketListCreate(generics.GenericAPIView):
    permission_classes = [IsCustomer]
    parser_classes = UPLOAD_PARSERS
    pagination_class = paginated(("-created_at", "-id"))
    serializer_class = CustomerTicketSerializer

    def get_throttles(self):
        throttles = [throttle() for throttle in DEFAULT_THROTTLES]
        if self.request.method == "POST":
            throttles.append(TicketCreateThrottle())
        return throttles

    @extend_schema(
        operation_id="tickets_list",
        summary="My tickets",
        parameters=[
            OpenApiParameter("status", str, many=True, enum=Status.values),
        ],
        responses=CustomerTicketSerializer(many=True),
    )
    def get(self, request):
        filters = CustomerTicketFilterSerializer(
            data={"status": request.query_params.getlist("status")}
        )
        filters.is_valid(raise_exception=True)
        qs = selectors.tickets_for_customer(customer=request.customer)
        if filters.validated_data.get("status"):
            qs = qs.filter(status__in=filters.validated_data["status"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CustomerTicketSerializer(page, many=True).data)

    @extend_schema(
        operation_id="tickets_create",
        summary="File a ticket",
        request={
            "multipart/form-data": TicketCreateSerializer,
            "application/json": TicketCreateSerializer,
        },
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="A retry with the same key and body returns the first answer.",
            )
        ],
        responses={201: CustomerTicketDetailSerializer},
    )
    def post(self, request):
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def perform():
            try:
                ticket = services.ticket_create(
                    customer=request.customer,
                    subject=data["subject"],
                    body=data["description"],
                    category=data.get("category"),
                    type=data.get("type"),
                    channel=Channel.API,
                    files=data["attachments"],
                    actor=request.user,
                )
            except DjangoValidationError as exc:
                raise ValidationError(
                    service_errors(exc, field_map={"body": "description"}, default="attachments")
                ) from None
            ticket = selectors.ticket_for_public_link(public_id=ticket.public_id)
            return status.HTTP_201_CREATED, _customer_detail(ticket)

        return idempotent(request, endpoint="tickets.create", perform=perform)


class CustomerTicketDetail(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="tickets_retrieve",
        summary="One of my tickets, with its public messages",
        responses=CustomerTicketDetailSerializer,
    )
    def get(self, request, public_id: str):
        return Response(_customer_detail(_customer_ticket(request, public_id)))


class CustomerTicketMessages(APIView):
    permission_classes = [IsCustomer]
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        operation_id="tickets_messages_create",
        summary="Reply on my ticket",
        request={
            "multipart/form-data": MessageCreateSerializer,
            "application/json": MessageCreateSerializer,
        },
        responses={201: PublicMessageSerializer},
    )
    def post(self, request, public_id: str):
        ticket = _customer_ticket(request, public_id)
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            message = services.ticket_customer_reply(
                ticket=ticket,
                customer=request.customer,
                body=serializer.validated_data["body"],
                files=serializer.validated_data["attachments"],
                # The customer's own token: the owner of the address is writing.
                proves_address=True,
            )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc, default="attachments")) from None
        data = PublicMessageSerializer(message, context={"public_id": ticket.public_id}).data
        return Response(data, status=status.HTTP_201_CREATED)


# Agent ---------------------------------------------------------------------------------------


def _agent_ticket(request, reference: str) -> Ticket:
    return selectors.ticket_for_agent(agent=request.user, reference=reference)


def _agent_detail(ticket: Ticket) -> dict:
    ticket = selectors.ticket_conversation_for_agent(ticket=ticket)
    return AgentTicketDetailSerializer(ticket, context={"audience": "agent"}).data


class AgentQueue(generics.GenericAPIView):
    permission_classes = [IsAgent]
    pagination_class = paginated(("-created_at", "-id"))
    serializer_class = AgentTicketSerializer

    @extend_schema(
        operation_id="agent_tickets_list",
        summary="The desk queue",
        parameters=[
            OpenApiParameter("status", str, many=True, enum=Status.values),
            OpenApiParameter("priority", str, many=True),
            OpenApiParameter("sla", str, many=True, description="SLA state"),
            OpenApiParameter("category", str, description="Category slug"),
            OpenApiParameter("team", str, description="Team slug"),
            OpenApiParameter("tag", str),
            OpenApiParameter("assignee", str, description="me, unassigned or an agent id"),
            OpenApiParameter("q", str, description="Reference, subject or customer"),
        ],
        responses=AgentTicketSerializer(many=True),
    )
    def get(self, request):
        params = request.query_params
        raw = {key: params.get(key) for key in ("category", "team", "tag", "assignee", "q")}
        raw = {key: value for key, value in raw.items() if value not in (None, "")}
        for key in ("status", "priority", "sla"):
            if params.getlist(key):
                raw[key] = params.getlist(key)
        filters = QueueFilterSerializer(data=raw)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        qs = ticket_queue_for_agent(
            agent=request.user,
            filters=QueueFilters(
                status=sorted(values.get("status", [])),
                priority=sorted(values.get("priority", [])),
                sla=sorted(values.get("sla", [])),
                category=values.get("category", ""),
                team=values.get("team", ""),
                tag=values.get("tag", ""),
                assignee=values.get("assignee", ""),
                q=values.get("q", ""),
            ),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(AgentTicketSerializer(page, many=True).data)


class AgentTicketDetail(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="agent_tickets_retrieve",
        summary="A ticket with every message, internal notes included",
        responses=AgentTicketDetailSerializer,
    )
    def get(self, request, reference: str):
        return Response(_agent_detail(_agent_ticket(request, reference)))

    @extend_schema(
        operation_id="agent_tickets_partial_update",
        summary="Change status, priority, type, category, team, tags or assignee",
        description=(
            "Each changed field goes through its lifecycle verb, all in one transaction: a "
            "refused change (a transition the lifecycle does not allow, a closed ticket) "
            "answers 409 with the reason and nothing is changed."
        ),
        request=AgentTicketPatchSerializer,
        responses=AgentTicketDetailSerializer,
    )
    def patch(self, request, reference: str):
        ticket = _agent_ticket(request, reference)
        serializer = AgentTicketPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = serializer.validated_data
        actor = request.user
        try:
            with transaction.atomic():
                # Status last: a move to closed must not stop the other changes.
                if "category" in changes:
                    services.ticket_change_category(
                        ticket=ticket, category=changes["category"], actor=actor
                    )
                if "team" in changes:
                    services.ticket_change_team(ticket=ticket, team=changes["team"], actor=actor)
                if "type" in changes:
                    services.ticket_change_type(ticket=ticket, type=changes["type"], actor=actor)
                if "priority" in changes:
                    services.ticket_change_priority(
                        ticket=ticket, priority=changes["priority"], actor=actor
                    )
                if "tags" in changes:
                    services.ticket_set_tags(ticket=ticket, tags=changes["tags"], actor=actor)
                if "assignee" in changes:
                    services.ticket_assign(ticket=ticket, assignee=changes["assignee"], actor=actor)
                if "status" in changes:
                    services.ticket_transition(
                        ticket=ticket,
                        to_status=changes["status"],
                        actor=actor,
                        resolution=changes.get("resolution", ""),
                    )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from None
        return Response(_agent_detail(_agent_ticket(request, reference)))


class AgentTicketMessages(APIView):
    permission_classes = [IsAgent]
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        operation_id="agent_tickets_messages_create",
        summary="Reply to the customer, or add an internal note",
        request={
            "multipart/form-data": AgentMessageCreateSerializer,
            "application/json": AgentMessageCreateSerializer,
        },
        responses={201: AgentMessageSerializer},
    )
    def post(self, request, reference: str):
        ticket = _agent_ticket(request, reference)
        serializer = AgentMessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if data["internal"]:
                message = services.ticket_add_note(
                    ticket=ticket, actor=request.user, body=data["body"]
                )
            else:
                message = services.ticket_reply(
                    ticket=ticket, actor=request.user, body=data["body"], files=data["attachments"]
                )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc, default="attachments")) from None
        body = AgentMessageSerializer(message, context={"audience": "agent"}).data
        return Response(body, status=status.HTTP_201_CREATED)


class AgentTicketEscalate(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="agent_tickets_escalate",
        summary="Escalate one level (and raise the priority one step)",
        request=EscalateSerializer,
        responses=AgentTicketDetailSerializer,
    )
    def post(self, request, reference: str):
        ticket = _agent_ticket(request, reference)
        serializer = EscalateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.ticket_escalate(
                ticket=ticket,
                actor=request.user,
                reason=serializer.validated_data["reason"],
                raise_priority=serializer.validated_data["raise_priority"],
            )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from None
        return Response(_agent_detail(_agent_ticket(request, reference)))
