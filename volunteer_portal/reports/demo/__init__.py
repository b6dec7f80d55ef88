"""The demo organisation `seed_demo` builds: the branch tree, people, records and users (`organisation`), then
reports in every state of their workflow (`reports`). It reads and writes every app, so it sits at the top,
beside `seed_demo`."""

from .members import build_demo_volunteer
from .organisation import DEMO_PASSWORD, NAMED_BRANCHES, DemoBuilder
from .reports import build_demo_reports

__all__ = ["DEMO_PASSWORD", "NAMED_BRANCHES", "DemoBuilder", "build_demo_reports", "build_demo_volunteer"]
