"""The SLA in the agent desk: the queue's deadline order, SLA column and filter, and the ticket
page's SLA card and timeline, with time travel instead of sleeps."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse

from sla import selectors as sla_selectors
from sla import services as sla_services
from sla.models import BusinessCalendar, SlaPolicy, WorkingPeriod
from sla.services import sla_sweep
from sla.templatetags.sla_tags import countdown_text, sla_badge, sla_duration
from tests.desk.test_desk_views import QUEUE_QUERIES, TICKET_QUERIES, UNASSIGNED
from tests.factories import AgentFactory, CustomerFactory, TicketFactory
from tickets import services
from tickets.models import Status, Ticket

HTMX = {"HTTP_HX_REQUEST": "true"}
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def file(on_commit, *, tier="enterprise", priority="critical", **kwargs) -> Ticket:
    customer = CustomerFactory(plan_tier=tier)
    return on_commit(TicketFactory, customer=customer, priority=priority, **kwargs)


def queue_refs(response) -> list[str]:
    return re.findall(r'<td class="cell-ref"><a href="[^"]+">([A-Z]+-\d+)</a>', response.text)


def url(name: str, ticket: Ticket) -> str:
    return reverse(f"desk:{name}", args=[ticket.reference])


def sla_card(html: str) -> str:
    start = html.index('id="sla-card"')
    return html[start : html.index("</section>", start)]


def sla_clock(html: str, label: str) -> str:
    """One clock of the SLA card, as text without tags."""
    card = sla_card(html)
    item = re.search(
        rf'<li class="sla-clock[^"]*">\s*<div class="sla-clock-head">\s*'
        rf'<span class="sla-metric">{label}</span>.*?</li>',
        card,
        re.S,
    )
    assert item, f"no {label} clock on the card"
    return " ".join(re.sub(r"<[^>]+>", " ", item.group(0)).split())


def sla_timeline(html: str) -> list[str]:
    start = html.index('id="ticket-sla-timeline"')
    section = html[start : html.index("</section>", start)]
    items = re.findall(r"<li class=\"timeline-item[^\"]*\">(.*?)</li>", section, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def berlin_office_hours() -> BusinessCalendar:
    """Monday to Friday, 09:00 to 17:00 in Berlin, on the Default policy."""
    calendar = BusinessCalendar.objects.create(name="Berlin office", timezone="Europe/Berlin")
    for weekday in range(5):
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=weekday, start=time(9), end=time(17)
        )
    SlaPolicy.objects.filter(name="Default").update(calendar=calendar)
    return calendar


# ---------------------------------------------------------------------------------------------
# How times and states are written (desk.js writes countdowns with the same words)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "in_days", "text"),
    [
        (0.9, True, "0m"),
        (42.7, True, "42m"),
        (60, True, "1h"),
        (190, True, "3h 10m"),
        (1440, True, "1d"),
        (1740, True, "1d 5h"),
        (1740, False, "29h"),  # business time: a day of it is not a working day
    ],
)
def test_durations_are_whole_minutes_in_two_units_at_most(minutes, in_days, text):
    assert sla_duration(minutes, in_days=in_days) == text


def test_countdowns_say_in_left_overdue_or_due_now():
    assert countdown_text(T0 + timedelta(minutes=42, seconds=30), T0) == "in 42m"
    assert countdown_text(T0 + timedelta(minutes=42), T0, style="left") == "42m left"
    assert countdown_text(T0 - timedelta(hours=3, minutes=10), T0) == "3h 10m overdue"
    assert countdown_text(T0 + timedelta(seconds=30), T0) == "due now"


def test_sla_badges_read_without_colour():
    assert "At risk" in sla_badge("at_risk") and "sla-at_risk" in sla_badge("at_risk")
    assert "▲" in sla_badge("at_risk") and "✕" in sla_badge("breached")
    assert "No SLA" in sla_badge("")


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_sorts_by_the_next_deadline_by_default_with_no_deadline_last(
    agent_client, on_commit, clock_at
):
    clock_at(T0)
    no_sla = TicketFactory()  # filed without its after-commit hooks: no clock ever started
    medium = file(on_commit, priority="medium")  # first response in 4 h
    critical = file(on_commit, priority="critical")  # in 15 min
    also_critical = file(on_commit, priority="critical")  # same deadline: by id
    high = file(on_commit, priority="high")  # in 1 h
    clock_at(T0 + timedelta(minutes=1))
    also_no_sla = TicketFactory()

    refs = queue_refs(agent_client.get(reverse("desk:queue")))

    assert refs == [
        critical.reference,
        also_critical.reference,
        high.reference,
        medium.reference,
        no_sla.reference,
        also_no_sla.reference,
    ]
    explicit = queue_refs(agent_client.get(reverse("desk:queue"), {"sort": "deadline"}))
    assert explicit == refs


@pytest.mark.django_db
def test_queue_shows_the_sla_state_and_the_time_left_or_overdue(agent_client, on_commit, clock_at):
    clock_at(T0)
    critical = file(on_commit, priority="critical")  # first response due 10:15
    high = file(on_commit, priority="high")  # due 11:00, at risk from 10:45
    medium = file(on_commit, priority="medium")  # due 14:00
    without_sla(subject="Nobody set an SLA")
    clock_at(T0 + timedelta(minutes=50))
    sla_sweep()

    html = agent_client.get(reverse("desk:queue")).text

    rows = {ref: row for ref, row in re.findall(r'">([A-Z]+-\d+)</a></td>(.*?)</tr>', html, re.S)}
    assert "Breached" in rows[critical.reference]
    assert "35m overdue" in rows[critical.reference]
    assert 'class="sla-countdown is-overdue"' in rows[critical.reference]
    assert "At risk" in rows[high.reference] and "in 10m" in rows[high.reference]
    assert "On track" in rows[medium.reference] and "in 3h 10m" in rows[medium.reference]
    assert f'data-deadline="{(T0 + timedelta(hours=4)).isoformat()}"' in rows[medium.reference]
    assert html.count("No SLA</span>") >= 1


@pytest.mark.django_db
def test_queue_filters_by_sla_state_and_offers_the_at_risk_and_breached_chip(
    agent_client, on_commit, clock_at
):
    clock_at(T0)
    breached = file(on_commit, priority="critical")
    at_risk = file(on_commit, priority="high")
    on_track = file(on_commit, priority="medium")
    clock_at(T0 + timedelta(minutes=50))
    sla_sweep()

    default = agent_client.get(reverse("desk:queue"))
    chip = re.search(r'<a class="chip" href="([^"]+)">At risk &amp; breached</a>', default.text)
    assert chip, "the quick filter is offered"
    chip_url = chip.group(1).replace("&amp;", "&")
    assert "sla=at_risk&sla=breached" in chip_url

    filtered = agent_client.get(chip_url)

    assert queue_refs(filtered) == [breached.reference, at_risk.reference]
    assert on_track.reference not in filtered.text
    assert re.search(
        r'<a class="chip is-active" href="[^"]+"[^>]*>At risk &amp; breached', filtered.text
    )
    assert queue_refs(agent_client.get(reverse("desk:queue"), {"sla": "on_track"})) == [
        on_track.reference
    ]
    # The filter bar keeps the SLA filter, so changing another filter does not drop it.
    assert 'name="sla" value="at_risk" checked' in filtered.text


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 20])
def test_queue_query_count_does_not_grow_with_sla_rows(
    agent_client, on_commit, clock_at, count, django_assert_num_queries
):
    clock_at(T0)
    for index in range(count):
        file(on_commit, priority=["critical", "high", "medium", "low"][index % 4])
    clock_at(T0 + timedelta(minutes=50))
    sla_sweep()

    with django_assert_num_queries(QUEUE_QUERIES - UNASSIGNED):
        response = agent_client.get(reverse("desk:queue"))
    assert len(queue_refs(response)) == count
    assert response.text.count('class="badge sla-badge') >= count


# ---------------------------------------------------------------------------------------------
# The ticket page
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ticket_page_shows_each_target_with_its_business_time_left(
    agent_client, on_commit, clock_at
):
    berlin_office_hours()
    clock_at(datetime(2026, 3, 6, 15, 0, tzinfo=UTC))  # Friday 16:00 in Berlin
    ticket = file(on_commit, priority="high")  # enterprise high: 1 h first response, 8 h resolution

    clock_at(datetime(2026, 3, 6, 15, 30, tzinfo=UTC))  # Friday 16:30
    html = agent_client.get(url("ticket", ticket)).text

    first = sla_clock(html, "First response")
    assert "On track" in first
    assert "30m business left" in first
    assert "Target 1h business" in first
    assert "Due Fri 6 Mar, 16:00 UTC" in first
    assert "Policy Default · Berlin office (Europe/Berlin)" in first
    resolution = sla_clock(html, "Resolution")
    assert "7h 30m business left" in resolution  # 30 min on Friday, 7 h on Monday
    assert "Target 8h business" in resolution
    assert 'data-deadline="2026-03-06T16:00:00+00:00"' in sla_card(html)

    clock_at(datetime(2026, 3, 7, 12, 0, tzinfo=UTC))  # Saturday: overdue, but no working time
    html = agent_client.get(url("ticket", ticket)).text
    first = sla_clock(html, "First response")
    assert "Breached" in first
    assert "overdue" in first and "business overdue" not in first  # no working time passed
    assert "7h business left" in sla_clock(html, "Resolution")  # the weekend does not count

    clock_at(datetime(2026, 3, 9, 9, 0, tzinfo=UTC))  # Monday 10:00 in Berlin
    html = agent_client.get(url("ticket", ticket)).text
    assert "1h business overdue" in sla_clock(html, "First response")
    assert "6h business left" in sla_clock(html, "Resolution")
    assert "At risk" not in sla_clock(html, "Resolution")


@pytest.mark.django_db
def test_ticket_page_shows_paused_and_met_clocks(agent_client, agent, on_commit, clock_at):
    clock_at(T0)
    ticket = file(on_commit, priority="critical")  # 15 min first response, 2 h resolution
    clock_at(T0 + timedelta(minutes=12))
    on_commit(services.ticket_reply, ticket=ticket, actor=agent, body="Looking now")
    clock_at(T0 + timedelta(minutes=30))
    on_commit(
        services.ticket_transition, ticket=ticket, to_status=Status.WAITING_CUSTOMER, actor=agent
    )
    clock_at(T0 + timedelta(hours=5))

    html = agent_client.get(url("ticket", ticket)).text

    first = sla_clock(html, "First response")
    assert "Met" in first and "met in 12m" in first
    resolution = sla_clock(html, "Resolution")
    assert "Paused" in resolution and "paused, 1h 30m left" in resolution
    assert "data-deadline" not in resolution  # nothing ticks while paused
    start = html.index('id="ticket-header"')
    header = html[start : html.index("</header>", start)]
    assert "Paused" in header


@pytest.mark.django_db
def test_late_first_response_reads_met_late(agent_client, agent, on_commit, clock_at):
    clock_at(T0)
    ticket = file(on_commit, priority="critical")
    clock_at(T0 + timedelta(minutes=40))
    sla_sweep()
    on_commit(services.ticket_reply, ticket=ticket, actor=agent, body="Sorry for the wait")

    html = agent_client.get(url("ticket", ticket)).text

    first = sla_clock(html, "First response")
    assert "Breached" in first and "met late, 25m over" in first
    timeline = sla_timeline(html)
    assert any(e.startswith("First response breached") for e in timeline)
    assert any(e.startswith("First response met late") for e in timeline)


@pytest.mark.django_db
def test_sla_timeline_explains_pauses_resumes_and_recomputes_after_desk_actions(
    agent_client, on_commit, clock_at, django_capture_on_commit_callbacks
):
    def act(name, ticket, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = agent_client.post(url(name, ticket), data, **HTMX)
        assert response.status_code == 200, response.text

    clock_at(T0)
    ticket = file(on_commit, priority="medium")  # enterprise medium: 4 h and 24 h
    clock_at(T0 + timedelta(minutes=10))
    act("ticket_reply", ticket, {"body": "Can you send the logs?"})
    clock_at(T0 + timedelta(minutes=20))
    act("ticket_status", ticket, {"status": "waiting_customer"})
    html = agent_client.get(url("ticket", ticket)).text
    assert sla_timeline(html)[-1].startswith(
        "Resolution clock paused Mon 2 Mar, 10:20 Ticket moved to Waiting on customer"
    )

    clock_at(T0 + timedelta(minutes=80))
    act("ticket_status", ticket, {"status": "in_progress"})
    clock_at(T0 + timedelta(minutes=90))
    act("ticket_priority", ticket, {"priority": "critical"})

    html = agent_client.get(url("ticket", ticket)).text
    timeline = sla_timeline(html)
    assert timeline == [
        "First response clock started Mon 2 Mar, 10:00 Target 4h · policy Default · due "
        "Mon 2 Mar, 14:00 UTC",
        "Resolution clock started Mon 2 Mar, 10:00 Target 1d · policy Default · due "
        "Tue 3 Mar, 10:00 UTC",
        "First response met Mon 2 Mar, 10:10 Agent replied",
        "Resolution clock paused Mon 2 Mar, 10:20 Ticket moved to Waiting on customer",
        "Resolution clock resumed Mon 2 Mar, 11:20 Ticket moved to In progress · 1h paused, "
        "not counted · new deadline Tue 3 Mar, 11:00 UTC",
        "Resolution target recomputed 1d → 2h Mon 2 Mar, 11:30 Priority Medium → Critical · "
        "new deadline Mon 2 Mar, 13:00 UTC",
    ]
    resolution = sla_clock(html, "Resolution")
    assert "1h 30m left" in resolution  # 2 h target, 30 min used: the paused hour not counted
    assert "Target 2h" in resolution
    assert "met in 10m" in sla_clock(html, "First response")


@pytest.mark.django_db
@pytest.mark.parametrize("pauses", [1, 8])
def test_ticket_page_query_count_does_not_grow_with_sla_events(
    agent_client, agent, on_commit, clock_at, pauses, django_assert_num_queries
):
    clock_at(T0)
    ticket = file(on_commit, priority="high", tier="scale")
    on_commit(services.ticket_reply, ticket=ticket, actor=agent, body="On it")
    for index in range(pauses):
        clock_at(T0 + timedelta(minutes=10 * index + 1))
        on_commit(
            services.ticket_transition,
            ticket=ticket,
            to_status=Status.WAITING_CUSTOMER,
            actor=agent,
        )
        clock_at(T0 + timedelta(minutes=10 * index + 5))
        on_commit(
            services.ticket_customer_reply, ticket=ticket, customer=ticket.customer, body="Here"
        )
        on_commit(services.ticket_reply, ticket=ticket, actor=agent, body="Thanks")
    on_commit(services.ticket_change_priority, ticket=ticket, priority="critical", actor=agent)

    with django_assert_num_queries(TICKET_QUERIES):
        response = agent_client.get(url("ticket", ticket))
    # first response, one next-response cycle per customer reply, resolution
    assert response.text.count('<li class="sla-clock ') == pauses + 2
    assert len(sla_timeline(response.text)) >= 4 * pauses


@pytest.mark.django_db
def without_sla(**kwargs) -> Ticket:
    """A ticket filed when no SLA policy is active (they stay off): it gets no clock."""
    SlaPolicy.objects.update(active=False)
    return TicketFactory(**kwargs)


def test_ticket_without_sla_says_so(agent_client):
    ticket = without_sla()
    html = agent_client.get(url("ticket", ticket)).text
    assert "No SLA applies to this ticket." in sla_card(html)
    assert "no clock has run" in html


# ---------------------------------------------------------------------------------------------
# Actions re-render the SLA card once the engine has moved the clocks
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_action_response_carries_the_sla_card_after_the_engine_ran(client, clock_at):
    """No test wrapper around the transaction here: the verb commits, its after-commit hook
    moves the clocks, and only then does the view re-render the ticket's regions."""
    clock_at(T0)
    agent = AgentFactory()
    client.force_login(agent)
    ticket = TicketFactory(customer=CustomerFactory(plan_tier="enterprise"), priority="high")
    services.ticket_reply(ticket=ticket, actor=agent, body="Send the logs, please")

    response = client.post(url("ticket_status", ticket), {"status": "waiting_customer"}, **HTMX)

    assert response.status_code == 200
    card = sla_card(response.text)
    assert 'id="ticket-sidebar"' in response.text and 'hx-swap-oob="true"' in response.text
    assert "paused, 8h left" in sla_clock(response.text, "Resolution")
    assert "Met" in sla_clock(response.text, "First response")
    assert "data-deadline" not in card
    assert sla_timeline(response.text)[-1].startswith("Resolution clock paused")

    response = client.post(url("ticket_priority", ticket), {"priority": "critical"}, **HTMX)

    assert "Target 2h" in sla_clock(response.text, "Resolution")
    assert "target recomputed" in sla_timeline(response.text)[-1]


# ---------------------------------------------------------------------------------------------
# Escalation ladders (the selector and the service come from the sla app)
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_running_escalation_is_shown_and_acknowledging_stops_it(
    agent_client, agent, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sla_services.escalation_escalate_manually(
            ticket=ticket, actor=agent, reason="Customer is blocked"
        )

    card = sla_card(agent_client.get(url("ticket", ticket)).text)

    assert "Escalation level 1" in card and "Escalate button" in card
    assert f'action="{url("ticket_acknowledge", ticket)}"' in card

    response = agent_client.post(url("ticket_acknowledge", ticket), **HTMX)

    assert response.status_code == 200
    assert "ticket-changed" in response["HX-Trigger"]
    assert sla_selectors.active_escalation_for_ticket(ticket) is None
    assert ticket.events.filter(kind="escalation_acknowledged", actor=agent).count() == 1


@pytest.mark.django_db
def test_no_escalation_no_acknowledge_button(agent_client, ticket):
    card = sla_card(agent_client.get(url("ticket", ticket)).text)
    assert "Acknowledge" not in card
