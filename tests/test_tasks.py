"""Background jobs (volunteer_portal/jobs, django-tasks): a large export is queued, built by the real worker
command (`db_worker --batch`) or at once by the immediate backend, followed on its page and downloaded by the
person who asked alone; its access log entry is written once. Failing tasks are retried with back-off."""

import datetime as dt
import os
import signal
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from volunteer_portal.branches.models import AccessLog, RoleGrant
from volunteer_portal.jobs.models import ExportJob
from volunteer_portal.jobs.retry import retry_delay, with_retries
from volunteer_portal.jobs.services import _progress, export_jobs_prune

from .factories import BeneficiaryFactory, BranchFactory, UserFactory
from .test_project import run_settings

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EXPORT = reverse("beneficiaries:beneficiary-export")


@pytest.fixture
def queued(settings, tmp_path):
    """The production set-up: jobs wait in the database for the worker; files in a private temporary folder."""
    settings.TASKS = DATABASE_BACKEND
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.EXPORT_INLINE_MAX_ROWS = 3
    return settings


@pytest.fixture
def immediate(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.EXPORT_INLINE_MAX_ROWS = 3
    return settings


@pytest.fixture
def exporter(tree):
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True, may_export=True)
    BeneficiaryFactory.create_batch(5, branch=tree.branch_a)
    BeneficiaryFactory.create_batch(2, branch=tree.branch_b)  # out of scope: never exported
    return type(tree.secretary_a).objects.get(pk=tree.secretary_a.pk)


def run_worker() -> None:
    """The real worker command, once through the queue; the signal handlers it sets are put back after."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def export_entries():
    return AccessLog.objects.filter(event=AccessLog.Event.EXPORT)


@pytest.mark.django_db(transaction=True)
def test_a_large_export_is_queued_followed_and_downloaded_once_logged(as_user, tree, exporter, queued):
    client = as_user(exporter)
    response = client.get(EXPORT, REMOTE_ADDR="10.2.3.4")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == ExportJob.Status.QUEUED and job.rows_total == 5 and not export_entries().exists()

    page = client.get(job.get_absolute_url()).content.decode()
    assert "等待开始" in page and 'id="export-bar"' in page and "js/jobs.js" in page
    assert f'href="{job.get_absolute_url()}"' in page  # the refresh link, for a browser without JavaScript
    assert "<script>" not in page  # the CSP allows no inline script
    status = client.get(reverse("jobs:export-status", args=[job.pk])).json()
    assert status == {"status": "queued", "label": "等待开始", "finished": False, "rows_done": 0, "rows_total": 5,
                      "percent": 0}  # fmt: skip
    assert client.get(reverse("jobs:export-download", args=[job.pk])).status_code == 404  # not ready yet

    run_worker()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == 5 and job.file.name.endswith(".xlsx")
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert not job.file.path.startswith(str(queued.MEDIA_ROOT))  # private: nothing serves this folder
    page = client.get(job.get_absolute_url()).content.decode()
    assert "文件已准备好" in page and reverse("jobs:export-download", args=[job.pk]) in page
    assert client.get(reverse("jobs:export-status", args=[job.pk])).json()["finished"] is True

    download = client.get(reverse("jobs:export-download", args=[job.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    rows = list(load_workbook(BytesIO(b"".join(download.streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 6 and {row[7] for row in rows[1:]} == {"丽景社区"}
    client.get(reverse("jobs:export-download", args=[job.pk]))  # downloading again logs nothing more

    entry = export_entries().get()
    assert entry.user == exporter and entry.address == "10.2.3.4" and "5" in entry.subject
    run_worker()  # the worker does not run a job twice
    assert export_entries().count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_search_by_id_number_is_logged_once_for_a_queued_export(as_user, tree, exporter, queued):
    number = tree.branch_a.beneficiaries.first().id_number
    assert as_user(exporter).get(EXPORT, {"q": number[-6:]}).status_code == 200  # one row: at once
    queued.EXPORT_INLINE_MAX_ROWS = 0
    as_user(exporter).get(EXPORT, {"q": number[-6:]})
    run_worker()
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE and job.rows_total == 1
    # once for the download made at once, once for the queued one: never again by the worker
    assert AccessLog.objects.filter(event=AccessLog.Event.NUMBER_SEARCH).count() == 2
    assert export_entries().count() == 2


def test_the_immediate_backend_builds_the_file_in_the_request(as_user, tree, exporter, immediate):
    client = as_user(exporter)
    response = client.get(EXPORT)
    job = ExportJob.objects.get()
    assert response["Location"] == job.get_absolute_url() and job.status == ExportJob.Status.DONE
    assert reverse("jobs:export-download", args=[job.pk]) in client.get(response["Location"]).content.decode()
    assert client.get(reverse("jobs:export-download", args=[job.pk])).status_code == 200
    assert export_entries().get().user == exporter


def test_a_small_export_is_downloaded_at_once(as_user, tree, exporter, immediate):
    immediate.EXPORT_INLINE_MAX_ROWS = 5
    response = as_user(exporter).get(EXPORT)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert not ExportJob.objects.exists() and export_entries().count() == 1


def test_outsiders_get_404_and_anonymous_users_sign_in(as_user, client, tree, exporter, immediate):
    as_user(exporter).get(EXPORT)
    job = ExportJob.objects.get()
    urls = [reverse(name, args=[job.pk]) for name in ("jobs:export-detail", "jobs:export-status",
                                                      "jobs:export-download")]  # fmt: skip
    RoleGrant.objects.filter(user=tree.secretary_b).update(may_reveal=True, may_export=True)
    other = as_user(type(tree.secretary_b).objects.get(pk=tree.secretary_b.pk))
    for url in urls:
        assert other.get(url).status_code == 404
    assert job.title not in other.get(reverse("jobs:export-list")).content.decode()
    client.logout()
    for url in [*urls, reverse("jobs:export-list")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_the_file_is_refused_once_the_export_right_is_gone(as_user, tree, exporter, immediate):
    client = as_user(exporter)
    client.get(EXPORT)
    job = ExportJob.objects.get()
    RoleGrant.objects.filter(user=exporter).update(may_export=False)
    client = as_user(type(exporter).objects.get(pk=exporter.pk))
    assert client.get(reverse("jobs:export-download", args=[job.pk])).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_right_went_before_it_ran_fails_with_a_message(as_user, tree, exporter, queued):
    as_user(exporter).get(EXPORT)
    RoleGrant.objects.filter(user=exporter).update(may_export=False)
    run_worker()
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.FAILED and not job.file and not export_entries().exists()
    assert "您已不能导出这些记录" in as_user(exporter).get(job.get_absolute_url()).content.decode()


def test_old_exports_expire_and_are_pruned_with_their_files(as_user, tree, exporter, immediate):
    client = as_user(exporter)
    client.get(EXPORT)
    job = ExportJob.objects.get()
    path = job.file.path
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert client.get(reverse("jobs:export-download", args=[job.pk])).status_code == 404
    assert "不再保留" in client.get(job.get_absolute_url()).content.decode()
    client.get(EXPORT)  # a new one stays
    assert export_jobs_prune() == 1
    assert not ExportJob.objects.filter(pk=job.pk).exists() and ExportJob.objects.count() == 1
    assert not os.path.exists(path)
    out = StringIO()
    call_command("prune_exports", stdout=out)
    assert ExportJob.objects.count() == 1 and "Deleted 0 exports" in out.getvalue()


def test_progress_is_written_in_steps_not_per_row(tree, django_assert_num_queries):
    job = ExportJob.objects.create(user=tree.secretary_a, title="t", export="x", language="zh-hans", rows_total=1000)
    report = _progress(job)
    with django_assert_num_queries(2):
        for done in range(1, 251):
            report(done)
    job.refresh_from_db()
    assert job.rows_done == 200 and job.percent == 20


def test_the_dashboard_export_is_queued_too_and_kept_to_its_scope(as_user, tree, immediate):
    immediate.EXPORT_INLINE_MAX_ROWS = 2
    BranchFactory(parent=tree.district, name="第三社区")  # three sub-branches and the total: 4 rows
    client = as_user(tree.district_leader)
    url = reverse("dashboards:dashboard-export", args=[tree.district.pk])
    response = client.get(url, {"period": "year", "year": 2026})
    job = ExportJob.objects.get()
    assert response["Location"] == job.get_absolute_url() and job.rows_total == 4
    assert job.status == ExportJob.Status.DONE and job.arguments == {"pk": tree.district.pk}
    download = client.get(reverse("jobs:export-download", args=[job.pk]))
    sheet = load_workbook(BytesIO(b"".join(download.streaming_content))).active
    assert any(row[0] == "第三社区" for row in sheet.iter_rows(values_only=True))
    assert as_user(tree.secretary_a).get(reverse("jobs:export-download", args=[job.pk])).status_code == 404
    outsider = UserFactory()
    assert as_user(outsider).get(job.get_absolute_url()).status_code == 404


def test_the_exports_list_and_a_job_page_run_flat_queries(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)

    def jobs(count: int):
        made = [ExportJob.objects.create(user=tree.secretary_a, title="受益人名册", export="x",
                                         language="zh-hans", rows_total=10) for _ in range(count)]  # fmt: skip
        ExportJob.objects.create(user=tree.secretary_b, title="other", export="x", language="zh-hans")
        return made

    first = jobs(1)[0]
    assert_flat_queries(lambda: client.get(reverse("jobs:export-list")), lambda: jobs(20), queries=4,
                        also=[(lambda: client.get(first.get_absolute_url()), 3)])  # fmt: skip


# --- retries ---------------------------------------------------------------------------------------------------

CALLS: list[int] = []


@task()
@with_retries
def flaky() -> str:
    CALLS.append(1)
    raise RuntimeError("the channel is down")


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_retried_with_back_off_until_its_last_attempt(settings):
    settings.TASKS = DATABASE_BACKEND
    settings.TASK_RETRY_SECONDS, settings.TASK_MAX_ATTEMPTS = 60, 3
    CALLS.clear()
    flaky.enqueue()
    before = timezone.now()
    run_worker()  # attempt 1 fails: attempt 2 waits 60 s
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {"attempt": 2} and CALLS == [1]
    assert before + dt.timedelta(seconds=59) < retry.run_after < timezone.now() + dt.timedelta(seconds=61)
    run_worker()  # not due yet: nothing runs
    assert CALLS == [1]
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()  # attempt 2 fails: attempt 3 waits 120 s
    third = DBTaskResult.objects.get(status="READY")
    assert third.args_kwargs["kwargs"] == {"attempt": 3} and third.run_after > timezone.now() + dt.timedelta(
        seconds=110
    )
    DBTaskResult.objects.filter(pk=third.pk).update(run_after=timezone.now())
    run_worker()  # the last attempt fails: given up
    assert CALLS == [1, 1, 1] and not DBTaskResult.objects.filter(status="READY").exists()
    assert DBTaskResult.objects.filter(status="FAILED").count() == 3
    assert retry_delay(1) == dt.timedelta(seconds=60) and retry_delay(3) == dt.timedelta(seconds=240)


def test_the_immediate_backend_does_not_retry(settings, db):
    CALLS.clear()
    result = flaky.enqueue()
    assert result.status == "FAILED" and CALLS == [1]


@pytest.mark.django_db(transaction=True)
def test_the_enqueue_command_hands_a_daily_job_to_the_worker(settings):
    settings.TASKS = DATABASE_BACKEND
    call_command("enqueue", "send_reminders", stdout=StringIO())
    assert DBTaskResult.objects.get().task_path == "volunteer_portal.reminders.tasks.send_reminders_task"
    run_worker()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_the_figures_rebuild_runs_in_the_worker(settings):
    settings.TASKS = DATABASE_BACKEND
    call_command("enqueue", "figures_rebuild", stdout=StringIO())
    run_worker()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_job_still_waiting_after_minutes_says_the_worker_may_be_down(as_user, tree, exporter, queued):
    client = as_user(exporter)
    client.get(EXPORT)
    job = ExportJob.objects.get()
    assert "后台工作进程" not in client.get(job.get_absolute_url()).content.decode()
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=6))
    assert "后台工作进程是否在运行" in client.get(job.get_absolute_url()).content.decode()


def test_the_task_backend_follows_debug_and_refuses_an_unknown_one():
    code = "print(settings.TASKS['default']['BACKEND'])"
    production = {"DEBUG": "false", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "portal.example.org"}
    assert run_settings({}, code).stdout.strip() == "django_tasks.backends.immediate.ImmediateBackend"
    assert run_settings(production, code).stdout.strip() == "django_tasks_db.DatabaseBackend"
    assert run_settings({**production, "TASKS_BACKEND": "immediate"}, code).stdout.strip().endswith("ImmediateBackend")
    assert "TASKS_BACKEND must be immediate or database" in run_settings({"TASKS_BACKEND": "celery"}).stderr
