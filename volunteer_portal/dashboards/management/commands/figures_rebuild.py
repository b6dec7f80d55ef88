from django.core.management.base import BaseCommand

from volunteer_portal.dashboards import tallies


class Command(BaseCommand):
    help = "Rebuild the figure store (per-branch, per-month rows) from the base tables, in one transaction."

    def handle(self, *args, **options) -> None:
        tallies.rebuild()
        sizes = ", ".join(f"{n:,} {what}" for what, n in tallies.counts().items())
        self.stdout.write(f"Figure store rebuilt: {sizes}.")
