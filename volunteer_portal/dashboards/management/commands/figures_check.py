from django.core.management.base import BaseCommand, CommandError

from volunteer_portal.dashboards import tallies


class Command(BaseCommand):
    help = (
        "Compare the figure store with the base tables; exit non-zero on any difference "
        "(then `manage.py figures_rebuild` puts it right, and the difference is a bug to report)."
    )

    def handle(self, *args, **options) -> None:
        found = tallies.differences()
        for difference in found:
            self.stderr.write(
                f"{difference.what}: {difference.missing} rows missing or different, {difference.extra} extra; "
                f"e.g. {difference.examples}"
            )
        if found:
            raise CommandError(f"The figure store differs from the base tables in {len(found)} places.")
        sizes = ", ".join(f"{n:,} {what}" for what, n in tallies.counts().items())
        self.stdout.write(f"Figure store matches the base tables ({sizes}).")
