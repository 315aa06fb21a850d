"""Install seed 001's three automation rules (tickets.automation.defaults), inactive until an
admin enables them. An existing rule with the same name (older demo data) is kept."""

from django.db import migrations


def install(apps, schema_editor):
    from tickets.automation.defaults import install_default_rules

    install_default_rules(
        apps.get_model("tickets", "Rule"),
        apps.get_model("tickets", "RuleCondition"),
        apps.get_model("tickets", "RuleAction"),
    )


def remove(apps, schema_editor):
    from tickets.automation.defaults import DEFAULT_RULE_NAMES

    apps.get_model("tickets", "Rule").objects.filter(
        name__in=DEFAULT_RULE_NAMES, active=False
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0012_default_canned_responses"),
        ("tickets", "0021_sentiment_and_pattern_categories"),
    ]

    operations = [migrations.RunPython(install, remove)]
