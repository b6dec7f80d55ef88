"""Validation rules shared by models, forms, the admin and any import.

Each rule lives here once. Models attach the field validators; `Beneficiary.clean()` calls
`validate_certificate_number` for the rule that spans several fields.
"""

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

# GB/T 2260 province-level codes: the first two digits of every resident ID number (81-83: the residence
# permits of Hong Kong, Macao and Taiwan residents, which have the same format). A full list of the
# county-level codes is not bundled: codes change every year and old numbers keep their old codes, so the
# check is the province plus "not a bare province code" (xx0000), which no person's number carries.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "83",
    }
)  # fmt: skip

EARLIEST_BIRTH_YEAR = 1890

DISABILITY_CATEGORY_DIGITS = "1234567"
DISABILITY_GRADE_DIGITS = "1234"


def normalize_id_number(value: str) -> str:
    """Strip spaces and upper-case the check character (`x` becomes `X`)."""
    return (value or "").strip().replace(" ", "").upper()


def id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def birth_date_from_id(id_number: str) -> dt.date | None:
    """The birth date written in an ID number, or None if it is not a real date."""
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def validate_id_number(value: str) -> None:
    """An 18-character resident ID number (GB 11643): area, real birth date, sequence, check character."""
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(count)d."),
            code="id_length",
            params={"count": len(number)},
        )
    if not _ID_SHAPE.match(number):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."),
            code="id_characters",
        )
    if number[:2] not in PROVINCE_CODES or number[2:6] == "0000":
        raise ValidationError(
            _("The ID number's area code %(area)s is not a Chinese administrative area."),
            code="id_area",
            params={"area": number[:6]},
        )
    birth = birth_date_from_id(number)
    if birth is None or birth.year < EARLIEST_BIRTH_YEAR:
        raise ValidationError(
            _("The birth date in the ID number, %(digits)s, is not a real date."),
            code="id_birth_date",
            params={"digits": number[6:14]},
        )
    if birth > timezone.localdate():
        raise ValidationError(
            _("The birth date in the ID number, %(date)s, is in the future."),
            code="id_birth_future",
            params={"date": birth.isoformat()},
        )
    expected = id_check_character(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("The ID number's check character is wrong: please check every digit."),
            code="id_check",
        )


def validate_certificate_number(value: str, *, id_number: str, category: int | None, grade: int | None) -> None:
    """A 20-character disability certificate number: the holder's ID number, category digit, grade digit.

    It must agree with the beneficiary's own ID number, category and grade.
    """
    number = normalize_id_number(value)
    if len(number) != 20:
        raise ValidationError(
            _("A disability certificate number has 20 characters; this one has %(count)d."),
            code="certificate_length",
            params={"count": len(number)},
        )
    try:
        validate_id_number(number[:18])
    except ValidationError as error:
        raise ValidationError(
            _("The first 18 characters of the certificate number are not a valid ID number: %(reason)s"),
            code="certificate_id",
            params={"reason": error.messages[0]},
        ) from None
    category_digit, grade_digit = number[18], number[19]
    if category_digit not in DISABILITY_CATEGORY_DIGITS:
        raise ValidationError(
            _("The certificate's category digit %(digit)s is not a disability category (1 to 7)."),
            code="certificate_category",
            params={"digit": category_digit},
        )
    if grade_digit not in DISABILITY_GRADE_DIGITS:
        raise ValidationError(
            _("The certificate's grade digit %(digit)s is not a disability grade (1 to 4)."),
            code="certificate_grade",
            params={"digit": grade_digit},
        )
    if number[:18] != normalize_id_number(id_number):
        raise ValidationError(
            _("The certificate number does not begin with this person's ID number."),
            code="certificate_id_mismatch",
        )
    if category is not None and int(category_digit) != int(category):
        raise ValidationError(
            _("The certificate says category %(digit)s, but the disability category chosen is %(chosen)s."),
            code="certificate_category_mismatch",
            params={"digit": category_digit, "chosen": category},
        )
    if grade is not None and int(grade_digit) != int(grade):
        raise ValidationError(
            _("The certificate says grade %(digit)s, but the disability grade chosen is %(chosen)s."),
            code="certificate_grade_mismatch",
            params={"digit": grade_digit, "chosen": grade},
        )


def validate_not_future(value: dt.date) -> None:
    """Things that happened cannot be dated after today (in the portal's time zone)."""
    if value and value > timezone.localdate():
        raise ValidationError(
            _("This date is in the future; record things once they have happened."),
            code="future_date",
        )


def validate_money(value: Decimal) -> None:
    """Yuan, never negative; the field's decimal_places=2 keeps it to fen."""
    if value is not None and value < 0:
        raise ValidationError(_("An amount cannot be negative."), code="negative_money")


def validate_hours(value: Decimal) -> None:
    if value is not None and not (0 < value <= 24):
        raise ValidationError(
            _("Hours must be more than 0 and at most 24 for one activity."),
            code="hours_range",
        )
