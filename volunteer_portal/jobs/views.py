"""A person's exports built in the background: the list, a job's page (progress, then the download link), its
status for the page's script, and the file. Only the person who asked sees a job (404 for anyone else); the file
is served after the export's own access checks are run again."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from volunteer_portal.web import paginate

from .selectors import export_job_get_for_user, export_job_list
from .services import export_check, export_expired

WORKER_LATE = dt.timedelta(minutes=5)


@login_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, export_job_list(user=request.user))
    return render(request, "jobs/exportjob_list.html", {"page": page, "keep_hours": settings.EXPORT_KEEP_HOURS})


@login_required
@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = export_job_get_for_user(request.user, pk)
    context = {
        "job": job,
        "expired": export_expired(job),
        "keep_hours": settings.EXPORT_KEEP_HOURS,
        # Still waiting after a few minutes: the worker is most likely not running.
        "late": job.status == job.Status.QUEUED and job.created_at < timezone.now() - WORKER_LATE,
    }
    return render(request, "jobs/exportjob_detail.html", context)


@login_required
@require_GET
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = export_job_get_for_user(request.user, pk)
    return JsonResponse(
        {
            "status": job.status,
            "label": job.get_status_display(),
            "finished": job.finished,
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.percent,
        }
    )


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    job = export_job_get_for_user(request.user, pk)
    if job.status != job.Status.DONE or not job.file or export_expired(job):
        raise Http404
    export_check(job=job, user=request.user)
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)
