"""URLs of the members' side: checkin (see urls/__init__.py) — the secretary's code under /members-work/, the
member's scan under /me/."""

from django.urls import path

from ..views import checkin

urlpatterns = [
    path("check-in/<int:activity_pk>/", checkin.check_in_code, name="check-in-code"),
    path("check-in/<int:activity_pk>/qr.svg", checkin.check_in_qr, name="check-in-qr"),
]

# Mounted under me/: the address the QR code holds.
member_urlpatterns = [
    path("check-in/<int:activity_pk>/<slug:code>/", checkin.check_in, name="check-in"),
]
