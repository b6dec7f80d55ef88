"""`|as_field` (volunteer_portal/templatetags.py) writes a field in Python with the markup crispy-forms'
`|as_crispy_field` gives it: the same elements, attributes, ids and text, so the required marks, error
announcements and help texts that the accessibility tests check stay as they were. Each field of the forms the
pages render with it is compared, unbound and after a failed submit, with crispy-forms' own rendering of it."""

import lxml.etree
import lxml.html
import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.test import RequestFactory

from activities.filters import ActivityFilter
from activities.forms import ActivityForm, NewParticipantForm
from beneficiaries.filters import BeneficiaryFilter
from beneficiaries.forms import AssistanceItemForm, VisitForm
from volunteer_portal.dashboards.forms import PeriodForm
from volunteer_portal.templatetags import as_field

pytestmark = pytest.mark.django_db


def canonical(html: str) -> str:
    """The markup with the whitespace between and around elements dropped (templates indent, Python does not)."""
    tree = lxml.html.fragment_fromstring(html, create_parent="root")
    for element in tree.iter():
        element.text = (element.text or "").strip() or None
        element.tail = (element.tail or "").strip() or None
    return lxml.etree.tostring(tree, encoding="unicode")


def forms_to_compare(tree, records):
    """(name, a function making a fresh form): crispy-forms sets classes on the widgets it renders, so each
    rendering gets a form of its own."""
    user, beneficiary = tree.secretary_a, records["beneficiary"]
    request = RequestFactory().get("/")
    request.user = user

    def bound(form):
        form.is_valid()
        return form

    bad_activity = {"title": "", "date": "not a day", "default_hours": "99", "starts_at": "25:00", "type": "x"}
    bad_visit = {"date": "", "branch": "0", "notes": "", "visitors": ["0"]}
    return [
        ("activity", lambda: ActivityForm(user=user)),
        ("activity, failed", lambda: bound(ActivityForm(bad_activity, user=user))),
        ("activity, edit", lambda: ActivityForm(user=user, instance=records["activity"])),
        ("newcomer, failed", lambda: bound(NewParticipantForm({"name": "", "joined_on": "x"}))),
        ("visit", lambda: VisitForm(user=user, beneficiary=beneficiary)),
        ("visit, failed", lambda: bound(VisitForm(bad_visit, user=user, beneficiary=beneficiary))),
        ("item, failed", lambda: bound(AssistanceItemForm({"kind": "?", "quantity": "-1"}))),
        ("period, failed", lambda: bound(PeriodForm({"period": "custom", "year": "1900", "start": "x"}))),
        ("activity filter", lambda: bound(ActivityFilter({"q": "a", "date_from": "x"}, request=request).form)),
        ("beneficiary filter", lambda: bound(BeneficiaryFilter({"q": "李"}, request=request).form)),
        ("sign-in, failed", lambda: bound(AuthenticationForm(request, {"username": "", "password": ""}))),
    ]


def test_as_field_writes_what_crispy_forms_writes(tree, records):
    compared = []
    for name, make in forms_to_compare(tree, records):
        for field in make().fields:
            expected = canonical(str(as_crispy_field(make()[field])))
            assert canonical(str(as_field(make()[field]))) == expected, (name, field)
            compared.append((name, field))
    # the comparison covers every kind of control the filter writes itself, with and without errors
    assert len(compared) > 60


def test_as_field_writes_errors_help_and_required_marks(tree, records):
    form = ActivityForm({"title": "", "date": "not a day"}, user=tree.secretary_a)
    form.is_valid()
    html = str(as_field(form["title"]))
    assert 'class="form-label requiredField"' in html and '<span class="asteriskField">*</span>' in html
    assert 'class="invalid-feedback"' in html and 'aria-invalid="true"' in html
    assert "is-invalid" in html and form["title"].errors[0] in html
    hours = str(as_field(form["default_hours"]))
    assert 'id="id_default_hours_helptext" class="form-text"' in hours and "numberinput form-control" in hours
    visit = VisitForm(user=tree.secretary_a, beneficiary=records["beneficiary"])
    box = str(as_field(visit["follow_up_needed"]))
    assert box.startswith('<div class="mb-3"><div id="div_id_follow_up_needed" class="form-check">')
    assert box.index("<input") < box.index("<label") and "checkboxinput form-check-input" in box


def test_other_widgets_are_left_to_crispy_forms(tree, records):
    """A list of boxes (the visitors) has a fieldset and legend that crispy-forms' template writes."""
    visit = VisitForm(user=tree.secretary_a, beneficiary=records["beneficiary"])
    assert str(as_field(visit["visitors"])) == str(as_crispy_field(visit["visitors"]))
    assert "<fieldset" in str(as_field(visit["visitors"]))


def test_django_s_widgets_render_through_jinja2_and_the_rest_through_django_templates(monkeypatch):
    """The form renderer renders Django's widget templates through their Jinja2 copies (volunteer_portal/forms.py)
    and anything else, such as the admin's widgets, in the Django template language."""
    from django.contrib.admin.widgets import AdminDateWidget, AdminTimeWidget
    from django.forms.renderers import DjangoTemplates, get_default_renderer

    renderer = get_default_renderer()
    widgets = forms.MultiWidget(widgets=[AdminDateWidget(), AdminTimeWidget()])  # Django's template, the admin's parts
    in_django_templates = widgets.render("when", ["2026-03-05", "09:30"], renderer=DjangoTemplates())
    assert widgets.render("when", ["2026-03-05", "09:30"], renderer=renderer) == in_django_templates
    assert 'class="vDateField"' in in_django_templates

    def refused(*args, **kwargs):
        raise AssertionError("a Django widget template went to the Django template language")

    monkeypatch.setattr(DjangoTemplates, "get_template", refused)
    select = forms.Select(choices=[("1", "甲 & 乙"), ("2", "<丙>")]).render("kind", "2", renderer=renderer)
    assert '<option value="2" selected>&lt;丙&gt;</option>' in select and "甲 &amp; 乙" in select


def test_hidden_fields_and_bare_checkboxes_are_written_as_crispy_forms_writes_them():
    class Odd(forms.Form):
        kept = forms.CharField(widget=forms.HiddenInput, initial="h", show_hidden_initial=True)
        unnamed = forms.BooleanField(label="", required=False)

    for form in (Odd(), Odd(auto_id=False)):
        for name in form.fields:
            assert canonical(str(as_field(form[name]))) == canonical(
                str(as_crispy_field(Odd(auto_id=form.auto_id)[name]))
            )
    assert 'name="initial-kept"' in str(as_field(Odd()["kept"]))
