from django.conf import settings
from django.core.management.base import BaseCommand

from ...services import export_jobs_prune


class Command(BaseCommand):
    help = (
        "Delete background exports asked for more than EXPORT_KEEP_HOURS ago, with their files. Run it daily "
        "(with prune_access_log)."
    )

    def handle(self, *args, **options) -> None:
        deleted = export_jobs_prune()
        self.stdout.write(f"Deleted {deleted} exports older than {settings.EXPORT_KEEP_HOURS} hours.")
