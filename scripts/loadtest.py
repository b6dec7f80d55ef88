"""`make loadtest`: `make serve`'s stack on PostgreSQL with the demo data, loaded by Locust (scripts/locustfile.py).

It recreates the database LOADTEST_DATABASE_URL (default volunteer_portal_load on 127.0.0.1), migrates it and loads
`seed_demo`, starts scripts/serve.py on 127.0.0.1:18020 with WEB_CONCURRENCY workers (default 4: two cores, and a
sync worker waits on PostgreSQL part of the time), signs in the simulated people through the sign-in form, then:

  (a) 50 people, each waiting 1 s between tasks, for 60 s: p50/p95/p99, errors, and lost writes (every write the
      server acknowledged with a redirect must be in the database afterwards);
  (b) the same mix with no waiting at saturation for 60 s, then the bare /healthz the same way for 20 s: the mix's
      requests per second as a share of /healthz's.

It prints both runs and the targets, and exits 1 when one is missed (LOADTEST_REPORT_ONLY=1: exit 0 anyway).
Everything is on loopback and bounded in time (6-8 minutes); LOADTEST_SECONDS shortens the runs.
"""

import json
import math
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "scripts" / "locustfile.py"
PASSWORD = "leifeng-demo"  # noqa: S105 (the demo's logins, printed by make run)
SECRETARIES = ("secretary1", "secretary2")
LEADER = "leader"
MIXED = ("Secretary", "Leader")  # the locustfile's classes, 9 secretaries to 1 leader
P95_TARGET_MS = 300
RATIO_TARGET = 0.40


@dataclass
class Run:
    name: str
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    kinds: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    acks: dict = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    cpu_ms: float = 0.0  # the gunicorn workers' CPU time per request: what the page costs, however busy the machine

    def line(self) -> str:
        return (
            f"{self.name}: {self.requests} requests, {self.rps:.1f} req/s, p50 {self.p50:.0f} ms, "
            f"p95 {self.p95:.0f} ms, p99 {self.p99:.0f} ms, {self.failures} errors, "
            f"{self.cpu_ms:.1f} ms of gunicorn CPU per request"
        )


def sign_in(host: str, username: str, password: str) -> str:
    """A session id from the real sign-in form (its CSRF token included)."""
    import lxml.html
    import requests

    with requests.Session() as session:
        page = session.get(f"{host}/accounts/login/", timeout=30)
        form = next(f for f in lxml.html.fromstring(page.text).forms if "password" in f.fields)
        values = {**dict(form.form_values()), "username": username, "password": password}
        session.post(f"{host}/accounts/login/", data=values, allow_redirects=False, timeout=30)
        signed_in = session.cookies.get("sessionid")
        if not signed_in:
            raise SystemExit(f"make loadtest: {username} could not sign in at {host}")
        return signed_in


def sign_in_all(host: str, users: int, secretaries=SECRETARIES, leader=LEADER, password=PASSWORD) -> dict:
    """One session for each simulated person: secretaries take turns between the secretaries' logins."""
    leaders = max(1, math.ceil(users / 10))
    names = [secretaries[i % len(secretaries)] for i in range(max(1, users - leaders))]
    with ThreadPoolExecutor(4) as pool:
        secretary = list(pool.map(lambda name: sign_in(host, name, password), names))
        return {
            "secretary": secretary,
            "leader": list(pool.map(lambda _: sign_in(host, leader, password), range(leaders))),
        }


def run_locust(
    name: str,
    host: str,
    classes: tuple[str, ...],
    users: int,
    seconds: int,
    wait: float,
    sessions: dict,
    work: Path,
    server: subprocess.Popen | None = None,
) -> Run:
    label = name.split()[0].strip("()")
    (work / "sessions.json").write_text(json.dumps(sessions))
    result = work / f"{label}.json"
    env = {**os.environ, "LOADTEST_SESSIONS": str(work / "sessions.json"), "LOADTEST_RESULT": str(result)}
    env.update(LOADTEST_WAIT=str(wait), LOADTEST_LEADERS=str(len(sessions.get("leader", []))))
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", host, "--only-summary",
        f"--users={users}", f"--spawn-rate={users}", f"--run-time={seconds}s", "--stop-timeout=10",
        "--loglevel=WARNING", *classes,
    ]  # fmt: skip
    cpu_before = gunicorn_cpu(server) if server else 0.0
    with (work / f"{label}.locust.log").open("wb") as log:
        subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 60, check=False)  # noqa: S603
    if not result.exists():
        raise SystemExit(f"make loadtest: Locust stopped without its figures; see {work / f'{label}.locust.log'}")
    figures = json.loads(result.read_text())
    cpu_ms = (gunicorn_cpu(server) - cpu_before) * 1000 / max(1, figures["requests"]) if server else 0.0
    return Run(
        name, figures["requests"], figures["failures"] + figures["exceptions"], figures["rps"],
        figures["p50"], figures["p95"], figures["p99"], figures["kinds"], figures["errors"], figures["acks"],
        cpu_ms=cpu_ms,
    )  # fmt: skip


def gunicorn_cpu(server: subprocess.Popen) -> float:
    """The CPU seconds gunicorn's master and workers have used: what the pages cost, however busy the machine."""
    import psutil

    processes = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
    return sum(process.cpu_times().user + process.cpu_times().system for process in processes)


def lost_writes(acks: dict) -> list[str]:
    """Every acknowledged write that is not in the database: an activity without its last acknowledged title (or a
    later one whose edit was never answered), a visit whose notes are nowhere. Runs in a process where Django is set
    up on the database the server used."""
    from activities.models import Activity
    from beneficiaries.models import Visit

    titles = {int(pk): title for pk, title in acks["activities"].items()}
    later = {int(pk): set(sent) for pk, sent in acks.get("unanswered", {}).items()}
    stored = dict(Activity.objects.filter(pk__in=titles).values_list("pk", "title"))
    lost = [
        f"activity {pk} {title!r} (stored: {stored.get(pk)!r})"
        for pk, title in titles.items()
        if stored.get(pk) != title and stored.get(pk) not in later.get(pk, ())
    ]
    found = set(Visit.objects.filter(notes__in=acks["visits"]).values_list("notes", flat=True))
    return lost + [f"visit {notes!r}" for notes in acks["visits"] if notes not in found]


def acknowledged(acks: dict) -> str:
    return f"{len(acks['activities'])} activities (logged or edited), {len(acks['visits'])} visits"


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, timeout=600, check=False)  # noqa: S603
    if result.returncode:
        raise SystemExit(f"make loadtest: manage.py {' '.join(args)} failed (exit {result.returncode})")


def recreate_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"make loadtest: it needs PostgreSQL, a user that may create databases, at {url} "
            f"(set LOADTEST_DATABASE_URL): {error}"
        ) from error


def server_env(url: str, port: int, work: Path) -> dict[str, str]:
    dropped = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_", "DJANGO_", "STATIC_", "MEDIA_", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return {
        **env,
        # Production settings, but over plain HTTP on loopback: no HTTPS redirect and cookies not marked Secure.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DATABASE_URL": url,
        "STATIC_ROOT": str(work / "static"),
        "MEDIA_ROOT": str(work / "media"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "4"),
    }


def start_server(env: dict[str, str], work: Path) -> subprocess.Popen:
    host = f"http://127.0.0.1:{env['PORT']}"
    with (work / "serve.log").open("wb") as log:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, str(ROOT / "scripts" / "serve.py")],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    import requests

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"{host}/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    stop(server)
    raise SystemExit(f"make loadtest: the server did not answer /healthz; see {work / 'serve.log'}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


def report(waiting: Run, saturated: Run, healthz: Run) -> list[str]:
    """Print the figures and the targets; the targets missed."""
    print("\nmake loadtest: figures")
    for run in (waiting, saturated, healthz):
        print(f"  {run.line()}")
        for error in run.errors[:5]:
            print(f"      error: {error}")
    print("  request kinds, slowest first (saturated run):")
    for kind in sorted(saturated.kinds, key=lambda kind: -kind["p95"]):
        print(
            f"    {kind['name']:<22} {kind['requests']:>6} requests  p50 {kind['p50']:>5} ms  p95 {kind['p95']:>5} ms"
        )
    for run in (waiting, saturated):
        print(f"  {run.name}: acknowledged {acknowledged(run.acks)}; lost {len(run.lost)}")
        for lost in run.lost[:10]:
            print(f"      lost: {lost}")
    ratio = saturated.rps / healthz.rps if healthz.rps else 0.0
    print(f"  (b) mixed ÷ /healthz: {saturated.rps:.1f} ÷ {healthz.rps:.1f} req/s = {ratio:.0%}")
    targets = [
        (f"(a) p95 < {P95_TARGET_MS} ms", f"{waiting.p95:.0f} ms", waiting.p95 < P95_TARGET_MS),
        ("(a) 0 errors", str(waiting.failures), waiting.failures == 0),
        ("(a) 0 lost writes", str(len(waiting.lost) + len(saturated.lost)), not waiting.lost and not saturated.lost),
        (f"(b) mixed ≥ {RATIO_TARGET:.0%} of /healthz", f"{ratio:.0%}", ratio >= RATIO_TARGET),
    ]
    print("make loadtest: targets")
    for target, measured, met in targets:
        print(f"  {'met   ' if met else 'MISSED'} {target}: {measured}")
    return [target for target, _, met in targets if not met]


def main() -> None:
    url = os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/volunteer_portal_load")
    port = int(os.environ.get("LOADTEST_PORT", "18020"))
    seconds = int(os.environ.get("LOADTEST_SECONDS", "60"))
    users, saturating = (
        int(os.environ.get("LOADTEST_USERS", "50")),
        int(os.environ.get("LOADTEST_SATURATION_USERS", "16")),
    )
    work = Path(tempfile.mkdtemp(prefix="loadtest-"))
    env = server_env(url, port, work)
    print(f"make loadtest: recreating {url}, migrating, seeding the demo (logs in {work})", flush=True)
    recreate_database(url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo", "-v0")
    server = start_server(env, work)
    host = f"http://127.0.0.1:{port}"
    try:
        print(f"make loadtest: {env['WEB_CONCURRENCY']} gunicorn workers; signing in {users} people", flush=True)
        sessions = sign_in_all(host, users)
        print(f"make loadtest: (a) {users} people, 1 s between tasks, {seconds} s", flush=True)
        waiting = run_locust("(a) waiting 1 s", host, MIXED, users, seconds, 1, sessions, work, server)
        print(f"make loadtest: (b) {saturating} people, no waiting, {seconds} s; then /healthz", flush=True)
        saturated = run_locust("(b) no waiting", host, MIXED, saturating, seconds, 0, sessions, work, server)
        yardstick = max(5, seconds // 3)
        healthz = run_locust("healthz alone", host, ("Healthz",), saturating, yardstick, 0, {}, work, server)
    finally:
        stop(server)
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="volunteer_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    waiting.lost, saturated.lost = lost_writes(waiting.acks), lost_writes(saturated.acks)
    missed = report(waiting, saturated, healthz)
    if missed and os.environ.get("LOADTEST_REPORT_ONLY", "").lower() not in ("1", "true", "yes"):
        sys.exit(f"make loadtest: missed {', '.join(missed)} (LOADTEST_REPORT_ONLY=1 only reports)")


if __name__ == "__main__":
    main()
