"""Pages of branch reports, organisation summaries, the year-end evaluation and members' service records.

Reports are read through the user's scope (404 outside it). Secretaries draft, edit and submit; leaders whose
scope covers the branch approve or return; the services refuse anything else.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.models import Activity
from activities.selectors import activity_list
from beneficiaries.selectors import beneficiary_list, never_visited_q, open_follow_ups, pairing_list
from volunteer_portal.branches.models import RoleGrant, in_subtree
from volunteer_portal.branches.selectors import branch_list, get_in_scope, has_write_scope, with_display_names
from volunteer_portal.dashboards.periods import period_label
from volunteer_portal.dashboards.selectors import dashboard_node, dashboard_root_id
from volunteer_portal.documents import workbook
from volunteer_portal.selfservice.selectors import claim_queue, is_member_login
from volunteer_portal.web import apply_service, download, history_rows, paginate, secretary_required

from . import documents, selectors, services
from .evaluation import CRITERIA, evaluate
from .forms import EvaluationForm, ReportForm, ReportPeriodForm, ReportStartForm, ReviewForm, YearForm
from .models import BranchReport, EvaluationCriteria

Role = RoleGrant.Role


def _report(request: HttpRequest, pk: int) -> BranchReport:
    return get_in_scope(BranchReport.objects.select_related("branch"), request.user, pk)


# --- reports -------------------------------------------------------------------------------------------------


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    reports_in_scope = selectors.report_list(request.user)
    status = request.GET.get("status", "")
    if status in BranchReport.Status.values:
        reports_in_scope = reports_in_scope.filter(status=status)
    writable = branch_list(user=request.user, role=Role.SECRETARY)
    can_write = has_write_scope(request.user)
    return render(
        request,
        "reports/report_list.html",
        {
            "page": paginate(request, reports_in_scope),
            "status": status,
            "statuses": BranchReport.Status.choices,
            "due": selectors.due_reports(request.user) if can_write else [],
            "start_form": ReportStartForm(branches=writable) if can_write else None,
            "can_write": can_write,
            "summary_root": dashboard_root_id(request.user),
        },
    )


@secretary_required
@require_POST
def report_start(request: HttpRequest) -> HttpResponse:
    form = ReportStartForm(request.POST, branches=branch_list(user=request.user, role=Role.SECRETARY))
    if form.is_valid():
        frequency, start = form.chosen()
        try:
            report = services.report_create(
                actor=request.user, branch=form.cleaned_data["branch"], frequency=frequency, start=start
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("reports:report-list")
        return redirect("reports:report-edit", pk=report.pk) if report.editable else redirect(report)
    messages.error(request, _("Choose the branch and the period of the report."))
    return redirect("reports:report-list")


def _activities(report: BranchReport):
    return (
        Activity.objects.live()
        .filter(in_subtree(report.branch, via="branch"), date__gte=report.period_start,
                date__lte=report.period_end)
        .select_related("type", "type__parent")
        .order_by("-date", "-pk")
    )  # fmt: skip


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    live = selectors.live_figures(report.branch, report.period_start, report.period_end)
    values = report.figures or live
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "figures": selectors.figure_rows(values["total"]),
            "by_type": values["by_type"],
            "drift": selectors.drift(report, live["total"]),
            "typical": _activities(report).filter(pk__in=report.typical_activities.all()),
            "events": with_display_names(report.events.all(), "actor"),
            "can_edit": selectors.may_edit(request.user, report),
            "can_review": selectors.may_review(request.user, report),
            "review_form": ReviewForm(),
            "ended": report.period_end < timezone.localdate(),
            "history": history_rows(report),
        },
    )


@secretary_required
@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if not selectors.may_edit(request.user, report):
        if report.editable:
            raise PermissionDenied
        messages.error(request, _("A submitted or approved report can no longer be changed."))
        return redirect(report)
    form = ReportForm(request.POST or None, instance=report, activities=_activities(report))
    if request.method == "POST" and form.is_valid():
        sections = {name: form.cleaned_data[name] for name in services.NARRATIVE}
        saved = apply_service(
            request,
            form,
            lambda: services.report_update(
                actor=request.user,
                report=report,
                typical=form.cleaned_data["typical_activities"],
                version=form.cleaned_data.get("version"),
                **sections,
            ),
        )
        if saved is not None:
            if "submit" in request.POST:
                return report_submit(request, pk)
            messages.success(request, _("The report was saved as a draft."))
            return redirect(report)
    live = selectors.live_figures(report.branch, report.period_start, report.period_end)
    return render(
        request,
        "reports/report_form.html",
        {"form": form, "report": report, "figures": selectors.figure_rows(live["total"]), "by_type": live["by_type"]},
    )


@secretary_required
@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    try:
        services.report_submit(actor=request.user, report=report)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The report was submitted; its figures are now frozen."))
    return redirect(report)


@login_required
@require_POST
def report_review(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if not selectors.may_review(request.user, report):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    form.is_valid()
    decision = request.POST.get("decision")
    if decision not in ("approve", "return"):
        messages.error(request, _("Choose to approve the report or to return it."))
        return redirect(report)
    approve = decision == "approve"
    try:
        services.report_review(
            actor=request.user, report=report, approve=approve, comment=form.cleaned_data.get("comment", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The report was approved.") if approve else _("The report was returned."))
    return redirect(report)


@login_required
@require_GET
def report_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    report = _report(request, pk)
    values = report.figures or selectors.live_figures(report.branch, report.period_start, report.period_end)
    name = f"report-{report.branch.code}-{report.period_start:%Y%m}"
    if kind == "docx":
        typical = list(_activities(report).filter(pk__in=report.typical_activities.all()))
        return download(documents.report_docx(report, values, typical), f"{name}.docx")
    rows = [[label, value] for _name, label, value in selectors.figure_rows(values["total"])]
    rows += [[]] + [[row["type"], row["count"], row["hours"]] for row in values["by_type"]]
    content = workbook(documents.report_title(report), [_("Figure"), _("Value")], rows,
                                 lines=[(_("Status"), report.get_status_display())])  # fmt: skip
    return download(content, f"{name}.xlsx")


# --- the organisation summary --------------------------------------------------------------------------------


def _node(request: HttpRequest, pk: int | None):
    pk = pk or dashboard_root_id(request.user)
    if pk is None:
        raise PermissionDenied
    node, ancestors, _subtree = dashboard_node(request.user, pk)
    return node, ancestors


@login_required
@require_GET
def summary(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    node, ancestors = _node(request, pk)
    form = ReportPeriodForm(request.GET or None)
    frequency, start = form.chosen()
    result = selectors.organisation_summary(node, frequency, start)
    query = request.GET.copy()
    query.pop("page", None)  # links to other branches and the downloads start from the first page
    return render(
        request,
        "reports/summary.html",
        {
            "node": node,
            "ancestors": ancestors,
            "form": form,
            "summary": result,
            "label": period_label(frequency, start),
            "counts": [(state.label, count) for state, count in result.counts.items()],
            "additive": [(name, selectors.FIGURE_LABELS[name]) for name in selectors.ADDITIVE],
            "children": [
                (child, [figures[name] for name in selectors.ADDITIVE], done, owed)
                for child, figures, done, owed in result.children
            ],
            "totals": [result.totals[name] for name in selectors.ADDITIVE],
            "drifted": [row for row in result.rows if row.drift],
            # A page of the branches that report: a region has a thousand (issue 13).
            "page": paginate(request, result.rows, per_page=50),
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def summary_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    node, _ancestors = _node(request, pk)
    frequency, start = ReportPeriodForm(request.GET or None).chosen()
    result = selectors.organisation_summary(node, frequency, start)
    name = f"summary-{node.code}-{start:%Y%m}"
    if kind == "docx":
        return download(documents.summary_docx(result), f"{name}.docx")
    header = [
        _("Branch"),
        _("Status"),
        *[selectors.FIGURE_LABELS[n] for n in selectors.ADDITIVE],
        _("Changed after submission"),
    ]
    rows = []
    for row in result.rows:
        own = row.report.figures["own"] if row.report and row.report.figures else {}
        rows.append([row.branch.name, row.label, *[own.get(n) for n in selectors.ADDITIVE],
                     row.drift_text])  # fmt: skip
    rows.append([_("Total of the submitted reports"), "", *[result.totals[n] for n in selectors.ADDITIVE], ""])
    if "assistance_items" in result.totals:  # then assistance by kind, as the reports' figures show it
        rows += [[]] + [[label, "", text] for _n, label, text in selectors.figure_rows(result.totals)
                        if _n.startswith("assistance:")]  # fmt: skip
    return download(workbook(documents.summary_title(result), header, rows), f"{name}.xlsx")


# --- the year-end evaluation ---------------------------------------------------------------------------------


@login_required
@require_GET
def evaluation(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    node, ancestors = _node(request, pk)
    form = EvaluationForm(request.GET or None)
    year, shown = form.chosen(), form.shown()
    results = evaluate(node, year)
    ineligible = [r for r in results if not r.eligible]
    # The branches that may not be rated excellent first (in tree order), then the others: what a leader acts on.
    listed = {
        form.INELIGIBLE: ineligible,
        form.ELIGIBLE: [r for r in results if r.eligible],
    }.get(shown, ineligible + [r for r in results if r.eligible])
    query = request.GET.copy()
    query.pop("page", None)  # links to other branches and the download start from the first page
    return render(
        request,
        "reports/evaluation.html",
        {
            "node": node,
            "ancestors": ancestors,
            "form": form,
            "year": year,
            "results": results,
            "page": paginate(request, listed),
            "shown": shown,
            "criteria": EvaluationCriteria.current(),
            "labels": [label for _key, label in CRITERIA],
            "ineligible": len(ineligible),
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def evaluation_download(request: HttpRequest, pk: int) -> HttpResponse:
    node, _ancestors = _node(request, pk)
    year = YearForm(request.GET or None).chosen()
    results = evaluate(node, year)
    header: list = [_("Branch")]
    for _key, label in CRITERIA:
        header += [label, _("Threshold")]
    header += [_("May be rated excellent"), _("Reasons")]
    rows = []
    for result in results:
        cells = [result.branch.name]
        for check in result.checks:
            cells += [check.value, check.threshold]
        cells += ["" for _i in range(2 * (len(CRITERIA) - len(result.checks)))]
        cells += [_("yes") if result.eligible else _("no"), "；".join(result.reasons)]
        rows.append(cells)
    title = _("%(node)s: year-end evaluation %(year)d") % {"node": node.name, "year": year}
    return download(workbook(title, header, rows), f"evaluation-{node.code}-{year}.xlsx")


# --- the home page: what needs doing, reports due among it -------------------------------------------------

TODO_ROWS = 5


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """A secretary's desk: what needs doing in their branches, and their latest activities. Leaders, who write
    nothing, land on their dashboard instead."""
    user = request.user
    if not has_write_scope(user) and dashboard_root_id(user) is not None:
        return redirect("dashboards:dashboard")
    if not has_write_scope(user) and is_member_login(user):  # a member's own login: their page
        return redirect("selfservice:me")
    # Annotated names go through Q and F: the type checker only knows model fields.
    overdue = pairing_list(user=user).filter(Q(is_overdue=True)).order_by(F("last_contact").asc(nulls_first=True))
    never_visited = beneficiary_list(user=user).filter(never_visited_q()).order_by("name")
    follow_ups = open_follow_ups(user=user)
    due = selectors.due_reports(user)
    can_write = has_write_scope(user)
    return render(
        request,
        "reports/home.html",
        {
            # Members' own records waiting for this secretary (the queue); one count.
            "pending_claims": claim_queue(user).count() if can_write else 0,
            "overdue": overdue[:TODO_ROWS],
            "overdue_count": overdue.count(),
            "never_visited": never_visited[:TODO_ROWS],
            "never_visited_count": never_visited.count(),
            "follow_ups": follow_ups[:TODO_ROWS],
            "follow_ups_count": follow_ups.count(),
            "latest_activities": activity_list(user=user).order_by("-date", "-pk")[:TODO_ROWS],
            "can_write": can_write,
            "due_reports": due[:TODO_ROWS],
            "due_reports_count": len(due),
        },
    )
