from django.urls import path

from . import member_views

app_name = "members"

urlpatterns = [
    path("", member_views.member_list_view, name="member-list"),
    path("new/", member_views.member_create, name="member-create"),
    path("<int:pk>/", member_views.member_record, name="member-record"),
    path("<int:pk>/record.docx", member_views.member_record_docx, name="member-record-docx"),
    path("<int:pk>/edit/", member_views.member_edit, name="member-edit"),
    path("<int:pk>/active/", member_views.member_set_active, name="member-set-active"),
]
