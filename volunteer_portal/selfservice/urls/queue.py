"""URLs of the members' side: queue (see urls/__init__.py). The queue is the secretaries' /members-work/ itself."""

from django.urls import path

from ..views import queue

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("records/confirm/", queue.claims_confirm, name="claims-confirm"),
    path("records/<int:pk>/", queue.claim_detail, name="claim-detail"),
    path("records/<int:pk>/confirm/", queue.claim_confirm, name="claim-confirm"),
    path("records/<int:pk>/reject/", queue.claim_reject, name="claim-reject"),
    path("record-photos/<int:pk>/", queue.claim_photo, name="claim-photo"),
]
