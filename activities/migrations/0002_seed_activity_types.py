"""Seed the activity types listed in DESIGN.md. Administrators may add, rename or retire them afterwards."""

from django.db import migrations

TYPES = [
    ("走访慰问", []),
    ("志愿助残进家庭", ["家政维修", "生活帮扶", "清洁卫生", "心理辅导"]),
    ("爱心捐赠", []),
    ("康复指导", []),
    ("座谈会/学习", []),
    ("心得交流会", []),
    ("矛盾排查", []),
    ("主题活动", []),
    ("窗口文明服务", []),
    ("其他", []),
]


def seed(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    for order, (name, subtypes) in enumerate(TYPES, start=1):
        parent, _ = ActivityType.objects.get_or_create(name=name, parent=None, defaults={"order": order * 10})
        for sub_order, sub_name in enumerate(subtypes, start=1):
            ActivityType.objects.get_or_create(
                name=sub_name, parent=parent, defaults={"order": order * 10 + sub_order}
            )


def unseed(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    names = [name for name, _ in TYPES] + [sub for _, subs in TYPES for sub in subs]
    ActivityType.objects.filter(name__in=names, activities__isnull=True, parent__isnull=False).delete()
    ActivityType.objects.filter(name__in=names, activities__isnull=True, subtypes__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
