"""The roster's columns: their order, their Chinese headers (the beneficiary form's own labels), what a
choice cell may say, and how a cell is read back into a form value."""

import datetime as dt
import re

from django.utils import translation

from ..forms import BeneficiaryForm
from ..models import Beneficiary
from ..privacy import mask_id_number

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
ID_LIKE = re.compile(r"\d{14,17}[\dXx]")
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
