"""The roster template: an empty workbook to fill in, with a sheet explaining each column."""

import io

from django.utils import translation
from django.utils.translation import gettext as _

from volunteer_portal.branches.models import RoleGrant
from volunteer_portal.branches.selectors import branch_list
from volunteer_portal.spreadsheets import append_row

from ..models import Need, StatutoryBasis
from .columns import CHOICE_COLUMNS, COLUMNS, NUMBER_COLUMNS, REQUIRED, choice_labels, headers
from .reading import MAX_ROWS


def template_workbook(user) -> bytes:
    """An empty roster with the Chinese headers, drop-down lists for the choice columns, text-formatted number
    columns (so that Excel keeps all 18 digits), and a sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    names = headers()
    workbook = Workbook()
    sheet = workbook.active
    with translation.override("zh-hans"):
        sheet.title = _("Roster")
        notes = workbook.create_sheet(_("How to fill in"))
        append_row(sheet, [names[name] for name in COLUMNS])
        required_fill = PatternFill("solid", fgColor="FFF2CC")
        for index, name in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=1, column=index)
            cell.font = Font(bold=True)
            if name in REQUIRED:
                cell.fill = required_fill
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(names[name]) * 2 + 4)
            if name in NUMBER_COLUMNS:  # the column's own format: cells typed into it stay text
                sheet.column_dimensions[letter].width = 24
                sheet.column_dimensions[letter].number_format = "@"
            if name in CHOICE_COLUMNS:
                validation = DataValidation(
                    type="list", formula1='"' + ",".join(choice_labels(name)) + '"', allow_blank=True
                )
                validation.error = _("Choose a value from the list.")
                validation.showErrorMessage = True
                sheet.add_data_validation(validation)
                validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.freeze_panes = "A2"

        branches = list(branch_list(user=user, role=RoleGrant.Role.SECRETARY).values_list("name", flat=True))
        explanations = {
            "id_number": _("18 characters; the last may be X. Each person once: rows are matched on this number."),
            "birth_date": _("Leave empty to take it from the ID number."),
            "certificate_number": _("20 characters: the ID number, the category digit and the grade digit."),
            "branch": _(
                "Empty: your own unit. Otherwise one of: %(names)s. If two have the same name, write "
                "“higher unit/unit”."
            )
            % {"names": "、".join(branches[:50])},
            "needs": _("Any of these, separated by 、: %(names)s")
            % {"names": "、".join(Need.objects.values_list("name", flat=True))},
            "consent_given_by": _("For a new person: consent (who gave it, on which day), or a statutory basis."),
            "consent_given_on": _("A date such as 2025-03-01."),
            "statutory_basis": _("Instead of consent: one of %(names)s")
            % {"names": "、".join(StatutoryBasis.objects.values_list("name", flat=True)) or _("(none set up)")},
        }
        append_row(notes, [_("Column"), _("Required"), _("What to write")])
        for cell in notes[1]:
            cell.font = Font(bold=True)
        for name in COLUMNS:
            text = explanations.get(name, "")
            if name in CHOICE_COLUMNS:
                text = _("One of: %(values)s") % {"values": "、".join(choice_labels(name))} + (
                    " " + text if text else ""
                )
            append_row(notes, [names[name], _("yes") if name in REQUIRED else "", text])
        append_row(notes, [])
        append_row(notes, [_("Rows already registered (the same ID number) are updated; new ones are added. Nothing "
                            "is written until you have seen the preview and confirmed.")])  # fmt: skip
        notes.column_dimensions["A"].width = 22
        notes.column_dimensions["B"].width = 8
        notes.column_dimensions["C"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
