"""Factories. Tickets are filed through the service, so their first message and `created`
event exist exactly as in production."""

import factory
from django.contrib.auth import get_user_model

from agents.models import AgentProfile, Team
from tickets.models import Category, Customer, Organization
from tickets.services import ticket_create

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("demo")


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.LazyAttribute(lambda p: p.user.get_full_name() or p.user.username)


class AgentFactory(UserFactory):
    """A user with an agent profile: `AgentFactory(agent_profile__seniority="team_lead")`."""

    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    agent_profile = factory.RelatedFactory(AgentProfileFactory, factory_related_name="user")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.org")
    plan_tier = "professional"


class CustomerWithAccountFactory(CustomerFactory):
    user = factory.SubFactory(
        UserFactory,
        username=factory.SelfAttribute("..email"),
        email=factory.SelfAttribute("..email"),
    )


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = "billing"
    name = "Billing"
    prefix = "BIL"


class TicketFactory(factory.Factory):
    """Files a ticket through `ticket_create`."""

    class Meta:
        model = dict

    customer = factory.SubFactory(CustomerFactory)
    subject = factory.Sequence(lambda n: f"Cannot export report {n}")
    body = "The export button spins forever."
    category = None
    priority = "medium"
    type = "question"
    channel = "web"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return ticket_create(**kwargs)

    _build = _create
