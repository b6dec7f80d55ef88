"""Store each activity's participant count and hours on its row, so that the list shows and sorts by them without
counting every activity's participations; filled here from the participations."""

from decimal import Decimal

from django.db import migrations, models

from activities.upkeep import activity_totals_refresh


def fill(apps, schema_editor):
    activity_totals_refresh(apps.get_model("activities", "Activity").objects.all())


class Migration(migrations.Migration):
    dependencies = [("activities", "0005_seed_lianyi_and_inspection_types")]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="participant_count",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="participants"),
        ),
        migrations.AddField(
            model_name="activity",
            name="total_hours",
            field=models.DecimalField(
                decimal_places=1, default=Decimal("0"), editable=False, max_digits=9, verbose_name="hours"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
