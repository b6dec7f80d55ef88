"""Every Word file the portal writes is laid out as a Chinese official document (GB/T 9704-2012).

The branch report, the organisation summary and a member's service record are downloaded, reopened with
python-docx and measured: A4 and the official margins, the title, body and heading fonts (East Asian names in
w:eastAsia), real heading styles, the footer's PAGE field, and the issuing unit as the file's author.
"""

import io
import re
import zipfile

import pytest
from django.urls import reverse
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt

from volunteer_portal.reports import services

from .activities.test_hours import volunteer  # noqa: F401 (fixture)
from .reports.test_reports import as_user, draft, requirement, work  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def east_asian_font(style) -> str:
    return style.element.rPr.rFonts.get(qn("w:eastAsia"))


def check_layout(content: bytes, *, title: str, author: str) -> Document:
    document = Document(io.BytesIO(content))
    for section in document.sections:  # Word stores twentieths of a point: 210 mm is 11906, so to 0.1 mm
        measured = [section.page_width, section.page_height, section.top_margin, section.bottom_margin,
                    section.left_margin, section.right_margin]  # fmt: skip
        assert [round(length.mm, 1) for length in measured] == [210.0, 297.0, 37.0, 35.0, 28.0, 26.0]  # A4

    styles = document.styles
    assert east_asian_font(styles["Title"]) == "方正小标宋简体" and styles["Title"].font.size == Pt(22)
    assert styles["Title"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    normal = styles["Normal"]
    assert east_asian_font(normal) == "仿宋_GB2312" and normal.font.size == Pt(16)
    assert normal.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert Pt(28) <= normal.paragraph_format.line_spacing <= Pt(29)
    assert normal.element.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"  # two characters
    assert east_asian_font(styles["Heading 1"]) == "黑体" and styles["Heading 1"].font.size == Pt(16)
    assert east_asian_font(styles["Heading 2"]) == "楷体_GB2312" and styles["Heading 2"].font.size == Pt(16)
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):  # theme fonts would win over the names
        assert styles[name].element.rPr.rFonts.get(qn("w:eastAsiaTheme")) is None, name

    paragraphs = document.paragraphs
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == title
    headings = [p for p in paragraphs if p.text[:2] in {f"{n}、" for n in "一二三四五六七八九"}]
    assert all(p.style.name == "Heading 1" for p in headings)  # a service record has none
    assert all(p.style.name == "Heading 2" for p in paragraphs if re.match("（[一二三四五六七八九]）", p.text))
    assert all(p.style.name in {"Heading 1", "Heading 2"} for p in paragraphs if p.style.name.startswith("Heading"))

    for footer in (document.sections[0].footer, document.sections[0].even_page_footer):
        xml = footer._element.xml
        assert "<w:instrText" in xml and " PAGE " in xml and 'w:fldCharType="begin"' in xml
        text = "".join(footer._element.itertext())
        assert text.startswith("— ") and text.endswith(" —")
        assert east_asian_font(styles["Footer"]) == "宋体" and styles["Footer"].font.size == Pt(14)

    properties = document.core_properties
    assert properties.author == author and properties.title == title
    assert properties.last_modified_by == author and properties.comments == ""
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        for name in package.namelist():
            assert b"python-docx" not in package.read(name), name
    return document


def test_the_branch_report_is_an_official_document(as_user, tree, work):  # noqa: F811
    secretary = as_user(tree.secretary_a)
    report = draft(secretary, tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    content = secretary.get(reverse("reports:report-docx", args=[report.pk])).content
    document = check_layout(content, title="丽景社区2026年第3季度学雷锋志愿助残工作情况汇报", author="丽景社区")
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert ("Heading 1", "一、基本情况") in headings and ("Heading 1", "四、下一步打算") in headings
    assert ("Heading 1", "五、主要数据") in headings and ("Heading 2", "（一）总体数据") in headings
    assert document.tables and document.tables[0].rows[1].cells[0].paragraphs[0].style.name == "Table Text"


def test_the_summary_is_an_official_document_by_the_node(as_user, tree, work, requirement):  # noqa: F811
    report = draft(as_user(tree.secretary_a), tree.branch_a)
    services.report_submit(actor=tree.secretary_a, report=report)
    response = as_user(tree.district_leader).get(
        reverse("reports:summary-docx", args=[tree.district.pk]), {"frequency": "quarterly", "year": 2026, "number": 3}
    )
    document = check_layout(
        response.content, title="兴庆区残联2026年第3季度学雷锋志愿助残工作情况汇总", author="兴庆区残联"
    )
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == [
        "一、基本情况", "二、各单位数字", "三、报告提交情况",
    ]  # fmt: skip


def test_the_service_record_is_issued_by_the_members_branch(as_user, tree, volunteer):  # noqa: F811
    response = as_user(tree.secretary_a).get(reverse("members:member-record-docx", args=[volunteer.pk]))
    document = check_layout(response.content, title="志愿服务记录证明", author="丽景社区")
    issued = [p for p in document.paragraphs if p.text.startswith("出具")]
    assert issued and all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in issued)
