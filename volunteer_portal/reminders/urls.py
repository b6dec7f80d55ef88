from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("", views.notification_list, name="notification-list"),
    path("<int:pk>/", views.notification_open, name="notification-open"),
    path("read-all/", views.notifications_read_all, name="notification-read-all"),
    path("settings/", views.preferences, name="preferences"),
]
