"""The analytics rollups that moved out of `tickets` keep their data: a database migrated up to
the last migration before the move, filled through that state's models, then migrated to the
end reads the same rows through the models in `analytics`, and a permission granted on a moved
model still works."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from analytics.models import OpenTicketsSnapshot, TagMetricsHour, TicketMetricsHour

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = ("tickets", "0023_task_attempt")
HOUR = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _migrate_to_before_the_move() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_THE_MOVE, ("analytics", None)])
    return executor


def _migrate_to_the_end() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def old_apps():
    """The app registry as it was before the move; the database is migrated back to the end
    whatever the test does."""
    executor = _migrate_to_before_the_move()
    others = [
        node
        for node in executor.loader.graph.leaf_nodes()
        if node[0] not in ("analytics", "tickets")
    ]
    try:
        yield executor.loader.project_state([BEFORE_THE_MOVE, *others]).apps
    finally:
        _migrate_to_the_end()


def test_rows_written_before_the_move_are_read_through_the_moved_models(old_apps):
    tag = old_apps.get_model("tickets", "Tag").objects.create(name="billing")
    metrics = old_apps.get_model("tickets", "TicketMetricsHour").objects.create(
        hour=HOUR, team_key=3, category_key=4, created=7, resolution_seconds=3600
    )
    old_apps.get_model("tickets", "TagMetricsHour").objects.create(
        hour=HOUR, tag=tag, team_key=3, created=2
    )
    old_apps.get_model("tickets", "OpenTicketsSnapshot").objects.create(
        taken_at=HOUR, team_key=3, priority="high", open=11
    )

    _migrate_to_the_end()

    row = TicketMetricsHour.objects.get()
    assert (row.hour, row.team_key, row.category_key, row.created) == (HOUR, 3, 4, 7)
    assert row.resolution_seconds == 3600
    tag_row = TagMetricsHour.objects.select_related("tag").get()
    assert (tag_row.tag.name, tag_row.created) == ("billing", 2)
    snapshot = OpenTicketsSnapshot.objects.get()
    assert (snapshot.priority, snapshot.open) == ("high", 11)
    # New rows still get fresh ids after the old ones (the tables' sequences came along).
    second = TicketMetricsHour.objects.create(hour=HOUR, team_key=5)
    assert second.pk > metrics.pk


def test_permissions_follow_the_moved_models(old_apps):
    User = old_apps.get_model("auth", "User")
    Permission = old_apps.get_model("auth", "Permission")
    ContentType = old_apps.get_model("contenttypes", "ContentType")
    analyst = User.objects.create(username="analyst", is_staff=True)
    metrics_type = ContentType.objects.get(app_label="tickets", model="ticketmetricshour")
    analyst.user_permissions.add(
        Permission.objects.get(content_type=metrics_type, codename="view_ticketmetricshour")
    )

    _migrate_to_the_end()

    analyst = get_user_model().objects.get(username="analyst")
    assert analyst.has_perm("analytics.view_ticketmetricshour")
    assert not analyst.has_perm("analytics.delete_ticketmetricshour")
    assert ContentType.objects.filter(app_label="tickets", model="ticketmetricshour").count() == 0
