"""Forms of the members' side. The rules a record must keep (paired, not before the pairing, something done) are
the services'; the forms parse what was typed."""

import uuid
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beneficiaries.forms import AssistanceItemForm
from volunteer_portal.forms import DateInput, MultipleImageField
from volunteer_portal.validators import validate_not_future

from .invites import login_taken


class VisitClaimForm(forms.Form):
    """A member's visit to a paired household; the items handed over are beneficiaries' item formset."""

    date = forms.DateField(label=_("Date"), widget=DateInput(), validators=[validate_not_future])
    notes = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    nothing_handed_over = forms.BooleanField(label=_("Visited; nothing was handed over"), required=False)
    photos = MultipleImageField(label=_("Photos"), help_text=_("JPEG, PNG, GIF or WebP, up to 5 MB each."))
    # Made when the form is shown and sent with it: a form sent twice (a double tap, the phone's retry from its
    # queue) is recorded once (services.claim_visit_submit).
    client_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, pairing, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date"].initial = today
        self.fields["date"].widget.attrs.update({"min": f"{pairing.start_date:%Y-%m-%d}", "max": f"{today:%Y-%m-%d}"})
        self.fields["client_key"].initial = uuid.uuid4()


# --- a secretary's decisions (the queue) ---------------------------------------------------------------------


class HoursCorrectionForm(forms.Form):
    """Hours at an activity, as the secretary confirms them."""

    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=Decimal("0.5"),
        max_value=Decimal("24"),
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )


class VisitCorrectionForm(forms.Form):
    """A visit as the secretary confirms it; the items handed over are in ClaimItemFormSet beside it."""

    date = forms.DateField(label=_("Date"), widget=DateInput(), validators=[validate_not_future])
    notes = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


# The claim's items, each of which the secretary may change or remove, and one more row to add.
ClaimItemFormSet = formset_factory(
    AssistanceItemForm, extra=1, can_delete=True, max_num=20, absolute_max=20, validate_max=True
)


def corrected_items(formset) -> list[dict]:
    """The rows kept: filled in and not ticked for removal (an untouched extra row is left out)."""
    return [
        {name: form.cleaned_data[name] for name in ("kind", "description", "quantity", "value")}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("The member sees it, so that they know what to correct."),
        error_messages={"required": _("Say why, so that the member knows what to correct.")},
    )


# --- a member's first sign-in (an invitation's link) ---------------------------------------------------------


class WelcomeForm(SetPasswordForm):
    """The login name (for a member without a login yet) and a new password twice, under the password policy
    (AUTH_PASSWORD_VALIDATORS, through Django's SetPasswordForm). `user` is the member's login, or an unsaved one
    with the chosen name, so that the policy can compare the password with it."""

    username = forms.CharField(
        label=_("Login name"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("You sign in with it from now on. Letters, digits and @ . + - _ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )
    field_order = ["username", "new_password1", "new_password2"]

    def __init__(self, user, *args, new_login: bool, **kwargs):
        super().__init__(user, *args, **kwargs)
        if not new_login:
            del self.fields["username"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(login_taken(username), code="login_taken")
        self.user.username = username
        return username
