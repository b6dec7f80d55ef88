import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, ActivityType, Participation
from volunteer_portal.branches.models import Member

from ..conftest import image_bytes
from ..factories import ActivityFactory, CampaignFactory, MemberFactory, ParticipationFactory

pytestmark = pytest.mark.django_db

CREATE = reverse("activities:activity-create")


@pytest.fixture
def visit_type(db):
    return ActivityType.objects.get(name="走访慰问", parent=None)


@pytest.fixture
def people(tree):
    return [MemberFactory(branch=tree.branch_a, name=name) for name in ("王芳", "刘洋", "陈静")]


def form_data(tree, visit_type, people, **overrides):
    data = {
        "type": visit_type.pk,
        "date": "2026-03-05",
        "branch": tree.branch_a.pk,
        "title": "三月走访慰问",
        "location": "丽景社区",
        "description": "",
        "outcome": "",
        "campaign": "",
        "default_hours": "2",
        "participants": [people[0].pk, people[1].pk],
        f"hours_{people[1].pk}": "3.5",
    }
    data.update(overrides)
    return data


def test_the_form_defaults_to_today_and_the_secretarys_branch(as_user, tree, people):
    page = as_user(tree.secretary_a).get(CREATE)
    form = page.context["form"]
    assert form["date"].value() == timezone.localdate()
    assert form["branch"].value() == tree.branch_a.pk
    assert set(form.fields["branch"].queryset) == {tree.branch_a}
    assert set(form.fields["participants"].queryset) == set(people)
    assert 'for="id_participants_0"' in page.content.decode()


def test_log_an_activity_with_participants(as_user, tree, visit_type, people):
    response = as_user(tree.secretary_a).post(CREATE, form_data(tree, visit_type, people))
    activity = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == activity.get_absolute_url()
    hours = dict(Participation.objects.values_list("member__name", "hours"))
    assert hours == {"王芳": Decimal("2.0"), "刘洋": Decimal("3.5")}
    assert activity.history.first().history_user == tree.secretary_a
    detail = as_user(tree.secretary_a).get(activity.get_absolute_url()).content.decode()
    assert "三月走访慰问" in detail and "王芳" in detail and "secretary_a" in detail


def test_a_campaign_of_an_ancestor_can_be_chosen(as_user, tree, visit_type, people):
    campaign = CampaignFactory(branch=tree.root)
    CampaignFactory(branch=tree.branch_b, name="别的社区的方案")
    form = as_user(tree.secretary_a).get(CREATE).context["form"]
    assert list(form.fields["campaign"].queryset) == [campaign]
    as_user(tree.secretary_a).post(CREATE, form_data(tree, visit_type, people, campaign=campaign.pk))
    assert Activity.objects.get().campaign == campaign


def test_edit_replaces_participants_and_keeps_history(as_user, tree, visit_type, people):
    client = as_user(tree.secretary_a)
    client.post(CREATE, form_data(tree, visit_type, people))
    activity = Activity.objects.get()
    data = form_data(tree, visit_type, people, title="改过的标题", participants=[people[2].pk])
    response = client.post(reverse("activities:activity-edit", args=[activity.pk]), data)
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.title == "改过的标题"
    assert list(activity.participants.all()) == [people[2]]
    assert activity.history.count() == 2


def test_archive_hides_the_activity_and_freezes_it(as_user, tree, visit_type, people):
    client = as_user(tree.secretary_a)
    activity = ActivityFactory(branch=tree.branch_a, title="要归档的活动")
    client.post(reverse("activities:activity-archive", args=[activity.pk]))
    activity.refresh_from_db()
    assert activity.is_archived and activity.archived_by == tree.secretary_a
    assert "要归档的活动" not in client.get(reverse("activities:activity-list")).content.decode()
    archived_list = client.get(reverse("activities:activity-list"), {"archived": "1"}).content.decode()
    assert "要归档的活动" in archived_list
    assert '<input type="hidden" name="archived" value="1">' in archived_list  # filters stay on archived ones
    assert 'name="archived"' not in client.get(reverse("activities:activity-list")).content.decode()
    # An edit of an archived record: a clear message, nothing saved.
    response = client.post(
        reverse("activities:activity-edit", args=[activity.pk]),
        form_data(tree, visit_type, people, title="不该保存"),
        follow=True,
    )
    assert "已归档" in response.content.decode()
    activity.refresh_from_db()
    assert activity.title == "要归档的活动"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"date": "2099-01-01"}, "日期晚于今天"),
        ({"default_hours": "0"}, "不超过24小时"),
        ({"default_hours": "25"}, "不超过24小时"),
        ({"title": ""}, "这个字段是必填项"),
        ({"type": "99999"}, "选择一个有效的选项"),
        ({"date": "not a date"}, "输入一个有效的日期"),
    ],
)
def test_bad_input_is_refused_in_chinese(as_user, tree, visit_type, people, overrides, message):
    response = as_user(tree.secretary_a).post(CREATE, form_data(tree, visit_type, people, **overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'id="error-summary"' in page
    assert Activity.objects.count() == 0


def test_per_person_hours_of_25_are_refused(as_user, tree, visit_type, people):
    data = form_data(tree, visit_type, people, **{f"hours_{people[1].pk}": "25"})
    page = as_user(tree.secretary_a).post(CREATE, data).content.decode()
    assert "不超过24小时" in page and 'aria-invalid="true"' in page
    assert Activity.objects.count() == 0


def test_participants_and_branches_from_outside_the_scope_are_refused(as_user, tree, visit_type, people):
    outsider = MemberFactory(branch=tree.branch_b, name="外人")
    client = as_user(tree.secretary_a)
    page = client.post(CREATE, form_data(tree, visit_type, people, participants=[outsider.pk])).content.decode()
    assert "不是您可以记录的成员" in page
    page = client.post(CREATE, form_data(tree, visit_type, people, branch=tree.branch_b.pk)).content.decode()
    assert "选择一个有效的选项" in page
    assert Activity.objects.count() == 0


def test_photos_are_stored_with_a_thumbnail(as_user, tree, visit_type, people, photo_factory):
    upload = SimpleUploadedFile("p.jpg", image_bytes((2000, 1500), "JPEG"), content_type="image/jpeg")
    response = as_user(tree.secretary_a).post(CREATE, {**form_data(tree, visit_type, people), "photos": [upload]})
    assert response.status_code == 302
    photo = Activity.objects.get().photos.get()
    from PIL import Image

    with Image.open(photo.thumbnail.open("rb")) as thumb:
        assert thumb.width == 480
    assert photo.uploaded_by == tree.secretary_a


@pytest.mark.parametrize("missing", ["image", "thumbnail"])
def test_a_photo_whose_file_is_gone_answers_404(as_user, tree, photo_factory, missing):
    photo = photo_factory(ActivityFactory(branch=tree.branch_a))
    field = getattr(photo, missing)
    field.storage.delete(field.name)
    client = as_user(tree.secretary_a)
    url = reverse("activities:photo-thumbnail" if missing == "thumbnail" else "activities:photo", args=[photo.pk])
    assert client.get(url).status_code == 404
    other = "activities:photo" if missing == "thumbnail" else "activities:photo-thumbnail"
    assert client.get(reverse(other, args=[photo.pk])).status_code == 200  # the other file is still there


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.jpg", b"this is not an image", content_type="image/jpeg"), "不是照片"),
        (SimpleUploadedFile("doc.pdf", b"%PDF-1.4 fake", content_type="application/pdf"), "不是照片"),
    ],
)
def test_non_images_are_refused(as_user, tree, visit_type, people, photo_factory, upload, message):
    page = as_user(tree.secretary_a).post(CREATE, {**form_data(tree, visit_type, people), "photos": [upload]})
    assert message in page.content.decode()
    assert Activity.objects.count() == 0


def test_oversized_photos_are_refused(as_user, tree, visit_type, people, photo_factory, settings):
    settings.PHOTO_MAX_BYTES = 1000
    upload = SimpleUploadedFile("big.png", image_bytes((400, 400)), content_type="image/png")
    page = as_user(tree.secretary_a).post(CREATE, {**form_data(tree, visit_type, people), "photos": [upload]})
    assert "照片最大" in page.content.decode()
    assert Activity.objects.count() == 0


def test_list_filters_sorting_and_pagination(as_user, tree, visit_type):
    other_type = ActivityType.objects.get(name="爱心捐赠")
    for day in range(1, 26):
        ActivityFactory(branch=tree.branch_a, type=visit_type, title=f"走访{day:02d}", date=dt.date(2026, 1, day))
    ActivityFactory(branch=tree.branch_a, type=other_type, title="捐赠活动", date=dt.date(2026, 2, 1))
    client = as_user(tree.secretary_a)
    url = reverse("activities:activity-list")
    first = client.get(url)
    assert first.context["page"].paginator.count == 26 and len(first.context["page"]) == 20
    assert first.context["page"][0].title == "捐赠活动"
    assert [a.title for a in client.get(url, {"type": other_type.pk}).context["page"]] == ["捐赠活动"]
    dated = client.get(url, {"date_from": "2026-01-10", "date_to": "2026-01-12"}).context["page"]
    assert sorted(a.title for a in dated) == ["走访10", "走访11", "走访12"]
    assert client.get(url, {"q": "走访25"}).context["page"].paginator.count == 1
    assert client.get(url, {"sort": "date"}).context["page"][0].title == "走访01"
    assert client.get(url, {"sort": "'; DROP TABLE"}).context["page"][0].title == "捐赠活动"
    assert client.get(url, {"page": "999"}).context["page"].number == 2
    assert client.get(url, {"page": "abc"}).status_code == 200
    assert client.get(url, {"date_from": "garbage"}).status_code == 200


def test_the_empty_list_says_what_to_do(as_user, tree):
    page = as_user(tree.secretary_a).get(reverse("activities:activity-list")).content.decode()
    assert "还没有活动" in page


def test_list_and_detail_query_counts_do_not_grow(as_user, tree, visit_type, assert_flat_queries):
    client = as_user(tree.secretary_a)
    activity = ActivityFactory(branch=tree.branch_a, type=visit_type)
    ParticipationFactory(activity=activity, member=MemberFactory(branch=tree.branch_a))

    def grow():
        for _ in range(19):
            extra = ActivityFactory(branch=tree.branch_a, type=visit_type)
            ParticipationFactory(activity=extra, member=MemberFactory(branch=tree.branch_a))
            ParticipationFactory(activity=activity, member=MemberFactory(branch=tree.branch_a))

    assert_flat_queries(lambda: client.get(reverse("activities:activity-list")), grow, queries=8)


def test_the_detail_query_count_does_not_grow_with_participants(as_user, tree, visit_type, assert_flat_queries):
    client = as_user(tree.secretary_a)
    activity = ActivityFactory(branch=tree.branch_a, type=visit_type)
    ParticipationFactory(activity=activity, member=MemberFactory(branch=tree.branch_a))

    def grow():
        for _ in range(19):
            ParticipationFactory(activity=activity, member=MemberFactory(branch=tree.branch_a))

    assert_flat_queries(lambda: client.get(activity.get_absolute_url()), grow, queries=9)


def test_a_photo_cut_off_in_transit_is_refused_not_a_server_error(as_user, tree, visit_type, people, photo_factory):
    whole = image_bytes((800, 600), "JPEG")
    upload = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2], content_type="image/jpeg")
    page = as_user(tree.secretary_a).post(CREATE, {**form_data(tree, visit_type, people), "photos": [upload]})
    assert page.status_code == 200 and "不是照片" in page.content.decode()
    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_the_activity_types_the_source_documents_name_are_seeded():
    names = set(ActivityType.objects.filter(parent=None, active=True).values_list("name", flat=True))
    # 联谊 (event 1 of the seed) and 检查督促 (event 9) came with migration 0005; the rest with 0002.
    assert {"联谊", "检查督促", "走访慰问", "爱心捐赠", "康复指导", "矛盾排查", "心得交流会"} <= names


# --- who may take part: the roll on the activity's date (DESIGN.md, "the roll") ---------------------------------


@pytest.fixture
def roll_2012(tree):
    """Two people on the 2012 roll, one who joined in 2020 and one who left in 2015."""
    return {
        "veteran": MemberFactory(branch=tree.branch_a, name="老党员", joined_on=dt.date(2008, 1, 1)),
        "newcomer": MemberFactory(branch=tree.branch_a, name="新成员", joined_on=dt.date(2020, 6, 1)),
        "departed": MemberFactory(
            branch=tree.branch_a,
            name="已调走",
            joined_on=dt.date(2009, 1, 1),
            left_on=dt.date(2015, 1, 1),
            active=False,
        ),
    }


def roll_form(tree, visit_type, members, **overrides):
    data = form_data(tree, visit_type, [members[0], members[0]], participants=[m.pk for m in members], **overrides)
    data.pop(f"hours_{members[0].pk}")
    return data


def offered(page) -> set[str]:
    return {member.name for member, _box, _hours in page.context["form"].participant_rows()}


def test_the_form_offers_the_roll_of_the_activitys_date(as_user, tree, visit_type, roll_2012):
    client = as_user(tree.secretary_a)
    assert offered(client.get(CREATE)) == {"老党员", "新成员"}
    # "Show who was on the roll" posts the form back for the date typed in: nothing saved, nothing judged.
    data = {**roll_form(tree, visit_type, [roll_2012["veteran"]], date="2012-03-05", title=""), "refresh_roll": "1"}
    page = client.post(CREATE, data)
    assert page.status_code == 200 and not page.context["form"].errors
    assert offered(page) == {"老党员", "已调走"}
    assert page.context["form"]["title"].value() == "" and Activity.objects.count() == 0
    activity = ActivityFactory(branch=tree.branch_a, type=visit_type, date=dt.date(2012, 3, 5))
    assert offered(client.get(reverse("activities:activity-edit", args=[activity.pk]))) == {"老党员", "已调走"}


def test_someone_not_on_the_roll_that_day_is_refused_by_name(as_user, tree, visit_type, roll_2012):
    data = roll_form(tree, visit_type, [roll_2012["veteran"], roll_2012["newcomer"]], date="2012-03-05")
    page = as_user(tree.secretary_a).post(CREATE, data)
    assert page.status_code == 200
    assert "新成员在2012-03-05不在册" in str(page.context["form"].errors["participants"])
    assert Activity.objects.count() == 0


def test_someone_not_listed_is_added_with_their_dates(as_user, tree, visit_type, roll_2012):
    data = {
        **roll_form(tree, visit_type, [roll_2012["veteran"]], date="2012-03-05", default_hours="3"),
        "new-TOTAL_FORMS": "2", "new-INITIAL_FORMS": "0",
        "new-0-name": "杨志", "new-0-gender": "M", "new-0-joined_on": "", "new-0-left_on": "",
        "new-1-name": "李娟", "new-1-gender": "F", "new-1-joined_on": "2011-07-01", "new-1-left_on": "2013-12-31",
    }  # fmt: skip
    page = as_user(tree.secretary_a).post(CREATE, data)
    assert page.status_code == 302
    activity = Activity.objects.get()
    hours = dict(activity.participations.values_list("member__name", "hours"))
    assert hours == {"老党员": Decimal("3"), "杨志": Decimal("3"), "李娟": Decimal("3")}
    yang, li = Member.objects.get(name="杨志"), Member.objects.get(name="李娟")
    assert (yang.branch, yang.joined_on, yang.left_on) == (tree.branch_a, dt.date(2012, 3, 5), None)
    assert (li.joined_on, li.left_on, li.active) == (dt.date(2011, 7, 1), dt.date(2013, 12, 31), False)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"new-0-name": "杨志", "new-0-gender": ""}, "请选择此人的性别"),
        ({"new-0-name": "", "new-0-gender": "M"}, "请填写此人的姓名"),
        ({"new-0-name": "杨志", "new-0-gender": "M", "new-0-joined_on": "2013-01-01"}, "不在册"),
    ],
)
def test_a_bad_new_participant_row_loses_nothing(as_user, tree, visit_type, roll_2012, row, message):
    data = {
        **roll_form(tree, visit_type, [roll_2012["veteran"]], date="2012-03-05"),
        "new-TOTAL_FORMS": "1", "new-INITIAL_FORMS": "0", **row,
    }  # fmt: skip
    page = as_user(tree.secretary_a).post(CREATE, data)
    assert page.status_code == 200 and message in page.content.decode()
    assert Activity.objects.count() == 0 and not Member.objects.filter(name="杨志").exists()


def test_the_service_refuses_participants_off_the_roll(tree, visit_type, roll_2012):
    from django.core.exceptions import ValidationError

    from activities import services

    with pytest.raises(ValidationError, match="已调走"):
        services.activity_create(
            actor=tree.secretary_a, branch=tree.branch_a, type=visit_type, date=dt.date(2016, 3, 5), title="迟到",
            participants={roll_2012["departed"]: Decimal("2")},
        )  # fmt: skip
    assert Activity.objects.count() == 0


def test_the_campaign_choices_show_their_period(as_user, tree, people):
    CampaignFactory(
        branch=tree.district, name="学雷锋 关爱残疾人", start=dt.date(2014, 3, 1), end=dt.date(2014, 12, 31)
    )
    page = as_user(tree.secretary_a).get(CREATE).content.decode()
    assert "学雷锋 关爱残疾人（2014-03-01 至 2014-12-31）" in page
