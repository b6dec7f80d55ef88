from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views
from .reports import views as report_views

admin.site.site_header = _("Lei Feng volunteer portal · administration")
admin.site.site_title = _("Volunteer portal administration")
admin.site.index_title = _("Organisation, people and records")

# A database that cannot be reached answers 503 with Retry-After; any other error, 500 (resilience.py).
handler500 = "volunteer_portal.resilience.server_error"

urlpatterns = [
    path("", report_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Pages without our <link rel="icon"> (the admin's) make browsers ask for /favicon.ico.
    path("favicon.ico", views.FaviconRedirect.as_view()),
    path("accounts/", include("volunteer_portal.accounts_urls")),
    path("dashboard/", include("volunteer_portal.dashboards.urls")),
    path("activities/", include("activities.urls")),
    path("campaigns/", include("volunteer_portal.dashboards.campaign_urls")),
    path("reports/", include("volunteer_portal.reports.urls")),
    path("members/", include("activities.member_urls")),
    path("beneficiaries/", include("beneficiaries.urls")),
    path("notifications/", include("volunteer_portal.reminders.urls")),
    path("exports/", include("volunteer_portal.jobs.urls")),
    path("", include("volunteer_portal.selfservice.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
