"""Give every household the day it came onto the roster, so that past periods count it from then (never
visited, overdue pairings as of the period's end). Existing rows take the day they were recorded."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models.functions import TruncDate

import volunteer_portal.validators


def from_created(apps, schema_editor):
    for name in ("Beneficiary", "HistoricalBeneficiary"):
        model = apps.get_model("beneficiaries", name)
        model.objects.update(registered_on=TruncDate("created_at"))


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0007_group_assistance")]

    operations = [
        migrations.AddField(
            model_name="beneficiary",
            name="registered_on",
            field=models.DateField(
                default=django.utils.timezone.localdate,
                help_text="The day the household came onto the roster; for history entered later, that earlier day.",
                validators=[volunteer_portal.validators.validate_not_future],
                verbose_name="registered on",
            ),
        ),
        migrations.AddField(
            model_name="historicalbeneficiary",
            name="registered_on",
            field=models.DateField(
                default=django.utils.timezone.localdate,
                help_text="The day the household came onto the roster; for history entered later, that earlier day.",
                validators=[volunteer_portal.validators.validate_not_future],
                verbose_name="registered on",
            ),
        ),
        migrations.RunPython(from_created, migrations.RunPython.noop),
    ]
