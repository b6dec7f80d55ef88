"""The roster's columns: their order, their Chinese headers (the beneficiary form's own labels), what a
choice cell may say, and how a cell is read back into a form value."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Protocol

from django.utils import translation
from django.utils.translation import gettext as _

from volunteer_portal.validators import normalize_id_number

from ..forms import BeneficiaryForm
from ..models import Beneficiary
from ..privacy import mask_numbers_in

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
DATE_COLUMNS = {"birth_date", "consent_given_on"}
DATE_FORMATS = ["%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y/%m/%d", "%Y-%m-%d"]


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


def _quote(text: str) -> str:
    """A cell quoted back in a message: short, and with anything that looks like an ID number masked (a shifted
    column can put someone's number in a cell that is quoted)."""
    text = mask_numbers_in(text)
    return text if len(text) <= 30 else text[:29] + "…"


# --- reading a cell: a parser per kind of column ----------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot become a form value. `message` goes to the row's problems (and the form does not report
    the field a second time); `instead` is what the form gets in its place, or None to leave the field out."""

    def __init__(self, message: str, *, instead: object = None) -> None:
        super().__init__(message)
        self.message, self.instead = message, instead


class Known(Protocol):
    """What cells are read against, read once per chunk (checking.Lookups)."""

    aliases: dict[str, dict[str, str]]
    own_branch: int | None
    branches: dict[str, list[int]]
    needs: dict[str, int]
    bases: dict[str, int]


Parser = Callable[[str, Known], object]


def choice_parser(name: str) -> Parser:
    """The parser of a choice column: its Chinese label, the label shortened, or the stored value, in any case."""

    def parse_choice(text: str, known: Known) -> object:
        if not text:
            return ""
        value = known.aliases[name].get(text.lower())
        if value is None:
            raise CellError(_("“%(text)s” is not one of: %(values)s.")
                            % {"text": _quote(text), "values": "、".join(choice_labels(name))}, instead="")  # fmt: skip
        return value

    return parse_choice


def parse_branch(text: str, known: Known) -> object:
    """One of the user's units, by name or as “higher unit/unit”; an empty cell is the user's own unit."""
    if not text:
        return known.own_branch or ""
    found = known.branches.get(text.strip("/ "), [])
    if len(found) == 1:
        return found[0]
    if found:
        raise CellError(_("More than one of your units is called “%(text)s”: write it as “higher unit/unit”.")
                        % {"text": _quote(text)})  # fmt: skip
    raise CellError(_("“%(text)s” is not a unit you are secretary of.") % {"text": _quote(text)})


def parse_needs(text: str, known: Known) -> object:
    """Needs by name, separated by 、, commas, semicolons, slashes or spaces. Unknown names are reported, and the
    form gets the known ones."""
    wanted = [part for part in LIST_SEPARATORS.split(text) if part]
    chosen = [known.needs[part] for part in wanted if part in known.needs]
    unknown = [part for part in wanted if part not in known.needs]
    if unknown:
        raise CellError(_("Unknown needs: %(unknown)s. Choose from: %(names)s.")
                        % {"unknown": "、".join(_quote(part) for part in unknown), "names": "、".join(known.needs)},
                        instead=chosen)  # fmt: skip
    return chosen


def parse_statutory_basis(text: str, known: Known) -> object:
    """A statutory basis set up by an administrator, by its exact name."""
    if not text:
        return ""
    if text in known.bases:
        return known.bases[text]
    raise CellError(_("“%(text)s” is not a statutory basis set up by an administrator.") % {"text": _quote(text)})


def parse_number(text: str, known: Known) -> object:
    """An ID or certificate number as the matching reads it: spaces inside dropped, a lower-case x upper-cased."""
    return normalize_id_number(text)


def parse_date(text: str, known: Known) -> object:
    """Dates as people type them in China (2026.01.05, 2026年1月5日, 20260105) in the form the form reads; anything
    else as it is, for the form to report."""
    for pattern in DATE_FORMATS:
        try:
            # Only the date is kept, so the parsed value's missing time zone does not matter.
            return dt.datetime.strptime(text.strip(), pattern).date().isoformat()  # noqa: DTZ007
        except ValueError:
            continue
    return text


def parse_text(text: str, known: Known) -> object:
    return text


PARSERS: dict[str, Parser] = {
    **dict.fromkeys(COLUMNS, parse_text),
    **{name: choice_parser(name) for name in CHOICE_COLUMNS},
    **dict.fromkeys(NUMBER_COLUMNS, parse_number),
    **dict.fromkeys(DATE_COLUMNS, parse_date),
    "branch": parse_branch,
    "needs": parse_needs,
    "statutory_basis": parse_statutory_basis,
}


def parse_cell(name: str, text: str, known: Known, current: dict | None) -> object:
    """A cell as the form's value for column `name`; raises CellError. An empty cell keeps what is on record for
    someone already registered (`current`), and takes the form's default (hardship category: none) for someone
    new: an import never blanks a field by omission."""
    if not text:
        if current is not None and name in current:
            return current[name]
        initial = BeneficiaryForm.base_fields[name].initial
        if initial is not None and name in CHOICE_COLUMNS:
            return initial
    return PARSERS[name](text, known)
