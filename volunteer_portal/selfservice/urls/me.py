"""URLs of the members' side: me (see urls/__init__.py)."""

from django.urls import path

from ..views import me

urlpatterns = [
    path("", me.me_home, name="me"),
    path("service-record.docx", me.me_service_record_docx, name="me-service-record-docx"),
    path("pairings/<int:pk>/visit/", me.visit_new, name="visit-new"),
]
