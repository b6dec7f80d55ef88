"""Writing Word (python-docx) and Excel (openpyxl) files: the layout every download of the portal shares.

A Word document is laid out like a 情况汇报: a title, the unit and date, numbered sections (一、二、三…) and
tables. An Excel workbook is one sheet: a title, "label, value" lines, then a table. The documents themselves
(reports, summaries, the evaluation, service records) are written by the apps that own them.
"""

import datetime as dt
import math
import re
from collections.abc import Collection, Sequence
from decimal import Decimal
from io import BytesIO

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from volunteer_portal.spreadsheets import append_row

NUMERALS = "一二三四五六七八九十"


def document(title: str, unit: str, day: dt.date):
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


def section(document, number: int, title: str, text: str) -> None:
    document.add_paragraph().add_run(f"{NUMERALS[number - 1]}、{title}").bold = True
    for paragraph in (text or _("(not written)")).splitlines() or [""]:
        if paragraph.strip():
            document.add_paragraph(paragraph.strip())


def table(document, header: list[str], rows: list[list]) -> None:
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


def save(document) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


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
            if isinstance(cell.value, float):  # cut to the tenth of a percent the page shows (`percent`): Excel
                cell.value = math.floor(cell.value * 1000 + 1e-9) / 1000  # would round 89.96% up to "90.0%"
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
