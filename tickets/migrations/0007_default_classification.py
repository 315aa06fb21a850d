from django.db import migrations


def install(apps, schema_editor):
    from tickets.classification import install_default_classification

    install_default_classification(
        apps.get_model("tickets", "Category"),
        apps.get_model("tickets", "ClassificationPattern"),
        apps.get_model("tickets", "PriorityRule"),
    )


def remove(apps, schema_editor):
    # The categories stay: tickets may already refer to them.
    from tickets.classification import DEFAULT_PATTERNS, DEFAULT_PRIORITY_RULES

    apps.get_model("tickets", "ClassificationPattern").objects.filter(
        name__in=[row["name"] for row in DEFAULT_PATTERNS]
    ).delete()
    apps.get_model("tickets", "PriorityRule").objects.filter(
        name__in=[row["name"] for row in DEFAULT_PRIORITY_RULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_classification")]

    operations = [migrations.RunPython(install, remove)]
