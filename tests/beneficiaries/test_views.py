import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from beneficiaries.models import ActivityBeneficiary, AssistanceItem, Beneficiary, Need, Pairing, Visit

from ..factories import (
    ActivityFactory,
    AssistanceItemFactory,
    BeneficiaryFactory,
    MemberFactory,
    PairingFactory,
    ParticipationFactory,
    VisitFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

CREATE = reverse("beneficiaries:beneficiary-create")
LIST = reverse("beneficiaries:beneficiary-list")


def beneficiary_data(tree, **overrides):
    id_number = overrides.pop("id_number", make_id_number(42))
    data = {
        "name": "马丽",
        "gender": "F",
        "id_number": id_number,
        "birth_date": "",
        "certificate_number": f"{id_number}12",
        "disability_category": "1",
        "disability_grade": "2",
        "household_status": "dibao",
        "branch": tree.branch_a.pk,
        "address": "丽景街1号",
        "phone": "13900000000",
        "guardian_name": "",
        "guardian_phone": "",
        "family_situation": "独居",
        "development_goals": "",
        "employment_skills": "",
        "needs_detail": "",
        "needs": [Need.objects.get(name="辅助器具").pk],
        "consent_given_by": "person",
        "consent_given_on": "2026-01-05",
    }
    data.update(overrides)
    return data


def item_forms(prefix="items", rows=(), extra=0, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) + extra),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "20",
    }
    # Blank rows as a browser posts them: the quantity keeps its initial 1, the rest is empty.
    blank = {"kind": "", "description": "", "quantity": "1", "value": ""}
    for index, row in enumerate([*rows, *[blank] * extra]):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


CASH = {"kind": "cash", "description": "慰问金", "quantity": "1", "value": "500"}
RICE = {"kind": "goods", "description": "米面油", "quantity": "2", "value": "180.50"}


# --- beneficiaries -------------------------------------------------------------------------------------------


def test_add_a_beneficiary(as_user, tree):
    response = as_user(tree.secretary_a).post(CREATE, beneficiary_data(tree))
    beneficiary = Beneficiary.objects.get()
    assert response["Location"] == beneficiary.get_absolute_url()
    assert beneficiary.birth_date == dt.date(1970, 1, 1)  # taken from the ID number
    assert [n.name for n in beneficiary.needs.all()] == ["辅助器具"]
    assert beneficiary.history.first().history_user == tree.secretary_a
    assert beneficiary.registered_on == timezone.localdate()  # left empty: registered today


def test_history_entered_later_gives_the_day_the_household_was_registered(as_user, tree):
    client = as_user(tree.secretary_a)
    client.post(CREATE, {**beneficiary_data(tree), "registered_on": "2011-03-01"})
    assert Beneficiary.objects.get().registered_on == dt.date(2011, 3, 1)
    page = client.post(
        CREATE, {**beneficiary_data(tree), "id_number": "11010519491231002X", "registered_on": "2099-01-01"}
    )
    assert page.status_code == 200 and "registered_on" in page.context["form"].errors
    assert Beneficiary.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id_number": "640106201503143900", "certificate_number": ""}, "校验码不正确"),
        ({"certificate_number": f"{make_id_number(42)}13"}, "所选残疾等级为 2"),
        ({"certificate_number": f"{make_id_number(42)}42"}, "所选残疾类别为 1"),
        ({"certificate_number": f"{make_id_number(43)}12"}, "前18位与本人身份证号不一致"),
        ({"birth_date": "1980-01-01"}, "出生日期与身份证号不符"),
        ({"birth_date": "2099-01-01"}, "晚于今天"),
        ({"disability_grade": "5"}, "选择一个有效的选项"),
    ],
)
def test_bad_beneficiaries_are_refused_in_chinese(as_user, tree, overrides, message):
    response = as_user(tree.secretary_a).post(CREATE, beneficiary_data(tree, **overrides))
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page and 'id="error-summary"' in page
    assert Beneficiary.objects.count() == 0


def test_a_duplicate_id_number_is_refused(as_user, tree):
    existing = BeneficiaryFactory(branch=tree.branch_b)
    page = as_user(tree.secretary_a).post(
        CREATE, beneficiary_data(tree, id_number=existing.id_number, certificate_number="")
    )
    assert "已有一位使用此身份证号的帮扶对象" in page.content.decode()
    assert Beneficiary.objects.count() == 1


def test_a_branch_outside_the_scope_is_refused(as_user, tree):
    page = as_user(tree.secretary_a).post(CREATE, beneficiary_data(tree, branch=tree.branch_b.pk))
    assert "选择一个有效的选项" in page.content.decode()
    assert Beneficiary.objects.count() == 0


def test_edit_and_archive(as_user, tree):
    client = as_user(tree.secretary_a)
    client.post(CREATE, beneficiary_data(tree))
    beneficiary = Beneficiary.objects.get()
    edit = reverse("beneficiaries:beneficiary-edit", args=[beneficiary.pk])
    client.post(edit, beneficiary_data(tree, name="马丽华", needs=[]))
    beneficiary.refresh_from_db()
    assert beneficiary.name == "马丽华" and beneficiary.needs.count() == 0
    client.post(reverse("beneficiaries:beneficiary-archive", args=[beneficiary.pk]))
    beneficiary.refresh_from_db()
    assert beneficiary.is_archived
    assert "马丽华" not in client.get(LIST).content.decode()
    response = client.post(edit, beneficiary_data(tree, name="不该保存"), follow=True)
    assert "已归档" in response.content.decode()
    beneficiary.refresh_from_db()
    assert beneficiary.name == "马丽华"


def test_the_detail_page_masks_numbers_and_totals_assistance(as_user, tree):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    visit = VisitFactory(beneficiary=beneficiary)
    AssistanceItemFactory(visit=visit, kind="cash", value=Decimal("500"))
    AssistanceItemFactory(visit=visit, kind="goods", value=Decimal("120.50"))
    AssistanceItemFactory(visit=VisitFactory(beneficiary=beneficiary), kind="cash", value=Decimal("300"))
    archived = VisitFactory(beneficiary=beneficiary, archived_at=timezone.now())
    AssistanceItemFactory(visit=archived, kind="cash", value=Decimal("9999"))
    response = as_user(tree.secretary_a).get(beneficiary.get_absolute_url())
    page = response.content.decode()
    assert beneficiary.id_number not in page and beneficiary.masked_id_number in page
    totals = {label: (total, unvalued) for label, total, unvalued in response.context["totals"]}
    assert totals["慰问金"] == (Decimal("800.00"), 0)
    assert "¥800.00" in page and "¥120.50" in page and "9999" not in page


def test_items_with_no_value_still_count_on_the_detail_page(as_user, tree):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    visit = VisitFactory(beneficiary=beneficiary)
    AssistanceItemFactory(visit=visit, kind="device", description="手摇轮椅", value=None)
    AssistanceItemFactory(visit=visit, kind="device", description="助行器", value=Decimal("260"))
    response = as_user(tree.secretary_a).get(beneficiary.get_absolute_url())
    totals = {label: (total, unvalued) for label, total, unvalued in response.context["totals"]}
    assert totals["康复器具"] == (Decimal("260"), 1)
    assert "另有 1 件未填金额" in response.content.decode()


def test_list_filters_and_search(as_user, tree):
    visited = BeneficiaryFactory(branch=tree.branch_a, name="张三", disability_category=1, disability_grade=1,
                                 id_number="11010519731115002X")  # fmt: skip
    VisitFactory(beneficiary=visited)
    never = BeneficiaryFactory(branch=tree.branch_a, name="李四", disability_category=5, disability_grade=3,
                               household_status="tekun")  # fmt: skip
    never.needs.add(Need.objects.get(name="就业帮扶"))
    overdue = BeneficiaryFactory(branch=tree.branch_a, name="王五")
    PairingFactory(member=MemberFactory(branch=tree.branch_a), beneficiary=overdue,
                   start_date=timezone.localdate() - dt.timedelta(days=90))  # fmt: skip
    client = as_user(tree.secretary_a)

    def names(**params):
        return sorted(b.name for b in client.get(LIST, params).context["page"])

    assert names() == ["张三", "李四", "王五"]
    assert names(q="2x") == ["张三"]  # the last two characters, lower-case x too
    assert names(q="002x") == []  # more than the display shows needs the reveal right
    assert names(q="李") == ["李四"]
    assert names(disability_category=5) == ["李四"]
    assert names(disability_grade=1) == sorted(["张三", "王五"])
    assert names(household_status="tekun") == ["李四"]
    assert names(needs=Need.objects.get(name="就业帮扶").pk) == ["李四"]
    assert names(never_visited="true") == sorted(["李四", "王五"])
    assert names(overdue="true") == ["王五"]
    assert names(branch=tree.branch_a.pk) == ["张三", "李四", "王五"]
    assert client.get(LIST, {"branch": tree.branch_b.pk}).status_code == 200  # not a choice: ignored, no error
    assert client.get(LIST, {"sort": "last_visit"}).status_code == 200


def test_beneficiary_pages_query_counts_do_not_grow(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    member = MemberFactory(branch=tree.branch_a)
    visit = VisitFactory(beneficiary=beneficiary)
    visit.visitors.add(member)
    AssistanceItemFactory(visit=visit)
    PairingFactory(member=member, beneficiary=beneficiary)

    def grow():
        for _ in range(19):
            other = BeneficiaryFactory(branch=tree.branch_a)
            VisitFactory(beneficiary=other)
            more = VisitFactory(beneficiary=beneficiary)
            more.visitors.add(MemberFactory(branch=tree.branch_a))
            AssistanceItemFactory(visit=more)
            PairingFactory(member=MemberFactory(branch=tree.branch_a), beneficiary=beneficiary)

    assert_flat_queries(lambda: client.get(LIST), grow, queries=7)


def test_beneficiary_detail_query_count_does_not_grow(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    visit = VisitFactory(beneficiary=beneficiary)
    AssistanceItemFactory(visit=visit)

    def grow():
        for _ in range(19):
            more = VisitFactory(beneficiary=beneficiary)
            more.visitors.add(MemberFactory(branch=tree.branch_a))
            AssistanceItemFactory(visit=more)
            PairingFactory(member=MemberFactory(branch=tree.branch_a), beneficiary=beneficiary)

    assert_flat_queries(lambda: client.get(beneficiary.get_absolute_url()), grow, queries=13)


# --- visits --------------------------------------------------------------------------------------------------


def visit_data(tree, members, **overrides):
    data = {
        "date": "2026-03-05",
        "branch": tree.branch_a.pk,
        "visitors": [m.pk for m in members],
        "notes": "送去慰问金和米面油",
        "follow_up_needed": "on",
        **item_forms(rows=[CASH, RICE], extra=1),
    }
    data.update(overrides)
    return data


def test_record_a_visit_with_two_items(as_user, tree):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    members = [MemberFactory(branch=tree.branch_a), MemberFactory(branch=tree.branch_a)]
    url = reverse("beneficiaries:visit-create", args=[beneficiary.pk])
    response = as_user(tree.secretary_a).post(url, visit_data(tree, members))
    assert response["Location"] == beneficiary.get_absolute_url()
    visit = Visit.objects.get()
    assert set(visit.visitors.all()) == set(members) and visit.follow_up_open
    assert sorted((i.kind, i.value) for i in visit.items.all()) == [
        ("cash", Decimal("500.00")),
        ("goods", Decimal("180.50")),
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (item_forms(rows=[{**CASH, "value": "-5"}]), "金额不能为负数"),
        (item_forms(rows=[{**CASH, "value": "1.234"}]), "小数不超过 2 位"),
        (item_forms(rows=[{**CASH, "kind": "gold"}]), "选择一个有效的选项"),
        ({"date": "2099-03-05"}, "晚于今天"),
        ({"items-TOTAL_FORMS": "", "items-INITIAL_FORMS": ""}, "ManagementForm"),
        ({"items-TOTAL_FORMS": "5000"}, "请最多提交 20 个表单"),
    ],
)
def test_bad_visits_are_refused_and_nothing_is_saved(as_user, tree, overrides, message):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    url = reverse("beneficiaries:visit-create", args=[beneficiary.pk])
    response = as_user(tree.secretary_a).post(url, visit_data(tree, [], **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Visit.objects.count() == 0 and AssistanceItem.objects.count() == 0
    assert response.content.decode().count("<li>") < 60  # a tampered count does not render a thousand rows


def test_a_visitor_from_outside_the_scope_is_refused(as_user, tree):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    outsider = MemberFactory(branch=tree.branch_b)
    url = reverse("beneficiaries:visit-create", args=[beneficiary.pk])
    page = as_user(tree.secretary_a).post(url, visit_data(tree, [outsider])).content.decode()
    assert "选择一个有效的选项" in page
    assert Visit.objects.count() == 0


def test_edit_a_visit_changes_removes_and_adds_items(as_user, tree):
    visit = VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a))
    keep = AssistanceItemFactory(visit=visit, value=Decimal("100"))
    drop = AssistanceItemFactory(visit=visit, kind="goods", description="旧棉被", value=Decimal("50"))
    data = {
        "date": "2026-03-06", "branch": tree.branch_a.pk, "visitors": [], "notes": "改过", "follow_up_needed": "",
        **item_forms(rows=[
            {"id": keep.pk, "visit": visit.pk, **CASH, "value": "150"},
            {"id": drop.pk, "visit": visit.pk, "kind": "goods", "description": "旧棉被", "quantity": "1",
             "value": "50", "DELETE": "on"},
            RICE,
        ], initial=2),
    }  # fmt: skip
    response = as_user(tree.secretary_a).post(reverse("beneficiaries:visit-edit", args=[visit.pk]), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert sorted((i.description, i.value) for i in visit.items.all()) == [
        ("慰问金", Decimal("150.00")),
        ("米面油", Decimal("180.50")),
    ]


def test_close_a_follow_up_and_archive_a_visit(as_user, tree):
    visit = VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a), follow_up_needed=True)
    client = as_user(tree.secretary_a)
    client.post(reverse("beneficiaries:visit-close-follow-up", args=[visit.pk]))
    visit.refresh_from_db()
    assert not visit.follow_up_open
    client.post(reverse("beneficiaries:visit-archive", args=[visit.pk]))
    visit.refresh_from_db()
    assert visit.is_archived
    page = client.get(reverse("beneficiaries:visit-edit", args=[visit.pk]), follow=True).content.decode()
    assert "已归档" in page


def test_one_activity_three_households_three_visits(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 5))
    members = [MemberFactory(branch=tree.branch_a), MemberFactory(branch=tree.branch_a)]
    for member in members:
        ParticipationFactory(activity=activity, member=member)
    households = [BeneficiaryFactory(branch=tree.branch_a) for _ in range(3)]
    url = reverse("beneficiaries:activity-visits", args=[activity.pk])
    client = as_user(tree.secretary_a)
    form = client.get(url).context["form"]
    assert form["date"].value() == activity.date
    assert set(form["visitors"].value()) == {m.pk for m in members}
    data = {
        "beneficiaries": [h.pk for h in households],
        "date": "2026-03-05",
        "visitors": [m.pk for m in members],
        "notes": "三八节走访",
        **item_forms(rows=[CASH, RICE]),
    }
    response = client.post(url, data)
    assert response["Location"] == activity.get_absolute_url()
    assert Visit.objects.filter(activity=activity).count() == 3
    assert AssistanceItem.objects.filter(visit__activity=activity).count() == 6
    assert ActivityBeneficiary.objects.filter(activity=activity).count() == 3
    for visit in Visit.objects.filter(activity=activity):
        assert set(visit.visitors.all()) == set(members) and visit.notes == "三八节走访"
    detail = client.get(activity.get_absolute_url()).content.decode()
    assert all(h.name in detail for h in households)


def test_activity_households_search_and_scope(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a)
    mine = BeneficiaryFactory(branch=tree.branch_a, name="赵敏", id_number="11010519731115002X")
    other = BeneficiaryFactory(branch=tree.branch_b, name="周芷若")
    url = reverse("beneficiaries:activity-visits", args=[activity.pk])
    client = as_user(tree.secretary_a)
    assert [b.name for b in client.get(url, {"q": "2X"}).context["form"].found] == ["赵敏"]
    assert "周芷若" not in client.get(url).content.decode()
    data = {"beneficiaries": [other.pk], "date": "2026-03-05", **item_forms()}
    page = client.post(url, data).content.decode()
    assert "不是您可以记录的家庭" in page
    page = client.post(url, {"date": "2026-03-05", **item_forms()}).content.decode()
    assert "请至少勾选一户家庭" in page
    assert Visit.objects.count() == 0
    assert mine.pk


# --- pairings ------------------------------------------------------------------------------------------------


def test_pairings_show_last_contact_next_due_and_overdue(as_user, tree):
    today = timezone.localdate()
    member = MemberFactory(branch=tree.branch_a, name="成员甲")
    on_time = PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=tree.branch_a),
                             start_date=today - dt.timedelta(days=200))  # fmt: skip
    met = VisitFactory(beneficiary=on_time.beneficiary, date=today - dt.timedelta(days=10), visitors=[member])
    # Visited, but not by the paired member: still overdue.
    late = PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=tree.branch_a),
                          start_date=today - dt.timedelta(days=200))  # fmt: skip
    VisitFactory(beneficiary=late.beneficiary, date=today - dt.timedelta(days=5))
    new = PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=tree.branch_a),
                         start_date=today - dt.timedelta(days=30))  # fmt: skip
    weekly = PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=tree.branch_a),
                            start_date=today - dt.timedelta(days=30), interval_days=7)  # fmt: skip
    client = as_user(tree.secretary_a)
    rows = {p.pk: p for p in client.get(reverse("beneficiaries:pairing-list")).context["page"]}
    assert (rows[on_time.pk].is_overdue, rows[late.pk].is_overdue) == (False, True)
    assert (rows[new.pk].is_overdue, rows[weekly.pk].is_overdue) == (False, True)
    assert rows[on_time.pk].last_contact == met.date
    assert rows[on_time.pk].next_due == met.date + dt.timedelta(days=60)
    assert rows[new.pk].next_due == new.start_date + dt.timedelta(days=60)
    overdue_only = client.get(reverse("beneficiaries:pairing-list"), {"overdue": "1"}).context["page"]
    assert {p.pk for p in overdue_only} == {late.pk, weekly.pk}


def test_create_and_end_a_pairing(as_user, tree):
    member = MemberFactory(branch=tree.branch_a)
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    client = as_user(tree.secretary_a)
    data = {"member": member.pk, "beneficiary": beneficiary.pk, "start_date": "2026-01-01", "interval_days": "60"}
    assert client.post(reverse("beneficiaries:pairing-create"), data).status_code == 302
    page = client.post(reverse("beneficiaries:pairing-create"), data).content.decode()
    assert "该成员已与这户家庭结对" in page
    pairing = Pairing.objects.get()
    end = reverse("beneficiaries:pairing-end", args=[pairing.pk])
    assert "晚于今天" in client.post(end, {"end_date": "2099-01-01"}).content.decode()
    assert "不能早于开始日期" in client.post(end, {"end_date": "2025-01-01"}).content.decode()
    assert client.post(end, {"end_date": "2026-06-01"})["Location"] == pairing.get_absolute_url()
    detail = client.get(pairing.get_absolute_url()).content.decode()
    assert "已于 2026-06-01 结束" in detail and "secretary_a" in detail
    pairing.refresh_from_db()
    assert pairing.end_date == dt.date(2026, 6, 1)
    assert "已经结束" in client.post(end, {"end_date": "2026-06-02"}, follow=True).content.decode()
    assert client.get(end)["Location"] == pairing.get_absolute_url()


def test_pairing_list_query_count_does_not_grow(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)
    PairingFactory(member=MemberFactory(branch=tree.branch_a), beneficiary=BeneficiaryFactory(branch=tree.branch_a))

    def grow():
        for n in range(19):
            PairingFactory(member=MemberFactory(branch=tree.branch_a),
                           beneficiary=BeneficiaryFactory(branch=tree.branch_a), interval_days=30 + n % 3)  # fmt: skip

    assert_flat_queries(lambda: client.get(reverse("beneficiaries:pairing-list")), grow, queries=5)


def test_visit_detail_query_count_does_not_grow(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)
    visit = VisitFactory(beneficiary=BeneficiaryFactory(branch=tree.branch_a))
    visit.visitors.add(MemberFactory(branch=tree.branch_a))
    AssistanceItemFactory(visit=visit)

    def grow():
        for _ in range(19):
            visit.visitors.add(MemberFactory(branch=tree.branch_a))
            AssistanceItemFactory(visit=visit)

    # 10 with the visit's photos (one query, whatever their number).
    assert_flat_queries(lambda: client.get(visit.get_absolute_url()), grow, queries=8)


def test_pairing_detail_query_count_does_not_grow(as_user, tree, assert_flat_queries):
    client = as_user(tree.secretary_a)
    member = MemberFactory(branch=tree.branch_a)
    pairing = PairingFactory(member=member, beneficiary=BeneficiaryFactory(branch=tree.branch_a))

    def grow():
        for _ in range(19):
            visit = VisitFactory(beneficiary=pairing.beneficiary)
            visit.visitors.add(member)
            PairingFactory(member=MemberFactory(branch=tree.branch_a), beneficiary=pairing.beneficiary)

    assert_flat_queries(lambda: client.get(pairing.get_absolute_url()), grow, queries=10)


# --- found in review -----------------------------------------------------------------------------------------


@pytest.fixture
def mixed_user(tree):
    """Leader of the whole tree, secretary of branch_a only: reads everywhere, writes in branch_a."""
    from volunteer_portal.branches.models import RoleGrant

    from ..factories import RoleGrantFactory, UserFactory

    user = UserFactory(username="mixed")
    RoleGrantFactory(user=user, branch=tree.root, role=RoleGrant.Role.LEADER)
    RoleGrantFactory(user=user, branch=tree.branch_a, role=RoleGrant.Role.SECRETARY)
    return user


def test_a_leader_who_is_also_a_secretary_writes_only_where_a_secretary(as_user, tree, mixed_user):
    other = BeneficiaryFactory(branch=tree.branch_b)
    client = as_user(mixed_user)
    assert client.get(other.get_absolute_url()).status_code == 200
    assert client.post(reverse("beneficiaries:visit-create", args=[other.pk]), {}).status_code == 403
    member = MemberFactory(branch=tree.branch_a)
    data = {"member": member.pk, "beneficiary": other.pk, "start_date": "2026-01-01", "interval_days": "60"}
    page = client.post(reverse("beneficiaries:pairing-create"), data).content.decode()
    assert "选择一个有效的选项" in page
    assert Visit.objects.count() == 0 and Pairing.objects.count() == 0


def test_a_pairing_interval_is_at_most_a_year(as_user, tree):
    member = MemberFactory(branch=tree.branch_a)
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    data = {"member": member.pk, "beneficiary": beneficiary.pk, "start_date": "2026-01-01", "interval_days": "3000000"}
    response = as_user(tree.secretary_a).post(reverse("beneficiaries:pairing-create"), data)
    assert response.status_code == 200 and Pairing.objects.count() == 0
    assert "366" in response.content.decode()


def test_a_new_pairing_from_a_beneficiarys_page_has_the_household_chosen(as_user, tree):
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    url = reverse("beneficiaries:pairing-create")
    assert (
        f"{url}?beneficiary={beneficiary.pk}"
        in as_user(tree.secretary_a).get(beneficiary.get_absolute_url()).content.decode()
    )
    form = as_user(tree.secretary_a).get(url, {"beneficiary": beneficiary.pk}).context["form"]
    assert form["beneficiary"].value() == beneficiary.pk
    outsider = BeneficiaryFactory(branch=tree.branch_b)
    assert (
        as_user(tree.secretary_a).get(url, {"beneficiary": outsider.pk}).context["form"]["beneficiary"].value() is None
    )


def test_a_household_cannot_be_recorded_twice_for_one_activity(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a)
    household = BeneficiaryFactory(branch=tree.branch_a)
    url = reverse("beneficiaries:activity-visits", args=[activity.pk])
    client = as_user(tree.secretary_a)
    data = {"beneficiaries": [household.pk], "date": "2026-03-05", **item_forms(rows=[CASH])}
    assert client.post(url, data).status_code == 302
    second = client.post(url, data)  # a double tap
    assert second.status_code == 200 and "不是您可以记录的家庭" in second.content.decode()
    assert Visit.objects.count() == 1 and AssistanceItem.objects.count() == 1
    assert household not in client.get(url).context["form"].found


def test_the_service_refuses_a_household_already_recorded(tree):
    from django.core.exceptions import ValidationError

    from beneficiaries.services import visits_record_for_activity

    activity = ActivityFactory(branch=tree.branch_a)
    household = BeneficiaryFactory(branch=tree.branch_a)
    visits_record_for_activity(actor=tree.secretary_a, activity=activity, beneficiaries=[household], date=activity.date)
    with pytest.raises(ValidationError):
        visits_record_for_activity(
            actor=tree.secretary_a, activity=activity, beneficiaries=[household], date=activity.date
        )


def test_find_keeps_what_was_ticked_and_typed(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a)
    first = BeneficiaryFactory(branch=tree.branch_a, name="丁爱", id_number="11010519731115002X")
    second = BeneficiaryFactory(branch=tree.branch_a, name="马强")
    url = reverse("beneficiaries:activity-visits", args=[activity.pk])
    data = {"beneficiaries": [first.pk], "date": "2026-03-05", "notes": "已写的记录", "follow_up_needed": "on",
            "q": "马", "find": "1", **item_forms(rows=[CASH])}  # fmt: skip
    response = as_user(tree.secretary_a).post(url, data)
    page = response.content.decode()
    assert response.status_code == 200 and Visit.objects.count() == 0
    form = response.context["form"]
    assert [b for b, ticked in form.options if ticked] == [first]
    assert [b for b, ticked in form.options if not ticked] == [second]
    assert "已写的记录" in page and 'value="500"' in page
    assert 'id="error-summary"' not in page


def test_the_households_list_is_paged_by_search(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a)
    for _ in range(55):
        BeneficiaryFactory(branch=tree.branch_a)
    form = as_user(tree.secretary_a).get(reverse("beneficiaries:activity-visits", args=[activity.pk])).context["form"]
    assert len(form.found) == 50 and form.more


def test_error_links_of_checkbox_groups_reach_a_box(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a)
    BeneficiaryFactory(branch=tree.branch_a)
    url = reverse("beneficiaries:activity-visits", args=[activity.pk])
    page = as_user(tree.secretary_a).post(url, {"date": "2026-03-05", **item_forms()}).content.decode()
    assert 'href="#id_beneficiaries_0"' in page and 'id="id_beneficiaries_0"' in page
    assert 'aria-describedby="beneficiaries-error"' in page


@pytest.mark.parametrize("url_name", ["members:member-list", "beneficiaries:beneficiary-list"])
def test_a_nul_character_in_a_search_is_harmless(as_user, tree, url_name):
    assert as_user(tree.secretary_a).get(reverse(url_name), {"q": "a\x00b"}).status_code == 200


def test_a_nul_character_in_the_household_search_is_harmless(as_user, tree):
    activity = ActivityFactory(branch=tree.branch_a)
    url = reverse("beneficiaries:activity-visits", args=[activity.pk])
    assert as_user(tree.secretary_a).get(url, {"q": "a\x00b"}).status_code == 200


def test_people_are_labelled_by_name_and_hardship_is_not_family_situation(as_user, tree):
    form = as_user(tree.secretary_a).get(CREATE).context["form"]
    assert form["name"].label == "姓名"
    assert form["household_status"].label != form["family_situation"].label


def test_a_pairing_whose_household_was_archived_is_not_listed_as_open(as_user, tree):
    """The list spelled "open" its own way (not ended) and showed it, neither open nor overdue anywhere else."""
    from beneficiaries import services

    kept = PairingFactory(
        member=MemberFactory(branch=tree.branch_a), beneficiary=BeneficiaryFactory(branch=tree.branch_a)
    )
    gone = PairingFactory(
        member=MemberFactory(branch=tree.branch_a), beneficiary=BeneficiaryFactory(branch=tree.branch_a)
    )
    services.beneficiary_archive(actor=tree.secretary_a, beneficiary=gone.beneficiary)
    listed = [p.pk for p in as_user(tree.secretary_a).get(reverse("beneficiaries:pairing-list")).context["page"]]
    assert listed == [kept.pk]


def test_an_untouched_visit_form_records_nothing(as_user, tree):
    """Saving the visit form as it opens recorded an empty visit and took the household off "never visited";
    a visit now says what was done, what was handed over, or that nothing was."""
    beneficiary = BeneficiaryFactory(branch=tree.branch_a)
    url = reverse("beneficiaries:visit-create", args=[beneficiary.pk])
    client = as_user(tree.secretary_a)
    base = {"date": "2026-03-05", "branch": tree.branch_a.pk, **item_forms(extra=2)}
    page = client.post(url, base).content.decode()
    assert "未发放物品" in page and Visit.objects.count() == 0
    assert client.post(url, {**base, "nothing_handed_over": "on"}).status_code == 302
    assert client.post(url, {**base, "notes": "聊了家常"}).status_code == 302
    assert Visit.objects.count() == 2


def test_households_served_are_recorded_in_the_same_queries_for_2_as_for_10(as_user, tree):
    """visits_record writes the visits, their visitors, items and history together, not household by household."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from volunteer_portal.dashboards import tallies as store

    client = as_user(tree.secretary_a)
    members = [MemberFactory(branch=tree.branch_a), MemberFactory(branch=tree.branch_a)]
    counts = []
    for size in (2, 10):
        activity = ActivityFactory(branch=tree.branch_a, date=dt.date(2026, 3, 5))
        households = [BeneficiaryFactory(branch=tree.branch_a) for _ in range(size)]
        url = reverse("beneficiaries:activity-visits", args=[activity.pk])
        client.get(url)
        data = {"beneficiaries": [h.pk for h in households], "date": "2026-03-05", "visitors": [m.pk for m in members],
                "notes": "三八节走访", **item_forms(rows=[CASH, RICE])}  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            assert client.post(url, data)["Location"] == activity.get_absolute_url()
        counts.append(len(queries))
        visits = Visit.objects.filter(activity=activity)
        assert visits.count() == size and AssistanceItem.objects.filter(visit__activity=activity).count() == 2 * size
        for visit in visits:
            assert set(visit.visitors.all()) == set(members)
            assert visit.history.get().history_user == tree.secretary_a
            assert {item.history.get().history_user for item in visit.items.all()} == {tree.secretary_a}
        assert all(h.visits.get() in visits for h in households)
    assert counts[0] == counts[1], counts  # [127, 323] when each was written on its own
    assert store.differences() == []
