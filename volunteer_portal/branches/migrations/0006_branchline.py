from django.db import migrations, models
import django.db.models.deletion


def lines_from_paths(apps, schema_editor):
    """Every branch with each of its ancestors, itself included, read from the stored paths."""
    Branch = apps.get_model("branches", "Branch")
    BranchLine = apps.get_model("branches", "BranchLine")
    BranchLine.objects.bulk_create(
        [
            BranchLine(branch_id=pk, ancestor_id=int(part))
            for pk, path in Branch.objects.values_list("pk", "path")
            for part in path.split("/")
            if part
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0005_branch_confirm_members_work"),
    ]

    operations = [
        migrations.CreateModel(
            name="BranchLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "ancestor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="branches.branch"
                    ),
                ),
                (
                    "branch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="branches.branch"
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("ancestor", "branch"), name="branchline_unique")],
            },
        ),
        migrations.RunPython(lines_from_paths, migrations.RunPython.noop),
    ]
