"""URLs of the members' side: invites (see urls/__init__.py) — the secretary's under /members-work/, the member's
link under /me/."""

from django.urls import path

from ..views import invites

urlpatterns = [
    path("invites/", invites.invite_bulk, name="invite-bulk"),
    path("invites/member/<int:pk>/", invites.invite_create, name="invite-create"),
]

# Mounted under me/: the one-time link a member is given.
member_urlpatterns = [
    path("welcome/<str:token>/", invites.welcome, name="welcome"),
]
