import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...models import Channel
from ...services import send_reminders


class Command(BaseCommand):
    help = (
        "Remind people of what is due: pairings, branch reports, and the weekly digests for secretaries, leaders "
        "and branches' WeCom groups; each reminder once (run it daily). Failed emails and robot messages are "
        "tried again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent; record and send nothing.")
        parser.add_argument("--today", help="Run as on this day (YYYY-MM-DD), e.g. to catch up or to try it out.")

    def handle(self, *args, **options) -> None:
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(f"--today must be a date written YYYY-MM-DD, not {options['today']!r}.") from None
        outcome = send_reminders(today=today, dry_run=options["dry_run"])
        for reminder in outcome.planned:
            self.stdout.write(self._line(reminder))
            if options["dry_run"]:
                for line in reminder.body.splitlines():
                    self.stdout.write(f"    {line}")
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {len(outcome.planned)} reminders would be sent; nothing was recorded.")
            if outcome.already:
                # What the rules call for today but was sent on an earlier run (each reminder goes once).
                self.stdout.write(f"Already sent before, so not sent again: {len(outcome.already)}")
                for reminder in outcome.already:
                    self.stdout.write(f"  {self._line(reminder)}")
        else:
            self.stdout.write(f"{len(outcome.planned)} new reminders; {outcome.sent} emails or robot messages sent, "
                              f"{outcome.failed} failed (tried again on a later run).")  # fmt: skip

    @staticmethod
    def _line(reminder) -> str:
        to = reminder.user.get_username() if reminder.user else f"robot: {reminder.robot.branch}"
        return f"{Channel(reminder.channel).label} → {to} · {reminder.get_kind_display()} · {reminder.title}"
