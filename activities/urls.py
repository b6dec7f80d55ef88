from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list_view, name="activity-list"),
    path("new/", views.activity_create, name="activity-create"),
    path("<int:pk>/", views.activity_detail, name="activity-detail"),
    path("<int:pk>/edit/", views.activity_edit, name="activity-edit"),
    path("<int:pk>/archive/", views.activity_archive, name="activity-archive"),
    path("photos/<int:pk>/", views.photo_view, name="photo"),
    path("photos/<int:pk>/thumbnail/", views.photo_view, {"thumbnail": True}, name="photo-thumbnail"),
]
