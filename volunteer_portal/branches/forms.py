from django import forms
from django.utils.translation import gettext_lazy as _

from volunteer_portal.forms import DateInput

from .models import Member, RoleGrant
from .selectors import branch_list, own_branch_id
from .services import MEMBER_FIELDS


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = MEMBER_FIELDS
        widgets = {
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "joined_on": DateInput(),
            "left_on": DateInput(),
        }
        help_texts = {
            "joined_on": _(
                "The day the person joined the branch (for history entered later, the year they were already "
                "there). Past periods count a member only from this day."
            ),
            "left_on": _("Leave empty while the person is on the roll. From this day they no longer count."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        branches = branch_list(user=user, role=RoleGrant.Role.SECRETARY)
        self.fields["branch"].queryset = branches
        # A member with no join date would count in no past period: the form asks for one (DESIGN.md, "the roll").
        self.fields["joined_on"].required = True
        self.fields["joined_on"].error_messages["required"] = _(
            "Enter the day the person joined: past periods count them only from then."
        )
        if not self.instance.pk:
            self.fields["branch"].initial = own_branch_id(user)
