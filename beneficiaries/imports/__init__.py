"""Roster import: a template to fill in; an uploaded .xlsx or .csv is staged, checked row by row with the
beneficiary form's own rules (in chunks, so the page can show progress), previewed, and written all or nothing
when its uploader confirms. Rows are matched on the ID number, so importing the same file twice changes nothing.

By job: `columns` (the columns, their headers and how a cell is read), `template` (the workbook to fill in),
`reading` (reading and staging an upload, and its limits), `checking` (the per-row check, in chunks), `writing`
(commit, discard, prune). The names the views, commands and tests use are re-exported here.
"""

from .checking import consent_ignored, import_check_next, import_counts, problems_of
from .columns import COLUMNS, headers
from .reading import MAX_BYTES, ImportFileError, import_stage, parse_file
from .template import template_workbook
from .writing import import_commit, import_discard, prune_abandoned

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "ImportFileError",
    "consent_ignored",
    "headers",
    "import_check_next",
    "import_commit",
    "import_counts",
    "import_discard",
    "import_stage",
    "parse_file",
    "problems_of",
    "prune_abandoned",
    "template_workbook",
]
