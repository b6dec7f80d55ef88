from django import forms

from .models import ReminderPreference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = ReminderPreference
        fields = ["portal", "email"]
