"""The benchmark's own code (`make bench`) at a tiny size: the figure check, the timings and the ratios."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from activities.models import Participation
from volunteer_portal.branches.models import Branch
from volunteer_portal.dashboards import bench
from volunteer_portal.dashboards import figures as figures_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", "--activities", "150", "--beneficiaries", "40", verbosity=0)


def this_year():
    today = timezone.localdate()
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)


def test_the_hand_written_pass_gives_the_pages_figures(seeded):
    root = Branch.objects.get(parent__isnull=True)
    start, end = this_year()
    sql = bench.hand_written(root, start, end)
    assert sql == bench.page_figures(root, start, end)
    assert bench.differences(root, start, end) == []
    # Something to compare: the demo has this year's work in every family of figures.
    assert sql.activities and sql.participations and sql.visits and sql.members and sql.participating_members
    assert sum(sql.assistance.values()) > 0


def test_the_check_fails_when_the_pages_figures_differ(seeded, monkeypatch):
    real_rollup = figures_module.rollup

    def one_hour_more(*args, **kwargs):
        result = real_rollup(*args, **kwargs)
        result.figures.hours += Decimal(1)
        return result

    monkeypatch.setattr(bench, "rollup", one_hour_more)
    with pytest.raises(bench.FiguresDiffer, match="hours: page"):
        bench.run(warmup=0, repeat=1)
    with pytest.raises(CommandError, match="hours: page"):
        call_command("bench_dashboard", "--warmup", "0", "--repeat", "1")


def test_a_row_changed_behind_the_stores_back_is_caught(seeded):
    """A base row changed without the services (so the figure store does not know): the pages, reading the store,
    and figures_check both disagree with the base tables, and the benchmark refuses to time."""
    start, _end = this_year()
    Participation.objects.filter(pk=Participation.objects.filter(activity__date__gte=start).values("pk")[:1]).update(
        hours=F("hours") + 5
    )
    with pytest.raises(bench.FiguresDiffer):
        bench.run(warmup=0, repeat=1)


def test_the_command_times_every_page_and_prints_the_targets_last(seeded, capsys):
    call_command("bench_dashboard", "--warmup", "0", "--repeat", "1")
    out = capsys.readouterr().out
    for name, _user, _url in bench.pages(Branch.objects.get(parent__isnull=True), None):
        assert name in out
    assert bench.HAND_WRITTEN in out and "/dashboard/<district>/" in out
    lines = out.strip().splitlines()
    targets = lines.index("Targets of issue 13 (the largest database against the hand-written pass and the smallest):")
    assert all("÷" in line for line in lines[targets + 1 : -1])
    assert lines[-1] in ("All targets met.", "Targets missed.")


def result(label, activities, sql_ms, pages_ms, queries):
    timings = [{"name": bench.HAND_WRITTEN, "median_ms": sql_ms, "queries": 4, "kilobytes": 0, "timed_out": False}]
    timings += [
        {"name": name, "median_ms": ms, "queries": queries.get(name, 10), "kilobytes": 20, "timed_out": ms == INF}
        for name, ms in pages_ms.items()
    ]
    return {"label": label, "activities": activities, "timings": timings, "timeout": 60}


INF = float("inf")


def test_the_ratios_compare_the_largest_size_with_the_hand_written_pass_and_the_smallest():
    small = result("100k", 100_000, 300.0, {"/dashboard/ (root)": 100.0, "/activities/": 20.0}, {})
    large = result("1m", 1_000_000, 3000.0, {"/dashboard/ (root)": 1400.0, "/activities/": 600.0}, {"/activities/": 11})
    lines, met = bench.ratios([large, small])
    assert not met
    text = "\n".join(lines)
    assert "met  /dashboard/ (root) at 1m ÷ the hand-written pass: 0.47 (target ≤ 0.5)" in text
    assert "MISSED /dashboard/ (root) at 1m ÷ at 100k: 14.00 (target ≤ 1.3)" in text
    assert "met  /activities/ at 1m ÷ the hand-written pass: 0.20 (target ≤ 0.25)" in text
    assert "MISSED /activities/ queries: 10 at 100k, 11 at 1m (target: equal)" in text
    assert "met  /dashboard/ (root) queries: 10 at 100k, 10 at 1m (target: equal)" in text

    faster = result("1m", 1_000_000, 3000.0, {"/dashboard/ (root)": 110.0, "/activities/": 30.0}, {})
    lines, met = bench.ratios([small, faster])
    assert met and not any(line.startswith("MISSED") for line in lines)

    stuck = result("1m", 1_000_000, 3000.0, {"/dashboard/ (root)": INF, "/activities/": 30.0}, {})
    lines, met = bench.ratios([small, stuck])
    assert not met
    assert "MISSED /dashboard/ (root) at 1m ÷ the hand-written pass: timed out (target ≤ 0.5)" in lines
    assert "MISSED /dashboard/ (root) queries: not counted (timed out)" in lines
    small["label"], small["database"], small["branches"], small["members"] = "100k", "postgresql", 1, 2
    small.update(participations=3, visits=4, period="2026", measured="today")
    stuck.update(database="postgresql", branches=1, members=2, participations=3, visits=4, period="2026")
    stuck["measured"] = "today"
    table = "\n".join(bench.table([small, stuck]))
    assert "> 60 s (timed out)" in table and "/activities/" in table


def test_a_bad_database_option_is_refused():
    with pytest.raises(CommandError, match="LABEL=URL"):
        call_command("bench_dashboard", "--database", "postgres://nowhere/bench")
    with pytest.raises(CommandError, match="--repeat"):
        call_command("bench_dashboard", "--repeat", "0")
