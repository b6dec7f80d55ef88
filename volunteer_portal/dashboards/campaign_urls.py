from django.urls import path

from . import campaign_views

app_name = "campaigns"

urlpatterns = [
    path("", campaign_views.campaign_list_view, name="campaign-list"),
    path("new/", campaign_views.campaign_create, name="campaign-create"),
    path("<int:pk>/", campaign_views.campaign_detail, name="campaign-detail"),
    path("<int:pk>/edit/", campaign_views.campaign_edit, name="campaign-edit"),
    path("<int:pk>/end/", campaign_views.campaign_end, name="campaign-end"),
    path("<int:pk>/targets/new/", campaign_views.target_create, name="target-create"),
    path("targets/<int:pk>/edit/", campaign_views.target_edit, name="target-edit"),
    path("targets/<int:pk>/delete/", campaign_views.target_delete, name="target-delete"),
]
