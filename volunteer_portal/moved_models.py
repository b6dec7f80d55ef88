"""Moving a model to another app without moving its data (`SeparateDatabaseAndState`): the tables keep their
names, and the content types (with the permissions and admin log entries that point at them) follow the model."""

from django.db import migrations


def move_content_types(old_label: str, new_label: str, models: list[str]) -> migrations.RunPython:
    """The migration step that renames the content types of `models` (lower-case model names) from one app
    label to the other, and back when unapplied. On a new database there are none yet: Django creates them,
    under the new label, after migrating."""

    def rename(apps, from_label: str, to_label: str) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        ContentType.objects.filter(app_label=from_label, model__in=models).update(app_label=to_label)

    return migrations.RunPython(
        lambda apps, schema_editor: rename(apps, old_label, new_label),
        lambda apps, schema_editor: rename(apps, new_label, old_label),
    )
