"""The beneficiary roster as an Excel workbook (openpyxl). Numbers are masked row by row unless the exporter
may reveal them for that beneficiary's branch."""

from io import BytesIO

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from volunteer_portal.branches.selectors import may_reveal
from volunteer_portal.spreadsheets import append_row


def roster_workbook(queryset: QuerySet, user) -> tuple[bytes, int]:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Beneficiaries")[:31]
    header = [
        _("Name"), _("Gender"), _("ID number"), _("Certificate number"), _("Disability category"),
        _("Disability grade"), _("Hardship category"), _("Responsible branch"), _("Address"), _("Phone"),
        _("Guardian"), _("Last visit"),
    ]  # fmt: skip
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    count = 0
    revealable: dict[int, bool] = {}
    for b in queryset.select_related("branch"):
        if b.branch_id not in revealable:
            revealable[b.branch_id] = may_reveal(user, b.branch)
        full = revealable[b.branch_id]
        append_row(sheet, [
            b.name, b.get_gender_display(), b.id_number if full else b.masked_id_number,
            (b.certificate_number if full else b.masked_certificate_number) or "",
            b.get_disability_category_display(), b.get_disability_grade_display(), b.get_household_status_display(),
            b.branch.name, b.address, b.phone, b.guardian_name, getattr(b, "last_visit", None),
        ])  # fmt: skip
        count += 1
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count
