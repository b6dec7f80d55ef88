"""Seed the reference list of needs. Administrators may edit it afterwards."""

from django.db import migrations

NEEDS = ["康复训练", "辅助器具", "就业帮扶", "教育", "托养照料", "无障碍改造", "生活救助", "医疗救助", "心理疏导"]


def seed(apps, schema_editor):
    Need = apps.get_model("beneficiaries", "Need")
    for order, name in enumerate(NEEDS, start=1):
        Need.objects.get_or_create(name=name, defaults={"order": order})


def unseed(apps, schema_editor):
    Need = apps.get_model("beneficiaries", "Need")
    Need.objects.filter(name__in=NEEDS, beneficiaries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
