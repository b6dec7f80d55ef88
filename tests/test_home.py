import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from .factories import ActivityFactory, BeneficiaryFactory, MemberFactory, PairingFactory, VisitFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_lists_what_needs_doing(as_user, tree):
    today = timezone.localdate()
    never = BeneficiaryFactory(branch=tree.branch_a, name="从未走访的人")
    visited = BeneficiaryFactory(branch=tree.branch_a, name="走访过的人")
    VisitFactory(beneficiary=visited, follow_up_needed=True, date=today)
    PairingFactory(member=MemberFactory(branch=tree.branch_a, name="结对干部"), beneficiary=never,
                   start_date=today - dt.timedelta(days=90))  # fmt: skip
    ActivityFactory(branch=tree.branch_a, title="最近的活动", date=today)
    BeneficiaryFactory(branch=tree.branch_b, name="别的社区的人")
    response = as_user(tree.secretary_a).get(reverse("home"))
    page = response.content.decode()
    assert response.context["overdue_count"] == 1 and "结对干部" in page
    assert response.context["never_visited_count"] == 1 and "从未走访的人" in page
    assert response.context["follow_ups_count"] == 1 and "走访过的人" in page
    assert "最近的活动" in page
    assert reverse("activities:activity-create") in page
    assert "别的社区的人" not in page


def test_an_empty_home_page_says_what_to_do(as_user, tree):
    page = as_user(tree.secretary_a).get(reverse("home")).content.decode()
    assert "所有结对都按时见面了" in page
    assert "点“记录活动”记录第一次活动" in page


def test_a_leader_goes_to_the_dashboard_which_has_no_write_actions(as_user, tree):
    ActivityFactory(branch=tree.branch_a, title="社区活动")
    response = as_user(tree.district_leader).get(reverse("home"), follow=True)
    assert response.redirect_chain == [(reverse("dashboards:dashboard"), 302)]
    assert response.context["figures"].activities == 1
    assert reverse("activities:activity-create") not in response.content.decode()


def test_home_query_count_does_not_grow(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)
    today = timezone.localdate()

    def grow():
        for _ in range(20):
            b = BeneficiaryFactory(branch=tree.branch_a)
            PairingFactory(member=MemberFactory(branch=tree.branch_a), beneficiary=b,
                           start_date=today - dt.timedelta(days=90))  # fmt: skip
            VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a), follow_up_needed=True)
            ActivityFactory(branch=tree.branch_a)

    # 9 for the page (session, user, the grants once, three counts, four lists), 4 for the reports due and 1 for the
    # members' records waiting for confirmation.
    assert_flat_queries(lambda: client.get(reverse("home")), grow, queries=14)
