"""The reports' models and StarLevel moved out of `dashboards` without moving data: a database written in the old
layout reads the same after migrating, with its history rows, and the content types (so the permissions given
to people and the admin's log entries) follow the models."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from activities.models import StarLevel
from volunteer_portal.reports.models import BranchReport, EvaluationCriteria, ReportEvent, ReportRequirement

from ..factories import BranchFactory, UserFactory

OLD = [("dashboards", "0003_report_prefilled"), ("activities", "0003_campaign_target_hardship")]
MOVED = {
    "reports": ["branchreport", "historicalbranchreport", "reportevent", "reportrequirement", "evaluationcriteria"],
    "activities": ["starlevel", "historicalstarlevel"],
}


def migrate_to(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_a_database_in_the_old_layout_reads_the_same_after_migrating():
    migrate_to(OLD)
    old = MigrationExecutor(connection).loader.project_state(OLD).apps
    branch = BranchFactory(name="丽景社区")
    user = UserFactory(username="reviewer")
    # What the old layout held: its content types, a permission given to someone, a report with its history
    # and events, a requirement, the star levels and criteria its data migration seeded.
    APRIL = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    OldReport = old.get_model("dashboards", "BranchReport")
    report = OldReport.objects.create(branch_id=branch.pk, frequency="quarterly", period_start=dt.date(2026, 1, 1),
                                      period_end=dt.date(2026, 3, 31), basic_situation="一季度")  # fmt: skip
    old.get_model("dashboards", "HistoricalBranchReport").objects.create(
        id=report.pk, branch_id=branch.pk, frequency="quarterly", period_start=report.period_start,
        period_end=report.period_end, basic_situation="一季度", status="draft", history_date=APRIL,
        history_type="+", created_at=APRIL, updated_at=APRIL, prefilled={},
    )  # fmt: skip
    old.get_model("dashboards", "ReportEvent").objects.create(report_id=report.pk, action="created", actor_id=user.pk)
    old.get_model("dashboards", "ReportRequirement").objects.create(branch_kind="community", frequency="quarterly")
    OldStars = old.get_model("dashboards", "StarLevel")
    if not OldStars.objects.exists():  # seeded by a data migration, unless an earlier test flushed the database
        OldStars.objects.create(stars=1, min_hours=100)
    stars = OldStars.objects.count()
    criteria = old.get_model("dashboards", "EvaluationCriteria").objects.count()
    # (Migrating back renamed the test database's content types to their old label, as a database that never
    # left the old layout has them.)
    for model in MOVED["reports"] + MOVED["activities"]:
        ContentType.objects.get_or_create(app_label="dashboards", model=model)
    assert not ContentType.objects.filter(app_label="reports").exists()
    report_type = ContentType.objects.get(app_label="dashboards", model="branchreport")
    permission, _new = Permission.objects.get_or_create(content_type=report_type, codename="view_branchreport",
                                                        defaults={"name": "查看"})  # fmt: skip
    user.user_permissions.add(permission)

    migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes())

    moved = BranchReport.objects.get(pk=report.pk)
    assert (moved.branch, moved.basic_situation) == (branch, "一季度")
    assert [h.basic_situation for h in moved.history.all()] == ["一季度"]
    assert list(ReportEvent.objects.filter(report=moved).values_list("action", flat=True)) == ["created"]
    assert ReportRequirement.objects.filter(branch_kind="community").exists()
    assert StarLevel.objects.count() == stars and EvaluationCriteria.objects.count() == criteria
    for label, models in MOVED.items():
        assert set(
            ContentType.objects.filter(app_label=label, model__in=models).values_list("model", flat=True)
        ) == set(models)
    assert not ContentType.objects.filter(app_label="dashboards").exists()
    permission.refresh_from_db()
    assert permission.content_type.app_label == "reports"
    user = type(user).objects.get(pk=user.pk)
    assert user.has_perm("reports.view_branchreport")
    call_command("check")
