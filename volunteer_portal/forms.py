"""Form pieces shared by the apps' forms."""

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from jinja2 import TemplateNotFound


class PortalBoundField(BoundField):
    """A required field says so with `aria-required="true"` instead of the `required` attribute (WCAG 1.3.1,
    3.3.2). Our forms are `novalidate` (the server checks and says what is wrong, in Chinese), so `required` did
    nothing but harm: Chromium announces an empty required select or date field as "invalid" before any submit,
    and does not expose it as required at all. A select whose first option is a real value (困难类别: "none")
    is required too, though the browser would not mark it: the asterisk and the announcement now agree.
    Radio buttons and checkbox lists keep Django's behaviour (the group, not each box, would be required)."""

    def build_widget_attrs(self, attrs, widget=None):
        widget = widget or self.field.widget
        attrs = super().build_widget_attrs(attrs, widget)
        if widget.is_hidden or isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple is one too
            return attrs
        if isinstance(widget, forms.SplitDateTimeWidget):
            # The admin's date and time boxes share one <label>, which points at neither (a MultiWidget has no
            # single id): each box gets its own name (WCAG 1.3.1, 4.1.2).
            date, time = widget.widgets
            date.attrs.setdefault("aria-label", _("%(field)s: date") % {"field": self.label})
            time.attrs.setdefault("aria-label", _("%(field)s: time") % {"field": self.label})
        marked = widget.use_required_attribute(self.initial) or isinstance(widget, forms.Select)
        if self.field.required and self.form.use_required_attribute and marked:
            attrs.pop("required", None)
            attrs["aria-required"] = "true"
        return attrs


class PortalFormRenderer(DjangoTemplates):
    """Django's renderer with `PortalBoundField` for every form, the admin's included (settings.FORM_RENDERER).

    Django's own widget and form templates (`django/forms/...`) render through the Jinja2 copies Django ships
    beside the Django-language ones, which write the same markup: a select renders each option through two
    includes, and Jinja2 runs them at a fraction of the cost (the visit form 21 → 16 ms of CPU, README "Load
    test"). Every other template (the admin's widgets, crispy-forms', the project's) stays in the Django language,
    and so does a Django template that includes one of those (a widget of admin widgets, an option template of
    one's own): it is rendered again in the Django language. One difference: Jinja2 does not localize a choice
    label that is not text (a date, a number), so the portal's choice labels are text."""

    bound_field_class = PortalBoundField

    @cached_property
    def _jinja2(self):
        return Jinja2().engine

    def render(self, template_name, context, request=None):
        if template_name.startswith("django/forms/"):
            try:
                return self._jinja2.get_template(template_name).render(context, request=request).strip()
            except (TemplateDoesNotExist, TemplateNotFound):
                pass
        return super().render(template_name, context, request=request)


class DateInput(forms.DateInput):
    """The browser's own date picker (works with the keyboard and on phones)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input (Django's documented pattern); each is checked by the service."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleImageField, self).clean(item, initial) for item in files]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
