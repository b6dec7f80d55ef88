"""Word downloads of reports and summaries, in the shared layout of `volunteer_portal.documents`.

A Word report is laid out like a 情况汇报: a title, the unit and date, numbered sections (一、二、三、四) with the
figures written into sentences, the typical activities, and, in a summary, a table of figures per branch.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from volunteer_portal.dashboards.periods import period_label
from volunteer_portal.documents import document, heading, save, section, table

from .models import BranchReport
from .selectors import ADDITIVE, FIGURE_LABELS, Summary, figure_rows, kinds_sentence
from .selectors import SummaryState as State


def report_title(report: BranchReport) -> str:
    return _("%(branch)s: Lei Feng volunteer work for disabled people, %(period)s") % {
        "branch": report.branch.name,
        "period": report.period_label,
    }


def report_docx(report: BranchReport, values: dict, typical: list) -> bytes:
    day = timezone.localdate(report.submitted_at) if report.submitted_at else timezone.localdate()
    doc = document(report_title(report), report.branch.name, day)
    sections = [
        (_("The situation"), report.basic_situation),
        (_("What was done and what it achieved"), report.practices),
        (pgettext("report section", "Problems"), report.problems),
        (_("Next steps"), report.next_steps),
    ]
    for number, (title, text) in enumerate(sections, start=1):
        section(doc, number, title, text)
        if number == 2 and typical:
            doc.add_paragraph(_("Typical cases:"))
            for activity in typical:
                doc.add_paragraph(f"{activity.date:%Y-%m-%d} {activity.title}（{activity.type}）", style="List Bullet")
    heading(doc, 1, 5, _("Main figures"))
    heading(doc, 2, 1, _("Overall figures"))
    table(
        doc,
        [_("Figure"), _("Value")],
        [[label, value] for _name, label, value in figure_rows(values["total"])],
    )
    if values.get("by_type"):
        heading(doc, 2, 2, _("Activities by type"))
        table(
            doc,
            [_("Type of activity"), _("Activities"), _("Volunteer hours")],
            [[row["type"], row["count"], row["hours"]] for row in values["by_type"]],
        )
    if not report.figures:
        doc.add_paragraph(_("Draft: the figures are today's and are frozen when the report is submitted."))
    return save(doc)


def summary_title(summary: Summary) -> str:
    return _("%(node)s: summary of the branch reports, %(period)s") % {
        "node": summary.node.name,
        "period": period_label(summary.frequency, summary.start),
    }


def summary_docx(summary: Summary) -> bytes:
    doc = document(summary_title(summary), summary.node.name, timezone.localdate())
    counts = summary.counts
    required = sum(counts.values())
    totals = summary.totals
    text = _(
        "Of %(required)d branches that report for this period, %(approved)d reports are approved, %(submitted)d "
        "await review, %(returned)d were returned and %(missing)d are not submitted. The submitted reports record "
        "%(activities)s activities, %(participations)s participations and %(hours)s volunteer hours, %(visits)s "
        "visits and assistance worth %(assistance)s yuan."
    ) % {
        "required": required, "approved": counts[State.APPROVED], "submitted": counts[State.SUBMITTED],
        "returned": counts[State.RETURNED], "missing": counts[State.MISSING] + counts[State.DRAFT],
        "activities": totals["activities"], "participations": totals["participations"], "hours": totals["hours"],
        "visits": totals["visits"], "assistance": totals["assistance_total"],
    }  # fmt: skip
    text = f"{text}{kinds_sentence(totals)}"
    section(doc, 1, _("The situation"), text)
    heading(doc, 1, 2, _("Figures per branch"))
    table(
        doc,
        [_("Branch"), _("Reports in"), *[str(FIGURE_LABELS[name]) for name in ADDITIVE]],
        [[child.name, f"{done} / {owed}", *[figures[name] for name in ADDITIVE]]
         for child, figures, done, owed in summary.children],
    )  # fmt: skip
    heading(doc, 1, 3, _("Report status"))
    table(
        doc,
        [_("Branch"), _("Status"), _("Changed after submission")],
        [[row.branch.name, row.label, row.drift_text]
         for row in summary.rows],
    )  # fmt: skip
    return save(doc)
