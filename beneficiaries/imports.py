"""Roster import: a template to fill in; an uploaded .xlsx or .csv is staged, checked row by row with the
beneficiary form's own rules (in chunks, so the page can show progress), previewed, and written all or nothing
when its uploader confirms. Rows are matched on the ID number, so importing the same file twice changes nothing.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from volunteer_portal.branches.models import RoleGrant
from volunteer_portal.branches.selectors import branch_list, grant_paths, may_reveal, own_branch_id
from volunteer_portal.spreadsheets import append_row
from volunteer_portal.validators import normalize_id_number

from .forms import BeneficiaryForm
from .models import (
    Beneficiary,
    BeneficiaryNeed,
    Consent,
    Need,
    RosterImport,
    RosterImportRow,
    StatutoryBasis,
)
from .privacy import checks_exhausted_message, hidden_check, hidden_checks_left, mask_id_number
from .services import BENEFICIARY_FIELDS

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
CHUNK = 500  # rows checked per request: about a second, so the progress bar moves
MAX_BLANK_ROWS = 1000
MAX_CELL = 5000  # characters: longer than any field the form takes, so a longer cell is a mistake
# A sheet's cells, rows and merged ranges (<c>, <row>, <mergeCell>, with any namespace prefix), found by
# streaming its XML.
SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,19}:)?(c|row|mergeCell)[\s/>]")
SCAN_CHUNK = 1024 * 1024
# Excel's last column is XFD: no row of a workbook it wrote holds more cells. openpyxl reads a row whole, so a
# longer row (a crafted file) could still take hundreds of MB within the cell limit.
EXCEL_COLUMNS = 16_384

# The template's columns, in order. Headers are the beneficiary form's own labels, in Chinese.
COLUMNS = [
    "name", "gender", "id_number", "birth_date", "certificate_number", "disability_category", "disability_grade",
    "household_status", "branch", "address", "phone", "guardian_name", "guardian_phone", "needs",
    "family_situation", "development_goals", "employment_skills", "needs_detail",
    "consent_given_by", "consent_guardian_name", "consent_given_on", "statutory_basis",
]  # fmt: skip
REQUIRED = {"name", "gender", "id_number", "disability_category", "disability_grade"}
CHOICE_COLUMNS = {"gender", "disability_category", "disability_grade", "household_status", "consent_given_by"}
NUMBER_COLUMNS = {"id_number", "certificate_number"}
LIST_SEPARATORS = re.compile(r"[、,，;；/\s]+")
CONSENT_COLUMNS = {"given_by": "consent_given_by", "guardian_name": "consent_guardian_name",
                   "given_on": "consent_given_on"}  # fmt: skip
WHOLE_ROW = "—"


class ImportFileError(Exception):
    """The file as a whole cannot be read: the message says why, in the user's language."""


def _attname(name: str) -> str:
    return Beneficiary._meta.get_field(name).attname  # type: ignore[union-attr]


def _choices(name: str) -> list:
    return BeneficiaryForm.base_fields[name].choices  # type: ignore[attr-defined]


def headers() -> dict[str, str]:
    """Field name → the Chinese column header (the form's label)."""
    with translation.override("zh-hans"):
        return {name: str(BeneficiaryForm.base_fields[name].label) for name in COLUMNS}


def choice_aliases() -> dict[str, dict[str, str]]:
    """For each choice column, what a cell may say → the stored value: the Chinese label, the label without
    its bracketed note (一级（最重） → 一级) or without 残疾 (肢体残疾 → 肢体), or the stored value itself."""
    aliases: dict[str, dict[str, str]] = {}
    with translation.override("zh-hans"):
        for name in CHOICE_COLUMNS:
            found: dict[str, str] = {}
            for value, label in _choices(name):
                if value == "":
                    continue
                text = str(label)
                short = re.split(r"[（(]", text)[0].strip()
                for alias in (str(value), text, short, short.removesuffix("残疾") or short):
                    found.setdefault(alias.lower(), str(value))
            aliases[name] = found
    return aliases


def choice_labels(name: str) -> list[str]:
    with translation.override("zh-hans"):
        return [str(label) for value, label in _choices(name) if value != ""]


# --- the template --------------------------------------------------------------------------------------------


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


# --- reading a file ------------------------------------------------------------------------------------------


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


def _xlsx_rows(upload) -> Iterator[tuple]:
    """The first sheet's rows, as wide as its header row. A workbook too large once unpacked, or whose first sheet
    holds too many cells or a row longer than Excel allows, is refused before any row is read; so are merged
    cells (only their first cell holds the value, so the others would read as empty), and a sheet that cannot be
    read to the end."""
    from openpyxl import load_workbook

    unreadable = _("This file could not be read as an Excel workbook (.xlsx).")
    _check_unpacked_size(upload)
    try:
        # Read-only: this reads the workbook's list of parts, its styles and shared strings (all within the
        # unpacked size just checked), not the sheets.
        workbook = load_workbook(upload, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        with sheet.parent._archive.open(sheet._worksheet_path) as xml:
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
    name = (upload.name or "").lower()
    if upload.size > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    if name.endswith(".xlsx"):
        source = _xlsx_rows(upload)
    elif name.endswith(".csv"):
        source = _csv_rows(upload)
    else:
        raise ImportFileError(_("Upload the roster as .xlsx or .csv (the template is an .xlsx)."))
    names = headers()
    by_header = {header: name for name, header in names.items()}
    parsed = ParsedFile()
    columns: list[str | None] = []
    try:
        for number, values in enumerate(source, start=1):
            if not columns:
                found = [_cell_text(value).rstrip("*＊ ") for value in values]
                twice = sorted({text for text in found if text and found.count(text) > 1})
                if twice:
                    raise ImportFileError(
                        _("These column headers appear more than once: %(names)s. Keep one of each.")
                        % {"names": "、".join(twice)}
                    )
                columns = [by_header.get(text) for text in found]
                parsed.ignored_headers = [text for text, kept in zip(found, columns, strict=True) if text and not kept]
                missing = [names[name] for name in COLUMNS if name in REQUIRED and name not in columns]
                if missing:
                    raise ImportFileError(
                        _("The first row must hold the template's column headers; missing: %(names)s.")
                        % {"names": "、".join(missing)}
                    )
                continue
            if not any(_cell_text(value) for value in values):
                continue
            if len(parsed.rows) >= MAX_ROWS:
                raise ImportFileError(_("The file has more than %(max)d rows: split it.") % {"max": MAX_ROWS})
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
            parsed.rows.append(
                RosterImportRow(
                    number=number,
                    cells=cells,
                    read_problems=problems,
                    id_number=normalize_id_number(cells.get("id_number", ""))[:30],
                )
            )
    except ValueError as error:
        raise ImportFileError(_("The file could not be read: %(error)s") % {"error": error}) from error
    if not columns:
        raise ImportFileError(_("The file is empty."))
    if not parsed.rows:
        raise ImportFileError(_("The file has headers but no rows to import."))
    return parsed


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


UNFINISHED = [RosterImport.Status.CHECKING, RosterImport.Status.CHECKED]


def import_discard(*, actor, batch: RosterImport) -> RosterImport:
    """Drop the staged rows (they hold personal data); the summary stays."""
    with transaction.atomic():
        locked = _lock(batch)
        if locked is None or locked.finished:
            return locked or batch
        locked.rows.all().delete()
        locked.status, locked.finished_at = RosterImport.Status.DISCARDED, timezone.now()
        locked.save(update_fields=["status", "finished_at"])
    return locked


def prune_abandoned(*, older_than: dt.timedelta | None = None) -> int:
    """Discard every import left unfinished for longer than ROSTER_IMPORT_KEEP_HOURS: its staged rows hold
    personal data nobody is going to confirm. Runs on every upload and from `manage.py prune_roster_imports`."""
    from django.conf import settings

    cutoff = timezone.now() - (older_than or dt.timedelta(hours=settings.ROSTER_IMPORT_KEEP_HOURS))
    abandoned = list(RosterImport.objects.filter(status__in=UNFINISHED, created_at__lt=cutoff))
    for batch in abandoned:
        import_discard(actor=None, batch=batch)
    return len(abandoned)


# --- checking ------------------------------------------------------------------------------------------------


class Lookups:
    """What a chunk of rows is checked against, read once per chunk: the user's units, the needs, the bases."""

    def __init__(self, user):
        self.user = user
        self.names = headers()
        self.aliases = choice_aliases()
        self.own_branch = own_branch_id(user)
        branches = list(branch_list(user=user, role=RoleGrant.Role.SECRETARY).select_related("parent"))
        self.writable = {branch.pk for branch in branches}
        self.branches: dict[str, list[int]] = defaultdict(list)
        for branch in branches:
            self.branches[branch.name].append(branch.pk)
            if branch.parent is not None:
                self.branches[f"{branch.parent.name}/{branch.name}"].append(branch.pk)
        needs, bases = list(Need.objects.all()), list(StatutoryBasis.objects.all())
        self.checks_left = hidden_checks_left(user)
        self.needs = {need.name: need.pk for need in needs}
        self.bases = {basis.name: basis.pk for basis in bases}
        # The choices of the form's own fields, read once: a form per row then looks them up here.
        self.choices: dict[str, dict] = {
            "branch": {branch.pk: branch for branch in branches},
            "needs": {need.pk: need for need in needs},
            "statutory_basis": {basis.pk: basis for basis in bases},
        }

    def form(self, data: dict, target: Beneficiary | None) -> BeneficiaryForm:
        """The beneficiary form, its model choice fields answered from the choices read once per chunk: the same
        choices (the user's units, the needs, the bases), the same messages, without a query per row."""
        form = BeneficiaryForm(data, user=self.user, instance=target, checks_left=self.checks_left,
                               looked_up=True)  # fmt: skip
        for name, objects in self.choices.items():
            field = form.fields[name]
            field.to_python = _from_memory(field, objects, many=name == "needs")  # type: ignore[method-assign]
            if name == "needs":  # its clean() would ask the database again; to_python has checked every value
                field.clean = field.to_python  # type: ignore[method-assign]
        return form


def _from_memory(field, objects: dict, *, many: bool):
    def to_python(value):
        values = value if many else [value]
        if not many and value in field.empty_values:
            return None
        found = []
        for item in values or []:
            try:
                found.append(objects[int(item)])
            except (KeyError, TypeError, ValueError):
                raise ValidationError(
                    field.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                ) from None
        return found if many else found[0]

    return to_python


ID_LIKE = re.compile(r"\d{14,17}[\dXx]")
DATE_COLUMNS = {"birth_date", "consent_given_on"}
DATE_FORMATS = ["%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y/%m/%d", "%Y-%m-%d"]


def _quote(text: str) -> str:
    """A cell quoted back in a message: short, and with anything that looks like an ID number masked (a shifted
    column can put someone's number in a cell that is quoted)."""
    text = ID_LIKE.sub(lambda match: mask_id_number(match.group().upper()), text)
    return text if len(text) <= 30 else text[:29] + "…"


def _date_text(text: str) -> str:
    """Dates as people type them in China (2026.01.05, 2026年1月5日, 20260105) in the form the form reads."""
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), pattern).date().isoformat()
        except ValueError:
            continue
    return text


def _form_data(
    row: RosterImportRow, lookups: Lookups, problems: list[list[str]], current: dict | None
) -> tuple[dict, set[str]]:
    """The row's cells as the beneficiary form's POST data; cells that cannot be turned into a form value are
    reported and left out (the set of such fields), so the form does not report them a second time.

    An empty cell keeps what is on record for someone already registered (`current`), and takes the form's
    default (hardship category: none) for someone new: an import never blanks a field by omission."""
    names, cells = lookups.names, row.cells
    data: dict = {}
    flagged: set[str] = set()
    for name in COLUMNS:
        if not cells.get(name):
            if current is not None and name in current:
                data[name] = current[name]
            elif BeneficiaryForm.base_fields[name].initial is not None and name in CHOICE_COLUMNS:
                data[name] = BeneficiaryForm.base_fields[name].initial
    cells = {name: text for name, text in cells.items() if text}

    def problem(name: str, message: str) -> None:
        problems.append([names[name], message])
        flagged.add(name)

    for name in COLUMNS:
        text = cells.get(name, "")
        if not text and name in data:
            continue
        if name in CHOICE_COLUMNS and text:
            value = lookups.aliases[name].get(text.lower())
            if value is None:
                problem(name, _("“%(text)s” is not one of: %(values)s.")
                        % {"text": _quote(text), "values": "、".join(choice_labels(name))})  # fmt: skip
            data[name] = value or ""
        elif name == "branch":
            if not text:
                data[name] = lookups.own_branch or ""
                continue
            found = lookups.branches.get(text.strip("/ "), [])
            if len(found) == 1:
                data[name] = found[0]
            elif found:
                problem(name, _("More than one of your units is called “%(text)s”: write it as “higher unit/unit”.")
                        % {"text": _quote(text)})  # fmt: skip
            else:
                problem(name, _("“%(text)s” is not a unit you are secretary of.") % {"text": _quote(text)})
        elif name == "needs":
            wanted = [part for part in LIST_SEPARATORS.split(text) if part]
            unknown = [part for part in wanted if part not in lookups.needs]
            if unknown:
                problem(name, _("Unknown needs: %(unknown)s. Choose from: %(names)s.")
                        % {"unknown": "、".join(_quote(part) for part in unknown),
                           "names": "、".join(lookups.needs)})  # fmt: skip
            data[name] = [lookups.needs[part] for part in wanted if part in lookups.needs]
        elif name == "statutory_basis" and text:
            if text in lookups.bases:
                data[name] = lookups.bases[text]
            else:
                problem(name, _("“%(text)s” is not a statutory basis set up by an administrator.")
                        % {"text": _quote(text)})  # fmt: skip
        elif name in NUMBER_COLUMNS:
            data[name] = normalize_id_number(text)  # spaces inside, a lower-case x: as the matching reads it
        elif name in DATE_COLUMNS:
            data[name] = _date_text(text)
        else:
            data[name] = text
    return data, flagged


def _snapshot(beneficiary: Beneficiary) -> dict:
    values = {}
    for name in BENEFICIARY_FIELDS:
        value = getattr(beneficiary, _attname(name))
        values[name] = value.isoformat() if isinstance(value, dt.date) else value
    return values


def _check_row(row: RosterImportRow, lookups: Lookups, target: Beneficiary | None, duplicate_of: int | None) -> None:
    names = lookups.names
    problems: list[list[str]] = list(row.read_problems)
    current = None
    if target is not None and target.branch_id in lookups.writable:
        current = {**_snapshot(target), "needs": [need.pk for need in target.needs.all()]}
    data, flagged = _form_data(row, lookups, problems, current)
    if duplicate_of is not None:
        problems.append([names["id_number"], _("The same ID number as row %(row)d: each person once.")
                         % {"row": duplicate_of}])  # fmt: skip
    if target is not None and not may_reveal(lookups.user, target.branch):
        # Matching the row to someone whose number the user may not see tells them the number is registered:
        # logged and limited like the form's "already registered" (privacy.hidden_check).
        if lookups.checks_left <= 0:
            problems.append([names["id_number"], checks_exhausted_message()])
            target = None
            flagged.add("id_number")
        else:
            hidden_check(lookups.user, number=target.id_number, branch=target.branch)
            lookups.checks_left -= 1
    if target is not None and target.branch_id not in lookups.writable:
        problems.append([names["id_number"], _(
            "This person is already registered by a unit you are not secretary of: ask that unit or an "
            "administrator.")])  # fmt: skip
        target = None
        flagged.add("id_number")
    before = _snapshot(target) if target is not None else None
    before_needs = sorted(need.pk for need in target.needs.all()) if target is not None else []
    form = lookups.form(data, target)
    if form.numbers_hidden:  # as on the edit page, numbers this user may not see are kept, never overwritten
        for name in NUMBER_COLUMNS:
            if normalize_id_number(row.cells.get(name, "")) not in ("", getattr(target, name)):
                problems.append([names[name], _(
                    "You may not see this person's full numbers, so an import cannot change them: ask someone "
                    "who may.")])  # fmt: skip
    if not form.is_valid():
        for name, errors in form.errors.items():
            if name in flagged:
                continue
            column = names.get(name, WHOLE_ROW)
            problems.extend([column, str(message)] for message in errors)
    consent = None
    if form.is_valid() and target is None:
        consent = form.consent()
        if consent:
            try:
                Consent(beneficiary=form.instance, **consent).full_clean(exclude=["beneficiary", "recorded_by"])
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    column = names.get(CONSENT_COLUMNS.get(name, ""), WHOLE_ROW)
                    problems.extend([column, message] for message in messages)
    row.problems = problems
    row.beneficiary = target if not problems else None
    if problems:
        row.action, row.values, row.changed = RosterImportRow.Action.INVALID, {}, []
        return
    values = _snapshot(form.instance)
    values["needs"] = sorted(need.pk for need in form.cleaned_data["needs"])
    if target is not None:
        values["_seen"] = target.updated_at.isoformat()
        if any(row.cells.get(name) for name in CONSENT_COLUMNS.values()):
            values["_consent_ignored"] = True  # consent is recorded on the person's page once they exist
    if consent:
        values["consent"] = {**consent, "given_on": consent["given_on"].isoformat()}
    row.values = values
    if before is None:
        row.action, row.changed = RosterImportRow.Action.CREATE, []
        return
    changed = [names.get(name, name) for name in BENEFICIARY_FIELDS if before[name] != values[name]]
    if before_needs != values["needs"]:
        changed.append(names["needs"])
    row.changed = changed
    row.action = RosterImportRow.Action.UPDATE if changed else RosterImportRow.Action.UNCHANGED


def _lock(batch: RosterImport) -> RosterImport | None:
    """Inside a transaction: take the batch for this request alone (a second tab, a reload or a discard waits)
    and read it again. The UPDATE takes the write lock at once on SQLite too, where SELECT … FOR UPDATE does
    nothing."""
    RosterImport.objects.filter(pk=batch.pk).update(checked=F("checked"))
    return RosterImport.objects.select_for_update().filter(pk=batch.pk).first()


def scope_of(user) -> dict:
    """What a check depends on besides the rows: where the user may write and see full numbers."""
    return {
        "superuser": user.is_superuser,
        "write": grant_paths(user, RoleGrant.Role.SECRETARY),
        "reveal": grant_paths(user, "may_reveal"),
    }


def import_check_next(*, actor, batch: RosterImport, size: int | None = None) -> RosterImport:
    """Check the next `size` rows. Queries per chunk do not grow with its size, bar one form per row."""
    with transaction.atomic():
        locked = _lock(batch)
        if locked is None or locked.status != RosterImport.Status.CHECKING:
            return locked or batch
        batch = locked
        if batch.scope != scope_of(actor):  # the user's grants changed since the check began: start again
            _reset_rows(batch)
            batch.scope, batch.checked = scope_of(actor), 0
            batch.save(update_fields=["scope", "checked"])
        rows = list(batch.rows.filter(action=RosterImportRow.Action.PENDING).order_by("number")[: size or CHUNK])
        if rows:
            _check_rows(batch, rows, actor)
        batch.checked = batch.rows.exclude(action=RosterImportRow.Action.PENDING).count()
        fields = ["checked"]
        if not batch.rows.filter(action=RosterImportRow.Action.PENDING).exists():
            batch.status, batch.checked_at = RosterImport.Status.CHECKED, timezone.now()
            batch.total = batch.checked
            fields += ["status", "checked_at", "total"]
        batch.save(update_fields=fields)
    return batch


def _check_rows(batch: RosterImport, rows: list[RosterImportRow], actor) -> None:
    lookups = Lookups(actor)
    ids = {row.id_number for row in rows if row.id_number}
    existing = {
        b.id_number: b
        for b in Beneficiary.objects.live().filter(id_number__in=ids).select_related("branch").prefetch_related("needs")
    }
    first = dict(
        batch.rows.filter(id_number__in=ids)
        .values("id_number")
        .annotate(first=Min("number"))
        .values_list("id_number", "first")
    )
    for row in rows:
        earlier = first.get(row.id_number)
        _check_row(row, lookups, existing.get(row.id_number), earlier if earlier and earlier < row.number else None)
    # Written back by replacing the chunk's rows (under the batch's lock): one DELETE and one INSERT, where
    # bulk_update's CASE per row and column cost more than the checking itself.
    RosterImportRow.objects.filter(pk__in=[row.pk for row in rows]).delete()
    for row in rows:
        row.pk = None
    RosterImportRow.objects.bulk_create(rows)


def import_counts(batch: RosterImport) -> dict[str, int]:
    counts = dict.fromkeys(RosterImportRow.Action.values, 0)
    for row in batch.rows.values("action").annotate(n=Count("pk")):
        counts[row["action"]] = row["n"]
    return counts


# --- writing -------------------------------------------------------------------------------------------------


def _reset_rows(batch: RosterImport) -> None:
    """Back to "not checked": the reading problems stay, everything the check found goes."""
    batch.rows.update(action=RosterImportRow.Action.PENDING, values={}, changed=[], problems=[], beneficiary=None)


def _restart(batch: RosterImport) -> None:
    _reset_rows(batch)
    batch.status, batch.checked, batch.checked_at = RosterImport.Status.CHECKING, 0, None
    batch.save(update_fields=["status", "checked", "checked_at"])


def _as_fields(values: dict) -> dict:
    fields = {}
    for name in BENEFICIARY_FIELDS:
        value = values[name]
        if name == "birth_date" and value:
            value = dt.date.fromisoformat(value)
        fields[_attname(name)] = value
    return fields


def import_commit(*, actor, batch: RosterImport) -> RosterImport:
    """Write every checked row, or none. If anything the check relied on changed meanwhile (someone registered
    or edited one of these people, the uploader's grants changed), nothing is written and the file is checked
    again."""
    try:
        with transaction.atomic():
            written = _commit(actor, batch)
    except IntegrityError:  # e.g. a need deleted meanwhile: PostgreSQL checks foreign keys at commit
        written = None
    if written is not None:
        return written
    with transaction.atomic():
        locked = _lock(batch)
        if locked is not None and locked.status == RosterImport.Status.CHECKED:
            _restart(locked)
    message = _(
        "The roster changed after the check (someone else registered or edited one of these people): nothing "
        "was imported, and the file is being checked again."
    )
    raise ValidationError(message, code="stale")


def _commit(actor, batch: RosterImport) -> RosterImport | None:
    """The write, inside the caller's transaction; None when the check is out of date."""
    locked = _lock(batch)
    if locked is None or locked.status != RosterImport.Status.CHECKED:
        raise ValidationError(_("This import is not ready to be written."), code="not_ready")
    batch = locked
    counts = import_counts(batch)
    if counts[RosterImportRow.Action.INVALID]:
        raise ValidationError(_("Correct the rows with problems first: nothing was imported."), code="problems")
    rows = list(batch.rows.exclude(action=RosterImportRow.Action.UNCHANGED).order_by("number"))
    if not rows:
        raise ValidationError(
            _("Everyone in this file is already on the roster as it says: there is nothing to import."),
            code="nothing",
        )
    creates = [row for row in rows if row.action == RosterImportRow.Action.CREATE]
    updates = [row for row in rows if row.action == RosterImportRow.Action.UPDATE]
    if batch.scope != scope_of(actor):
        return None
    if Beneficiary.objects.live().filter(id_number__in=[row.values["id_number"] for row in creates]).exists():
        return None
    targets = Beneficiary.objects.select_for_update().in_bulk([row.beneficiary_id for row in updates])
    for row in updates:
        target = targets.get(row.beneficiary_id)
        # Each person as the check saw them: any change since (even between two chunks) makes it stale.
        if target is None or target.is_archived or target.updated_at.isoformat() != row.values.get("_seen"):
            return None
    _write(actor, creates, updates, targets)
    batch.rows.all().delete()
    batch.status, batch.finished_at = RosterImport.Status.IMPORTED, timezone.now()
    batch.created_count, batch.updated_count = len(creates), len(updates)
    batch.unchanged_count = counts[RosterImportRow.Action.UNCHANGED]
    batch.save()
    return batch


def _write(actor, creates: list[RosterImportRow], updates: list[RosterImportRow], targets: dict) -> None:
    now = timezone.now()
    created = bulk_create_with_history(
        [Beneficiary(**_as_fields(row.values)) for row in creates], Beneficiary, batch_size=500, default_user=actor
    )
    links: list[BeneficiaryNeed] = []
    consents: list[Consent] = []
    for beneficiary, row in zip(created, creates, strict=True):
        links.extend(BeneficiaryNeed(beneficiary=beneficiary, need_id=pk) for pk in row.values["needs"])
        if row.values.get("consent"):
            consent = dict(row.values["consent"])
            consent["given_on"] = dt.date.fromisoformat(consent["given_on"])
            consents.append(Consent(beneficiary=beneficiary, recorded_by=actor, **consent))
    changed_objects = []
    relinked: list[int] = []
    for row in updates:
        beneficiary = targets[row.beneficiary_id]
        for attname, value in _as_fields(row.values).items():
            setattr(beneficiary, attname, value)
        beneficiary.updated_at = now
        changed_objects.append(beneficiary)
        relinked.append(beneficiary.pk)
        links.extend(BeneficiaryNeed(beneficiary=beneficiary, need_id=pk) for pk in row.values["needs"])
    if changed_objects:
        bulk_update_with_history(
            changed_objects,
            Beneficiary,
            [_attname(name) for name in BENEFICIARY_FIELDS] + ["updated_at"],
            batch_size=500,
            default_user=actor,
        )
        BeneficiaryNeed.objects.filter(beneficiary_id__in=relinked).delete()
    if links:
        bulk_create_with_history(links, BeneficiaryNeed, batch_size=1000, default_user=actor)
    if consents:
        bulk_create_with_history(consents, Consent, batch_size=500, default_user=actor)


def consent_ignored(batch: RosterImport) -> int:
    """Rows for people already registered whose consent cells the import leaves aside."""
    return batch.rows.filter(values__has_key="_consent_ignored").count()


def problems_of(batch: RosterImport) -> Iterable[RosterImportRow]:
    return batch.rows.filter(action=RosterImportRow.Action.INVALID).order_by("number")
