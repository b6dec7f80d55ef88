"""The beneficiary roster as an Excel workbook (openpyxl). Numbers are masked row by row unless the exporter
may reveal them for that beneficiary's branch (`privacy.personal_view`: the export itself is logged).

`RosterExport` is the download of `/beneficiaries/export.xlsx`: at once up to EXPORT_INLINE_MAX_ROWS rows, else
built by the worker (volunteer_portal/jobs), as the person who asked, with the filters they chose."""

from collections.abc import Callable
from io import BytesIO

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from volunteer_portal.branches.access_log import log_access
from volunteer_portal.branches.models import AccessLog
from volunteer_portal.branches.selectors import may_export, scope_q
from volunteer_portal.jobs.exports import Export, ExportFile
from volunteer_portal.spreadsheets import append_streamed_row

from .filters import BeneficiaryFilter
from .privacy import mask_numbers_in, personal_view
from .selectors import beneficiary_list


class RosterExport(Export):
    """The roster as filtered on the list: only with an export grant, logged, numbers masked unless revealable."""

    title = gettext_lazy("Beneficiary roster (Excel)")

    def __init__(self, request, **arguments) -> None:
        super().__init__(request, **arguments)
        if not may_export(request.user):
            raise PermissionDenied

    def queryset(self) -> QuerySet:
        user = self.request.user
        base = beneficiary_list(user=user).filter(scope_q(user, via="branch", role="may_export"))
        filterset = BeneficiaryFilter(self.request.GET, queryset=base, request=self.request)
        return (filterset.qs if filterset.is_valid() else base).order_by("branch__path", "name")

    def rows(self) -> int:
        self._queryset = self.queryset()
        return self._queryset.count()

    def build(self, progress: Callable[[int], None]) -> ExportFile:
        queryset = getattr(self, "_queryset", None)
        if queryset is None:
            queryset = self.queryset()
        content, count = roster_workbook(queryset, self.request.user, progress=progress)
        return ExportFile(content=content, filename=f"beneficiaries-{timezone.localdate():%Y%m%d}.xlsx", rows=count)

    def log(self, file: ExportFile) -> None:
        log_access(self.request, AccessLog.Event.EXPORT, subject=_("%(count)d beneficiaries") % {"count": file.rows},
                   detail=mask_numbers_in(self.request.GET.urlencode()))  # fmt: skip


def roster_workbook(queryset: QuerySet, user, *, progress: Callable[[int], None] | None = None) -> tuple[bytes, int]:
    """The workbook, written row by row (openpyxl's write-only mode, the records read in chunks), so a large
    roster never holds every cell and every record in memory at once."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Beneficiaries")[:31])
    header = [
        _("Name"), _("Gender"), _("ID number"), _("Certificate number"), _("Disability category"),
        _("Disability grade"), _("Hardship category"), _("Responsible branch"), _("Address"), _("Phone"),
        _("Guardian"), _("Last visit"),
    ]  # fmt: skip
    append_streamed_row(sheet, 1, header, font=Font(bold=True))
    count = 0
    for b in queryset.select_related("branch").iterator(chunk_size=2000):
        shown = personal_view(user, b, revealed=True)
        count += 1
        append_streamed_row(sheet, count + 1, [
            b.name, b.get_gender_display(), shown.id_number, shown.certificate_number,
            b.get_disability_category_display(), b.get_disability_grade_display(), b.get_household_status_display(),
            b.branch.name, b.address, b.phone, b.guardian_name, getattr(b, "last_visit", None),
        ])  # fmt: skip
        if progress is not None:
            progress(count)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count
