"""Store a household's last visit and a pairing's last contact on their rows, so that the lists show, sort and
filter by them without reading every visit; filled here from the visits, which an index on (household, date)
makes a lookup per row."""

from django.db import migrations, models

from beneficiaries.upkeep import beneficiary_last_visit_refresh, pairing_last_contact_refresh


def fill(apps, schema_editor):
    beneficiary_last_visit_refresh(apps.get_model("beneficiaries", "Beneficiary").objects.all())
    pairing_last_contact_refresh(apps.get_model("beneficiaries", "Pairing").objects.all())


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0010_group_item_recipients_may_be_unknown")]

    operations = [
        migrations.AddField(
            model_name="beneficiary",
            name="last_visit_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="last visit"),
        ),
        migrations.AddField(
            model_name="pairing",
            name="last_contact_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="last contact"),
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["beneficiary", "date"], name="visit_beneficiary_date"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
