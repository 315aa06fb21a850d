"""Install the canned responses seed 001's default automation rules send (knowledge.defaults):
the refund policy and the onboarding welcome. Existing responses with the slug are kept."""

from django.db import migrations


def install(apps, schema_editor):
    from knowledge.defaults import install_default_canned_responses

    install_default_canned_responses(
        apps.get_model("knowledge", "CannedResponse"), apps.get_model("tickets", "Category")
    )


def remove(apps, schema_editor):
    from knowledge.defaults import DEFAULT_CANNED_SLUGS

    apps.get_model("knowledge", "CannedResponse").objects.filter(
        slug__in=DEFAULT_CANNED_SLUGS, usage_count=0
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0011_ai_provider_state"),
        ("tickets", "0021_sentiment_and_pattern_categories"),
    ]

    operations = [migrations.RunPython(install, remove)]
