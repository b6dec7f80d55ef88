from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.models import Activity
from volunteer_portal.branches.models import RoleGrant
from volunteer_portal.branches.selectors import (
    branch_list,
    may_reveal,
    member_list,
    own_branch_id,
    writable_members,
)
from volunteer_portal.forms import DateInput
from volunteer_portal.validators import birth_date_from_id, normalize_id_number, validate_not_future
from volunteer_portal.versions import add_version_field

from .models import DUPLICATE_ID, AssistanceItem, Beneficiary, Consent, Need, Pairing, Visit
from .privacy import checks_exhausted_message, hidden_check, hidden_checks_left, search_q
from .selectors import beneficiary_list
from .services import BENEFICIARY_FIELDS, NO_BASIS, has_basis

Role = RoleGrant.Role


def _writable_households(user):
    return beneficiary_list(user=user).filter(branch__in=branch_list(user=user, role=Role.SECRETARY)).order_by("name")


class BeneficiaryForm(forms.ModelForm):
    numbers_hidden = False

    class Meta:
        model = Beneficiary
        fields = [*BENEFICIARY_FIELDS, "registered_on", "needs"]
        widgets = {
            "birth_date": DateInput(),
            "registered_on": DateInput(),
            "needs": forms.CheckboxSelectMultiple,
            "family_situation": forms.Textarea(attrs={"rows": 2}),
            "development_goals": forms.Textarea(attrs={"rows": 2}),
            "employment_skills": forms.Textarea(attrs={"rows": 2}),
            "needs_detail": forms.Textarea(attrs={"rows": 2}),
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "maxlength": 18}),
            "certificate_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 20}),
        }
        help_texts = {"birth_date": _("Leave empty to take it from the ID number.")}

    consent_given_by = forms.ChoiceField(
        label=_("Consent given by"), choices=[("", "---------"), *Consent.GivenBy.choices], required=False
    )
    consent_guardian_name = forms.CharField(label=_("Name of the consenting guardian"), required=False)
    consent_given_on = forms.DateField(label=_("Consent given on"), required=False, widget=DateInput())

    def __init__(self, *args, user, checks_left: int | None = None, looked_up: bool = False, **kwargs):
        """`checks_left` and `looked_up` (no live beneficiary has the number) let the roster import answer both
        once per chunk instead of once per row."""
        super().__init__(*args, **kwargs)
        self.user = user
        self._checks_left = checks_left
        self._looked_up = looked_up
        add_version_field(self, self.instance)
        branches = branch_list(user=user, role=Role.SECRETARY)
        self.fields["branch"].queryset = branches
        self.fields["needs"].queryset = Need.objects.all()
        # Today unless the secretary enters an earlier day (history entered later); the roster import leaves it so.
        self.fields["registered_on"].required = False
        self.fields["statutory_basis"].help_text = _(
            "Or, instead of consent, the legal duty under which the data is kept (set up by an administrator)."
        )
        if not self.instance.pk:
            self.fields["branch"].initial = own_branch_id(user)
            return
        # Consent is recorded on the beneficiary's page once the record exists. The birth date is part of the
        # ID number: it follows the number, and is never put in the form beside a masked one.
        for name in ("consent_given_by", "consent_guardian_name", "consent_given_on", "birth_date"):
            del self.fields[name]
        if not may_reveal(user, self.instance.branch):
            # Someone whose full numbers this user may not see: the numbers are left out of the form (and so
            # kept as they are) rather than shown.
            del self.fields["id_number"], self.fields["certificate_number"]
            self.numbers_hidden = True
            return
        # A user who may reveal them sees the masked numbers, and changes one by typing it in full: the full
        # numbers are shown only by the logged reveal.
        for name, masked in (
            ("id_number", self.instance.masked_id_number),
            ("certificate_number", self.instance.masked_certificate_number),
        ):
            old = self.fields[name]
            self.fields[name] = forms.CharField(
                label=old.label, required=name == "id_number", initial=masked, widget=old.widget,
                help_text=_("Shown masked. To change it, type the whole new number."),
            )  # fmt: skip
            self.initial[name] = masked

    def clean_registered_on(self):
        return self.cleaned_data.get("registered_on") or self.instance.registered_on or timezone.localdate()

    def _clean_number(self, name: str, masked: str) -> str:
        value = normalize_id_number(self.cleaned_data.get(name) or "")
        if value == normalize_id_number(masked):
            return getattr(self.instance, name)  # left as shown: unchanged
        return value

    def clean_id_number(self):
        if not self.instance.pk:
            return self.cleaned_data["id_number"]
        return self._clean_number("id_number", self.instance.masked_id_number)

    def clean_certificate_number(self):
        if not self.instance.pk:
            return self.cleaned_data["certificate_number"]
        return self._clean_number("certificate_number", self.instance.masked_certificate_number)

    def _new_number(self) -> str:
        """The ID number this form would put on record, if it is not the one already there."""
        number = normalize_id_number(self.cleaned_data.get("id_number") or "") if "id_number" in self.fields else ""
        return number if number and number != self.instance.id_number else ""

    def _follow_certificate(self) -> None:
        """A certificate number is the ID number and the category and grade digits. Where the form keeps the
        certificate as it is (hidden, or left as the mask shows it) and the ID, the category or the grade
        changes, the certificate follows them instead of no longer agreeing with a number nobody can retype."""
        current = self.instance.certificate_number if self.instance.pk else ""
        kept = "certificate_number" not in self.fields or self.cleaned_data.get("certificate_number") == current
        if not current or not kept:
            return
        number = self.cleaned_data.get("id_number") or self.instance.id_number
        category = self.cleaned_data.get("disability_category") or self.instance.disability_category
        grade = self.cleaned_data.get("disability_grade") or self.instance.disability_grade
        followed = f"{normalize_id_number(number)}{category}{grade}"
        if followed != current and len(followed) == 20:
            self.instance.certificate_number = self.cleaned_data["certificate_number"] = followed

    def checks_left(self) -> int:
        if self._checks_left is None:
            self._checks_left = hidden_checks_left(self.user)
        return self._checks_left

    def _post_clean(self):
        # "Already registered" tells whether a guessed number exists anywhere in the organisation: a secretary
        # needs it, so it is logged and limited per user, and once the limit is reached every new number is
        # refused alike, registered or not.
        number = self._new_number()
        if number and self.checks_left() <= 0:
            self.add_error("id_number", checks_exhausted_message())
            return
        born = birth_date_from_id(number) if len(number) == 18 else None
        if born and self.instance.pk and "birth_date" not in self.fields:  # the birth date follows the number
            self.instance.birth_date = self.cleaned_data["birth_date"] = born
        self._follow_certificate()
        super()._post_clean()  # type: ignore[misc]  # ModelForm's hook after clean(), not in django-stubs
        # The model's unique constraint is not checked by the form (its condition names a field the form does
        # not have), so the one look-up is here, where its answer can be logged. It is asked only of a form
        # that is otherwise right: a wrong guess then registers a real person, in the history under the
        # user's name, instead of costing nothing.
        if number and not self._looked_up and not self.errors:
            duplicate = Beneficiary.objects.live().filter(id_number=number).select_related("branch").first()
            if duplicate is not None:
                self.add_error("id_number", DUPLICATE_ID)
                hidden_check(self.user, number=number, branch=duplicate.branch)
                self._checks_left = self.checks_left() - 1

    def consent(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("consent_given_by"):
            return None
        return {
            "given_by": data["consent_given_by"],
            "guardian_name": data.get("consent_guardian_name", ""),
            "given_on": data.get("consent_given_on"),
        }

    def clean(self):
        data = super().clean() or {}
        if not self.instance.pk:
            consent_date_invalid = "consent_given_on" in self.errors  # already said: not a date
            if data.get("consent_given_by") and not data.get("consent_given_on") and not consent_date_invalid:
                self.add_error("consent_given_on", _("Enter the day the consent was given."))
            if not has_basis(consent=data.get("consent_given_by"), statutory_basis=data.get("statutory_basis")):
                self.add_error("consent_given_by", NO_BASIS)
        return data

    def add_error(self, field, error):
        # A model-level error about a number this form leaves out (a certificate that no longer agrees with a
        # changed category, say) goes to the top of the form instead of failing on the missing field.
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            routed: dict[str, list] = {}
            for name, errors in error.error_dict.items():
                target = name if name in self.fields or name == NON_FIELD_ERRORS else NON_FIELD_ERRORS
                routed.setdefault(target, []).extend(errors)
            error = ValidationError(routed)
        super().add_error(field, error)


class VisitForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = ["date", "branch", "visitors", "notes", "follow_up_needed"]
        widgets = {
            "date": DateInput(),
            "visitors": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    nothing_handed_over = forms.BooleanField(
        label=_("Visited; nothing was handed over"), required=False,
        help_text=_("Tick this to record a visit with no notes and no items."),
    )  # fmt: skip

    def __init__(self, *args, user, beneficiary, items=None, **kwargs):
        """`items` is the formset of items handed over, when the form records a new visit: a visit says what
        happened (a note or an item), or says that nothing was handed over; an untouched form records nothing."""
        super().__init__(*args, **kwargs)
        self.items = items
        add_version_field(self, self.instance)
        if self.instance.pk or items is None:
            del self.fields["nothing_handed_over"]
        branches = branch_list(user=user, role=Role.SECRETARY)
        self.fields["branch"].queryset = branches
        self.fields["branch"].help_text = _("The branch that made the visit.")
        members = writable_members(user)
        if self.instance.pk:
            members = (members | member_list(user=user).filter(visits=self.instance)).distinct()
        self.fields["visitors"].queryset = members
        if not self.instance.pk:
            self.fields["date"].initial = timezone.localdate()
            if branches.filter(pk=beneficiary.branch_id).exists():
                self.fields["branch"].initial = beneficiary.branch_id
            else:
                self.fields["branch"].initial = own_branch_id(user)

    def clean(self):
        data = super().clean() or {}
        if "nothing_handed_over" in self.fields and not data.get("notes", "").strip():
            any_item = any(item.has_changed() for item in self.items.forms)
            if not any_item and not data.get("nothing_handed_over"):
                self.add_error("notes", _("Write what was done, add what was handed over, or tick “Visited; "
                                          "nothing was handed over”."))  # fmt: skip
        return data


class AssistanceItemForm(forms.ModelForm):
    class Meta:
        model = AssistanceItem
        fields = ["kind", "description", "quantity", "value"]
        widgets = {"value": forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"})}


class GroupItemForm(AssistanceItemForm):
    """An item handed over at an activity to people not recorded by name, with how many received it when that
    is known (like the value, it often is not: the item still counts)."""

    class Meta(AssistanceItemForm.Meta):
        fields = ["kind", "description", "quantity", "recipients", "value"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].help_text = _("How many people received it; an estimate is fine, blank if unknown.")


# Group items of an activity: changed, added or removed in place.
GroupItemFormSet = forms.inlineformset_factory(
    Activity,
    AssistanceItem,
    form=GroupItemForm,
    fk_name="activity",
    extra=2,
    can_delete=True,
    max_num=20,
    absolute_max=20,
    validate_max=True,
)


# Items for a new visit (or for each household of an activity): nothing saved yet, so a plain formset.
# absolute_max: a tampered TOTAL_FORMS never makes the server build more forms than a visit may hold.
AssistanceItemFormSet = formset_factory(AssistanceItemForm, extra=2, max_num=20, absolute_max=20, validate_max=True)
# Items of an existing visit: changed, added or removed in place.
AssistanceItemInlineFormSet = forms.inlineformset_factory(
    Visit,
    AssistanceItem,
    form=AssistanceItemForm,
    extra=1,
    can_delete=True,
    max_num=20,
    absolute_max=20,
    validate_max=True,
)


class ActivityVisitsForm(forms.Form):
    """The households one activity reached; the shared details are typed once and copied to each visit."""

    SHOWN = 50

    beneficiaries = forms.ModelMultipleChoiceField(
        label=_("Households served"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Tick at least one household."),
            "invalid_choice": _("%(value)s is not a household you may record: choose from the list."),
        },
    )
    date = forms.DateField(label=_("Date"), widget=DateInput(), validators=[validate_not_future])
    visitors = forms.ModelMultipleChoiceField(
        label=_("Visitors"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    follow_up_needed = forms.BooleanField(label=_("Follow-up needed"), required=False)

    def __init__(self, *args, user, activity, search: str = "", request=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Households already recorded for this activity are not offered again: a double tap cannot count twice.
        households = _writable_households(user).exclude(served_in__activity=activity)
        self.fields["beneficiaries"].queryset = households
        self.fields["visitors"].queryset = writable_members(user)
        self.fields["date"].initial = activity.date
        self.fields["visitors"].initial = list(activity.participations.values_list("member_id", flat=True))
        self.search = search
        chosen = [value for value in self.data.getlist(self.add_prefix("beneficiaries")) if value.isdigit()]
        self.chosen = list(households.filter(pk__in=chosen)) if self.is_bound else []
        found = households.exclude(pk__in=[b.pk for b in self.chosen])
        self.search_note = ""
        if self.search:
            condition, self.search_note = search_q(user, self.search, request=request)
            found = found.filter(condition)
        # Ticked households always stay on the page; the rest is what the search found, a page at most.
        self.found = list(found[: self.SHOWN + 1])
        self.more = len(self.found) > self.SHOWN
        self.found = self.found[: self.SHOWN]
        self.options = [(b, True) for b in self.chosen] + [(b, False) for b in self.found]


class PairingForm(forms.ModelForm):
    class Meta:
        model = Pairing
        fields = ["member", "beneficiary", "start_date", "interval_days", "note"]
        widgets = {"start_date": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, initial_from=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = writable_members(user)
        self.fields["beneficiary"].queryset = _writable_households(user)
        self.fields["start_date"].initial = timezone.localdate()
        # Opened from a beneficiary's or a member's page: that one is chosen already.
        for name in ("member", "beneficiary"):
            value = initial_from.get(name, "") if initial_from else ""
            if value.isdigit() and self.fields[name].queryset.filter(pk=value).exists():
                self.fields[name].initial = int(value)


class PairingEndForm(forms.Form):
    end_date = forms.DateField(label=_("End date"), widget=DateInput(), validators=[validate_not_future])

    def __init__(self, *args, pairing: Pairing | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end_date"].initial = timezone.localdate()
        add_version_field(self, pairing)


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["given_by", "guardian_name", "given_on", "scope"]
        widgets = {"given_on": DateInput()}


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_("The filled-in template, as .xlsx or .csv. Nothing is written until you confirm the preview."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        error_messages={"required": _("Choose the file to upload."), "empty": _("The file is empty.")},
    )
