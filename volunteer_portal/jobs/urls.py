from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.export_list, name="export-list"),
    path("<int:pk>/", views.export_detail, name="export-detail"),
    path("<int:pk>/status.json", views.export_status, name="export-status"),
    path("<int:pk>/download", views.export_download, name="export-download"),
]
