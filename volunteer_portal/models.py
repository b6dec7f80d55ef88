"""Abstract bases shared by the apps' models (this module is not an app and has no tables)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ArchivableQuerySet(models.QuerySet):
    def live(self):
        return self.filter(archived_at__isnull=True)

    def archived(self):
        return self.filter(archived_at__isnull=False)


class ArchivableModel(TimeStampedModel):
    """Records a user entered are archived, never deleted: figures and history skip archived rows."""

    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def mark_archived(self, user) -> None:
        """Set the archive stamp; the calling service saves."""
        self.archived_at = timezone.now()
        self.archived_by = user


def ensure_not_archived(record: ArchivableModel) -> None:
    """Services call this before changing a record: an archived record is read-only."""
    if record.is_archived:
        raise ValidationError(_("This record is archived and can no longer be changed."), code="archived")


def stamp_history_user(record: models.Model, actor) -> None:
    """Tell django-simple-history who is making the next save (its documented `_history_user` hook)."""
    record._history_user = actor  # type: ignore[attr-defined]


def save_checked(record: models.Model, actor, *, exclude: list[str] | None = None) -> None:
    """Every service's write of one record: validated (fields, model rules, constraints), stamped with who made
    it for the history, saved."""
    record.full_clean(exclude=exclude)
    stamp_history_user(record, actor)
    record.save()
