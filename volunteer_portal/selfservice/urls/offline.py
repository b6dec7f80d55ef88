"""URLs of the members' side: offline (see urls/__init__.py). Under me/, so the worker's scope is /me/."""

from django.urls import path

from ..views import offline

urlpatterns = [
    path("sw.js", offline.service_worker, name="service-worker"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
]
