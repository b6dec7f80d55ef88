"""The people served: beneficiaries, their needs, and the basis (consent or a legal duty) for keeping their data."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from activities.models import Activity
from volunteer_portal.branches.models import Branch
from volunteer_portal.models import ArchivableModel, TimeStampedModel
from volunteer_portal.validators import (
    birth_date_from_id,
    normalize_id_number,
    validate_certificate_number,
    validate_id_number,
    validate_not_future,
)

from ..privacy import birth_decade, mask_certificate_number, mask_id_number

if TYPE_CHECKING:  # the link model lives with the other work records
    from .work import ActivityBeneficiary


class DisabilityCategory(models.IntegerChoices):
    """GB/T 26341-2010 categories; the digit is the certificate number's 19th character."""

    VISUAL = 1, _("visual")
    HEARING = 2, _("hearing")
    SPEECH = 3, _("speech")
    PHYSICAL = 4, _("physical")
    INTELLECTUAL = 5, _("intellectual")
    MENTAL = 6, _("mental")
    MULTIPLE = 7, _("multiple")


class DisabilityGrade(models.IntegerChoices):
    """GB/T 26341-2010 grades, 一级 the most severe; the digit is the certificate number's 20th character."""

    FIRST = 1, _("grade 1 (most severe)")
    SECOND = 2, _("grade 2")
    THIRD = 3, _("grade 3")
    FOURTH = 4, _("grade 4")


class Need(TimeStampedModel):
    """Admin-managed reference list of needs (rehabilitation, assistive devices, employment ...)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class StatutoryBasis(TimeStampedModel):
    """A legal duty that allows keeping sensitive data without consent (PIPL Art. 13(3)), chosen by an
    administrator, e.g. the certificate management the federation performs under the disability law."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    reference = models.CharField(_("legal reference"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("statutory basis")
        verbose_name_plural = _("statutory bases")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


DUPLICATE_ID = _("Another beneficiary with this ID number is already registered.")


class Beneficiary(ArchivableModel):
    class Gender(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    class HouseholdStatus(models.TextChoices):
        NONE = "none", _("none of these")
        MINIMUM_LIVING = "dibao", _("minimum living allowance (低保)")
        EXTREME_POVERTY = "tekun", _("extreme poverty support (特困)")
        LOW_INCOME_MARGIN = "dibao_edge", _("on the edge of the allowance (低保边缘)")
        POVERTY_RELAPSE_WATCH = "fangfan", _("watched for relapse into poverty (防返贫监测)")

    name = models.CharField(pgettext_lazy("a person's", "name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    # blank=True: left empty in a form or an import, it is taken from the ID number by clean().
    birth_date = models.DateField(_("birth date"), blank=True, validators=[validate_not_future])
    id_number = models.CharField(_("ID number"), max_length=18, validators=[validate_id_number])
    certificate_number = models.CharField(
        _("disability certificate number"),
        max_length=20,
        blank=True,
        help_text=_("20 characters: the ID number, the category digit and the grade digit."),
    )
    disability_category = models.PositiveSmallIntegerField(_("disability category"), choices=DisabilityCategory.choices)
    disability_grade = models.PositiveSmallIntegerField(_("disability grade"), choices=DisabilityGrade.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    guardian_name = models.CharField(_("guardian's name"), max_length=50, blank=True)
    guardian_phone = models.CharField(_("guardian's phone"), max_length=20, blank=True)
    branch = models.ForeignKey(
        Branch, verbose_name=_("responsible branch"), on_delete=models.PROTECT, related_name="beneficiaries"
    )
    household_status = models.CharField(
        _("hardship category"), max_length=20, choices=HouseholdStatus.choices, default=HouseholdStatus.NONE
    )
    # Past periods count a household from this day (never visited, overdue pairings "as of the period's end").
    registered_on = models.DateField(
        _("registered on"),
        default=timezone.localdate,
        validators=[validate_not_future],
        help_text=_("The day the household came onto the roster; for history entered later, that earlier day."),
    )
    # The four "clear" fields (四清), kept current by the pairing member.
    family_situation = models.TextField(_("family situation"), blank=True, help_text=_("家庭情况清"))
    development_goals = models.TextField(_("development goals"), blank=True, help_text=_("发展目标清"))
    employment_skills = models.TextField(_("employment skills"), blank=True, help_text=_("就业技能清"))
    needs_detail = models.TextField(_("needs in detail"), blank=True, help_text=_("各项需要清"))
    needs: "models.ManyToManyField[Need, BeneficiaryNeed]" = models.ManyToManyField(
        Need, verbose_name=_("needs"), blank=True, related_name="beneficiaries", through="BeneficiaryNeed"
    )
    statutory_basis = models.ForeignKey(
        StatutoryBasis,
        verbose_name=_("statutory basis"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="beneficiaries",
        help_text=_("Set when the data is kept under a legal duty rather than consent."),
    )
    served_by: "models.ManyToManyField[Activity, ActivityBeneficiary]" = models.ManyToManyField(
        Activity,
        verbose_name=_("activities that served this person"),
        through="ActivityBeneficiary",
        related_name="beneficiaries",
        blank=True,
    )
    # The latest live visit's day, stored so that the list shows, sorts and filters ("never visited") by it
    # without reading every visit (DESIGN.md: list pages never aggregate rows they do not show). Kept by
    # `beneficiaries.upkeep`, called by the visit services and the admin; not in the history, which says who
    # changed what, not what followed from it.
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["last_visit_on"])

    class Meta:
        verbose_name = _("beneficiary")
        verbose_name_plural = _("beneficiaries")
        ordering = ["branch__path", "name"]
        constraints = [
            # The stored form is normalised (upper-case X): enforce it where bulk writes cannot slip past.
            models.CheckConstraint(condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$"), name="beneficiary_id_format"),
            # Archived records may repeat an ID (a person re-registered); two live ones may not.
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(archived_at__isnull=True),
                name="beneficiary_unique_live_id_number",
                violation_error_message=DUPLICATE_ID,
            ),
            models.CheckConstraint(
                condition=Q(disability_category__gte=1) & Q(disability_category__lte=7),
                name="beneficiary_category_range",
            ),
            models.CheckConstraint(
                condition=Q(disability_grade__gte=1) & Q(disability_grade__lte=4),
                name="beneficiary_grade_range",
            ),
        ]
        indexes = [models.Index(fields=["branch", "disability_category"], name="beneficiary_branch_cat")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("beneficiaries:beneficiary-detail", args=[self.pk])

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_certificate_number(self) -> str:
        return mask_certificate_number(self.certificate_number)

    @property
    def birth_decade(self) -> str:
        return birth_decade(self.birth_date)

    def get_constraints(self):
        """The constraints full_clean() asks the database about: only the unique live ID. The check constraints
        are the database's backstop against bulk writes; the field validators check the same rules (and more)
        without a query each, which matters when an import validates ten thousand rows."""
        return [(type(self), [c for c in self._meta.constraints if isinstance(c, models.UniqueConstraint)])]

    def clean(self) -> None:
        """The rules that span several fields: the birth date and the certificate must agree with the ID."""
        self.id_number = normalize_id_number(self.id_number)
        self.certificate_number = normalize_id_number(self.certificate_number)
        errors: dict[str, list] = {}
        id_birth = birth_date_from_id(self.id_number) if len(self.id_number) == 18 else None
        if id_birth is not None:
            if self.birth_date is None:
                self.birth_date = id_birth
            elif self.birth_date != id_birth:
                errors.setdefault("birth_date", []).append(
                    ValidationError(
                        _("The birth date does not match the ID number, which says %(date)s."),
                        code="birth_date_mismatch",
                        params={"date": id_birth.isoformat()},
                    )
                )
        if self.birth_date is None and "birth_date" not in errors:
            errors["birth_date"] = [
                ValidationError(_("Enter the birth date, or a valid ID number to take it from."), code="required")
            ]
        if self.certificate_number:
            try:
                validate_certificate_number(
                    self.certificate_number,
                    id_number=self.id_number,
                    category=self.disability_category,
                    grade=self.disability_grade,
                )
            except ValidationError as error:
                errors.setdefault("certificate_number", []).append(error)
        if errors:
            raise ValidationError(errors)


class BeneficiaryNeed(models.Model):
    """Explicit link so that removing a need or a beneficiary never silently drops the other's rows."""

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, related_name="+")
    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("beneficiary need")
        verbose_name_plural = _("beneficiary needs")
        constraints = [models.UniqueConstraint(fields=["beneficiary", "need"], name="beneficiaryneed_unique")]

    def __str__(self) -> str:
        return f"{self.beneficiary_id} · {self.need_id}"


CONSENT_GUARDIAN_AGE = 14  # PIPL Art. 31: under 14, a parent or guardian consents.


class Consent(TimeStampedModel):
    """Consent to keep and use a beneficiary's sensitive personal data (PIPL Arts. 29, 31)."""

    class GivenBy(models.TextChoices):
        PERSON = "person", _("the person")
        GUARDIAN = "guardian", _("a guardian")

    beneficiary = models.ForeignKey(
        Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="consents"
    )
    given_by = models.CharField(_("given by"), max_length=10, choices=GivenBy.choices)
    guardian_name = models.CharField(_("guardian's name"), max_length=50, blank=True)
    given_on = models.DateField(_("given on"), validators=[validate_not_future])
    scope = models.CharField(
        _("scope"),
        max_length=200,
        default="帮扶工作所需的身份、残疾及家庭信息",
        help_text=_("What the consent covers."),
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True, validators=[validate_not_future])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.beneficiary} · {self.get_given_by_display()} · {self.given_on:%Y-%m-%d}"

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None

    def clean(self) -> None:
        errors: dict[str, list] = {}
        try:  # an import checks consent against a beneficiary that is not saved yet
            birth = self.beneficiary.birth_date
        except ObjectDoesNotExist:
            birth = None
        if birth and self.given_on:
            age = (
                self.given_on.year - birth.year - ((self.given_on.month, self.given_on.day) < (birth.month, birth.day))
            )
            if age < CONSENT_GUARDIAN_AGE and self.given_by != self.GivenBy.GUARDIAN:
                errors["given_by"] = [_("Under 14, consent is given by a parent or guardian.")]
        if self.given_by == self.GivenBy.GUARDIAN and not self.guardian_name:
            errors["guardian_name"] = [_("Enter the name of the guardian who consented.")]
        if self.withdrawn_on and self.given_on and self.withdrawn_on < self.given_on:
            errors["withdrawn_on"] = [_("Consent cannot be withdrawn before it was given.")]
        if errors:
            raise ValidationError(errors)
