from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from activities.models import Activity
from activities.upkeep import activity_totals_refresh
from beneficiaries.models import Beneficiary, Pairing
from beneficiaries.upkeep import beneficiary_last_visit_refresh, pairing_last_contact_refresh
from volunteer_portal.branches.models import Branch
from volunteer_portal.reminders.demo import pair_demo_secretary
from volunteer_portal.reminders.services import send_reminders

from ...demo import DEMO_PASSWORD, NAMED_BRANCHES, DemoBuilder, build_demo_reports, build_demo_volunteer

# From this many activities on, the defaults give a region's shape (issue 13: 1,000,000 activities a year come
# with 110,000 members and 110,000 pairings): 11 members and 11 pairings per 100 activities, a household for
# each pairing. Below it, the small demo's story: members_per_branch members a branch, a pairing per leader.
REGION_FROM = 10_000
MEMBERS_PER_100_ACTIVITIES = 11


class Command(BaseCommand):
    help = (
        "Build a demo organisation: a regional federation with its party branches, a district with streets and "
        "communities, members, beneficiaries, a year of activities and visits, pairings, a campaign, branch "
        "reports in every state of their workflow, the logins admin, leader, secretary1 and secretary2, and a "
        f"member's own login, volunteer1 (password {DEMO_PASSWORD})."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--branches", type=int, default=0, help="Extra communities beyond the demo tree.")
        parser.add_argument("--activities", type=int, default=600, help="Activities over the last year.")
        parser.add_argument(
            "--beneficiaries",
            type=int,
            help="Beneficiaries (at least 28; default 120, or one per pairing for a region's shape).",
        )
        parser.add_argument("--members-per-branch", type=int, default=6)
        parser.add_argument(
            "--members",
            type=int,
            help=f"Members in all, spread over the branches (default: members-per-branch in each, or, from "
            f"{REGION_FROM:,} activities, {MEMBERS_PER_100_ACTIVITIES} per 100 activities if that is more).",
        )
        parser.add_argument(
            "--pairings",
            type=int,
            help="Pairings, each visited about every two months (default: one per leadership member, or, with "
            "--members or from a region's size, one per member).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed: the same seed, the same data.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (and succeed) when the database has branches."
        )

    def handle(self, *args, **options) -> None:
        if Branch.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has data; seed_demo left it as it is.")
                return
            raise CommandError("The database already has branches; seed_demo only fills an empty database.")
        # Every branch but the root has members: two at least, its leadership.
        branches = NAMED_BRANCHES - 1 + options["branches"]
        if options["members"] is None and options["activities"] >= REGION_FROM:
            options["members"] = max(
                options["activities"] * MEMBERS_PER_100_ACTIVITIES // 100, options["members_per_branch"] * branches
            )
        if options["pairings"] is None and options["members"] is not None:
            options["pairings"] = options["members"]
        if options["beneficiaries"] is None:
            options["beneficiaries"] = max(120, options["pairings"] or 0)
        for name in ("branches", "activities", "beneficiaries", "members_per_branch", "members", "pairings"):
            if (options[name] or 0) < 0:
                raise CommandError(f"--{name.replace('_', '-')} cannot be negative.")
        if options["beneficiaries"] < 28:
            raise CommandError("--beneficiaries must be at least 28, one for each disability category and grade.")
        if options["members_per_branch"] < 2:
            raise CommandError("--members-per-branch must be at least 2.")
        if options["members"] is not None and options["members"] < 2 * branches:
            raise CommandError(
                f"--members must be at least {2 * branches:,}, two for each of the {branches:,} branches."
            )
        builder = DemoBuilder(
            branches=options["branches"],
            activities=options["activities"],
            beneficiaries=options["beneficiaries"],
            members_per_branch=options["members_per_branch"],
            members=options["members"],
            pairings=options["pairings"],
            seed=options["seed"],
            progress=lambda message: self.stdout.write(f"  {message}"),
        )
        counts = builder.build()
        self.analyze()
        with self.no_bitmap_scans():
            # The builder's bulk rows bypass the services that keep the figure store, so the store is rebuilt from
            # them before the demo's reports freeze their figures, and again once the last demo rows are written.
            self.rebuild_figures()
            counts.update(build_demo_reports())
            # Today's reminders, so that secretary1's and leader's bells show what is due (with a pairing due soon).
            counts["pairings"] += pair_demo_secretary()
            # volunteer1, a member's own login, with an overdue pairing, one due later and hours waiting.
            for name, count in build_demo_volunteer().items():
                counts[name] = counts.get(name, 0) + count
            counts["reminders"] = len(send_reminders().planned)
            self.rebuild_figures()
        self.analyze()
        self.stdout.write(self.style.SUCCESS("Demo data created:"))
        for name, count in counts.items():
            self.stdout.write(f"  {name}: {count}")

    def analyze(self) -> None:
        if connection.vendor == "postgresql":
            # Fresh statistics after a bulk load: without them the planner guesses tiny tables and a dashboard
            # query on 100,000 activities ran for minutes instead of a fraction of a second.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    @contextmanager
    def no_bitmap_scans(self) -> Iterator[None]:
        """On PostgreSQL, plan without bitmap scans while the stored figures, the demo's reports and reminders are
        made. A pairing's
        last contact is a subquery per pairing (visits to the household since the pairing's start), which the
        planner answers by ANDing the household's visits with every visit since the start (the date index): at a
        region's size (110,000 pairings, hundreds of thousands of visits) each report then took many minutes. The
        pages are measured without this (`make bench`); it only lets the generated data be finished."""
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SET enable_bitmapscan = off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_bitmapscan")

    def rebuild_figures(self) -> None:
        # The totals stored on list rows too (activities' participants and hours, households' last visit,
        # pairings' last contact): three UPDATEs over the whole tables, once after the bulk load.
        activity_totals_refresh(Activity.objects.all())
        beneficiary_last_visit_refresh(Beneficiary.objects.all())
        pairing_last_contact_refresh(Pairing.objects.all())
        if "figures_rebuild" in get_commands():
            call_command("figures_rebuild", stdout=self.stdout, stderr=self.stderr)
