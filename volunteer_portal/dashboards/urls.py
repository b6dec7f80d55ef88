from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<int:pk>/", views.dashboard, name="dashboard-node"),
    path("<int:pk>/non-participants/", views.non_participants, name="non-participants"),
    path("<int:pk>/export.xlsx", views.dashboard_export, name="dashboard-export"),
]
