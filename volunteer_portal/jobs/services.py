"""Exports: built at once when small, by the worker when large; and the finished files pruned.

`export_respond` is what an export view returns. The worker runs `export_job_run` once per job (a job is claimed
before it is built), so the export's access log entry is written once, for the person who asked."""

import datetime as dt
import logging
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from volunteer_portal.branches.access_log import client_address
from volunteer_portal.web import download

from .exports import Export, JobRequest
from .models import ExportJob

logger = logging.getLogger(__name__)

# The progress on the job's page moves in about a hundred steps, each one write, never one per row.
PROGRESS_STEPS = 100
PROGRESS_MIN_ROWS = 100


def export_respond(request: HttpRequest, export_class: type[Export], **arguments) -> HttpResponse:
    """The file itself when it has at most EXPORT_INLINE_MAX_ROWS rows; otherwise a job for the worker, and a
    redirect to its page. Access checks are the export class's (its constructor)."""
    export = export_class(request, **arguments)
    rows = export.rows()
    if rows <= settings.EXPORT_INLINE_MAX_ROWS:
        file = export.build(progress=lambda done: None)
        export.log(file)
        return download(file.content, file.filename)
    job = export_job_start(request=request, export=export, rows=rows)
    return redirect(job)


def export_job_start(*, request: HttpRequest, export: Export, rows: int) -> ExportJob:
    from .tasks import run_export

    job = ExportJob.objects.create(
        user=cast(User, request.user),  # the export views require a signed-in user
        title=str(export.title),
        export=export.path(),
        query=request.GET.urlencode(),
        arguments=export.arguments,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        address=client_address(request),
        rows_total=rows,
    )
    run_export.enqueue(job.pk)
    return job


def export_class(job: ExportJob) -> type[Export]:
    found = import_string(job.export)
    if not (isinstance(found, type) and issubclass(found, Export)):
        raise ImportError(f"{job.export} is not an export.")
    return found


def export_check(*, job: ExportJob, user) -> None:
    """The export's own access checks, run again for `user` (raises Http404 or PermissionDenied)."""
    export_class(job)(JobRequest(user=user, query=job.query, address=None), **job.arguments)


def _progress(job: ExportJob) -> Callable[[int], None]:
    step = max(PROGRESS_MIN_ROWS, job.rows_total // PROGRESS_STEPS)
    last = 0

    def report(done: int) -> None:
        nonlocal last
        if done - last >= step:
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done)
            last = done

    return report


def _fail(job: ExportJob, message: str) -> None:
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error=message,
                                               finished_at=timezone.now())  # fmt: skip


def export_job_run(job_id: int) -> str:
    """Build the job's file as the person who asked, store it privately and log the export. Runs once: a job
    already claimed (another worker, a second delivery of the task) or pruned is left alone."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "not queued"
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    request = JobRequest(user=job.user, query=job.query, address=job.address)
    with translation.override(job.language):
        try:
            export = export_class(job)(request, **job.arguments)
            file = export.build(progress=_progress(job))
        except (Http404, PermissionDenied):
            # The person's grants changed since they asked.
            _fail(job, _("You may no longer export these records."))
            return "refused"
        except Exception:
            logger.exception("Export job %s failed", job.pk)
            _fail(job, _("The export failed. Try again; if it fails again, tell an administrator."))
            raise
        job.file.save(file.filename, ContentFile(file.content), save=False)
        job.filename = file.filename
        job.rows_total = job.rows_done = file.rows
        job.status = ExportJob.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "filename", "rows_total", "rows_done", "status", "finished_at"])
        export.log(file)
    return "done"


def expired_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=settings.EXPORT_KEEP_HOURS)


def export_expired(job: ExportJob) -> bool:
    return job.created_at < expired_before()


def export_jobs_prune() -> int:
    """Delete the jobs asked for more than EXPORT_KEEP_HOURS ago, with their files."""
    old = list(ExportJob.objects.filter(created_at__lt=expired_before()))
    for job in old:
        if job.file:
            job.file.delete(save=False)
    ExportJob.objects.filter(pk__in=[job.pk for job in old]).delete()
    return len(old)
