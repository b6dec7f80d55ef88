"""`make loadtest`'s own code: the locustfile run for a few seconds against a live server, and the lost-write check.

The server is Django's live server on 127.0.0.1:18021 (the load test's ports are 18020-18029), on the test database;
Locust runs in a subprocess as `make loadtest` runs it (scripts/loadtest.py).
"""

import importlib.util
import sys
from pathlib import Path

import pytest
from pytest_django.live_server_helper import LiveServer

from activities.models import Activity
from beneficiaries.models import Visit

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-42"

spec = importlib.util.spec_from_file_location("loadtest", ROOT / "scripts" / "loadtest.py")
loadtest = importlib.util.module_from_spec(spec)
sys.modules["loadtest"] = loadtest
spec.loader.exec_module(loadtest)


@pytest.fixture
def server(transactional_db):
    live = LiveServer("127.0.0.1:18021")
    live._live_server_modified_settings.enable()
    try:
        yield live.url
    finally:
        live._live_server_modified_settings.disable()
        live.stop()


def test_the_locustfile_runs_without_errors_and_every_write_is_found(server, records, tree, tmp_path):
    for user in (tree.secretary_a, tree.root_leader):
        user.set_password(PASSWORD)
        user.save()
    sessions = loadtest.sign_in_all(server, 2, secretaries=("secretary_a",), leader="root_leader", password=PASSWORD)

    run = loadtest.run_locust("test", server, loadtest.MIXED, 2, 8, 0, sessions, tmp_path)

    assert run.failures == 0, run.errors
    names = {kind["name"] for kind in run.kinds}
    assert {"dashboard", "activity create"} <= names, names  # the leader read, the secretary wrote
    assert run.requests >= 10 and run.p95 > 0
    assert run.acks["activities"] or run.acks["visits"], names
    assert loadtest.lost_writes(run.acks) == []

    # A write the server acknowledged that is not in the database is reported, by what it was.
    if run.acks["visits"]:
        Visit.objects.filter(notes=run.acks["visits"][0]).update(notes="")
        lost = f"visit {run.acks['visits'][0]!r}"
    else:
        pk, title = next(iter(run.acks["activities"].items()))
        Activity.objects.filter(pk=pk).update(title="something else")
        lost = f"activity {pk} {title!r} (stored: 'something else')"
    assert loadtest.lost_writes(run.acks) == [lost]


def test_a_server_that_refuses_sign_in_stops_the_load_test(server, tree):
    with pytest.raises(SystemExit, match="secretary_a could not sign in"):
        loadtest.sign_in(server, "secretary_a", "not-the-password")


def test_each_missed_target_is_named_and_the_figures_printed(capsys):
    Run = loadtest.Run
    acks = {"activities": {}, "visits": []}
    waiting = Run("(a)", requests=300, rps=5.0, p50=80, p95=250, p99=400, acks=acks)
    saturated = Run("(b)", requests=600, rps=41.0, p95=900, acks=acks)
    healthz = Run("healthz", requests=2000, rps=100.0)
    assert loadtest.report(waiting, saturated, healthz) == []
    assert "(b) mixed ÷ /healthz: 41.0 ÷ 100.0 req/s = 41%" in capsys.readouterr().out

    waiting.p95, waiting.failures, saturated.lost, saturated.rps = 300, 1, ["visit '压测走访 1'"], 39.0
    assert loadtest.report(waiting, saturated, healthz) == [
        "(a) p95 < 300 ms",
        "(a) 0 errors",
        "(a) 0 lost writes",
        "(b) mixed ≥ 40% of /healthz",
    ]
    out = capsys.readouterr().out
    assert "MISSED (a) p95 < 300 ms: 300 ms" in out and "lost: visit '压测走访 1'" in out
