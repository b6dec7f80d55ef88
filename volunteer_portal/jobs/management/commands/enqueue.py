from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

# The daily jobs a timer hands to the worker (named by dotted path: the apps that own them sit above this one).
TASKS = {
    "send_reminders": "volunteer_portal.reminders.tasks.send_reminders_task",
    "figures_rebuild": "volunteer_portal.jobs.tasks.figures_rebuild",
}


class Command(BaseCommand):
    help = (
        "Hand a daily job to the worker (manage.py db_worker), which runs it and retries it with back-off if it "
        "fails. With TASKS_BACKEND=immediate it runs at once, here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=sorted(TASKS))

    def handle(self, *args, **options) -> None:
        result = import_string(TASKS[options["task"]]).enqueue()
        self.stdout.write(f"Enqueued {options['task']} ({result.id}): {result.status}.")
