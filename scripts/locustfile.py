"""The people `make loadtest` simulates (scripts/loadtest.py runs Locust on this file; see there).

Secretaries read (home, the activity and beneficiary lists, a detail page) and write through the real forms with
their CSRF tokens (log an activity, record a visit, edit one of the activities they logged), 6 reads to 3 writes;
leaders read the dashboard. With 9 secretaries to 1 leader, 70% of the tasks are reads and 30% writes.

Everyone arrives signed in: LOADTEST_SESSIONS names a JSON file {"secretary": [sessionid, ...], "leader": [...]}
(signing in costs a password hash, which is not what is measured). LOADTEST_WAIT is the seconds each person waits
between tasks (0: none). When the run stops, its figures go to the JSON file LOADTEST_RESULT with every write the
server acknowledged (a redirect), {"activities": {pk: latest title}, "unanswered": {pk: [titles]}, "visits":
[notes, ...]}, for the lost-write check.
"""

import itertools
import json
import os
import random
import re
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import lxml.html
from locust import FastHttpUser, constant, events, task
from requests.cookies import create_cookie

SESSIONS = json.loads(Path(os.environ["LOADTEST_SESSIONS"]).read_text()) if "LOADTEST_SESSIONS" in os.environ else {}
WAIT = float(os.environ.get("LOADTEST_WAIT", "1"))
LOGIN = "/accounts/login/"

# What the server acknowledged, by this Locust process: activity pk -> its latest title, and visits' notes.
# An edit the server did not answer (still in flight when the run stopped) may have been saved: its title, in
# unanswered, may stand in the database instead of the last acknowledged one.
acked_activities: dict[int, str] = {}
unanswered: dict[int, list[str]] = {}
acked_visits: list[str] = []
_next_session = {role: itertools.count() for role in ("secretary", "leader")}
dice = random.Random()  # noqa: S311 (who does what next: a simulation's dice, not a secret)


@events.test_stop.add_listener
def write_result(environment: Any, **kwargs: Any) -> None:
    """The run's figures and acknowledged writes, once every person has stopped, to the file LOADTEST_RESULT."""
    if "LOADTEST_RESULT" not in os.environ:
        return

    def figures(entry: Any) -> dict[str, Any]:
        percentile = entry.get_response_time_percentile
        return {
            "name": entry.name, "requests": entry.num_requests, "failures": entry.num_failures,
            "rps": entry.total_rps, "p50": percentile(0.5), "p95": percentile(0.95), "p99": percentile(0.99),
        }  # fmt: skip

    stats, exceptions = environment.stats, environment.runner.exceptions.values()
    result = {
        **figures(stats.total),
        "exceptions": sum(row["count"] for row in exceptions),
        "kinds": [figures(entry) for entry in stats.entries.values() if entry.num_requests],
        "errors": [f"{e.occurrences} × {e.name}: {e.error}" for e in stats.errors.values()]
        + [f"{row['count']} × exception: {row['msg']}" for row in exceptions],
        "acks": {"activities": acked_activities, "unanswered": unanswered, "visits": acked_visits},
    }
    Path(os.environ["LOADTEST_RESULT"]).write_text(json.dumps(result, ensure_ascii=False))


def unique(kind: str) -> str:
    return f"压测{kind} {uuid.uuid4().hex[:12]}"


class Person(FastHttpUser):
    abstract = True
    role = ""
    wait_time = constant(WAIT)

    def on_start(self) -> None:
        sessions = SESSIONS[self.role]
        session = sessions[next(_next_session[self.role]) % len(sessions)]
        host = str(self.host).split("//", 1)[-1].split(":", 1)[0]
        self.client.cookiejar.set_cookie(create_cookie("sessionid", session, domain=host))

    def read(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:  # a redirect to the sign-in page included
                response.failure(f"{response.status_code} {(response.headers or {}).get('Location', '')}")
                return ""
            return response.text or ""


# A secretary's tasks and their weights: 6 reads to 3 writes. Each starts with a tour that does each task as often
# as its weight, a write early on, so that even a run of a few seconds writes and reads every kind of page.
WEIGHTS = {"home": 2, "lists": 1, "detail": 3, "log_activity": 1, "record_visit": 1, "edit_activity": 1}
TOUR = ("lists", "log_activity", "detail", "record_visit", "home", "edit_activity", "detail", "home", "detail")


class Secretary(Person):
    weight = 9
    role = "secretary"

    def on_start(self) -> None:
        super().on_start()
        self.activities: list[int] = []
        self.beneficiaries: list[int] = []
        self.mine: list[int] = []  # activities this person logged, the ones they edit
        self.tour = list(TOUR)

    @task
    def next_task(self) -> None:
        """The tour first, then tasks drawn by their weights."""
        if not self.tour:
            self.tour = dice.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))
        getattr(self, self.tour.pop(0))()

    def activity_list(self) -> None:
        page = self.read("/activities/", "activity list")
        self.activities = [int(pk) for pk in re.findall(r'href="/activities/(\d+)/"', page)] or self.activities

    def beneficiary_list(self) -> None:
        page = self.read("/beneficiaries/", "beneficiary list")
        self.beneficiaries = [int(pk) for pk in re.findall(r'href="/beneficiaries/(\d+)/"', page)] or self.beneficiaries

    def home(self) -> None:
        self.read("/", "home")

    def lists(self) -> None:
        dice.choice([self.activity_list, self.beneficiary_list])()

    def detail(self) -> None:
        if not self.activities or not self.beneficiaries:
            self.lists()
        elif dice.random() < 0.5:
            self.read(f"/activities/{dice.choice(self.activities)}/", "activity detail")
        else:
            self.read(f"/beneficiaries/{dice.choice(self.beneficiaries)}/", "beneficiary detail")

    def submit(self, path: str, name: str, fill: dict[str, str]) -> str | None:
        """GET the form at path, fill it like a person would, POST it; the redirect's target when acknowledged."""
        page = self.read(path, f"{name} form")
        forms = (
            [form for form in lxml.html.fromstring(page).forms if form.method == "POST" and not form.action]
            if page
            else []
        )
        if not forms:
            return None
        form = forms[0]
        required = {"required", "aria-required"}
        chosen = {  # a required choice no one has made yet: the first one offered
            field.name: next(option.get("value") for option in field.iter("option") if option.get("value"))
            for field in form.inputs
            if field.tag == "select" and not field.value and required & set(field.attrib)
        }
        values = [(key, chosen.get(key, value)) for key, value in form.form_values() if key not in fill]
        for box in ("participants", "visitors"):
            offered = [field.get("value") for field in form.inputs if field.name == box]
            if offered and not any(key == box for key, _ in values):
                values.append((box, offered[0]))
        body = urllib.parse.urlencode(values + list(fill.items()))
        form_type = {"Content-Type": "application/x-www-form-urlencoded"}
        with self.client.post(
            path, data=body, headers=form_type, name=name, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "") if response.status_code == 302 else ""
            if not location or LOGIN in location:
                response.failure(f"not saved: {response.status_code} {location}")
                return None
            return location

    def log_activity(self) -> None:
        title = unique("活动")
        location = self.submit("/activities/new/", "activity create", {"title": title})
        if location and (pk := re.search(r"/activities/(\d+)/", location)):
            acked_activities[int(pk.group(1))] = title
            self.mine.append(int(pk.group(1)))

    def record_visit(self) -> None:
        if not self.beneficiaries:
            self.beneficiary_list()
            return
        notes = unique("走访")
        path = f"/beneficiaries/{dice.choice(self.beneficiaries)}/visits/new/"
        if self.submit(path, "visit create", {"notes": notes, "nothing_handed_over": "on"}):
            acked_visits.append(notes)

    def edit_activity(self) -> None:
        if not self.mine:
            self.log_activity()
            return
        pk, title = dice.choice(self.mine), unique("活动")
        unanswered.setdefault(pk, []).append(title)
        if self.submit(f"/activities/{pk}/edit/", "activity edit", {"title": title}):
            acked_activities[pk] = title
            del unanswered[pk]


class Leader(Person):
    weight = 1
    fixed_count = int(os.environ.get("LOADTEST_LEADERS", "0"))  # one a session, when given
    role = "leader"

    @task
    def dashboard(self) -> None:
        self.read("/dashboard/", "dashboard")


class Healthz(FastHttpUser):
    """The bare health check, the saturation run's yardstick (run alone: scripts/loadtest.py names the classes)."""

    wait_time = constant(0)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="healthz")
