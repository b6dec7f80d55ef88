"""A roster import staged for checking (see `beneficiaries/imports/`): the file's rows until written or discarded."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..privacy import mask_id_number
from .people import Beneficiary


class RosterImport(models.Model):
    """One uploaded roster file, staged until its uploader confirms it (or discards it).

    The staged rows hold personal data, so they are deleted as soon as the import is written or discarded;
    what stays is this summary: who imported which file, when, and how many records it created and updated.
    """

    class Status(models.TextChoices):
        CHECKING = "checking", _("checking")
        CHECKED = "checked", _("checked")
        IMPORTED = "imported", _("imported")
        DISCARDED = "discarded", _("discarded")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CHECKING)
    total = models.PositiveIntegerField(_("rows"), default=0)
    checked = models.PositiveIntegerField(_("rows checked"), default=0)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    # Where the uploader could write and see full numbers when the check ran: if that changes, it runs again.
    scope = models.JSONField(default=dict, editable=False)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return reverse("beneficiaries:import-detail", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.IMPORTED, self.Status.DISCARDED)


class RosterImportRow(models.Model):
    """One data row of a staged import: the cells as read, and once checked, what it would do and why not."""

    class Action(models.TextChoices):
        PENDING = "", _("not checked yet")
        CREATE = "create", _("new")
        UPDATE = "update", _("update")
        UNCHANGED = "unchanged", _("unchanged")
        INVALID = "invalid", _("has problems")

    batch = models.ForeignKey(RosterImport, on_delete=models.PROTECT, related_name="rows")
    number = models.PositiveIntegerField(_("row"))  # as the spreadsheet numbers it: the header is row 1
    cells = models.JSONField(default=dict)  # header → text, as uploaded
    id_number = models.CharField(max_length=30, blank=True, db_index=True)  # normalised, to match and de-duplicate
    action = models.CharField(max_length=10, choices=Action.choices, blank=True, default=Action.PENDING)
    values = models.JSONField(default=dict)  # the checked values, ready to write
    read_problems = models.JSONField(default=list)  # [[column, message], ...] found reading the file
    problems = models.JSONField(default=list)  # the reading problems and those the check found
    changed = models.JSONField(default=list)  # column headers an update changes
    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("roster import row")
        verbose_name_plural = _("roster import rows")
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="rosterimportrow_unique_number")]

    def __str__(self) -> str:
        return f"{self.batch_id} · {self.number}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.values.get("id_number") or self.id_number)
