"""The beneficiary roster as an Excel workbook (openpyxl). Numbers are masked row by row unless the exporter
may reveal them for that beneficiary's branch (`privacy.personal_view`: the export itself is logged)."""

from io import BytesIO

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from volunteer_portal.spreadsheets import append_row

from .privacy import personal_view


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
    for b in queryset.select_related("branch"):
        shown = personal_view(user, b, revealed=True)
        append_row(sheet, [
            b.name, b.get_gender_display(), shown.id_number, shown.certificate_number,
            b.get_disability_category_display(), b.get_disability_grade_display(), b.get_household_status_display(),
            b.branch.name, b.address, b.phone, b.guardian_name, getattr(b, "last_visit", None),
        ])  # fmt: skip
        count += 1
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count
