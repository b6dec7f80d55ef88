from django.conf import settings
from django.core.management.base import BaseCommand

from beneficiaries.imports import prune_abandoned


class Command(BaseCommand):
    help = (
        "Discard roster imports left unconfirmed for more than ROSTER_IMPORT_KEEP_HOURS, with their staged "
        "personal data. Uploads do it too; run it daily from cron so that nothing waits for the next upload."
    )

    def handle(self, *args, **options) -> None:
        count = prune_abandoned()
        self.stdout.write(
            f"Discarded {count} roster imports left unconfirmed for {settings.ROSTER_IMPORT_KEEP_HOURS} h."
        )
