"""Seed the price table with a few common models (US dollars per million tokens, list prices
when written). Editable in admin; an existing row is left as it is."""

from django.db import migrations

DEFAULT_PRICES = [
    ("gpt-4o-mini", "0.15", "0.60"),
    ("gpt-4o", "2.50", "10.00"),
    ("gpt-4.1-nano", "0.10", "0.40"),
    ("gpt-4.1-mini", "0.40", "1.60"),
    ("gpt-4.1", "2.00", "8.00"),
]


def install_prices(apps, schema_editor):
    AIModelPrice = apps.get_model("knowledge", "AIModelPrice")
    for model, input_price, output_price in DEFAULT_PRICES:
        AIModelPrice.objects.get_or_create(
            model=model,
            defaults={
                "input_per_million_usd": input_price,
                "output_per_million_usd": output_price,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0005_ai_interaction")]

    operations = [migrations.RunPython(install_prices, migrations.RunPython.noop)]
