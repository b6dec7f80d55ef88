"""The member's own pages (issue 16): /me/ (pairings overdue first, this year's hours, stars, what waits and what
was turned down), the service record as Word, and the visit form — on a page and through the phone's upload
queue (JSON) — with outsiders and query budgets."""

import datetime as dt
import io
import json
import re
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document

from beneficiaries.models import Visit
from tests.conftest import image_bytes
from tests.factories import (
    ActivityFactory,
    AssistanceItemFactory,
    BeneficiaryFactory,
    MemberFactory,
    PairingFactory,
    ParticipationFactory,
    UserFactory,
    VisitFactory,
    make_id_number,
)
from volunteer_portal.selfservice.models import Claim, ClaimPhoto
from volunteer_portal.selfservice.services import claim_check_in, claim_reject, claim_visit_submit

pytestmark = pytest.mark.django_db

ME = "/me/"
QUEUED = {"HTTP_X_QUEUED_UPLOAD": "1"}
BIRTH = dt.date(1965, 4, 23)


def today() -> dt.date:
    return timezone.localdate()


def days_ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


@pytest.fixture
def member(tree):
    return MemberFactory(user=UserFactory(username="volunteer_test"), branch=tree.branch_a, name="王志愿")


@pytest.fixture
def household(tree):
    """A paired household whose ID number and birth date are known, so that the pages can be searched for them."""
    return BeneficiaryFactory(branch=tree.branch_a, name="李秀英", id_number=make_id_number(7, BIRTH), birth_date=BIRTH)


@pytest.fixture
def pairing(member, household):
    return PairingFactory(member=member, beneficiary=household, start_date=days_ago(30))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }


def visit_url(pairing) -> str:
    return reverse("selfservice:visit-new", args=[pairing.pk])


def visit_data(**values) -> dict:
    data = {
        "date": f"{today():%Y-%m-%d}",
        "notes": "",
        "client_key": str(uuid.uuid4()),
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "20",
        "items-0-kind": "",
        "items-0-description": "",
        "items-0-quantity": "1",
        "items-0-value": "",
        "items-1-kind": "",
        "items-1-description": "",
        "items-1-quantity": "1",
        "items-1-value": "",
    }
    data.update(values)
    return data


GOODS = {"items-0-kind": "goods", "items-0-description": "米面油", "items-0-value": "120"}


def text(response) -> str:
    return response.content.decode()


def figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', page)
    assert found, name
    return found.group(1).strip()


# --- /me/ ----------------------------------------------------------------------------------------------------


def test_my_page_lists_pairings_overdue_first_with_the_last_contact_and_the_due_date(as_user, tree, member, pairing):
    overdue = PairingFactory(member=member, beneficiary__branch=tree.branch_b, beneficiary__name="赵大山",
                             start_date=days_ago(100))  # fmt: skip
    visited = PairingFactory(member=member, beneficiary__branch=tree.branch_a, beneficiary__name="钱小红",
                             start_date=days_ago(80))  # fmt: skip
    VisitFactory(beneficiary=visited.beneficiary, date=days_ago(5), visitors=[member])
    PairingFactory(beneficiary__name="孙别人", beneficiary__branch=tree.branch_a)  # someone else's pairing
    page = text(as_user(member.user).get(ME))
    assert page.index("赵大山") < page.index("李秀英") and page.index("赵大山") < page.index("钱小红")
    assert "孙别人" not in page
    assert "北塔社区" in page  # the household's community
    assert "已逾期 40 天" in page and f"{days_ago(40):%Y-%m-%d}" in page
    assert f"{days_ago(5):%Y-%m-%d}" in page and f"{days_ago(5) + dt.timedelta(days=60):%Y-%m-%d}" in page
    assert page.count("已逾期") == 1
    for each in (overdue, visited, pairing):
        assert f'href="{visit_url(each)}"' in page
    assert 'class="btn btn-danger btn-lg w-100 me-tap"' in page and "记录走访" in page
    assert '<div id="upload-queue" aria-live="polite"></div>' in page


def test_my_page_without_pairings_says_who_arranges_them(as_user, member):
    assert "您还没有结对帮扶的家庭；结对由支部书记安排。" in text(as_user(member.user).get(ME))


def test_my_page_counts_confirmed_hours_only_and_shows_what_waits_and_what_was_turned_down(as_user, tree, member,
                                                                                            pairing):  # fmt: skip
    last_year = dt.date(today().year - 1, 6, 1)
    for _ in range(6):
        ParticipationFactory(member=member, hours=Decimal("20"), activity=ActivityFactory(branch=tree.branch_a,
                             date=last_year, title="去年的服务"))  # fmt: skip
    ParticipationFactory(member=member, hours=Decimal("3.5"),
                         activity=ActivityFactory(branch=tree.branch_a, date=today(), title="助残进家庭"))  # fmt: skip
    waiting = ActivityFactory(branch=tree.branch_a, date=today(), title="扫码签到的活动")
    claim_check_in(actor=member.user, member=member, activity=waiting)
    claim_visit_submit(actor=member.user, member=member, pairing=pairing, date=today(), notes="送米面油")
    turned_down = ActivityFactory(branch=tree.branch_a, date=today(), title="没去的活动")
    claim_reject(actor=tree.secretary_a, reason="当天未到场",
                 claim=claim_check_in(actor=member.user, member=member, activity=turned_down))  # fmt: skip

    page = text(as_user(member.user).get(ME))
    assert figure(page, "year-hours") == "3.5"  # neither the pending 2 hours nor the rejected ones
    assert figure(page, "cumulative") == "123.5"
    assert figure(page, "stars") == "★"
    assert "再服务 176.5 小时可达 2 星" in page
    assert "助残进家庭" in page and "去年的服务" not in page  # this year's activities
    pending = page[page.index('id="my-pending"') : page.index('id="my-rejected"')]
    assert "扫码签到的活动" in pending and "走访 李秀英" in pending and pending.count('text-bg-warning">待确认<') == 2
    rejected = page[page.index('id="my-rejected"') :]
    assert "没去的活动" in rejected and "未通过" in rejected and "书记的理由：当天未到场" in rejected
    assert "扫码签到的活动" not in rejected


def test_my_pages_show_no_id_number_and_no_birth_date(as_user, member, pairing, household):
    claim_visit_submit(actor=member.user, member=member, pairing=pairing, date=today(), notes="看望")
    client = as_user(member.user)
    pages = [text(client.get(ME)), text(client.get(visit_url(pairing))),
             text(client.post(visit_url(pairing), visit_data(date="2000-01-01")))]  # fmt: skip
    for page in pages:
        assert "李秀英" in page
        assert household.id_number not in page and household.certificate_number not in page
        assert household.id_number[:14] not in page and household.id_number[6:14] not in page
        assert "19650423" not in page and "1965-04-23" not in page and "1965年4月23日" not in page


def test_my_pages_are_never_kept_by_a_cache(as_user, media, member, pairing):
    client = as_user(member.user)
    answers = [
        client.get(ME),
        client.get(visit_url(pairing)),
        client.get(reverse("selfservice:me-service-record-docx")),
        client.post(visit_url(pairing), visit_data(notes="看望"), **QUEUED),
        client.post(visit_url(pairing), visit_data(), **QUEUED),
    ]
    answers.append(Client().post(visit_url(pairing), visit_data(), **QUEUED))
    answers.append(Client().get(ME))
    for response in answers:
        assert "no-store" in response["Cache-Control"], response.status_code


# --- the service record ----------------------------------------------------------------------------------------


def test_my_service_record_opens_in_word_and_names_me(as_user, tree, member):
    ParticipationFactory(member=member, hours=Decimal("3.5"),
                         activity=ActivityFactory(branch=tree.branch_a, date=today(), title="助残进家庭"))  # fmt: skip
    response = as_user(member.user).get(reverse("selfservice:me-service-record-docx"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    document = Document(io.BytesIO(response.content))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "志愿服务记录证明" in body and "王志愿" in body and "丽景社区" in body and "3.5 小时" in body
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert [f"{today():%Y-%m-%d}", "助残进家庭"] in [row[:2] for row in rows]


# --- the visit form --------------------------------------------------------------------------------------------


def test_the_visit_form_offers_today_a_key_and_the_queue_url(as_user, member, pairing):
    page = text(as_user(member.user).get(visit_url(pairing)))
    assert f'id="visit-form" method="post" action="{visit_url(pairing)}" data-queue-url="{visit_url(pairing)}"' in page
    assert f'value="{today():%Y-%m-%d}"' in page and f'min="{pairing.start_date:%Y-%m-%d}"' in page
    key = re.search(r'name="client_key" value="([0-9a-f-]{36})"', page)
    assert key and uuid.UUID(key.group(1))
    assert 'enctype="multipart/form-data"' in page and "已走访，未发放物品" in page


def test_a_visit_is_sent_for_confirmation_and_recorded_once(as_user, member, pairing):
    client = as_user(member.user)
    data = visit_data(notes="送米面油", **GOODS)
    response = client.post(visit_url(pairing), data, follow=True)
    assert response.redirect_chain == [(ME, 302)]
    assert "已提交，待支部书记确认后计入统计" in text(response)
    claim = Claim.objects.get()
    assert (claim.status, claim.member, claim.pairing, claim.notes) == (
        Claim.Status.PENDING,
        member,
        pairing,
        "送米面油",
    )
    assert claim.items == [{"kind": "goods", "description": "米面油", "quantity": 1, "value": "120"}]
    assert str(claim.client_key) == data["client_key"]
    assert not Visit.objects.exists()

    again = client.post(visit_url(pairing), data)  # a double tap, or the answer was lost
    assert again.status_code == 302 and again["Location"] == ME
    assert Claim.objects.count() == 1


def test_nothing_handed_over_is_enough(as_user, member, pairing):
    response = as_user(member.user).post(visit_url(pairing), visit_data(nothing_handed_over="on"))
    assert response.status_code == 302
    assert Claim.objects.get().nothing_handed_over is True


def test_a_branch_that_trusts_its_members_counts_the_visit_at_once(as_user, tree, member, pairing):
    tree.branch_a.confirm_members_work = False
    tree.branch_a.save()
    response = as_user(member.user).post(visit_url(pairing), visit_data(notes="看望"), follow=True)
    assert "已计入" in text(response) and "待支部书记确认" not in text(response)
    assert Claim.objects.get().status == Claim.Status.CONFIRMED
    assert list(Visit.objects.get().visitors.all()) == [member]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "请写明走访情况、填写发放的物品，或勾选“已走访，未发放物品”。"),
        ({"date": ""}, "这个字段是必填项。"),
        ({"date": "明天"}, "输入一个有效的日期。"),
        ({"date": "2099-01-01"}, "日期晚于今天；请在事情发生后再记录。"),
        ({"items-0-kind": "goods", "items-0-value": "-5"}, "金额不能为负数。"),
    ],
)
def test_a_wrong_visit_says_why_in_chinese_and_keeps_what_was_typed(as_user, member, pairing, values, message):
    typed = {"notes": "陪同就医", "items-1-kind": "cash", "items-1-description": "慰问金", "items-1-value": "300"}
    data = visit_data(**{**typed, **values}) if values else visit_data()
    response = as_user(member.user).post(visit_url(pairing), data)
    page = text(response)
    assert response.status_code == 200 and "未保存。请改正以下问题：" in page and message in page
    if values:
        assert "陪同就医" in page and 'value="慰问金"' in page and 'value="300"' in page
    assert f'value="{data["client_key"]}"' in page  # the same key: sent again, still once
    assert not Claim.objects.exists()


def test_a_visit_cannot_be_dated_before_the_pairing_began(as_user, member, pairing):
    response = as_user(member.user).post(visit_url(pairing), visit_data(date=f"{days_ago(31):%Y-%m-%d}", notes="看望"))
    page = text(response)
    assert f"结对从 {pairing.start_date:%Y-%m-%d} 开始，走访日期不能早于这一天。" in page and "看望" in page
    assert not Claim.objects.exists()


def test_photos_are_kept_with_the_record_as_jpeg(as_user, media, member, pairing):
    photos = [SimpleUploadedFile(f"p{n}.png", image_bytes(), content_type="image/png") for n in range(2)]
    response = as_user(member.user).post(visit_url(pairing), {**visit_data(notes="看望"), "photos": photos})
    assert response.status_code == 302
    kept = list(ClaimPhoto.objects.filter(claim=Claim.objects.get()))
    assert len(kept) == 2 and all(photo.image.name.endswith(".jpg") for photo in kept)
    with kept[0].image.open() as image:
        assert image.read(2) == b"\xff\xd8"  # JPEG


def test_a_file_that_is_not_a_photo_records_nothing(as_user, media, member, pairing):
    bad = SimpleUploadedFile("notes.png", b"not an image", content_type="image/png")
    good = SimpleUploadedFile("p.png", image_bytes(), content_type="image/png")
    response = as_user(member.user).post(visit_url(pairing), {**visit_data(notes="看望"), "photos": [good, bad]})
    page = text(response)
    assert response.status_code == 200 and "“notes.png”不是照片" in page and "看望" in page
    assert not Claim.objects.exists() and not ClaimPhoto.objects.exists()


# --- the upload queue's contract (X-Queued-Upload: JSON answers) ---------------------------------------------


def test_a_queued_visit_is_answered_201_and_once(as_user, media, member, pairing):
    client = as_user(member.user)
    data = {**visit_data(notes="送米面油", **GOODS), "photos": [SimpleUploadedFile("p.png", image_bytes())]}
    response = client.post(visit_url(pairing), data, **QUEUED)
    claim = Claim.objects.get()
    assert response.status_code == 201 and response.json() == {"claim": claim.pk, "status": "pending"}
    data["photos"] = [SimpleUploadedFile("p.png", image_bytes())]
    again = client.post(visit_url(pairing), data, **QUEUED)
    assert again.status_code == 201 and again.json() == {"claim": claim.pk, "status": "pending"}
    assert Claim.objects.count() == 1 and ClaimPhoto.objects.count() == 1


def test_a_queued_visit_already_in_gets_the_same_answer_after_the_pairing_ended(as_user, member, pairing):
    client = as_user(member.user)
    data = visit_data(notes="看望")
    first = client.post(visit_url(pairing), data, **QUEUED).json()
    pairing.end_date = today()
    pairing.save()
    again = client.post(visit_url(pairing), data, **QUEUED)
    assert again.status_code == 201 and again.json() == first
    assert client.post(visit_url(pairing), visit_data(notes="看望"), **QUEUED).status_code == 404  # a new one


def test_a_queued_visit_with_errors_is_answered_400_by_field(as_user, member, pairing):
    client = as_user(member.user)
    response = client.post(visit_url(pairing), visit_data(date="2099-01-01", **{"items-0-value": "x",
                           "items-0-kind": "goods", "items-0-description": "米"}), **QUEUED)  # fmt: skip
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["date"] == ["日期晚于今天；请在事情发生后再记录。"]
    assert errors["items-0-value"] == ["输入一个数字。"]
    before = client.post(visit_url(pairing), visit_data(date=f"{days_ago(31):%Y-%m-%d}", notes="看望"), **QUEUED)
    assert before.status_code == 400 and "结对从" in before.json()["errors"]["date"][0]
    assert not Claim.objects.exists()


def test_a_queued_visit_after_the_session_ended_is_answered_401(client, member, pairing):
    response = client.post(visit_url(pairing), visit_data(notes="看望"), **QUEUED)
    assert response.status_code == 401 and response.json() == {"login": "/accounts/login/?next=/me/"}
    assert not Claim.objects.exists()
    plain = client.post(visit_url(pairing), visit_data(notes="看望"))  # not the queue: the sign-in page
    assert plain.status_code == 302 and plain["Location"].startswith("/accounts/login/?next=")


def test_a_queued_visit_still_needs_the_csrf_token(member, pairing):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get(visit_url(pairing))
    data = visit_data(notes="看望")
    assert client.post(visit_url(pairing), data, **QUEUED).status_code == 403
    token = client.cookies["csrftoken"].value
    response = client.post(visit_url(pairing), data, HTTP_X_CSRFTOKEN=token, **QUEUED)
    assert response.status_code == 201 and json.loads(response.content)["status"] == "pending"


# --- outsiders ------------------------------------------------------------------------------------------------


def my_urls(pairing) -> list[str]:
    return [ME, reverse("selfservice:me-service-record-docx"), visit_url(pairing)]


def test_anonymous_users_are_sent_to_sign_in(client, pairing):
    for url in my_urls(pairing):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url


def test_a_secretary_without_a_member_record_gets_404(as_user, tree, pairing):
    for user in (tree.secretary_a, tree.root_leader):
        client = as_user(user)
        for url in my_urls(pairing):
            assert client.get(url).status_code == 404, url
        assert client.post(visit_url(pairing), visit_data(notes="看望")).status_code == 404
        assert client.post(visit_url(pairing), visit_data(notes="看望"), **QUEUED).status_code == 404
    assert not Claim.objects.exists()


def test_another_member_cannot_open_or_post_my_pairings_visit_form(as_user, tree, member, pairing):
    other = MemberFactory(user=UserFactory(), branch=tree.branch_a, name="另一名志愿者")
    client = as_user(other.user)
    assert client.get(visit_url(pairing)).status_code == 404
    assert client.post(visit_url(pairing), visit_data(notes="看望")).status_code == 404
    assert client.post(visit_url(pairing), visit_data(notes="看望"), **QUEUED).status_code == 404
    page = text(client.get(ME))
    assert "李秀英" not in page and "另一名志愿者" in page
    # Not even by replaying my record's key.
    mine = claim_visit_submit(actor=None, member=member, pairing=pairing, date=today(), notes="看望")
    replay = client.post(visit_url(pairing), visit_data(client_key=str(mine.client_key)), **QUEUED)
    assert replay.status_code == 404 and Claim.objects.count() == 1


def test_an_ended_pairing_takes_its_form_away(as_user, member, pairing):
    pairing.end_date = today()
    pairing.save()
    assert as_user(member.user).get(visit_url(pairing)).status_code == 404


def test_an_inactive_login_is_no_member(client, member, pairing):
    member.user.is_active = False
    member.user.save()
    client.force_login(member.user)
    assert client.get(ME).status_code in (302, 404)


# --- query budgets --------------------------------------------------------------------------------------------


def test_my_pages_read_as_many_queries_for_one_pairing_as_for_six(as_user, tree, member, pairing, assert_flat_queries):
    ParticipationFactory(member=member, activity=ActivityFactory(branch=tree.branch_a, date=today()))
    claim_visit_submit(actor=member.user, member=member, pairing=pairing, date=today(), notes="看望")
    client = as_user(member.user)

    def grow():
        for n in range(5):
            other = PairingFactory(member=member, beneficiary__branch=tree.branch_b, start_date=days_ago(90 + n))
            visit = VisitFactory(beneficiary=other.beneficiary, date=days_ago(n + 1), visitors=[member])
            AssistanceItemFactory(visit=visit)
        for n in range(9):
            activity = ActivityFactory(branch=tree.branch_a, date=days_ago(n), title=f"活动{n}")
            ParticipationFactory(member=member, activity=activity)
            claim_check_in(actor=member.user, member=member, activity=ActivityFactory(branch=tree.branch_b,
                           date=days_ago(n)))  # fmt: skip

    assert_flat_queries(
        lambda: client.get(ME),
        grow,
        queries=9,
        also=[(lambda: client.get(visit_url(pairing)), 4),
              (lambda: client.get(reverse("selfservice:me-service-record-docx")), 7)],
    )  # fmt: skip


# --- the branch's setting -------------------------------------------------------------------------------------


def test_the_admin_sets_whether_a_branch_confirms_its_members_work(client, superuser, tree):
    client.force_login(superuser)
    url = reverse("admin:branches_branch_change", args=[tree.branch_a.pk])
    assert 'name="confirm_members_work"' in text(client.get(url))
    form = {"name": "丽景社区", "code": "a", "kind": "community", "active": "on", "parent": tree.district.pk,
            "role_grants-TOTAL_FORMS": "0", "role_grants-INITIAL_FORMS": "0"}  # fmt: skip
    assert client.post(url, form).status_code == 302
    tree.branch_a.refresh_from_db()
    assert tree.branch_a.confirm_members_work is False and tree.branch_a.history.count() >= 1
    assert client.post(url, {**form, "confirm_members_work": "on"}).status_code == 302
    tree.branch_a.refresh_from_db()
    assert tree.branch_a.confirm_members_work is True
