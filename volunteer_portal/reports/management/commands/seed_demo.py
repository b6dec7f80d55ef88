from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from volunteer_portal.branches.models import Branch
from volunteer_portal.reminders.demo import pair_demo_secretary
from volunteer_portal.reminders.services import send_reminders

from ...demo import DEMO_PASSWORD, DemoBuilder, build_demo_reports


class Command(BaseCommand):
    help = (
        "Build a demo organisation: a regional federation with its party branches, a district with streets and "
        "communities, members, beneficiaries, a year of activities and visits, pairings, a campaign, branch "
        "reports in every state of their workflow, and the logins admin, leader, secretary1 and secretary2 "
        f"(password {DEMO_PASSWORD})."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--branches", type=int, default=0, help="Extra communities beyond the demo tree.")
        parser.add_argument("--activities", type=int, default=600, help="Activities over the last year.")
        parser.add_argument("--beneficiaries", type=int, default=120, help="Beneficiaries (at least 28).")
        parser.add_argument("--members-per-branch", type=int, default=6)
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
        for name in ("branches", "activities", "beneficiaries", "members_per_branch"):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} cannot be negative.")
        if options["beneficiaries"] < 28:
            raise CommandError("--beneficiaries must be at least 28, one for each disability category and grade.")
        if options["members_per_branch"] < 2:
            raise CommandError("--members-per-branch must be at least 2.")
        builder = DemoBuilder(
            branches=options["branches"],
            activities=options["activities"],
            beneficiaries=options["beneficiaries"],
            members_per_branch=options["members_per_branch"],
            seed=options["seed"],
            progress=lambda message: self.stdout.write(f"  {message}"),
        )
        counts = builder.build()
        counts.update(build_demo_reports())
        if connection.vendor == "postgresql":
            # Fresh statistics after a bulk load: without them the planner guesses tiny tables and a dashboard
            # query on 100,000 activities ran for minutes instead of a fraction of a second.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # Today's reminders, so that secretary1's and leader's bells show what is due (with a pairing due soon).
        counts["pairings"] += pair_demo_secretary()
        counts["reminders"] = len(send_reminders().planned)
        self.stdout.write(self.style.SUCCESS("Demo data created:"))
        for name, count in counts.items():
            self.stdout.write(f"  {name}: {count}")
