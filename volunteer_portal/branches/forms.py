from django import forms

from .models import Member, RoleGrant
from .selectors import branch_list, own_branch_id
from .services import MEMBER_FIELDS


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = MEMBER_FIELDS
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        branches = branch_list(user=user, role=RoleGrant.Role.SECRETARY)
        self.fields["branch"].queryset = branches
        if not self.instance.pk:
            self.fields["branch"].initial = own_branch_id(user)
