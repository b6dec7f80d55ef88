from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="report-list"),
    path("new/", views.report_start, name="report-start"),
    path("<int:pk>/", views.report_detail, name="report-detail"),
    path("<int:pk>/edit/", views.report_edit, name="report-edit"),
    path("<int:pk>/submit/", views.report_submit, name="report-submit"),
    path("<int:pk>/review/", views.report_review, name="report-review"),
    path("<int:pk>/report.docx", views.report_download, {"kind": "docx"}, name="report-docx"),
    path("<int:pk>/report.xlsx", views.report_download, {"kind": "xlsx"}, name="report-xlsx"),
    path("summary/", views.summary, name="summary"),
    path("summary/<int:pk>/", views.summary, name="summary-node"),
    path("summary/<int:pk>/summary.docx", views.summary_download, {"kind": "docx"}, name="summary-docx"),
    path("summary/<int:pk>/summary.xlsx", views.summary_download, {"kind": "xlsx"}, name="summary-xlsx"),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/<int:pk>/", views.evaluation, name="evaluation-node"),
    path("evaluation/<int:pk>/evaluation.xlsx", views.evaluation_download, name="evaluation-xlsx"),
]
