"""Install the issue's default auto-answer policy: send an answer at least 0.8 confident,
hold the rest as drafts for approval. One row without a category, editable (or switched to
"never") in admin; an existing default is left as it is."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models


def install_default_policy(apps, schema_editor):
    AutoAnswerPolicy = apps.get_model("knowledge", "AutoAnswerPolicy")
    if not AutoAnswerPolicy.objects.filter(category__isnull=True).exists():
        AutoAnswerPolicy.objects.create(
            category=None, mode="send_confident", threshold=Decimal("0.8"), active=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0008_ai_usage_day"),
        ("tickets", "0010_satisfaction_survey"),
    ]

    operations = [
        migrations.AlterField(
            model_name="autoanswerpolicy",
            name="category",
            field=models.OneToOneField(
                blank=True,
                help_text="Empty means the default for categories without their own policy "
                "(one is installed: send at 0.8 or more, draft below). Without an active "
                "default, categories without a policy are never answered automatically.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="auto_answer_policy",
                to="tickets.category",
            ),
        ),
        migrations.RunPython(install_default_policy, migrations.RunPython.noop),
    ]
