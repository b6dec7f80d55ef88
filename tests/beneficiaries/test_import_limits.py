"""Roster import: a file that would take too much memory to read is refused before it is parsed, with a message
on the upload page, and nothing is staged. The crafted files are small; the limits are set small to match."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from beneficiaries import imports
from beneficiaries.imports import reading
from beneficiaries.models import RosterImport, RosterImportRow

pytestmark = pytest.mark.django_db

START = reverse("beneficiaries:import-start")


def roster_bytes() -> bytes:
    """A workbook with the template's headers and one row."""
    names = imports.headers()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([names[field] for field in imports.COLUMNS])
    sheet.append(["导入1", "女", "110105197001010014"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewritten(content: bytes, change) -> bytes:
    """The same workbook with each member passed through change(name, data) -> data, plus any extra members it
    returns for the name None."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
        for name, data in change(None, b"") or []:
            target.writestr(name, data)
    return buffer.getvalue()


def with_empty_cells(count: int) -> bytes:
    """The first sheet holds `count` more rows of one empty, formatted cell below the roster; its <dimension>
    still says A1:V2, so it cannot be trusted."""

    def change(name, data):
        if name != "xl/worksheets/sheet1.xml":
            return None if name is None else data
        rows = b"".join(b'<row r="%d"><c r="A%d" s="0"/></row>' % (row, row) for row in range(3, count + 3))
        return data.replace(b"</sheetData>", rows + b"</sheetData>")

    return rewritten(roster_bytes(), change)


def refused(client, upload) -> str:
    response = client.post(START, {"file": upload})
    assert response.status_code == 200
    assert not RosterImport.objects.exists() and not RosterImportRow.objects.exists()
    return response.content.decode()


def test_a_workbook_that_unpacks_past_the_limit_is_refused(as_user, tree, settings):
    settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_MB = 1

    def change(name, data):  # 2 MB of zeros: a few KB packed
        return [("xl/media/image1.bin", bytes(2 * 1024 * 1024))] if name is None else data

    content = rewritten(roster_bytes(), change)
    assert len(content) < 50_000
    page = refused(as_user(tree.secretary_a), SimpleUploadedFile("roster.xlsx", content))
    assert "工作簿解压后超过 1 MB" in page


def test_a_sheet_with_too_many_cells_is_refused_whatever_its_dimension_says(as_user, tree, settings):
    settings.ROSTER_IMPORT_MAX_CELLS = 1000
    content = with_empty_cells(5000)
    assert b'<dimension ref="A1:V2"' in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    page = refused(as_user(tree.secretary_a), SimpleUploadedFile("roster.xlsx", content))
    assert "第一个工作表超过 1,000 个单元格" in page


def test_a_sheet_within_the_limits_is_read(as_user, tree, settings):
    settings.ROSTER_IMPORT_MAX_CELLS = 1000
    settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_MB = 1
    response = as_user(tree.secretary_a).post(START, {"file": SimpleUploadedFile("roster.xlsx", with_empty_cells(900))})
    assert response.status_code == 302
    assert RosterImportRow.objects.count() == 1


def test_a_row_longer_than_excel_allows_is_refused_within_the_cell_limit(as_user, tree):
    """openpyxl reads a row whole: 16,384 cells (column XFD) is the most a workbook from Excel has in one."""

    def change(name, data):
        if name != "xl/worksheets/sheet1.xml":
            return None if name is None else data
        return data.replace(b"</sheetData>", b'<row r="3">' + b'<c r="A3"/>' * 16_385 + b"</row></sheetData>")

    page = refused(as_user(tree.secretary_a), SimpleUploadedFile("roster.xlsx", rewritten(roster_bytes(), change)))
    assert "无法作为 Excel 工作簿" in page


def test_a_csv_file_past_the_limit_is_refused(as_user, tree, settings):
    settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_MB = 1
    header = ",".join(imports.headers()[field] for field in imports.COLUMNS)
    content = (header + "\n" + "导入,女,110105197001010014\n" * 40_000).encode()
    assert 1024 * 1024 < len(content) < imports.MAX_BYTES
    page = refused(as_user(tree.secretary_a), SimpleUploadedFile("roster.csv", content))
    assert "CSV 文件超过 1 MB" in page


@pytest.mark.parametrize("chunk", [1, 7, 64, None])
def test_cells_are_counted_exactly_across_chunk_boundaries(monkeypatch, settings, chunk):
    settings.ROSTER_IMPORT_MAX_CELLS = 10_000
    if chunk:
        monkeypatch.setattr(reading, "SCAN_CHUNK", chunk)
    xml = (
        b'<worksheet><cols><col min="1"/></cols><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"/>'
        b"<c>\n</c><x:c r='C1'/></row></sheetData><customSheetViews/><mergeCells><mergeCell ref='A1:B1'/>"
        b"</mergeCells></worksheet>"
    )
    assert reading._scan_sheet(io.BytesIO(xml)) == (4, 4, True)
    plain = re.sub(rb"<mergeCells>.*</mergeCells>", b"", xml)
    assert reading._scan_sheet(io.BytesIO(plain)) == (4, 4, False)
    two_rows = xml.replace(b'<c r="B1"/>', b'<c r="B1"/></row><row r="2">')
    assert reading._scan_sheet(io.BytesIO(two_rows)) == (4, 2, True)
