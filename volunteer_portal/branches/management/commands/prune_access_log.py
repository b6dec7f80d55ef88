import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from volunteer_portal.branches.models import AccessLog


class Command(BaseCommand):
    help = "Delete access log entries older than ACCESS_LOG_RETENTION_DAYS (at least 183). Run it daily from cron."

    def handle(self, *args, **options) -> None:
        cutoff = timezone.now() - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
        deleted, _ = AccessLog.objects.filter(at__lt=cutoff).delete()
        self.stdout.write(f"Deleted {deleted} access log entries older than {cutoff:%Y-%m-%d}.")
