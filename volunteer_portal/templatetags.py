"""Template helpers used across the apps' pages."""

import math

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from volunteer_portal.branches.selectors import display_name as _display_name

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for pagination and sort links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    if "sort" in changes:
        params.pop("page", None)
    return urlencode(sorted(params.lists()), doseq=True)


@register.filter
def percent(value, up: bool = False) -> str:
    """A share as a percentage with one decimal: 0.8333 → "83.3%"; no value (nothing to divide by) → "—".

    The one way the portal writes a rate. It is cut towards the side a threshold judges it on, never rounded
    across it: a rate that must reach 90% is rounded down (89.66% reads "89.6%", not "90%" beside a fail), a
    share that must stay under 10% is rounded up (`up=True`)."""
    if value is None or value == "":
        return "—"
    tenths = float(value) * 1000
    tenths = math.ceil(tenths - 1e-9) if up else math.floor(tenths + 1e-9)
    return f"{tenths / 10:.1f}%"


@register.filter
def index(sequence, position: int):
    return sequence[position]


@register.filter
def minutes(value) -> int:
    """A timedelta as whole minutes (for the sign-in lockout page)."""
    return int(value.total_seconds() // 60) if value else 0


@register.filter
def display_name(user) -> str:
    """A person's name as pages show it (`branches.selectors.display_name`), never a bare login name if avoidable."""
    return _display_name(user)


# Widgets whose crispy-forms markup `as_field` writes itself; any other (a choice of boxes or buttons, a file, a
# widget of several boxes) is left to crispy-forms' own template.
_WRITTEN = (forms.widgets.Input, forms.Select, forms.Textarea, forms.CheckboxInput)
_HANDED_ON = (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.FileInput, forms.MultiWidget, forms.SelectMultiple)


@register.filter
def as_field(bound: BoundField) -> SafeString:
    """A form field in Bootstrap 5's markup: the markup of crispy-forms' `|as_crispy_field`, the same classes, ids
    and order, written in Python for the inputs, selects, text areas and single checkboxes most forms are made of.

    Why: crispy-forms renders each field through a template of some thirty conditions and three includes, which
    took a third of a form page's CPU time (the activity form's 14 fields: 10 of its 30 ms, measured with
    cProfile); `make loadtest` is bound by that time. Other widgets go to crispy-forms unchanged."""
    widget = bound.field.widget
    if bound.is_hidden:
        return mark_safe(str(bound))  # noqa: S308 (BoundField's own output: the widget and any initial copy)
    if not isinstance(widget, _WRITTEN) or isinstance(widget, _HANDED_ON) or bound.use_fieldset:
        return as_crispy_field(bound)
    checkbox = isinstance(widget, forms.CheckboxInput)
    base = "form-check-input" if checkbox else "form-select" if isinstance(widget, forms.Select) else "form-control"
    kind = type(widget).__name__.lower()
    own = widget.attrs.get("class", "")
    classes = [own] if own else []
    if kind not in own:
        classes.append(kind)
    classes += [name for name in (base, "is-invalid" if bound.errors else "") if name and name not in own.split()]
    control = bound.as_widget(attrs={"class": " ".join(classes)})
    if bound.field.show_hidden_initial:
        control += bound.as_hidden(only_initial=True)
    required = bound.field.required
    asterisk = mark_safe('<span class="asteriskField">*</span>') if required else ""
    label: str = ""
    if checkbox:  # crispy-forms writes a checkbox's label, and its `for`, even when empty
        label_class = "form-check-label" + (" requiredField" if required else "")
        label = format_html(
            '<label for="{}" class="{}">{}{}</label>', bound.id_for_label, label_class, bound.label, asterisk
        )
    elif bound.label:
        label_class = "form-label" + (" requiredField" if required else "")
        label_for = format_html(' for="{}"', bound.id_for_label) if bound.id_for_label else ""
        label = format_html('<label{} class="{}">{}{}</label>', label_for, label_class, bound.label, asterisk)
    errors: str = ""
    if bound.errors:
        errors = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            bound.errors.field_id,  # type: ignore[attr-defined]  # Django 5.2's ErrorList; the stubs lag
            format_html_join(
                "", '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((number, bound.auto_id, error) for number, error in enumerate(bound.errors, 1)),
            ),
        )  # fmt: skip
    help_text: str = ""
    if bound.help_text:
        help_id = format_html(' id="{}_helptext"', bound.auto_id) if bound.auto_id else ""
        help_text = format_html('<div{} class="form-text">{}</div>', help_id, mark_safe(bound.help_text))  # noqa: S308
    wrapper = "form-check" if checkbox else "mb-3"
    extra = bound.css_classes()
    inner = (control, label) if checkbox else (label, control)
    html = format_html(
        '<div id="div_{}" class="{}{}">{}{}{}{}</div>', bound.auto_id, wrapper, f" {extra}" if extra else "",
        *inner, errors, help_text,
    )  # fmt: skip
    return format_html('<div class="mb-3">{}</div>', html) if checkbox else html
