import pytest
from django_q.conf import Conf

from tests.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    TeamFactory,
    TicketFactory,
)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Demo and factory passwords are hashed thousands of times: use a fast hasher in tests."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, tmp_path_factory):
    """The SQLite test database lives in a file, not in memory. In memory, Django hands the
    live server thread the test's own connection, so a browser test reading the database
    while the page polls the server fails with "database table is locked". In a file, each
    thread has its own connection and waits for the other (WAL, busy timeout)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("database") / "test.sqlite3"
        )


@pytest.fixture(autouse=True)
def _default_data_after_flush(request):
    """A transactional test starts from a database flushed by the previous one, which also
    removed the data migrations installed (the default SLA policy and ladders): put it back."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    from sla.defaults import install_default_ladders, install_default_policy
    from sla.models import EscalationLadder, EscalationLevel, SlaPolicy, SlaTarget

    install_default_policy(SlaPolicy, SlaTarget)
    install_default_ladders(EscalationLadder, EscalationLevel)


@pytest.fixture(autouse=True)
def _no_default_classification(request):
    """The classification patterns, priority rules and categories the migrations install
    (tickets.classification) would reclassify every ticket other tests file without a category
    or priority. Tests start without them, without the default automation rules
    (tickets.automation.defaults) and without the canned responses those send
    (knowledge.defaults); tests of the defaults install them explicitly or ask for
    `keep_migrated_defaults`."""
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if marker is None and "db" not in names and "transactional_db" not in names:
        return
    if "keep_migrated_defaults" in names:
        return
    transactional = "transactional_db" in names or (marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from knowledge.defaults import DEFAULT_CANNED_SLUGS
    from knowledge.models import CannedResponse
    from tickets.automation.defaults import DEFAULT_RULE_NAMES
    from tickets.classification import DEFAULT_CATEGORIES
    from tickets.models import Category, ClassificationPattern, PriorityRule, Rule

    ClassificationPattern.objects.all().delete()
    PriorityRule.objects.all().delete()
    Rule.objects.filter(name__in=DEFAULT_RULE_NAMES).delete()
    CannedResponse.objects.filter(slug__in=DEFAULT_CANNED_SLUGS).delete()
    slugs = [slug for slug, *_ in DEFAULT_CATEGORIES]
    Category.objects.filter(slug__in=slugs, tickets__isnull=True).delete()


@pytest.fixture
def keep_migrated_defaults(db):
    """The test sees the database as the migrations left it: the default categories,
    classification patterns, priority rules and canned responses stay. (Tests that need no
    transaction run before those that flush the database.)"""


@pytest.fixture(autouse=True)
def _no_config_copies(settings):
    """Tests read configuration from the database every time: a per-process copy would
    outlive the rollback of the test that loaded it (common.config_cache has its own
    tests, which turn it on)."""
    settings.CONFIG_CACHE_SECONDS = 0


@pytest.fixture
def config_copies(settings):
    """The per-process configuration copies on, as in production, emptied before and after."""
    from common import config_cache

    settings.CONFIG_CACHE_SECONDS = 30
    config_cache.clear_all()
    yield
    config_cache.clear_all()


@pytest.fixture(autouse=True)
def _tasks_run_synchronously(monkeypatch):
    """django-q2 tasks run inline in tests (the real worker is exercised separately)."""
    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture(autouse=True)
def _plain_static_and_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def agent(db):
    return AgentFactory()


@pytest.fixture
def other_agent(db):
    return AgentFactory()


@pytest.fixture
def lead(db):
    return AgentFactory(agent_profile__seniority="team_lead")


@pytest.fixture
def customer(db):
    return CustomerFactory()


@pytest.fixture
def category(db):
    return CategoryFactory()


@pytest.fixture
def team(db):
    return TeamFactory()


@pytest.fixture
def ticket(db, customer):
    return TicketFactory(customer=customer)
