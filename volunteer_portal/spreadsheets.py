"""Writing .xlsx cells (openpyxl), shared by every workbook the portal makes.

openpyxl turns a string that starts with "=" into a formula and one such as "#N/A" into an error, so a name or
an address typed as `=HYPERLINK(...)` would run when the file is opened. Every text cell is therefore written
as a text cell, with exactly the text given: no apostrophe is put in front (a "+86 138…" phone number stays as
typed), and numbers and dates stay numbers and dates.
"""

from collections.abc import Iterable

from django.utils.functional import Promise


def set_cell(cell, value) -> None:
    """Put a value in a cell; text (and lazy translations) always as text. Control characters other than tab and
    line breaks cannot be stored in an .xlsx (Excel refuses the file), so they are left out."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # after the value: assigning a value guesses the type again


def append_row(sheet, values: Iterable) -> None:
    """Add a row at the bottom of a sheet, as `sheet.append` does, with every text cell a text cell."""
    from openpyxl.cell import Cell

    cells = []
    for value in values:
        cell = Cell(sheet)
        set_cell(cell, value)
        cells.append(cell)
    sheet.append(cells)


def append_streamed_row(sheet, row: int, values: Iterable, *, font=None) -> None:
    """Add row number `row` to a write-only sheet (`Workbook(write_only=True)`, for large files), with the same
    rule as `append_row`. A write-only sheet guesses each plain value's type cheaply, and guesses text as text
    except a formula or an error code, so only those (and styled cells) are handed over as text cells: making
    every cell an object costs a third more time on a 20,000-row roster."""
    from openpyxl.cell import Cell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    cells: list = []
    for column, value in enumerate(values, start=1):
        if isinstance(value, Promise):
            value = str(value)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if font is not None or (isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES)):
            cell = Cell(sheet, row=row, column=column)  # its place: the sheet names a cell by it
            set_cell(cell, value)
            if font is not None:
                cell.font = font
            value = cell
        cells.append(value)
    sheet.append(cells)
