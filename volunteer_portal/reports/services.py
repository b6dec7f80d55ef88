"""The branch report workflow (情况汇报). A secretary drafts (the draft is prefilled from the live records), edits
and submits; submitting freezes the figures. A leader of an ancestor branch approves the report or returns it
with a comment; a returned report can be edited and submitted again. Nobody edits a submitted or approved
report. Every transition is a ReportEvent (who, when, comment).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from volunteer_portal.branches.models import Branch, RoleGrant
from volunteer_portal.branches.selectors import branch_list
from volunteer_portal.dashboards.periods import period_of
from volunteer_portal.models import save_checked
from volunteer_portal.versions import check_version

from .models import BranchReport, ReportEvent, TypicalActivity
from .selectors import live_figures, may_edit, may_review, narrative_from

Role = RoleGrant.Role
Status = BranchReport.Status


def _event(report: BranchReport, actor, action: str, comment: str = "") -> None:
    ReportEvent.objects.create(report=report, actor=actor, action=action, comment=comment)


@transaction.atomic
def report_create(*, actor, branch: Branch, frequency: str, start: dt.date) -> BranchReport:
    """A draft for the branch and the period holding `start`, prefilled from the live records. A report that
    exists already is returned as it is (a second tap opens the same draft)."""
    if not branch_list(user=actor, role=Role.SECRETARY).filter(pk=branch.pk).exists():
        raise PermissionDenied
    start, end = period_of(frequency, start)
    if start > timezone.localdate():
        raise ValidationError(_("This period has not begun yet."), code="future")
    report = BranchReport.objects.filter(branch=branch, period_start=start, period_end=end).first()
    if report is not None:
        return report
    report = BranchReport(branch=branch, frequency=frequency, period_start=start, period_end=end)
    report.prefilled = narrative_from(branch, report.period_label, live_figures(branch, start, end))
    for name, text in report.prefilled.items():
        setattr(report, name, text)
    try:
        with transaction.atomic():
            save_checked(report, actor)
    except (IntegrityError, ValidationError):  # a second tap at the same moment made it first
        existing = BranchReport.objects.filter(branch=branch, period_start=start, period_end=end).first()
        if existing is None:
            raise
        return existing
    _event(report, actor, ReportEvent.Action.CREATED)
    return report


NARRATIVE = ["basic_situation", "practices", "problems", "next_steps"]


@transaction.atomic
def report_update(
    *, actor, report: BranchReport, typical=None, version: dt.datetime | None = None, **sections
) -> BranchReport:
    report = BranchReport.objects.select_for_update().get(pk=report.pk)
    if not may_edit(actor, report):
        raise ValidationError(_("A submitted or approved report can no longer be changed."), code="locked")
    check_version(report, version, actor=actor, incoming=sections)
    for name in NARRATIVE:
        if name in sections:
            setattr(report, name, sections[name])
    save_checked(report, actor)
    if typical is not None:
        chosen = {activity.pk for activity in typical}
        TypicalActivity.objects.filter(report=report).exclude(activity_id__in=chosen).delete()
        have = set(TypicalActivity.objects.filter(report=report).values_list("activity_id", flat=True))
        TypicalActivity.objects.bulk_create(
            [TypicalActivity(report=report, activity_id=pk) for pk in sorted(chosen - have)]
        )
    return report


@transaction.atomic
def report_submit(*, actor, report: BranchReport) -> BranchReport:
    report = BranchReport.objects.select_for_update().get(pk=report.pk)
    if not may_edit(actor, report):
        raise ValidationError(_("Only a draft or a returned report can be submitted."), code="locked")
    if report.period_end >= timezone.localdate():
        raise ValidationError(_("The period has not ended yet: submit the report once it has."), code="open")
    if not report.basic_situation.strip():
        raise ValidationError(_("Write the 基本情况 section before submitting."), code="empty")
    report.figures = live_figures(report.branch, report.period_start, report.period_end)
    written = narrative_from(report.branch, report.period_label, report.figures)
    for name, text in (report.prefilled or {}).items():
        if getattr(report, name).strip() == text.strip():  # as the system wrote it: write it from the frozen figures
            setattr(report, name, written[name])
    report.prefilled = written
    report.status, report.submitted_at = Status.SUBMITTED, timezone.now()
    save_checked(report, actor)
    _event(report, actor, ReportEvent.Action.SUBMITTED)
    return report


@transaction.atomic
def report_review(*, actor, report: BranchReport, approve: bool, comment: str = "") -> BranchReport:
    report = BranchReport.objects.select_for_update().get(pk=report.pk)
    if not may_review(actor, report):
        raise PermissionDenied
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError({"comment": _("Say what should be changed: the branch sees this comment.")})
    report.status = Status.APPROVED if approve else Status.RETURNED
    save_checked(report, actor)
    _event(report, actor, ReportEvent.Action.APPROVED if approve else ReportEvent.Action.RETURNED, comment)
    return report
