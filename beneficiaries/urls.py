from django.urls import path

from . import import_views, views

app_name = "beneficiaries"

urlpatterns = [
    path("", views.beneficiary_list_view, name="beneficiary-list"),
    path("new/", views.beneficiary_create, name="beneficiary-create"),
    path("export.xlsx", views.beneficiary_export, name="beneficiary-export"),
    path("import/", import_views.import_start, name="import-start"),
    path("import/template.xlsx", import_views.import_template, name="import-template"),
    path("import/<int:pk>/", import_views.import_detail, name="import-detail"),
    path("import/<int:pk>/check/", import_views.import_check, name="import-check"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import-confirm"),
    path("import/<int:pk>/discard/", import_views.import_discard, name="import-discard"),
    path("<int:pk>/", views.beneficiary_detail, name="beneficiary-detail"),
    path("<int:pk>/edit/", views.beneficiary_edit, name="beneficiary-edit"),
    path("<int:pk>/archive/", views.beneficiary_archive, name="beneficiary-archive"),
    path("<int:pk>/visits/new/", views.visit_create, name="visit-create"),
    path("<int:pk>/consents/new/", views.consent_create, name="consent-create"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit-edit"),
    path("visits/<int:pk>/archive/", views.visit_archive, name="visit-archive"),
    path("visits/<int:pk>/follow-up-done/", views.visit_close_follow_up, name="visit-close-follow-up"),
    path("visit-photos/<int:pk>/", views.visit_photo, name="visit-photo"),
    path("visit-photos/<int:pk>/thumbnail/", views.visit_photo, {"thumbnail": True}, name="visit-photo-thumbnail"),
    path("from-activity/<int:pk>/", views.activity_visits, name="activity-visits"),
    path("from-activity/<int:pk>/group-items/", views.activity_group_items, name="activity-group-items"),
    path("pairings/", views.pairing_list_view, name="pairing-list"),
    path("pairings/new/", views.pairing_create, name="pairing-create"),
    path("pairings/<int:pk>/", views.pairing_detail, name="pairing-detail"),
    path("pairings/<int:pk>/end/", views.pairing_end, name="pairing-end"),
]
