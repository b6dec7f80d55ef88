"""The national default star levels (100/300/600/1000/1500 hours) and the default evaluation thresholds, for an
administrator to change."""

from decimal import Decimal

from django.db import migrations

STARS = {1: 100, 2: 300, 3: 600, 4: 1000, 5: 1500}


def seed(apps, schema_editor):
    StarLevel = apps.get_model("dashboards", "StarLevel")
    EvaluationCriteria = apps.get_model("dashboards", "EvaluationCriteria")
    for stars, hours in STARS.items():
        StarLevel.objects.get_or_create(stars=stars, defaults={"min_hours": Decimal(hours)})
    if not EvaluationCriteria.objects.exists():
        EvaluationCriteria.objects.create()


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0001_reports")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
