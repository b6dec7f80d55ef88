"""Word (python-docx) and Excel (openpyxl) downloads of reports, summaries, the evaluation and service records.

A Word report is laid out like a 情况汇报: a title, the unit and date, numbered sections (一、二、三、四) with the
figures written into sentences, the typical activities, and, in a summary, a table of figures per branch.
"""

import datetime as dt
import re
from collections.abc import Collection, Sequence
from decimal import Decimal
from io import BytesIO

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from volunteer_portal.spreadsheets import append_row

from .models import BranchReport
from .periods import period_label
from .reports import ADDITIVE, FIGURE_LABELS, FIGURES, Summary

NUMERALS = "一二三四五六七八九十"


def _document(title: str, unit: str, day: dt.date):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")  # Word picks East Asian text's font here
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(18)
    line = document.add_paragraph(f"{unit}    {day:%Y年%m月%d日}")
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return document


def _section(document, number: int, title: str, text: str) -> None:
    document.add_paragraph().add_run(f"{NUMERALS[number - 1]}、{title}").bold = True
    for paragraph in (text or _("(not written)")).splitlines() or [""]:
        if paragraph.strip():
            document.add_paragraph(paragraph.strip())


def _table(document, header: list[str], rows: list[list]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = str(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = "" if value is None else str(value)


def _save(document) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def report_title(report: BranchReport) -> str:
    return _("%(branch)s: Lei Feng volunteer work for disabled people, %(period)s") % {
        "branch": report.branch.name,
        "period": report.period_label,
    }


def report_docx(report: BranchReport, values: dict, typical: list) -> bytes:
    day = timezone.localdate(report.submitted_at) if report.submitted_at else timezone.localdate()
    document = _document(report_title(report), report.branch.name, day)
    sections = [
        (_("The situation"), report.basic_situation),
        (_("What was done and what it achieved"), report.practices),
        (pgettext("report section", "Problems"), report.problems),
        (_("Next steps"), report.next_steps),
    ]
    for number, (title, text) in enumerate(sections, start=1):
        _section(document, number, title, text)
        if number == 2 and typical:
            document.add_paragraph(_("Typical cases:"))
            for activity in typical:
                document.add_paragraph(
                    f"{activity.date:%Y-%m-%d} {activity.title}（{activity.type}）", style="List Bullet"
                )
    document.add_paragraph().add_run(_("Figures")).bold = True
    _table(
        document,
        [_("Figure"), _("Value")],
        [[label, values["total"].get(name)] for name, label in FIGURES],
    )
    if values.get("by_type"):
        document.add_paragraph()
        _table(
            document,
            [_("Type of activity"), _("Activities"), _("Volunteer hours")],
            [[row["type"], row["count"], row["hours"]] for row in values["by_type"]],
        )
    if not report.figures:
        document.add_paragraph(_("Draft: the figures are today's and are frozen when the report is submitted."))
    return _save(document)


def summary_title(summary: Summary) -> str:
    return _("%(node)s: summary of the branch reports, %(period)s") % {
        "node": summary.node.name,
        "period": period_label(summary.frequency, summary.start),
    }


def summary_docx(summary: Summary) -> bytes:
    document = _document(summary_title(summary), summary.node.name, timezone.localdate())
    counts = summary.counts
    required = sum(counts.values())
    totals = summary.totals
    text = _(
        "Of %(required)d branches that report for this period, %(approved)d reports are approved, %(submitted)d "
        "await review, %(returned)d were returned and %(missing)d are not submitted. The submitted reports record "
        "%(activities)s activities, %(participations)s participations and %(hours)s volunteer hours, %(visits)s "
        "visits and assistance worth %(assistance)s yuan."
    ) % {
        "required": required, "approved": counts["approved"], "submitted": counts["submitted"],
        "returned": counts["returned"], "missing": counts["missing"] + counts["draft"],
        "activities": totals["activities"], "participations": totals["participations"], "hours": totals["hours"],
        "visits": totals["visits"], "assistance": totals["assistance_total"],
    }  # fmt: skip
    _section(document, 1, _("The situation"), text)
    per_branch = _("Figures per branch")
    document.add_paragraph().add_run(f"{NUMERALS[1]}、{per_branch}").bold = True
    _table(
        document,
        [_("Branch"), _("Reports in"), *[str(FIGURE_LABELS[name]) for name in ADDITIVE]],
        [[child.name, f"{done} / {owed}", *[figures[name] for name in ADDITIVE]]
         for child, figures, done, owed in summary.children],
    )  # fmt: skip
    status = _("Report status")
    document.add_paragraph().add_run(f"{NUMERALS[2]}、{status}").bold = True
    _table(
        document,
        [_("Branch"), _("Status"), _("Changed after submission")],
        [[row.branch.name, row.label, row.drift_text]
         for row in summary.rows],
    )  # fmt: skip
    return _save(document)


def service_record_docx(member, rows: list, hours, cumulative, stars: int, issuer: str, start, end) -> bytes:
    """志愿服务记录证明: who, which unit, the activities and hours of the range, the cumulative hours and the
    star level, the issuing unit and the date of issue."""
    document = _document(_("Volunteer service record"), issuer, timezone.localdate())
    period = f"{start or '…'} – {end or '…'}" if start or end else _("all time")
    values = {
        "name": member.name, "branch": member.branch.name, "count": len(rows), "period": period,
        "hours": f"{hours:.1f}", "cumulative": f"{cumulative:.1f}", "stars": "★" * stars if stars else _("none yet"),
    }  # fmt: skip
    text = _(
        "%(name)s, of %(branch)s, took part in %(count)d volunteer activities in %(period)s, for %(hours)s hours "
        "of volunteer service. Cumulative volunteer hours: %(cumulative)s; star level: %(stars)s."
    )
    document.add_paragraph(text % values)
    _table(
        document,
        [_("Date"), _("Activity"), _("Type"), _("Unit"), _("Hours")],
        [[f"{p.activity.date:%Y-%m-%d}", p.activity.title, p.activity.type, p.activity.branch.name, p.hours]
         for p in rows],
    )  # fmt: skip
    document.add_paragraph()
    document.add_paragraph(_("Issued by: %(issuer)s") % {"issuer": issuer})
    document.add_paragraph(_("Date of issue: %(day)s") % {"day": f"{timezone.localdate():%Y年%m月%d日}"})
    return _save(document)


# --- Excel ---------------------------------------------------------------------------------------------------


def workbook(
    title: str,
    header: list,
    rows: list[list],
    *,
    lines: Sequence[tuple[str, object]] = (),
    sheet_title: str = "",
    percent_columns: Collection[int] = frozenset(),
) -> bytes:
    """One sheet: a bold title, lines of "label, value" (what, when, how sorted), a blank row, then the table
    with a bold header. Figures stay numbers; `percent_columns` (0-based) are shown as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = (sheet_title or _("Figures"))[:31]
    append_row(sheet, [title])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in lines:
        append_row(sheet, [str(label), excel_value(value)])
    sheet.append([])
    append_row(sheet, [str(h) for h in header])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, [excel_value(value) for value in row])
    for index in percent_columns:
        for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=index + 1, max_col=index + 1):
            cell.number_format = "0.0%"
    for index in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 28 if index == 1 else 16
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


NUMBER = re.compile(r"-?\d+(\.\d+)?")


def excel_value(value):
    """A cell's value: numbers stay numbers (a Decimal, or a figure kept as text in a frozen report such as
    "6.0"), None stays empty, translatable text becomes text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return (float(value) if "." in value else int(value)) if NUMBER.fullmatch(value) else value
    if isinstance(value, Promise):
        return str(value)
    return value
