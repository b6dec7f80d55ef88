"""Writing Word (python-docx) and Excel (openpyxl) files: the layout every download of the portal shares.

A Word document is laid out like a 情况汇报 on an A4 page, in the format of official documents (GB/T 9704, see
below): a title, the unit and date, sections whose headings (一、 and （一）) are Word heading styles, tables, page
numbers, and the issuing unit as the file's author. An Excel workbook is one sheet: a title, "label, value" lines,
then a table. The documents themselves (reports, summaries, the evaluation, service records) are written by the
apps that own them.
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

# The layout of a Chinese official document (GB/T 9704-2012 党政机关公文格式): A4, the type area 156 × 225 mm,
# the title in 小标宋 二号, the body in 仿宋 三号 at 28 pt a line with a two-character indent, headings 一、 in
# 黑体 and （一） in 楷体, page numbers "— 1 —" in 宋体 四号 below the type area. The fonts are named as Chinese
# Word installs them; where one is missing Word substitutes by the name given in w:eastAsia.
TITLE_FONT, BODY_FONT, HEADING_FONT, SUBHEADING_FONT, PAGE_NUMBER_FONT = (
    "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体",
)  # fmt: skip
TITLE_SIZE, BODY_SIZE, PAGE_NUMBER_SIZE, TABLE_SIZE = 22, 16, 14, 12  # 二号, 三号, 四号, 小四 (points)
LINE_PITCH = 28  # points: 22 lines to the 225 mm type area
TABLE_STYLE = "Table Text"


def document(title: str, unit: str, day: dt.date):
    """A new Word document: A4 with the official margins, the styles below, page numbers, the issuing unit as
    its author; then the title and, centred under it, the unit and the date."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = Document()
    _page(document)
    _styles(document)
    _page_numbers(document)
    _properties(document, title=title, author=unit)
    document.add_paragraph(title, style="Title")
    line = document.add_paragraph(f"{unit}    {day:%Y年%m月%d日}")
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _indent(line, chars=0)
    document.add_paragraph()
    return document


def heading(document, level: int, number: int, title: str) -> None:
    """A heading with a real Word heading style (the navigation pane lists it): "一、…" at level 1, "（一）…" at 2."""
    text = f"{NUMERALS[number - 1]}、{title}" if level == 1 else f"（{NUMERALS[number - 1]}）{title}"
    document.add_paragraph(text, style=f"Heading {level}")


def section(document, number: int, title: str, text: str) -> None:
    heading(document, 1, number, title)
    for paragraph in (text or _("(not written)")).splitlines() or [""]:
        if paragraph.strip():
            document.add_paragraph(paragraph.strip())


def table(document, header: list[str], rows: list[list]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = str(text)
        cell.paragraphs[0].style = TABLE_STYLE
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = "" if value is None else str(value)
            cell.paragraphs[0].style = TABLE_STYLE


def signature(document, lines: Sequence[str]) -> None:
    """The issuing unit and the date at the end, flush right (a blank line before them)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document.add_paragraph()
    for text in lines:
        paragraph = document.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _indent(paragraph, chars=0)


def save(document) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page(document) -> None:
    from docx.shared import Mm

    for part in document.sections:
        part.page_width, part.page_height = Mm(210), Mm(297)
        part.top_margin, part.bottom_margin = Mm(37), Mm(35)
        part.left_margin, part.right_margin = Mm(28), Mm(26)
        part.footer_distance = Mm(21)  # the page number's line 7 mm below the type area


def _styles(document) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None:  # the template's defaults name theme fonts (Calibri, Cambria), which win over names
        for fonts in defaults.iter(qn("w:rFonts")):
            set_fonts(fonts, BODY_FONT)
        for lang in defaults.iter(qn("w:lang")):
            lang.set(qn("w:eastAsia"), "zh-CN")

    def shape(style, font: str, size: int, *, line: float | None = LINE_PITCH, indent: int = 2) -> None:
        rpr = style.element.get_or_add_rPr()
        for child in list(rpr):  # the template's colours, theme fonts, letter spacing and bold go
            rpr.remove(child)
        set_fonts(rpr.get_or_add_rFonts(), font)
        style.font.size = Pt(size)
        style.font.bold = False
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        ppr = style.element.get_or_add_pPr()
        for tag in ("w:pBdr", "w:contextualSpacing"):
            for child in ppr.findall(qn(tag)):
                ppr.remove(child)
        paragraph = style.paragraph_format
        paragraph.space_before = paragraph.space_after = Pt(0)
        if line is None:
            paragraph.line_spacing_rule = WD_LINE_SPACING.SINGLE
        else:
            paragraph.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            paragraph.line_spacing = Pt(line)
        _indent(style, chars=indent, size=size)

    shape(styles["Normal"], BODY_FONT, BODY_SIZE)
    shape(styles["Title"], TITLE_FONT, TITLE_SIZE, line=36, indent=0)
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    shape(styles["Heading 1"], HEADING_FONT, BODY_SIZE)
    shape(styles["Heading 2"], SUBHEADING_FONT, BODY_SIZE)
    for level in (1, 2):
        styles[f"Heading {level}"].paragraph_format.keep_with_next = True
    shape(styles["List Bullet"], BODY_FONT, BODY_SIZE, indent=0)
    table_text = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = styles["Normal"]
    shape(table_text, BODY_FONT, TABLE_SIZE, line=None, indent=0)
    shape(styles["Footer"], PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE, line=None, indent=0)


def set_fonts(fonts, name: str) -> None:
    """One font for every script of a w:rFonts (East Asian text reads w:eastAsia); theme fonts removed."""
    from docx.oxml.ns import qn

    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)
    fonts.set(qn("w:hint"), "eastAsia")


def _indent(owner, *, chars: int, size: int = BODY_SIZE) -> None:
    """First-line indent in characters (w:firstLineChars, which Word and WPS honour), with the length too."""
    from docx.oxml.ns import qn
    from docx.shared import Pt
    from docx.styles.style import BaseStyle

    owner.paragraph_format.first_line_indent = Pt(size * chars)
    element = owner.element if isinstance(owner, BaseStyle) else owner._p  # a style or a paragraph
    ind = element.get_or_add_pPr().find(qn("w:ind"))
    if ind is not None:
        ind.set(qn("w:firstLineChars"), str(chars * 100))


def _page_numbers(document) -> None:
    """ "— 1 —" in the footer, a PAGE field: on the right of odd pages and the left of even ones, one character in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document.settings.odd_and_even_pages_header_footer = True
    for part in document.sections:
        for footer, alignment in (
            (part.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (part.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            paragraph = footer.paragraphs[0]
            paragraph.style = "Footer"
            paragraph.alignment = alignment
            if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
                paragraph.paragraph_format.right_indent = Pt(PAGE_NUMBER_SIZE)
            else:
                paragraph.paragraph_format.left_indent = Pt(PAGE_NUMBER_SIZE)
            paragraph.add_run("— ")
            _field(paragraph, "PAGE")
            paragraph.add_run(" —")


def _field(paragraph, instruction: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(tag: str, **attributes):
        run = paragraph.add_run()
        element = OxmlElement(tag)
        for name, value in attributes.items():
            element.set(qn(name), value)
        run._r.append(element)
        return element

    run_with("w:fldChar", **{"w:fldCharType": "begin"})
    instr = run_with("w:instrText", **{"xml:space": "preserve"})
    instr.text = f" {instruction} "
    run_with("w:fldChar", **{"w:fldCharType": "separate"})
    paragraph.add_run("1")  # shown until Word updates the field
    run_with("w:fldChar", **{"w:fldCharType": "end"})


def _properties(document, *, title: str, author: str) -> None:
    """The file's properties: the issuing unit as author and last editor, the title; nothing of the library."""
    from django.utils import timezone

    properties = document.core_properties
    properties.author = properties.last_modified_by = author
    properties.title = title
    properties.comments = properties.subject = properties.keywords = properties.category = ""
    properties.language = "zh-CN"
    properties.created = properties.modified = timezone.now().replace(microsecond=0, tzinfo=None)
    properties.revision = 1


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
