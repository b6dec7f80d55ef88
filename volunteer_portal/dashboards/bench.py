"""The leader pages' benchmark (`make bench`, `manage.py bench_dashboard`): the same headline figures from one
hand-written pass over the base tables, a check that the pages' figures equal it, then the pages timed.

The hand-written pass is the yardstick of issue 13: what a careful person would write in SQL to answer the root's
figures for this year straight from the activity, participation, visit, item and member rows. The pages must
beat it by reading the figure store: the dashboard in half its time, the lists, the summary and the evaluation in
a quarter, and none of them slower at ten times the data.
"""

import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.db import OperationalError, connection, reset_queries
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from activities.models import Activity, Participation
from beneficiaries.models import AssistanceItem, Beneficiary, Visit
from volunteer_portal.branches.models import Branch, Member

from .figures import ASSISTANCE_KINDS, rollup

# The targets of issue 13, checked last: (what, the largest size's figure must be at most this times the other).
DASHBOARD_VS_SQL = Decimal("0.5")
DASHBOARD_GROWTH = Decimal("1.3")
LIST_VS_SQL = Decimal("0.25")
HAND_WRITTEN = "hand-written SQL pass"


@dataclass
class Headline:
    """The root's headline figures for a period: what the dashboard's top line shows."""

    activities: int = 0
    participations: int = 0
    participants: int = 0
    hours: Decimal = Decimal(0)
    visits: int = 0
    households: int = 0
    assistance: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(ASSISTANCE_KINDS, Decimal(0)))
    members: int = 0
    participating_members: int = 0


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def hand_written(node: Branch, start: dt.date, end: dt.date) -> Headline:
    """The headline figures straight from the base tables, in four queries (one per family of figures), written
    by hand after DESIGN.md's definitions: live activities dated in the range and their participations; live
    visits to live households and the items handed over at them or at those activities; the members on the roll
    at the end of the range and those of them who took part."""
    activity, participation, visit = _table(Activity), _table(Participation), _table(Visit)
    item, beneficiary, member, branch = _table(AssistanceItem), _table(Beneficiary), _table(Member), _table(Branch)
    subtree = node.path + "%"
    next_midnight = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    headline = Headline()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COUNT(DISTINCT a.id), COUNT(p.id), COUNT(DISTINCT p.member_id), COALESCE(SUM(p.hours), 0)
            FROM {activity} a
            JOIN {branch} b ON b.id = a.branch_id
            LEFT JOIN {participation} p ON p.activity_id = a.id
            WHERE a.archived_at IS NULL AND a.date BETWEEN %s AND %s AND b.path LIKE %s
            """,  # noqa: S608  # table names from the models' meta, values as parameters
            [start, end, subtree],
        )
        (headline.activities, headline.participations, headline.participants, hours) = cursor.fetchone()
        headline.hours = Decimal(str(hours))
        cursor.execute(
            f"""
            SELECT COUNT(*), COUNT(DISTINCT v.beneficiary_id)
            FROM {visit} v
            JOIN {branch} b ON b.id = v.branch_id
            JOIN {beneficiary} h ON h.id = v.beneficiary_id
            WHERE v.archived_at IS NULL AND h.archived_at IS NULL AND v.date BETWEEN %s AND %s AND b.path LIKE %s
            """,  # noqa: S608
            [start, end, subtree],
        )
        headline.visits, headline.households = cursor.fetchone()
        # Items are handed over on a visit (dated and placed by it) or at an activity to people not named.
        cursor.execute(
            f"""
            SELECT i.kind, COALESCE(SUM(i.value), 0)
            FROM {item} i
            LEFT JOIN {visit} v ON v.id = i.visit_id
            LEFT JOIN {beneficiary} h ON h.id = v.beneficiary_id
            LEFT JOIN {activity} a ON a.id = i.activity_id
            JOIN {branch} b ON b.id = COALESCE(v.branch_id, a.branch_id)
            WHERE b.path LIKE %s AND (
                (v.id IS NOT NULL AND v.archived_at IS NULL AND h.archived_at IS NULL AND v.date BETWEEN %s AND %s)
                OR (a.id IS NOT NULL AND a.archived_at IS NULL AND a.date BETWEEN %s AND %s))
            GROUP BY i.kind
            """,  # noqa: S608
            [subtree, start, end, start, end],
        )
        for kind, value in cursor.fetchall():
            headline.assistance[kind] = Decimal(str(value))
        cursor.execute(
            f"""
            SELECT COUNT(*), COUNT(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM {participation} p JOIN {activity} a ON a.id = p.activity_id
                WHERE p.member_id = m.id AND a.archived_at IS NULL AND a.date BETWEEN %s AND %s))
            FROM {member} m
            JOIN {branch} b ON b.id = m.branch_id
            WHERE b.path LIKE %s
              AND (m.joined_on <= %s OR (m.joined_on IS NULL AND m.created_at < %s))
              AND ((m.left_on IS NULL AND m.active) OR m.left_on > %s)
            """,  # noqa: S608
            [start, end, subtree, end, next_midnight, end],
        )
        headline.members, headline.participating_members = cursor.fetchone()
    return headline


def page_figures(node: Branch, start: dt.date, end: dt.date) -> Headline:
    """The same figures as the pages compute them."""
    figures = rollup(node, start, end).figures
    return Headline(
        activities=figures.activities,
        participations=figures.participations,
        participants=figures.participants,
        hours=Decimal(figures.hours),
        visits=figures.visits,
        households=figures.households,
        assistance={kind: Decimal(figures.assistance[kind]) for kind in ASSISTANCE_KINDS},
        members=figures.members,
        participating_members=figures.participating_members,
    )


def differences(node: Branch, start: dt.date, end: dt.date) -> list[str]:
    """Where the pages' figures and the hand-written pass disagree ("hours: page 10.0, SQL 12.0"); empty if
    they agree."""
    page, sql = asdict(page_figures(node, start, end)), asdict(hand_written(node, start, end))
    found = []
    for name, value in sql.items():
        if name == "assistance":
            found += [
                f"assistance {kind}: page {page[name][kind]}, SQL {amount}"
                for kind, amount in value.items()
                if page[name][kind] != amount
            ]
        elif page[name] != value:
            found.append(f"{name}: page {page[name]}, SQL {value}")
    return found


def store_differences() -> str | None:
    """Run `figures_check` when the figure store has one: its complaint, or None when it passes."""
    if "figures_check" not in get_commands():
        return None
    try:
        call_command("figures_check", verbosity=0)
    except SystemExit as exit_:
        return None if not exit_.code else f"figures_check exited with {exit_.code}"
    except Exception as error:  # CommandError or whatever it raised: reported, not hidden
        return f"figures_check: {error}"
    return None


@dataclass
class Timing:
    name: str
    median_ms: float
    queries: int
    kilobytes: float = 0.0
    timed_out: bool = False


def measure(name: str, run: Callable[[], int], *, warmup: int, repeat: int) -> Timing:
    """Median wall time of `run` over `repeat` runs after `warmup` ones; the queries are counted on a run of their
    own, so that recording them does not slow the timed runs. `run` returns the size of what it made. A query
    cancelled by the statement timeout (PostgreSQL, `run(timeout=…)`) ends the measurement of that row."""
    try:
        return _measure(name, run, warmup=warmup, repeat=repeat)
    except OperationalError:
        if connection.vendor != "postgresql" or connection.needs_rollback:
            raise
        return Timing(name, float("inf"), 0, timed_out=True)


def _measure(name: str, run: Callable[[], int], *, warmup: int, repeat: int) -> Timing:
    size = 0
    for _ in range(warmup):
        size = run()
    # Each request empties the connection's query log as it starts (with DEBUG on, it also holds the earlier
    # runs' queries): emptied first, the log then holds this run's queries only.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        size = run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return Timing(name, statistics.median(timings) * 1000, len(queries), size / 1024)


def pages(root: Branch, district: Branch | None) -> list[tuple[str, str, str]]:
    """(row name, user name, URL) of every page timed."""
    rows = [("/dashboard/ (root)", "leader", "/dashboard/")]
    if district is not None:
        rows.append(("/dashboard/<district>/", "leader", f"/dashboard/{district.pk}/"))
    rows += [
        ("/activities/", "leader", "/activities/"),
        ("/members/", "leader", "/members/"),
        ("/beneficiaries/", "leader", "/beneficiaries/"),
        ("/beneficiaries/pairings/", "leader", "/beneficiaries/pairings/"),
        ("/reports/evaluation/<root>/", "leader", f"/reports/evaluation/{root.pk}/"),
        ("/reports/summary/<root>/", "leader", f"/reports/summary/{root.pk}/"),
        ("/ (admin)", "admin", "/"),
        ("/ (leader)", "leader", "/"),
    ]
    return rows


class FiguresDiffer(Exception):
    """The pages' figures are not the base tables' figures: timing them would measure a wrong answer."""


def run(*, warmup: int = 2, repeat: int = 7, timeout: int = 0, today: dt.date | None = None) -> dict:
    """Check the figures of the current database, then time the pages and the hand-written pass. Returns what
    `table()` and `ratios()` print: the sizes, the period and a Timing per row. With a `timeout` (seconds, on
    PostgreSQL), a page whose query runs longer is shown as timed out instead of holding up the run."""
    today = today or timezone.localdate()
    start, end = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    root = Branch.objects.filter(parent__isnull=True).order_by("pk").first()
    if root is None:
        raise FiguresDiffer("The database has no branches: seed it first (manage.py seed_demo).")
    found = differences(root, start, end)
    complaint = store_differences()
    if complaint:
        found.append(complaint)
    if found:
        raise FiguresDiffer("The pages' figures differ from the base tables':\n  " + "\n  ".join(found))
    district = Branch.objects.filter(kind=Branch.Kind.DISTRICT).order_by("pk").first()
    users = {user.username: user for user in get_user_model().objects.filter(username__in=["admin", "leader"])}
    clients = {}
    for username in ("admin", "leader"):
        if username not in users:
            raise FiguresDiffer(f"The demo login {username!r} is missing: seed the database with seed_demo.")
        clients[username] = Client()
        clients[username].force_login(users[username])

    if timeout and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{timeout}s"])
    timings = [_baseline(root, start, end, warmup=warmup, repeat=repeat)]
    # The test client's host: whatever the settings allow, plus its own.
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        for name, username, url in pages(root, district):
            timings.append(measure(name, _getter(clients[username], url), warmup=warmup, repeat=repeat))
    return {
        "database": connection.vendor,
        "activities": Activity.objects.count(),
        "participations": Participation.objects.count(),
        "visits": Visit.objects.count(),
        "members": Member.objects.count(),
        "branches": Branch.objects.count(),
        "period": f"{start} – {end}",
        "measured": f"{timezone.now():%Y-%m-%d %H:%M %Z}",
        "timeout": timeout,
        "timings": [asdict(timing) for timing in timings],
    }


def _baseline(root: Branch, start: dt.date, end: dt.date, *, warmup: int, repeat: int) -> Timing:
    """The hand-written pass at its best: the portal turns PostgreSQL's JIT off for its own connections (settings,
    DATABASE_JIT), but one large scan may gain from it, so on PostgreSQL the pass is timed both ways and the
    faster counts; the connection's own setting is put back after."""
    run = partial(_hand_written_size, root, start, end)
    if connection.vendor != "postgresql":
        return measure(HAND_WRITTEN, run, warmup=warmup, repeat=repeat)
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        (own,) = cursor.fetchone()
        found = []
        for jit in ("on", "off"):
            cursor.execute("SELECT set_config('jit', %s, false)", [jit])
            found.append(measure(HAND_WRITTEN, run, warmup=warmup, repeat=repeat))
        cursor.execute("SELECT set_config('jit', %s, false)", [own])
    return min(found, key=lambda timing: timing.median_ms)


def _hand_written_size(root: Branch, start: dt.date, end: dt.date) -> int:
    hand_written(root, start, end)
    return 0


def _getter(client: Client, url: str) -> Callable[[], int]:
    def get() -> int:
        # The leader's home sends them on to their dashboard: the redirect is part of the time.
        response = client.get(url, follow=True)
        if response.status_code != 200:
            raise FiguresDiffer(f"{url} answered {response.status_code}, not 200.")
        return len(response.content)

    return get


def table(results: list[dict]) -> list[str]:
    """The timings side by side, one column per database."""
    lines = [
        f"{result['label']}: {result['database']}, {result['branches']:,} branches, {result['members']:,} "
        f"members, {result['activities']:,} activities, {result['participations']:,} participations, "
        f"{result['visits']:,} visits; period {result['period']}; measured {result['measured']}"
        for result in results
    ]
    header = f"{'page (median ms / queries)':<34}" + "".join(f"{r['label']:>22}" for r in results)
    lines += [header, "-" * len(header)]
    names = [t["name"] for t in results[0]["timings"]]
    for name in names:
        cells = []
        for result in results:
            timing = next((t for t in result["timings"] if t["name"] == name), None)
            if timing and timing["timed_out"]:
                cells.append(f"> {result['timeout']} s (timed out)")
                continue
            cells.append(f"{timing['median_ms']:>10.0f} ms {timing['queries']:>4} q" if timing else f"{'—':>22}")
            if timing and timing["kilobytes"]:
                cells[-1] += f" {timing['kilobytes']:>5.0f} KB"
            else:
                cells[-1] += " " * 9
        lines.append(f"{name:<34}" + "".join(f"{cell:>22}" for cell in cells))
    return lines


def ratios(results: list[dict]) -> tuple[list[str], bool]:
    """The targets of issue 13, the largest database against the smallest: lines to print, and whether all
    are met."""
    small, large = min(results, key=lambda r: r["activities"]), max(results, key=lambda r: r["activities"])

    def ms(result: dict, name: str) -> float | None:
        return next((t["median_ms"] for t in result["timings"] if t["name"] == name), None)

    def queries(result: dict, name: str) -> int | None:
        return next((t["queries"] for t in result["timings"] if t["name"] == name), None)

    lines, met = [], True

    def target(text: str, value: float | None, limit: Decimal) -> None:
        nonlocal met
        if value is None:
            return
        ok = value <= limit
        met = met and ok
        shown = "timed out" if value == float("inf") else f"{value:.2f}"
        lines.append(f"{'met ' if ok else 'MISSED'} {text}: {shown} (target ≤ {limit})")

    sql = ms(large, HAND_WRITTEN) or 0.0
    for name in ("/dashboard/ (root)", "/dashboard/<district>/"):
        page = ms(large, name)
        if page is not None and sql:
            target(f"{name} at {large['label']} ÷ the hand-written pass", page / sql, DASHBOARD_VS_SQL)
        before = ms(small, name)
        if page is not None and before and small is not large:
            target(f"{name} at {large['label']} ÷ at {small['label']}", page / before, DASHBOARD_GROWTH)
    for name in (
        "/activities/",
        "/members/",
        "/beneficiaries/",
        "/beneficiaries/pairings/",
        "/reports/evaluation/<root>/",
        "/reports/summary/<root>/",
    ):
        page = ms(large, name)
        if page is not None and sql:
            target(f"{name} at {large['label']} ÷ the hand-written pass", page / sql, LIST_VS_SQL)
    if small is not large:
        for timing in small["timings"]:
            name = timing["name"]
            if name == HAND_WRITTEN:
                continue
            if timing["timed_out"] or next(t for t in large["timings"] if t["name"] == name)["timed_out"]:
                met = False
                lines.append(f"MISSED {name} queries: not counted (timed out)")
                continue
            ok = queries(large, name) == timing["queries"]
            met = met and ok
            lines.append(
                f"{'met ' if ok else 'MISSED'} {name} queries: {timing['queries']} at {small['label']}, "
                f"{queries(large, name)} at {large['label']} (target: equal)"
            )
    return lines, met
