"""A user signed in before the auth backend moved to `accounts` stays signed in after the
upgrade: the migration renames the backend's path in live sessions."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db(transaction=True)

SESSIONS_MIGRATION = ("accounts", "0001_sessions_name_the_moved_backend")
# In parts, so that the module-move rewrite leaves the old path as it was.
BACKEND_BEFORE_THE_MOVE = ".".join(["helpdesk", "auth", "UserWithProfileBackend"])


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def test_a_session_signed_in_through_the_old_backend_path_stays_signed_in(client):
    _migrate(("accounts", None))
    try:
        agent = AgentFactory()
        client.force_login(agent, backend=BACKEND_BEFORE_THE_MOVE)
        # Before the migration, Django no longer knows the backend the session names.
        assert client.get(reverse("desk:queue")).status_code == 302
    finally:
        _migrate(SESSIONS_MIGRATION)

    assert client.get(reverse("desk:queue")).status_code == 200


def test_a_session_through_another_backend_is_left_as_it_is(client):
    _migrate(("accounts", None))
    try:
        agent = AgentFactory()
        client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
        before = client.session.session_key, dict(client.session)
    finally:
        _migrate(SESSIONS_MIGRATION)

    assert (client.session.session_key, dict(client.session)) == before
    assert client.get(reverse("desk:queue")).status_code == 200
