"""Retries with back-off for tasks (django-tasks has none of its own).

`with_retries` wraps a task's function: when it raises, the task is enqueued again with `attempt` one higher, to
run after TASK_RETRY_SECONDS, doubling with each attempt, until TASK_MAX_ATTEMPTS attempts in all; the failure
itself is raised again, so the task's result records it. The immediate backend (development) cannot wait, so
there nothing is enqueued again and the next run tries."""

import datetime as dt
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def retry_delay(attempt: int) -> dt.timedelta:
    """How long to wait after the failed `attempt` (1, 2, …) before the next."""
    return dt.timedelta(seconds=settings.TASK_RETRY_SECONDS * 2 ** (attempt - 1))


def retry_later(task, *, attempt: int, args: tuple, kwargs: dict) -> Any:
    """Enqueue `task` again after its back-off; the new result, or None when attempts are used up or the
    backend cannot defer."""
    if attempt >= settings.TASK_MAX_ATTEMPTS:
        logger.error("Task %s failed %d times; not tried again.", task.module_path, attempt)
        return None
    if not task.get_backend().supports_defer:
        logger.warning("Task %s failed; this backend cannot wait, so its next run tries again.", task.module_path)
        return None
    run_after = timezone.now() + retry_delay(attempt)
    logger.warning("Task %s failed (attempt %d); trying again at %s.", task.module_path, attempt, run_after)
    return task.using(run_after=run_after).enqueue(*args, attempt=attempt + 1, **kwargs)


def with_retries(function: Callable[P, T]) -> Callable[..., T]:
    """Put under `@task()`: the task takes an `attempt` keyword (1 when first enqueued)."""

    @wraps(function)
    def run(*args: Any, attempt: int = 1, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except Exception:
            # The module attribute of this name is the Task that @task() made of `run`.
            task = import_string(f"{function.__module__}.{function.__qualname__}")
            retry_later(task, attempt=attempt, args=args, kwargs=kwargs)
            raise

    return run
