"""An export built in the background: who asked, what for, how far it has got, and the finished file.

The file is stored in the private "exports" storage (EXPORT_ROOT, never served under MEDIA_URL) and handed only to
the person who asked, through `jobs:export-download`, after the export's own access checks are run again."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def export_storage() -> Storage:
    """STORAGES["exports"] when it is set (a private bucket that several app machines share), else EXPORT_ROOT,
    a folder nothing serves."""
    if "exports" in settings.STORAGES:
        return storages["exports"]
    return FileSystemStorage(location=settings.EXPORT_ROOT)


class ExportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to start")
        RUNNING = "running", _("being prepared")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("export"), max_length=200)
    # The export's class (a dotted path, e.g. "beneficiaries.exports.RosterExport"), rebuilt by the worker with
    # the request's query string and arguments, as the person who asked.
    export = models.CharField(_("kind of export"), max_length=200)
    query = models.TextField(_("filters"), blank=True)
    arguments = models.JSONField(_("arguments"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10)
    # Where the request came from, for the access log the worker writes when the file is made.
    address = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    file = models.FileField(_("file"), storage=export_storage, upload_to="%Y/%m/", blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="jobs_export_user_created")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("jobs:export-detail", args=[self.pk])

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
