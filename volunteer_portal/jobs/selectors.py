"""Reads of export jobs: a person sees only their own (anyone else's answers 404, as a missing one does)."""

from django.db.models import QuerySet
from django.http import Http404

from .models import ExportJob


def export_job_list(*, user) -> QuerySet[ExportJob]:
    if not user.is_authenticated:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user=user).order_by("-created_at", "-pk")


def export_job_get_for_user(user, pk: int) -> ExportJob:
    job = export_job_list(user=user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job
