"""Time the dashboard's figures on the current database: `make bench` runs it on a large generated data set."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from volunteer_portal.branches.models import Branch
from volunteer_portal.dashboards.campaigns import campaign_progress
from volunteer_portal.dashboards.figures import rollup
from volunteer_portal.dashboards.forms import PeriodForm


class Command(BaseCommand):
    help = "Time rollup() and campaign_progress() for the root and a district over this year, N times each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, **options) -> None:
        period = PeriodForm().chosen_period()
        nodes = list(Branch.objects.filter(parent__isnull=True)[:1]) + list(
            Branch.objects.filter(kind=Branch.Kind.DISTRICT)[:1]
        )
        counts = {
            "branches": Branch.objects.count(),
            "activities": connection.cursor().execute("SELECT COUNT(*) FROM activities_activity").fetchone()[0],
            "visits": connection.cursor().execute("SELECT COUNT(*) FROM beneficiaries_visit").fetchone()[0],
        }
        self.stdout.write(f"database: {connection.vendor}; {counts}; period {period.start} – {period.end}")
        for node in nodes:
            timings = []
            for _ in range(options["repeat"]):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    result = rollup(node, period.start, period.end)
                    campaign_progress(node, period.start, period.end)
                    timings.append(time.perf_counter() - started)
            self.stdout.write(
                f"{node.name}: {len(result.children)} children, {len(queries)} queries, "
                f"median {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms "
                f"over {options['repeat']} runs ({timezone.now():%Y-%m-%d})"
            )
