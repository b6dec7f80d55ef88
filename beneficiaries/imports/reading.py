"""Reading an upload: an .xlsx or .csv file, refused before parsing when it would take too much memory, read
into staging rows (cells by header) and staged as an import to check."""

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from volunteer_portal.validators import normalize_id_number

from ..models import RosterImport, RosterImportRow
from .checking import scope_of
from .columns import COLUMNS, NUMBER_COLUMNS, REQUIRED, headers
from .writing import UNFINISHED, import_discard, prune_abandoned

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
MAX_BLANK_ROWS = 1000
MAX_CELL = 5000  # characters: longer than any field the form takes, so a longer cell is a mistake
# A sheet's cells, rows and merged ranges (<c>, <row>, <mergeCell>, with any namespace prefix), found by
# streaming its XML.
SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,19}:)?(c|row|mergeCell)[\s/>]")
SCAN_CHUNK = 1024 * 1024
# Excel's last column is XFD: no row of a workbook it wrote holds more cells. openpyxl reads a row whole, so a
# longer row (a crafted file) could still take hundreds of MB within the cell limit.
EXCEL_COLUMNS = 16_384


class ImportFileError(Exception):
    """The file as a whole cannot be read: the message says why, in the user's language."""


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\x00", "").strip()


def _max_unpacked_bytes() -> int:
    return settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_MB * 1024 * 1024


def _check_unpacked_size(upload) -> None:
    """A few hundred KB of .xlsx can unpack to gigabytes of XML. The sizes an archive declares bound what is read
    from it: Python's zipfile never unpacks a member past its declared size."""
    try:
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(_("This file could not be read as an Excel workbook (.xlsx).")) from error
    finally:
        upload.seek(0)
    if unpacked > _max_unpacked_bytes():
        raise ImportFileError(
            _("The workbook is larger than %(mb)d MB once unpacked: remove pictures and other sheets, or split the "
              "roster into several files.") % {"mb": settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_MB}
        )  # fmt: skip


def _sheet_tags(xml) -> Iterator[bytes]:
    """The names of a sheet's <c>, <row> and <mergeCell> tags in order, read a chunk at a time: the sheet's XML
    is never held whole. A tag cut by a chunk's end is found with the next chunk."""
    keep = 32  # longer than any tag the pattern matches
    tail = b""
    while chunk := xml.read(SCAN_CHUNK):
        data = tail + chunk
        cut = max(len(data) - keep, 0)
        for found in SHEET_TAG.finditer(data):
            if found.start() >= cut:
                break
            yield found.group(1)
        tail = data[cut:]
    for found in SHEET_TAG.finditer(tail):
        yield found.group(1)


def _scan_sheet(xml) -> tuple[int, int, bool]:
    """The sheet's cells, the most cells in one row, and whether it has merged cells. Stops once past a limit."""
    limit = settings.ROSTER_IMPORT_MAX_CELLS
    cells = widest = in_row = 0
    merged = False
    for tag in _sheet_tags(xml):
        if tag == b"c":
            cells += 1
            in_row += 1
            widest = max(widest, in_row)
            if cells > limit or in_row > EXCEL_COLUMNS:
                break
        elif tag == b"row":
            in_row = 0
        else:
            merged = True
    return cells, widest, merged


def _first_sheet(upload) -> tuple:
    """The workbook (read-only), its first sheet, and that sheet's XML opened in the archive. Read-only: this
    reads the workbook's list of parts, its styles and shared strings (all within the unpacked size checked
    first), not the sheets.

    load_workbook is ExcelReader(...).read(); the reader is used here because it also says which part of the
    archive holds each sheet (by the sheet's name), which the workbook itself does not."""
    from openpyxl.reader.excel import ExcelReader

    reader = ExcelReader(upload, read_only=True, data_only=True)
    reader.read()
    sheet = reader.wb.worksheets[0]
    parts = {found.name: relation.target for found, relation in reader.parser.find_sheets()}
    return reader.wb, sheet, reader.archive.open(parts[sheet.title])


def _xlsx_rows(upload) -> Iterator[tuple]:
    """The first sheet's rows, as wide as its header row. A workbook too large once unpacked, or whose first sheet
    holds too many cells or a row longer than Excel allows, is refused before any row is read; so are merged
    cells (only their first cell holds the value, so the others would read as empty), and a sheet that cannot be
    read to the end."""
    unreadable = _("This file could not be read as an Excel workbook (.xlsx).")
    _check_unpacked_size(upload)
    try:
        workbook, sheet, xml = _first_sheet(upload)
        with xml:
            cells, widest, merged = _scan_sheet(xml)
    except Exception as error:  # openpyxl raises many kinds (zip, XML, key errors) for a file that is not a workbook
        raise ImportFileError(unreadable) from error
    if widest > EXCEL_COLUMNS:
        workbook.close()
        raise ImportFileError(unreadable)
    if cells > settings.ROSTER_IMPORT_MAX_CELLS:
        workbook.close()
        raise ImportFileError(
            _("The first sheet has more than %(max)s cells (empty cells with a format count too): delete the rows "
              "and columns after the roster, or split it into several files.")
            % {"max": f"{settings.ROSTER_IMPORT_MAX_CELLS:,}"}
        )  # fmt: skip
    if merged:
        workbook.close()
        raise ImportFileError(_("The sheet has merged cells: unmerge them and fill in every cell, then upload again."))
    try:
        header = next(sheet.iter_rows(max_row=1, values_only=True), ())
        width = max((i + 1 for i, value in enumerate(header) if _cell_text(value)), default=0)
        yield header[:width]
        blank = 0
        # A stray cell far down the sheet makes it report a million rows: stop after a long run of empty ones.
        for values in sheet.iter_rows(min_row=2, max_col=max(width, 1), values_only=True):
            blank = blank + 1 if not any(_cell_text(value) for value in values) else 0
            if blank > MAX_BLANK_ROWS:
                break
            yield values
    except ImportFileError:
        raise
    except Exception as error:
        raise ImportFileError(unreadable) from error
    finally:
        workbook.close()


def _csv_rows(upload) -> Iterator[tuple]:
    if upload.size > _max_unpacked_bytes():
        raise ImportFileError(
            _("The CSV file is larger than %(mb)d MB: split the roster into several files.")
            % {"mb": settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_MB}
        )
    raw = upload.read()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK unless told otherwise
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("This CSV file is in an encoding that could not be read: save it as UTF-8."))
    reader = csv.reader(io.StringIO(text.replace("\x00", "")))
    try:
        yield from (tuple(row) for row in reader)
    except csv.Error as error:
        raise ImportFileError(
            _("Line %(line)d of the CSV file could not be read (a cell too long, or a stray quote mark).")
            % {"line": reader.line_num}
        ) from error


@dataclass
class ParsedFile:
    rows: list[RosterImportRow] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)


def parse_file(upload) -> ParsedFile:
    """The file's data rows as unsaved staging rows (cells by header). Raises ImportFileError."""
    source = _source(upload)
    names = headers()
    by_header = {header: name for name, header in names.items()}
    parsed = ParsedFile()
    columns: list[str | None] = []
    try:
        for number, values in enumerate(source, start=1):
            if not columns:  # a first row with no cells at all leaves this empty: the next row is the header
                columns, parsed.ignored_headers = _header(values, names, by_header)
                continue
            if not any(_cell_text(value) for value in values):
                continue
            if len(parsed.rows) >= MAX_ROWS:
                raise ImportFileError(_("The file has more than %(max)d rows: split it.") % {"max": MAX_ROWS})
            parsed.rows.append(_staged_row(number, columns, values, names))
    except ValueError as error:
        raise ImportFileError(_("The file could not be read: %(error)s") % {"error": error}) from error
    if not columns:
        raise ImportFileError(_("The file is empty."))
    if not parsed.rows:
        raise ImportFileError(_("The file has headers but no rows to import."))
    return parsed


def _source(upload) -> Iterator[tuple]:
    """The file's rows, read by its kind; a file too large, or of another kind, is refused at once."""
    name = (upload.name or "").lower()
    if upload.size > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    if name.endswith(".xlsx"):
        return _xlsx_rows(upload)
    if name.endswith(".csv"):
        return _csv_rows(upload)
    raise ImportFileError(_("Upload the roster as .xlsx or .csv (the template is an .xlsx)."))


def _header(values: tuple, names: dict[str, str], by_header: dict[str, str]) -> tuple[list[str | None], list[str]]:
    """The field each column holds (None: not a template column), and the headers left aside. A header written
    twice, or a required one missing, refuses the file."""
    found = [_cell_text(value).rstrip("*＊ ") for value in values]
    twice = sorted({text for text in found if text and found.count(text) > 1})
    if twice:
        raise ImportFileError(
            _("These column headers appear more than once: %(names)s. Keep one of each.") % {"names": "、".join(twice)}
        )
    columns = [by_header.get(text) for text in found]
    ignored = [text for text, kept in zip(found, columns, strict=True) if text and not kept]
    missing = [names[name] for name in COLUMNS if name in REQUIRED and name not in columns]
    if missing:
        raise ImportFileError(
            _("The first row must hold the template's column headers; missing: %(names)s.")
            % {"names": "、".join(missing)}
        )
    return columns, ignored


def _staged_row(number: int, columns: list[str | None], values: tuple, names: dict[str, str]) -> RosterImportRow:
    """A data row as a staging row: its cells as text, by field, and what reading them found wrong."""
    cells: dict[str, str] = {}
    problems: list[list[str]] = []
    for column, value in zip(columns, values, strict=False):
        if column is None:
            continue
        if column in NUMBER_COLUMNS and isinstance(value, int | float) and value:
            problems.append([names[column], _(
                "Excel stored this number as a number, and its last digits may be lost: format the column "
                "as text and type the number again.")])  # fmt: skip
        text = _cell_text(value)
        if len(text) > MAX_CELL:
            problems.append([names[column], _("This cell holds %(count)d characters; at most %(max)d fit.")
                             % {"count": len(text), "max": MAX_CELL}])  # fmt: skip
            text = text[:MAX_CELL]
        cells[column] = text
    return RosterImportRow(
        number=number,
        cells=cells,
        read_problems=problems,
        id_number=normalize_id_number(cells.get("id_number", ""))[:30],
    )


@transaction.atomic
def import_stage(*, actor, upload) -> tuple[RosterImport, list[str]]:
    """Stage an uploaded file: the staged import, and the file's column headers the template does not have
    (left aside). An earlier unfinished import of the same user is discarded (one at a time)."""
    parsed = parse_file(upload)
    for earlier in RosterImport.objects.filter(created_by=actor, status__in=UNFINISHED):
        import_discard(actor=actor, batch=earlier)
    prune_abandoned()
    batch = RosterImport.objects.create(
        created_by=actor, file_name=(upload.name or "")[-200:], total=len(parsed.rows), scope=scope_of(actor)
    )
    for row in parsed.rows:
        row.batch = batch
    RosterImportRow.objects.bulk_create(parsed.rows, batch_size=1000)
    return batch, parsed.ignored_headers
