"""The production entry point (`make serve`): check the environment, collect static files, migrate, exec gunicorn.

Run with the venv's Python (`.venv/bin/python scripts/serve.py`, or a production venv's). DEBUG is off. SECRET_KEY
and ALLOWED_HOSTS must be set, or it says what to set and stops before anything runs. gunicorn gets
WEB_CONCURRENCY workers (default 3), a GUNICORN_TIMEOUT (default 60 s) and binds HOST:PORT (default 127.0.0.1:8000);
the database is DATABASE_URL, or the SQLite file beside manage.py. Every variable is in .env.example. The
background jobs' worker (`manage.py db_worker`) runs beside it and stops with it, unless SERVE_WORKER=false (a
deployment runs it as its own systemd unit, docs/deploy.md) or TASKS_BACKEND=immediate.
"""

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}

KEY_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"


def fail(message: str) -> None:
    print(f"make serve: {message}", file=sys.stderr)
    sys.exit(2)


def whole_number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        fail(f"{name} must be a whole number of at least 1, not {raw!r}.")
    return int(raw)


def check_environment() -> list[str]:
    """The gunicorn command line, once the environment is fit for production; otherwise say what to set and stop."""
    debug = os.environ.get("DEBUG", "").strip().lower()
    if debug in TRUE:
        fail("DEBUG is on; the production stack runs with DEBUG off. Unset DEBUG or set DEBUG=false.")
    if debug and debug not in FALSE:
        fail(f"DEBUG must be true or false, not {os.environ['DEBUG']!r}.")
    os.environ["DEBUG"] = "false"

    missing = []
    if not os.environ.get("SECRET_KEY", "").strip():
        missing.append(f"  SECRET_KEY     a long random string, kept secret; generate one with:\n    {KEY_HINT}")
    if not os.environ.get("ALLOWED_HOSTS", "").strip():
        missing.append("  ALLOWED_HOSTS  the host names it answers to, comma-separated, e.g. portal.example.org")
    if missing:
        fail(
            "the production settings need these variables (see .env.example):\n"
            + "\n".join(missing)
            + "\nTo try it on this machine over plain HTTP:\n"
            + f'  SECRET_KEY="$({KEY_HINT})" ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=false \\\n'
            + "  SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false make serve"
        )

    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    port = whole_number("PORT", 8000)
    workers = whole_number("WEB_CONCURRENCY", 3)
    timeout = whole_number("GUNICORN_TIMEOUT", 60)
    redirect = os.environ.get("SECURE_SSL_REDIRECT", "true").strip().lower() not in FALSE
    behind_proxy = os.environ.get("BEHIND_HTTPS_PROXY", "false").strip().lower() in TRUE
    if redirect and not behind_proxy:
        print(
            "make serve: SECURE_SSL_REDIRECT is on, so plain-HTTP requests (but /healthz) are redirected to https://."
            " Put a proxy that terminates HTTPS in front (BEHIND_HTTPS_PROXY=true), or set SECURE_SSL_REDIRECT=false"
            " to try it over HTTP.",
            file=sys.stderr,
        )
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "volunteer_portal.wsgi:application",
        f"--bind={host}:{port}",
        f"--workers={workers}",
        f"--timeout={timeout}",
        "--access-logfile=-",
        # gunicorn's control socket (gunicornc) sits in $HOME by default, one path for every server on the machine.
        "--no-control-socket",
    ]


def manage(*args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=False)  # noqa: S603
    if result.returncode != 0:
        fail(f"manage.py {' '.join(args)} failed (exit {result.returncode}); nothing was started.")


def die_with_parent() -> None:
    """In the worker's process, before it runs: ask Linux to stop it when its parent (gunicorn's master, which
    the serving process becomes by exec) exits, so no worker outlives `make serve` (prctl PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)


def start_worker() -> None:
    """The background jobs' worker beside gunicorn (README, "Background work"), unless the jobs run in the
    request (TASKS_BACKEND=immediate) or another worker is run on its own (SERVE_WORKER=false, e.g. systemd)."""
    if os.environ.get("TASKS_BACKEND", "database").strip() != "database":
        return
    if os.environ.get("SERVE_WORKER", "true").strip().lower() in FALSE:
        return
    command = [sys.executable, "manage.py", "db_worker", "--no-reload"]
    subprocess.Popen(command, cwd=ROOT, preexec_fn=die_with_parent if sys.platform == "linux" else None)  # noqa: S603
    print("make serve: background worker: " + " ".join(command[1:]), file=sys.stderr, flush=True)


def main() -> None:
    gunicorn = check_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "volunteer_portal.settings")
    manage("collectstatic", "--noinput", "-v1")
    manage("migrate", "--noinput")
    os.chdir(ROOT)
    start_worker()
    print("make serve: gunicorn " + " ".join(gunicorn[3:]), file=sys.stderr, flush=True)
    os.execv(sys.executable, gunicorn)  # noqa: S606


if __name__ == "__main__":
    main()
