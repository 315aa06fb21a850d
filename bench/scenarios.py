"""The in-process scenarios: server time and SQL queries per request, after a warm-up.

Each scenario is one callable doing one request (through Django's test client, logged in as
a seeded agent) or one function call (the KB selector, the SLA sweep). `measure` runs it
`warmup` times untimed, then `iterations` times under `CaptureQueriesContext`, and keeps the
median and 95th percentile of the wall time and the query count of every run. Server time
here is the whole request inside Django: middleware, view, queries, template.
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse

OPEN = ["open", "in_progress", "waiting_customer", "waiting_internal"]


@dataclass
class Scenario:
    name: str
    description: str
    target_ms: float | None
    run: Callable[[], object] | None = None
    skipped: str = ""
    settings: dict = field(default_factory=dict)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure(scenario: Scenario, *, warmup: int, iterations: int) -> dict:
    """Warm up, then time `iterations` runs; the figures of one scenario as a dict."""
    result = {
        "description": scenario.description,
        "target_ms": scenario.target_ms,
        "iterations": 0,
    }
    if scenario.run is None:
        return result | {"status": "skipped", "reason": scenario.skipped}
    timings, queries, sql = [], [], []
    with override_settings(**scenario.settings):
        for _ in range(warmup):
            scenario.run()
        for _ in range(iterations):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                scenario.run()
                elapsed = time.perf_counter() - started
            timings.append(elapsed * 1000)
            queries.append(len(captured.captured_queries))
            sql.append(sum(float(query["time"] or 0) for query in captured.captured_queries))
    median = statistics.median(timings)
    status = "n/a"
    if scenario.target_ms is not None:
        status = "pass" if median <= scenario.target_ms else "miss"
    return result | {
        "iterations": iterations,
        "median_ms": round(median, 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "min_ms": round(min(timings), 2),
        # Time inside the database driver (median): what indexes can change; the rest of
        # the request is Python (view, template).
        "sql_ms": round(statistics.median(sql) * 1000, 2),
        "queries": max(queries),
        "queries_min": min(queries),
        "status": status,
    }


class Requester:
    """GETs through the test client, failing loudly on anything but 200."""

    def __init__(self, user) -> None:
        self.client = Client()
        self.client.force_login(user)

    def get(self, path: str, params: dict | None = None, **headers) -> Callable[[], object]:
        url = f"{path}?{urlencode(params, doseq=True)}" if params else path

        def run():
            response = self.client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            return response

        return run


def _next_page_url(requester: Requester, params: dict, pages: int) -> str | None:
    """The URL the queue's "Next" link leads to after `pages` clicks from `params`."""
    import re
    from html import unescape

    url = f"{reverse('desk:queue')}?{urlencode(params, doseq=True)}"
    for _ in range(pages):
        response = requester.client.get(url)
        match = re.search(r'<a class="button small" href="([^"]*)"[^>]*rel="next"', response.text)
        if not match:
            return None
        href = unescape(match.group(1))
        url = href if href.startswith("/") else f"{reverse('desk:queue')}{href}"
    return url


def build_scenarios(*, agent, long_reference: str, team_slug: str) -> list[Scenario]:
    """Every in-process scenario, against the data `bench.seed` loaded."""
    from knowledge.selectors import article_search
    from sla.services.sweep import sla_sweep

    requester = Requester(agent)
    queue = reverse("desk:queue")
    htmx = {"HX-Request": "true"}
    scenarios = [
        Scenario("queue_default", "Queue, default view (open work, SLA order)", 30, None),
        Scenario(
            "queue_default_100",
            "Queue, default view, 100 rows a page",
            30,
            None,
            settings={"DESK_PAGE_SIZE": 100},
        ),
        Scenario(
            "queue_high_priority",
            "Queue, open high & critical",
            30,
            requester.get(queue, {"status": OPEN, "priority": ["high", "critical"]}),
        ),
        Scenario(
            "queue_team",
            "Queue, one team's open tickets",
            30,
            requester.get(queue, {"status": OPEN, "team": team_slug}),
        ),
        Scenario(
            "queue_mine",
            "Queue, my open tickets",
            30,
            requester.get(queue, {"status": OPEN, "assignee": "me"}),
        ),
        Scenario(
            "queue_all_newest",
            "Queue, all tickets, newest first",
            30,
            requester.get(queue, {"sort": "newest"}),
        ),
        Scenario(
            "queue_partial",
            "Queue, HTMX table partial (filter change)",
            30,
            requester.get(queue, {"status": OPEN, "sort": "updated"}, **htmx),
        ),
        Scenario(
            "queue_search",
            "Queue, text search in open tickets",
            30,
            requester.get(queue, {"status": OPEN, "q": "invoice"}),
        ),
        Scenario(
            "queue_search_all",
            "Queue, text search in all tickets",
            None,
            requester.get(queue, {"q": "invoice", "sort": "newest"}),
        ),
    ]
    scenarios[0].run = requester.get(queue)
    scenarios[1].run = requester.get(queue)
    for name, description, params, pages in [
        ("queue_page_2", "Queue, all tickets, page 2 (Next)", {"sort": "newest"}, 1),
        ("queue_page_20", "Queue, all tickets, page 21 (Next x20)", {"sort": "newest"}, 20),
    ]:
        url = _next_page_url(requester, params, pages)
        scenarios.append(
            Scenario(name, description, 30, requester.get(url) if url else None, "no next page")
        )
    scenarios.append(
        Scenario(
            "ticket_long",
            "Ticket page, 200-message conversation",
            40,
            requester.get(reverse("desk:ticket", args=[long_reference])),
        )
    )
    try:
        dashboard = reverse("desk:analytics")
    except NoReverseMatch:
        scenarios.append(
            Scenario("dashboard", "Analytics dashboard", 150, skipped="no desk:analytics URL")
        )
    else:
        scenarios.append(
            Scenario("dashboard", "Analytics dashboard", 150, requester.get(dashboard))
        )
    scenarios += [
        Scenario(
            "kb_search_selector",
            "KB search, article_search selector",
            15,
            lambda: article_search(query="reset password login"),
        ),
        Scenario(
            "kb_search_page",
            "KB search page /kb/search/",
            None,
            requester.get(reverse("kb:search"), {"q": "export csv"}),
        ),
        Scenario("sla_sweep_idle", "SLA sweep with nothing due", 1000, lambda: sla_sweep()),
    ]
    return scenarios


def run_all(scenarios: list[Scenario], *, warmup: int, iterations: int, only=None, log=None):
    results = {}
    for scenario in scenarios:
        if only and scenario.name not in only:
            continue
        # The sweep is slower by nature; a handful of runs is plenty.
        runs = min(iterations, 5) if scenario.name == "sla_sweep_idle" else iterations
        results[scenario.name] = measure(scenario, warmup=min(warmup, runs), iterations=runs)
        if log:
            log(_line(scenario.name, results[scenario.name]))
    return results


def _line(name: str, row: dict) -> str:
    if row.get("status") == "skipped":
        return f"{name:<20} skipped: {row['reason']}"
    return (
        f"{name:<20} median {row['median_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms  "
        f"{row['queries']:3d} queries  {row['status']}"
    )
