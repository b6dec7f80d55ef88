"""Forms of the members' side. The rules a record must keep (paired, not before the pairing, something done) are
the services'; the forms parse what was typed."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from volunteer_portal.forms import DateInput, MultipleImageField
from volunteer_portal.validators import validate_not_future


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
