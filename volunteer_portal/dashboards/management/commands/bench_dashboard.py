"""Time the leader pages on generated data (`make bench`): see volunteer_portal/dashboards/bench.py."""

import json
import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import bench


class Command(BaseCommand):
    help = (
        "Check that the pages' figures equal a hand-written SQL pass over the base tables (and figures_check), "
        "then time the leader pages and that pass: on the current database, or on each --database LABEL=URL in "
        "turn, printing the timings side by side and, last, the ratios against issue 13's targets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database",
            action="append",
            default=[],
            metavar="LABEL=URL",
            help="A database to measure (a DATABASE_URL), e.g. 100k=postgres://…/bench_100k; repeat for each.",
        )
        parser.add_argument("--repeat", type=int, default=7, help="Timed runs of each page (the median is shown).")
        parser.add_argument("--warmup", type=int, default=2, help="Runs of each page before the timed ones.")
        parser.add_argument(
            "--timeout",
            type=int,
            default=0,
            help="On PostgreSQL, give up on a page whose query runs longer than this many seconds (0: never).",
        )
        parser.add_argument("--quick", action="store_true", help="A smoke test: one warm-up run and three timed.")
        parser.add_argument("--json", action="store_true", help="Print the current database's results as JSON.")

    def handle(self, *args, **options) -> None:
        if options["quick"]:
            options["warmup"], options["repeat"] = 1, 3
        if options["repeat"] < 1 or options["warmup"] < 0:
            raise CommandError("--repeat must be at least 1 and --warmup at least 0.")
        if options["json"]:
            self.stdout.write(json.dumps(self.measure_here(options, "")))
            return
        if options["database"]:
            results = [self.measure_there(spec, options) for spec in options["database"]]
        else:
            results = [self.measure_here(options, "this database")]
        for line in bench.table(results):
            self.stdout.write(line)
        lines, met = bench.ratios(results)
        self.stdout.write("")
        self.stdout.write("Targets of issue 13 (the largest database against the hand-written pass and the smallest):")
        for line in lines:
            self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS("All targets met.") if met else self.style.WARNING("Targets missed."))

    def measure_here(self, options: dict, label: str) -> dict:
        try:
            result = bench.run(warmup=options["warmup"], repeat=options["repeat"], timeout=options["timeout"])
        except bench.FiguresDiffer as error:
            raise CommandError(str(error)) from error
        result["label"] = label
        return result

    def measure_there(self, spec: str, options: dict) -> dict:
        """Measure another database in a process of its own: Django reads DATABASE_URL once, at start."""
        label, sep, url = spec.partition("=")
        if not sep or not label or not url:
            raise CommandError(f"--database wants LABEL=URL, e.g. 1m=postgres://127.0.0.1/bench_1m (got {spec!r}).")
        self.stderr.write(f"measuring {label} …")
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "bench_dashboard", "--json"]
        command += ["--repeat", str(options["repeat"]), "--warmup", str(options["warmup"])]
        command += ["--timeout", str(options["timeout"])]
        done = subprocess.run(  # noqa: S603  # our own manage.py, with arguments we built
            command, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise CommandError(f"{label}: {done.stderr.strip() or done.stdout.strip()}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["label"] = label
        return result
