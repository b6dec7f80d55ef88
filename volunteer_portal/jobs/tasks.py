"""The jobs' tasks (Django's tasks API, django-tasks): run by the worker (`manage.py db_worker`), or at once with
the immediate backend (development)."""

from django.core.management import call_command
from django_tasks import task

from .retry import with_retries
from .services import export_job_run


@task()
def run_export(job_id: int) -> str:
    return export_job_run(job_id)


@task()
@with_retries
def figures_rebuild() -> None:
    """The stored figures rebuilt (the `figures_rebuild` command), retried with back-off if it fails."""
    call_command("figures_rebuild")
