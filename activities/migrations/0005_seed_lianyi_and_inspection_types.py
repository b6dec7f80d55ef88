"""Add the two activity types the source documents name that the first seed lacked: 联谊 (a friendship event,
such as visitors watching the children's rehabilitation training) and 检查督促 (leaders hearing each branch's
report and checking the work is done)."""

from django.db import migrations

TYPES = [("联谊", 95), ("检查督促", 96)]


def seed(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    for name, order in TYPES:
        ActivityType.objects.get_or_create(name=name, parent=None, defaults={"order": order})


def unseed(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    ActivityType.objects.filter(name__in=[name for name, _ in TYPES], parent=None, activities__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0004_starlevel_from_dashboards")]

    operations = [migrations.RunPython(seed, unseed)]
