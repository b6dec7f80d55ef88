"""The members' side, under /me/ (members' own pages) and /members-work/ (secretaries: invitations, check-in
codes, the confirmation queue). One module per part, each listed here."""

from django.urls import include, path

from . import checkin, invites, me, offline, queue

app_name = "selfservice"

urlpatterns = [
    path(
        "me/", include(me.urlpatterns + offline.urlpatterns + checkin.member_urlpatterns + invites.member_urlpatterns)
    ),
    path("members-work/", include(invites.urlpatterns + checkin.urlpatterns + queue.urlpatterns)),
]
