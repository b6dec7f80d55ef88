from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from beneficiaries.models import AssistanceItem
from volunteer_portal.branches.models import Branch, Member, in_subtree, on_roll_q
from volunteer_portal.documents import workbook
from volunteer_portal.jobs.exports import Export, ExportFile
from volunteer_portal.jobs.services import export_respond
from volunteer_portal.web import paginate

from .assistance import by_kind, unvalued_total
from .campaigns import campaign_progress
from .figures import Figures, Rollup, pending, rollup, took_part
from .forms import Period, PeriodForm
from .selectors import dashboard_node, dashboard_root_id

TODO_ROWS = 5

# The children table: (sort key, heading, value of a Figures). The Excel export uses the same columns.
COLUMNS = [
    ("activities", gettext_lazy("Activities"), lambda f: f.activities),
    ("participants", gettext_lazy("Participants"), lambda f: f.participants),
    ("hours", gettext_lazy("Volunteer hours"), lambda f: f.hours),
    ("rate", gettext_lazy("Participation rate"), lambda f: f.participation_rate),
    ("visits", gettext_lazy("Visits"), lambda f: f.visits),
    ("households", gettext_lazy("Households reached"), lambda f: f.households),
    ("assistance", gettext_lazy("Assistance (yuan)"), lambda f: f.assistance_total),
    ("months", gettext_lazy("Months active"), lambda f: f.months_active),
    ("march", gettext_lazy("March share"), lambda f: f.march_share),
    ("overdue", gettext_lazy("Overdue pairings"), lambda f: f.overdue_pairings),
    ("never", gettext_lazy("Never visited"), lambda f: f.never_visited),
]
PERCENT_COLUMNS = {"rate", "march"}


def _kind_columns(kind: str, label) -> list:
    """The Excel download's columns for one kind of assistance: items handed over, their value, and how many
    had no value given."""
    return [
        (f"{kind}_items", format_lazy(gettext_lazy("{kind}: items"), kind=label),
         lambda f: f.assistance_items[kind]),
        (f"{kind}_value", format_lazy(gettext_lazy("{kind}: value (yuan)"), kind=label),
         lambda f: f.assistance[kind]),
        (f"{kind}_unvalued", format_lazy(gettext_lazy("{kind}: items with no value given"), kind=label),
         lambda f: f.assistance_unvalued[kind]),
    ]  # fmt: skip


EXPORT_COLUMNS = [
    *COLUMNS,
    *(column for kind, label in AssistanceItem.Kind.choices for column in _kind_columns(kind, label)),
]


def _period(request: HttpRequest) -> tuple[PeriodForm, Period]:
    form = PeriodForm(request.GET or None)
    return form, form.chosen_period()


def _sorted_children(result: Rollup, sort: str) -> list[tuple[Branch, Figures]]:
    rows = list(result.children)
    key, _, direction = sort.partition(":")
    getters = {name: getter for name, _label, getter in COLUMNS}
    if key in getters:
        getter = getters[key]
        # Branches without a value (a rate with no members, say) go last in either direction.
        valued = [row for row in rows if getter(row[1]) is not None]
        empty = [row for row in rows if getter(row[1]) is None]
        valued.sort(key=lambda row: getter(row[1]), reverse=direction != "asc")
        rows = valued + sorted(empty, key=lambda row: row[0].path)
    else:
        rows.sort(key=lambda row: row[0].path)
    return rows


@login_required
@require_GET
def dashboard(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        pk = dashboard_root_id(request.user)
        if pk is None:
            return render(request, "dashboards/no_scope.html")
    node, ancestors, subtree = dashboard_node(request.user, pk)
    form, period = _period(request)
    result = rollup(node, period.start, period.end, branches=subtree)
    sort = request.GET.get("sort", "")
    # A target with nobody to count shows why (at its organiser or above), never just disappears.
    progress = [p for p in campaign_progress(node, period.start, period.end) if p.total or p.reason]
    figures = result.figures
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "node": node,
            "ancestors": ancestors,
            "form": form,
            "period": period,
            # Overdue pairings and never-visited households are as of the period's end (today for the current one).
            "as_of": min(period.end, timezone.localdate()),
            "as_of_today": period.end >= timezone.localdate(),
            "result": result,
            "figures": figures,
            "pending": pending(node, period.start, period.end),
            "columns": [(key, label) for key, label, _getter in COLUMNS],
            "percent_columns": PERCENT_COLUMNS,
            "rows": [
                (child, child_figures, [getter(child_figures) for _key, _label, getter in COLUMNS])
                for child, child_figures in _sorted_children(result, sort)
            ],
            "sort": sort,
            "assistance": by_kind(figures),
            "unvalued": unvalued_total(figures),
            "chart": {
                "labels": [f"{month:%Y-%m}" for month, _a, _v in result.monthly],
                "activities": [a for _m, a, _v in result.monthly],
                "visits": [v for _m, _a, v in result.monthly],
                "march": [month.month == 3 for month, _a, _v in result.monthly],
                "activitiesLabel": _("Activities"),
                "visitsLabel": _("Visits"),
            },
            "progress": progress,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def non_participants(request: HttpRequest, pk: int) -> HttpResponse:
    """Members on the roll at the end of the period who took part in no activity in it."""
    node, ancestors, _subtree = dashboard_node(request.user, pk)
    _form, period = _period(request)
    members = (
        Member.objects.filter(on_roll_q(period.end), in_subtree(node, via="branch"))
        .exclude(took_part(period.start, period.end))
        .select_related("branch")
        .order_by("branch__path", "name")
    )
    return render(
        request,
        "dashboards/non_participants.html",
        {"node": node, "ancestors": ancestors, "period": period, "page": paginate(request, members, per_page=50)},
    )


@login_required
@require_GET
def dashboard_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The children table as shown, as Excel (DashboardExport): at once when small, else built in the background."""
    return export_respond(request, DashboardExport, pk=pk)


class DashboardExport(Export):
    """The children table as shown, as an Excel workbook, with the node, period and sort in a header."""

    title = gettext_lazy("Dashboard figures by branch (Excel)")

    def __init__(self, request: HttpRequest, *, pk: int) -> None:
        super().__init__(request, pk=pk)
        self.node, _ancestors, self.subtree = dashboard_node(request.user, pk)

    def rows(self) -> int:
        # One row per sub-branch and the total.
        return sum(1 for branch in self.subtree if branch.parent_id == self.node.pk) + 1

    def build(self, progress: Callable[[int], None]) -> ExportFile:
        request, node, subtree = self.request, self.node, self.subtree
        _form, period = _period(request)
        result = rollup(node, period.start, period.end, branches=subtree)
        sort = request.GET.get("sort", "")
        sort_key, _sep, direction = sort.partition(":")
        sort_label = next((str(label) for key, label, _g in COLUMNS if sort_key == key), None)
        if sort_label is None:
            sort_label = _("tree order")
        else:
            sort_label += _(" (smallest first)") if direction == "asc" else _(" (largest first)")
        rows = []
        for child, child_figures in [*_sorted_children(result, sort), (node, result.figures)]:
            name = child.name if child is not node else _("Total: %(name)s") % {"name": node.name}
            rows.append([name, *[getter(child_figures) for _key, _label, getter in EXPORT_COLUMNS]])
        content = workbook(
            _("Lei Feng volunteer work: figures by branch"),
            [_("Branch"), *[label for _key, label, _g in EXPORT_COLUMNS]],
            rows,
            lines=[
                (_("Branch"), node.name),
                (_("Period"), f"{period.label} ({period.start:%Y-%m-%d} – {period.end:%Y-%m-%d})"),
                (_("Sorted by"), sort_label),
                (_("Generated"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
            ],
            sheet_title=_("Branches"),
            percent_columns={index for index, (key, _l, _g) in enumerate(COLUMNS, start=1) if key in PERCENT_COLUMNS},
        )
        filename = f"dashboard-{node.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
        return ExportFile(content=content, filename=filename, rows=len(rows))
