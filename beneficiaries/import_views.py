"""The roster import pages: upload, progress while the rows are checked, preview, confirm or discard.

An import belongs to the secretary who uploaded it: anyone else gets 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from volunteer_portal.web import download, paginate, secretary_required

from . import imports
from .forms import RosterUploadForm
from .models import RosterImport, RosterImportRow


def _own_import(request: HttpRequest, pk: int) -> RosterImport:
    return get_object_or_404(RosterImport, pk=pk, created_by_id=request.user.pk)


@secretary_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch, ignored = imports.import_stage(actor=request.user, upload=form.cleaned_data["file"])
        except imports.ImportFileError as error:
            form.add_error("file", str(error))
        else:
            if ignored:
                messages.warning(
                    request, _("These columns are not in the template and were ignored: %(names)s.")
                    % {"names": "、".join(ignored)}
                )  # fmt: skip
            return redirect(batch)
    recent = RosterImport.objects.filter(created_by_id=request.user.pk)[:10]
    return render(request, "beneficiaries/import_start.html", {"form": form, "recent": recent})


@secretary_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    return download(imports.template_workbook(request.user), "roster-template.xlsx")


@secretary_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _own_import(request, pk)
    context: dict = {"batch": batch, "columns": imports.headers()}
    if batch.status == RosterImport.Status.CHECKED:
        counts = imports.import_counts(batch)
        show = request.GET.get("show", "problems" if counts[RosterImportRow.Action.INVALID] else "changes")
        rows = batch.rows.order_by("number")
        if show == "problems":
            rows = rows.filter(action=RosterImportRow.Action.INVALID)
        else:
            show = "changes"
            rows = rows.filter(action__in=[RosterImportRow.Action.CREATE, RosterImportRow.Action.UPDATE])
        context.update(
            counts=counts,
            show=show,
            page=paginate(request, rows, per_page=50),
            consent_ignored=imports.consent_ignored(batch),
        )
    return render(request, "beneficiaries/import_detail.html", context)


@secretary_required
@require_POST
def import_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Check the next chunk. The page's script calls this until done (JSON); without scripts, a button does."""
    batch = imports.import_check_next(actor=request.user, batch=_own_import(request, pk))
    if request.headers.get("Accept", "").startswith("application/json"):
        done = batch.status != batch.Status.CHECKING
        return JsonResponse({"checked": batch.checked, "total": batch.total, "done": done})
    return redirect(batch)


@secretary_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _own_import(request, pk)
    try:
        batch = imports.import_commit(actor=request.user, batch=batch)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(batch)  # the page says what was written


@secretary_required
@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _own_import(request, pk)
    if not batch.finished:
        imports.import_discard(actor=request.user, batch=batch)
        messages.success(request, _("The import was discarded: nothing was written."))
    return redirect("beneficiaries:import-start")
