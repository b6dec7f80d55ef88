"""The secretaries' queue of members' records: confirm, correct and confirm, return with a reason, all at once;
what counts when (the figures move only on confirming, and the store stays equal to the base tables); the
decisions in the history; the home card and the dashboard's pending line; photos that move to the visit; who may
see any of it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.urls import reverse

from activities.models import Participation
from beneficiaries.models import Visit, VisitPhoto
from volunteer_portal.branches.selectors import display_name
from volunteer_portal.dashboards import tallies as store
from volunteer_portal.dashboards.figures import rollup
from volunteer_portal.selfservice.models import Claim, ClaimPhoto
from volunteer_portal.selfservice.services import claim_check_in, claim_confirm, claim_reject, claim_visit_submit

from ..conftest import image_bytes
from ..factories import ActivityFactory, BeneficiaryFactory, MemberFactory, PairingFactory, UserFactory

pytestmark = pytest.mark.django_db
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
QUEUE = reverse("selfservice:queue")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


@pytest.fixture
def member(tree):
    """A member of branch_a with their own login."""
    return MemberFactory(branch=tree.branch_a, name="王志愿", user=UserFactory(username="volunteer"))


@pytest.fixture
def activity(tree):
    return ActivityFactory(branch=tree.branch_a, title="助残清扫", date=dt.date(2026, 3, 5))


@pytest.fixture
def pairing(tree, member):
    household = BeneficiaryFactory(branch=tree.branch_a, name="杨秀英")
    return PairingFactory(member=member, beneficiary=household, start_date=dt.date(2026, 1, 1))


def check_in(member, activity) -> Claim:
    return claim_check_in(actor=member.user, member=member, activity=activity)


def visit_claim(member, pairing, **values) -> Claim:
    item = {"kind": "goods", "description": "米面油", "quantity": 1, "value": Decimal("120")}
    fields = {"date": dt.date(2026, 3, 6), "notes": "送米面油，聊了家里情况", "items": [item]}
    return claim_visit_submit(actor=member.user, member=member, pairing=pairing, **{**fields, **values})


def add_photo(claim) -> ClaimPhoto:
    photo = ClaimPhoto(claim=claim)
    photo.image.save("p.jpg", ContentFile(image_bytes(image_format="JPEG")), save=False)
    photo.save()
    return photo


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def counted(tree):
    """The figures of the whole tree this year: confirmed work only."""
    return rollup(tree.root, *YEAR).figures


# --- the queue ---------------------------------------------------------------------------------------------------


def test_the_queue_lists_what_waits_oldest_first_with_names_only(as_user, tree, member, activity, pairing):
    later = visit_claim(member, pairing, date=dt.date(2026, 3, 9))
    first = check_in(member, activity)
    response = as_user(tree.secretary_a).get(QUEUE)
    assert [claim.pk for claim in response.context["page"]] == [first.pk, later.pk]
    page = response.content.decode()
    assert "王志愿" in page and "助残清扫" in page and "杨秀英" in page and "米面油" in page
    assert pairing.beneficiary.id_number not in page
    assert "确认" in page and "修改后确认" in page and "退回" in page
    only_visits = as_user(tree.secretary_a).get(QUEUE, {"kind": "visit"})
    assert [claim.pk for claim in only_visits.context["page"]] == [later.pk]


def test_confirming_one_makes_it_count(as_user, tree, member, activity):
    claim = check_in(member, activity)
    assert counted(tree).hours == 0
    response = as_user(tree.secretary_a).post(reverse("selfservice:claim-confirm", args=[claim.pk]))
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert "已确认" in said(response)[0]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CONFIRMED and claim.decided_by == tree.secretary_a
    assert counted(tree).hours == Decimal("2.0") and counted(tree).participations == 1
    assert store.differences() == []
    # The activity's page lists the member among its participants.
    page = as_user(tree.secretary_a).get(activity.get_absolute_url()).content.decode()
    assert "王志愿" in page


def test_correcting_the_hours_confirms_what_the_secretary_typed(as_user, tree, member, activity):
    claim = check_in(member, activity)
    url = reverse("selfservice:claim-confirm", args=[claim.pk])
    client = as_user(tree.secretary_a)
    bad = client.post(url, {"correct": "1", "c-hours": "30"})
    assert bad.status_code == 200 and "30" in bad.content.decode()  # what was typed is kept, with the error
    assert Claim.objects.get().status == Claim.Status.PENDING
    client.post(url, {"correct": "1", "c-hours": "3.5"})
    assert Participation.objects.get(member=member, activity=activity).hours == Decimal("3.5")
    assert counted(tree).hours == Decimal("3.5")
    assert store.differences() == []


def items_data(rows, *, initial: int) -> dict:
    data = {"items-TOTAL_FORMS": str(len(rows)), "items-INITIAL_FORMS": str(initial),
            "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "20"}  # fmt: skip
    for number, row in enumerate(rows):
        data |= {f"items-{number}-{name}": value for name, value in row.items()}
    return data


def test_correcting_a_visit_changes_its_date_notes_and_items(as_user, tree, member, pairing):
    claim = visit_claim(member, pairing)
    client = as_user(tree.secretary_a)
    form = client.get(reverse("selfservice:claim-detail", args=[claim.pk]))
    assert form.context["items_formset"].forms[0]["description"].value() == "米面油"
    assert counted(tree).visits == 0
    removed = {"kind": "goods", "description": "米面油", "quantity": "1", "value": "120", "DELETE": "on"}
    added = {"kind": "goods", "description": "棉被", "quantity": "2", "value": "300"}
    data = {
        "correct": "1",
        "c-date": "2026-03-07",
        "c-notes": "送米面油和棉被",
        **items_data([removed, added], initial=1),
    }
    response = client.post(reverse("selfservice:claim-confirm", args=[claim.pk]), data)
    assert response.status_code == 302, response.context and response.context["correction_form"].errors
    visit = Visit.objects.get()
    assert (visit.date, visit.notes) == (dt.date(2026, 3, 7), "送米面油和棉被")
    assert [(item.description, item.quantity, item.value) for item in visit.items.all()] == [
        ("棉被", 2, Decimal("300.00"))
    ]
    claim.refresh_from_db()
    assert claim.items == [{"kind": "goods", "description": "棉被", "quantity": 2, "value": "300"}]
    assert counted(tree).visits == 1 and counted(tree).assistance["goods"] == Decimal("300")
    assert store.differences() == []


def test_a_visit_cannot_be_confirmed_before_its_pairing_began(as_user, tree, member, pairing):
    claim = visit_claim(member, pairing)
    data = {"correct": "1", "c-date": "2025-12-01", "c-notes": "x", **items_data([], initial=0)}
    response = as_user(tree.secretary_a).post(reverse("selfservice:claim-confirm", args=[claim.pk]), data)
    assert response.status_code == 200 and "结对从 2026-01-01 开始" in response.content.decode()
    assert not Visit.objects.exists()


def test_returning_needs_a_reason(as_user, tree, member, activity):
    claim = check_in(member, activity)
    url = reverse("selfservice:claim-reject", args=[claim.pk])
    client = as_user(tree.secretary_a)
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert "请写明理由，以便成员知道要更正什么。" in response.content.decode()
    assert Claim.objects.get().status == Claim.Status.PENDING
    response = client.post(url, {"reason": "当天未到场"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.decision_note, claim.decided_by) == ("rejected", "当天未到场", tree.secretary_a)
    assert counted(tree).hours == 0 and not Participation.objects.exists()
    assert store.differences() == []
    assert [c.pk for c in client.get(QUEUE).context["page"]] == []


def test_confirming_the_ticked_ones_leaves_the_rest(as_user, tree, member, activity, pairing):
    ticked = check_in(member, activity)
    other = visit_claim(member, pairing)
    response = as_user(tree.secretary_a).post(
        reverse("selfservice:claims-confirm"),
        {"scope": "selected", "claim": [ticked.pk], "on_page": [ticked.pk, other.pk]},
    )
    assert response.status_code == 302 and "已确认 1 条记录" in said(response)[0]
    assert Claim.objects.get(pk=ticked.pk).status == Claim.Status.CONFIRMED
    assert Claim.objects.get(pk=other.pk).status == Claim.Status.PENDING
    assert counted(tree).visits == 0 and counted(tree).hours == Decimal("2.0")
    assert store.differences() == []


def test_nothing_ticked_says_so(as_user, tree, member, activity):
    check_in(member, activity)
    response = as_user(tree.secretary_a).post(reverse("selfservice:claims-confirm"), {"scope": "selected"})
    assert response.status_code == 302 and "请先勾选要确认的记录。" in said(response)
    assert Claim.objects.get().status == Claim.Status.PENDING


def test_confirm_all_confirms_the_rows_the_page_showed(as_user, tree, member, activity, pairing):
    shown = [check_in(member, activity), visit_claim(member, pairing)]
    arrived_since = check_in(member, ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 8)))
    response = as_user(tree.secretary_a).post(
        reverse("selfservice:claims-confirm"), {"scope": "page", "on_page": [claim.pk for claim in shown]}
    )
    assert "已确认 2 条记录" in said(response)[0]
    assert sorted(Claim.objects.filter(status="confirmed").values_list("pk", flat=True)) == [c.pk for c in shown]
    assert Claim.objects.get(pk=arrived_since.pk).status == Claim.Status.PENDING
    assert counted(tree).visits == 1 and counted(tree).participations == 1
    assert store.differences() == []


def test_a_record_decided_meanwhile_by_someone_else_is_said_so(as_user, tree, member, activity, pairing):
    claim = check_in(member, activity)
    visit = visit_claim(member, pairing)
    client = as_user(tree.secretary_a)
    client.get(QUEUE)
    claim_reject(actor=tree.secretary_b, claim=claim, reason="重复")  # another secretary, in another tab
    for url, data in [
        (reverse("selfservice:claim-confirm", args=[claim.pk]), {}),
        (reverse("selfservice:claim-confirm", args=[claim.pk]), {"correct": "1", "c-hours": "3"}),
        (reverse("selfservice:claim-reject", args=[claim.pk]), {"reason": "x"}),
    ]:
        response = client.post(url, data, follow=True)
        assert response.redirect_chain == [(QUEUE, 302)] and said(response) == ["这条记录已经处理过了。"], url
    response = client.post(reverse("selfservice:claims-confirm"), {"scope": "page", "on_page": [claim.pk, visit.pk]})
    assert said(response) == ["已确认 1 条记录，从现在起计入统计。", "1 条记录已经处理过了。"]
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.REJECTED
    assert store.differences() == []


def test_a_race_inside_the_service_is_a_message_not_a_500(as_user, tree, member, activity, monkeypatch):
    """Decided between the page's read and the service's lock: the service refuses, the page says so."""
    claim = check_in(member, activity)
    from volunteer_portal.selfservice import services

    real = services.claim_confirm

    def decided_first(**kwargs):
        claim_reject(actor=tree.secretary_b, claim=kwargs["claim"], reason="重复")
        return real(**kwargs)

    monkeypatch.setattr(services, "claim_confirm", decided_first)
    response = as_user(tree.secretary_a).post(reverse("selfservice:claim-confirm", args=[claim.pk]))
    assert response.status_code == 302 and said(response) == ["这条记录已经处理过了。"]


def test_the_claim_page_shows_its_decisions(as_user, tree, member, activity):
    claim = check_in(member, activity)
    claim_confirm(actor=tree.secretary_a, claim=claim, hours=Decimal("3"))
    response = as_user(tree.secretary_a).get(reverse("selfservice:claim-detail", args=[claim.pk]))
    page = response.content.decode()
    assert "处理记录" in page
    decisions = response.context["decisions"]
    assert [row.status for row in decisions] == ["confirmed", "pending"]
    assert decisions[0].history_user == tree.secretary_a
    assert "已确认" in page and display_name(tree.secretary_a) in page
    assert "修改后确认" not in page  # decided: no forms


# --- photos ------------------------------------------------------------------------------------------------------


def test_photos_show_in_the_queue_and_move_to_the_visit(as_user, tree, member, pairing, media):
    claim = visit_claim(member, pairing)
    photo = add_photo(claim)
    client = as_user(tree.secretary_a)
    photo_url = reverse("selfservice:claim-photo", args=[photo.pk])
    assert photo_url in client.get(QUEUE).content.decode()
    assert client.get(photo_url)["Content-Type"] == "image/jpeg"
    assert as_user(member.user).get(photo_url).status_code == 200  # the member who sent it
    assert as_user(tree.secretary_b).get(photo_url).status_code == 404

    client = as_user(tree.secretary_a)
    client.post(reverse("selfservice:claim-confirm", args=[claim.pk]))
    visit = Visit.objects.get()
    moved = VisitPhoto.objects.get(visit=visit)
    assert moved.image.name == photo.image.name and moved.thumbnail  # the same stored file; a thumbnail made
    assert moved.uploaded_by == member.user
    page = client.get(visit.get_absolute_url()).content.decode()
    assert reverse("beneficiaries:visit-photo-thumbnail", args=[moved.pk]) in page
    assert client.get(reverse("beneficiaries:visit-photo", args=[moved.pk]))["Content-Type"] == "image/jpeg"
    assert client.get(reverse("beneficiaries:visit-photo-thumbnail", args=[moved.pk])).status_code == 200
    assert as_user(tree.secretary_b).get(reverse("beneficiaries:visit-photo", args=[moved.pk])).status_code == 404
    assert as_user(tree.district_leader).get(reverse("beneficiaries:visit-photo", args=[moved.pk])).status_code == 200
    client.logout()
    response = client.get(reverse("beneficiaries:visit-photo", args=[moved.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_photo_whose_file_is_gone_is_404(as_user, tree, member, pairing, media):
    claim = visit_claim(member, pairing)
    photo = add_photo(claim)
    claim_confirm(actor=tree.secretary_a, claim=claim)
    moved = VisitPhoto.objects.get()
    (media / photo.image.name).unlink()
    client = as_user(tree.secretary_a)
    assert client.get(reverse("beneficiaries:visit-photo", args=[moved.pk])).status_code == 404
    assert client.get(reverse("selfservice:claim-photo", args=[photo.pk])).status_code == 404


def test_a_photo_whose_file_is_gone_is_confirmed_without_a_thumbnail(as_user, tree, member, pairing, media):
    claim = visit_claim(member, pairing)
    photo = add_photo(claim)
    (media / photo.image.name).unlink()
    claim_confirm(actor=tree.secretary_a, claim=claim)
    assert not VisitPhoto.objects.get().thumbnail


# --- home and dashboard ------------------------------------------------------------------------------------------


def test_the_home_page_shows_what_waits_for_the_secretary(as_user, tree, member, activity, pairing):
    client = as_user(tree.secretary_a)
    assert "成员记录待确认" not in client.get(reverse("home")).content.decode()
    check_in(member, activity)
    visit_claim(member, pairing)
    page = client.get(reverse("home")).content.decode()
    assert "成员记录待确认 2 条" in page and QUEUE in page
    assert "成员记录待确认" not in as_user(tree.secretary_b).get(reverse("home")).content.decode()


def test_the_dashboard_shows_what_waits_in_the_subtree(as_user, tree, member, activity, pairing):
    check_in(member, activity)
    check_in(MemberFactory(branch=tree.branch_a), activity)
    visit_claim(member, pairing)
    client = as_user(tree.district_leader)
    response = client.get(reverse("dashboards:dashboard-node", args=[tree.district.pk]))
    assert response.context["pending"] == {"hours": Decimal("4.0"), "participations": 2, "visits": 1}
    assert "另有待确认：4.0 小时（2 人次）、1 次走访" in response.content.decode()
    assert response.context["figures"].hours == 0
    other = client.get(reverse("dashboards:dashboard-node", args=[tree.branch_b.pk]))
    assert "另有待确认" not in other.content.decode()
    last_year = client.get(
        reverse("dashboards:dashboard-node", args=[tree.district.pk]), {"period": "chosen_year", "year": "2025"}
    )
    assert "另有待确认" not in last_year.content.decode()


# --- who may -----------------------------------------------------------------------------------------------------


def urls(claim, photo=None) -> list[tuple[str, str]]:
    pages = [
        ("get", QUEUE),
        ("get", reverse("selfservice:claim-detail", args=[claim.pk])),
        ("post", reverse("selfservice:claim-confirm", args=[claim.pk])),
        ("post", reverse("selfservice:claim-reject", args=[claim.pk])),
        ("post", reverse("selfservice:claims-confirm")),
    ]
    return pages + ([("get", reverse("selfservice:claim-photo", args=[photo.pk]))] if photo else [])


def test_anonymous_users_are_sent_to_sign_in(client, tree, member, pairing, media):
    claim = visit_claim(member, pairing)
    for method, url in urls(claim, add_photo(claim)):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), url


def test_another_branchs_secretary_neither_sees_nor_decides_it(as_user, tree, member, activity):
    claim = check_in(member, activity)
    client = as_user(tree.secretary_b)
    assert list(client.get(QUEUE).context["page"]) == []
    for method, url in urls(claim)[1:4]:
        assert getattr(client, method)(url, {"reason": "x"}).status_code == 404, url
    client.post(reverse("selfservice:claims-confirm"), {"scope": "page", "on_page": [claim.pk]})
    assert Claim.objects.get().status == Claim.Status.PENDING


def test_a_district_secretary_decides_for_the_branches_below(as_user, tree, member, activity):
    from volunteer_portal.branches.models import RoleGrant

    from ..factories import RoleGrantFactory

    district_secretary = UserFactory(username="district_secretary")
    RoleGrantFactory(user=district_secretary, branch=tree.district, role=RoleGrant.Role.SECRETARY)
    claim = check_in(member, activity)
    client = as_user(district_secretary)
    assert [c.pk for c in client.get(QUEUE).context["page"]] == [claim.pk]


def test_a_leader_is_refused_and_a_member_finds_nothing(as_user, tree, member, activity):
    claim = check_in(member, activity)
    for user, status in [(tree.district_leader, 403), (member.user, 404)]:
        client = as_user(user)
        for method, url in urls(claim):
            assert getattr(client, method)(url).status_code == status, (user, url)
    assert Claim.objects.get().status == Claim.Status.PENDING


# --- query budgets -----------------------------------------------------------------------------------------------


def test_the_queue_query_count_does_not_grow(as_user, tree, member, pairing, media, assert_flat_queries):
    client = as_user(tree.secretary_a)
    add_photo(visit_claim(member, pairing))

    def grow():
        for number in range(11):
            other = MemberFactory(branch=tree.branch_a)
            if number % 2:
                check_in(other, ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 1 + number)))
            else:
                household = PairingFactory(member=other, beneficiary=BeneficiaryFactory(branch=tree.branch_a))
                add_photo(visit_claim(other, household))

    # Session, user, the scope (once: the decorator's read is cached for the queue's), the count, the page and
    # its photos.
    assert_flat_queries(lambda: client.get(QUEUE), grow, queries=6)
    assert Claim.objects.count() == 12


def test_the_claim_page_query_count_does_not_grow(as_user, tree, member, pairing, media, assert_flat_queries):
    client = as_user(tree.secretary_a)
    claim = visit_claim(member, pairing)
    add_photo(claim)

    def grow():
        for _ in range(11):
            add_photo(claim)

    # Session, user, scope, the claim, its history and the grants that name who made each change, its photos.
    assert_flat_queries(lambda: client.get(reverse("selfservice:claim-detail", args=[claim.pk])), grow, queries=7)


# --- the admin ---------------------------------------------------------------------------------------------------


def test_the_admin_shows_claims_read_only_in_chinese(client, superuser, tree, member, activity, pairing):
    from ..test_admin_chinese import GIVEAWAYS, visible_text

    claim = check_in(member, activity)
    claim_confirm(actor=tree.secretary_a, claim=claim)
    visit_claim(member, pairing)
    client.force_login(superuser)
    changelist = reverse("admin:selfservice_claim_changelist")
    pages = [changelist, f"{changelist}?status__exact=pending&kind__exact=visit",
             reverse("admin:selfservice_claim_change", args=[claim.pk]),
             reverse("admin:selfservice_claim_history", args=[claim.pk])]  # fmt: skip
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        assert [word for word in GIVEAWAYS if word in text.split()] == [], url
    listed = client.get(pages[1]).content.decode()
    assert "结对户走访" in listed and "待确认" in listed and "米面油" not in listed
    change = client.get(pages[2]).content.decode()
    assert "已确认" in change and 'name="_save"' not in change
    assert client.get(reverse("admin:selfservice_claim_add")).status_code == 403
    assert client.post(pages[2], {"status": "rejected"}).status_code == 403
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.CONFIRMED


def test_a_decision_goes_back_to_the_queue_as_it_was_shown(as_user, tree, member, activity):
    claim = check_in(member, activity)
    url = reverse("selfservice:claim-confirm", args=[claim.pk])
    response = as_user(tree.secretary_a).post(url, {"kind": "hours", "page": "2"})
    assert response["Location"] == f"{QUEUE}?kind=hours&page=2"
    other = check_in(MemberFactory(branch=tree.branch_a), activity)
    response = as_user(tree.secretary_a).post(
        reverse("selfservice:claim-reject", args=[other.pk]), {"reason": "重复", "kind": "x'", "page": "-1"}
    )
    assert response["Location"] == QUEUE


def check_ins_over_three_days(tree, count: int) -> list[Claim]:
    """`count` members of branch_a, each checked in at one of three activities on three days."""
    activities = [ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, day)) for day in (5, 6, 7)]
    people = [MemberFactory(branch=tree.branch_a, joined_on=dt.date(2025, 1, 1)) for _ in range(count)]
    return [check_in_as(person, activities[number % 3]) for number, person in enumerate(people)]


def check_in_as(person, activity) -> Claim:
    return claim_check_in(actor=None, member=person, activity=activity, hours=Decimal("1.5"))


def confirm_page(client, shown: list[Claim]) -> int:
    """全部确认 on a page that showed these records; the queries it ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("selfservice:claims-confirm"), {"scope": "page", "on_page": [claim.pk for claim in shown]}
        )
    assert f"已确认 {len(shown)} 条记录" in said(response)[-1]
    return len(queries)


def confirm_pages(client, pages: list[list[Claim]]) -> list[int]:
    """Each page confirmed in turn, from the queue; the queries each took."""
    client.get(QUEUE)
    return [confirm_page(client, shown) for shown in pages]


def test_confirming_a_page_of_check_ins_runs_the_same_queries_for_2_as_for_12(as_user, tree, media):
    """Check-ins are confirmed together (services.claims_confirm): their statements run once, not per record."""
    pages = [check_ins_over_three_days(tree, size) for size in (2, 12)]
    counts = confirm_pages(as_user(tree.secretary_a), pages)
    assert all(Claim.objects.get(pk=claim.pk).status == Claim.Status.CONFIRMED for shown in pages for claim in shown)
    assert counts[0] == counts[1], counts  # 450 for 12 when each was confirmed on its own
    assert counts[0] < 40, counts
    assert Participation.objects.count() == 14 and counted(tree).hours == Decimal("21.0")
    assert store.differences() == []


def test_check_ins_confirmed_together_keep_each_record_s_history_and_figures(tree):
    shown = check_ins_over_three_days(tree, 4)
    from volunteer_portal.selfservice.services import claims_confirm

    confirmed = claims_confirm(actor=tree.secretary_a, claims=shown)
    assert {claim.pk for claim in confirmed} == {claim.pk for claim in shown}
    for claim in shown:
        claim.refresh_from_db()
        assert claim.participation.member_id == claim.member_id and claim.participation.hours == Decimal("1.5")
        latest = claim.history.latest()
        assert (latest.status, latest.history_user, latest.decided_by_id) == ("confirmed", tree.secretary_a,
                                                                              tree.secretary_a.pk)  # fmt: skip
        added = claim.participation.history.get()
        assert (added.history_type, added.history_user) == ("+", tree.secretary_a)
    for activity in {claim.activity for claim in shown}:
        assert activity.participations.count() == sum(claim.activity_id == activity.pk for claim in shown)
    assert counted(tree).participations == 4 and counted(tree).hours == Decimal("6.0")
    assert store.differences() == []


def test_a_page_with_one_check_in_off_the_roll_confirms_nothing_and_names_them(as_user, tree, member):
    shown = check_ins_over_three_days(tree, 3)
    leaver = shown[1].member
    leaver.left_on = dt.date(2026, 3, 1)  # left before the day, after checking in: the secretary decides
    leaver.save()
    response = as_user(tree.secretary_a).post(
        reverse("selfservice:claims-confirm"), {"scope": "page", "on_page": [claim.pk for claim in shown]}
    )
    assert said(response) == [
        f"没有确认任何记录：{leaver.name}在2026-03-06不在册：请在成员页面核对其加入、离开日期，或取消勾选。"
    ]
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.PENDING}
    assert Participation.objects.count() == 0 and counted(tree).participations == 0
    assert store.differences() == []


def test_confirming_a_page_of_visits_and_check_ins_runs_the_same_queries_for_4_as_for_12(as_user, tree, media):
    def page(size: int) -> list[Claim]:
        shown = check_ins_over_three_days(tree, size)
        for _ in range(size):
            visitor = MemberFactory(branch=tree.branch_a, user=UserFactory())
            household = BeneficiaryFactory(branch=tree.branch_a)
            shown.append(visit_claim(visitor, PairingFactory(member=visitor, beneficiary=household,
                                                             start_date=dt.date(2026, 1, 1))))  # fmt: skip
        return shown

    pages = [page(2), page(6)]
    counts = confirm_pages(as_user(tree.secretary_a), pages)
    for claim in [claim for shown in pages for claim in shown]:
        claim.refresh_from_db()
        assert claim.status == Claim.Status.CONFIRMED and claim.history.latest().history_user == tree.secretary_a
        if claim.kind == Claim.Kind.VISIT:
            assert list(claim.visit.visitors.all()) == [claim.member] and claim.visit.items.get().value == 120
    assert counts[0] == counts[1], counts  # [114, 466] when each was written on its own
    assert counted(tree).visits == 8 and counted(tree).participations == 8
    assert store.differences() == []


def test_confirming_visits_together_moves_each_one_s_photos(as_user, tree, member, pairing, media):
    from volunteer_portal.selfservice.services import claims_confirm

    other = MemberFactory(branch=tree.branch_a, user=UserFactory())
    claims = [visit_claim(member, pairing),
              visit_claim(other, PairingFactory(member=other, beneficiary=pairing.beneficiary,
                                                start_date=dt.date(2026, 1, 1)))]  # fmt: skip
    photos = [add_photo(claims[0]), add_photo(claims[0]), add_photo(claims[1])]
    claims_confirm(actor=tree.secretary_a, claims=claims)
    for claim in claims:
        claim.refresh_from_db()
        moved = list(VisitPhoto.objects.filter(visit=claim.visit).order_by("pk"))
        assert [photo.image.name for photo in moved] == [p.image.name for p in photos if p.claim_id == claim.pk]
        assert all(photo.thumbnail and photo.uploaded_by == claim.member.user for photo in moved)
