"""What a user may see of a beneficiary (beneficiaries/privacy.py), and every way around the mask closed: the
display, searches and messages that would confirm a guess, the edit form, the admin and its history."""

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import Workbook

from beneficiaries.models import Beneficiary
from beneficiaries.privacy import birth_decade, mask_id_number, personal_view
from volunteer_portal.branches.models import AccessLog, RoleGrant

from ..factories import ActivityFactory, BeneficiaryFactory, RoleGrantFactory, UserFactory, make_id_number
from .test_views import CREATE, beneficiary_data

pytestmark = pytest.mark.django_db

LIST = reverse("beneficiaries:beneficiary-list")
REAL = "11010519731115001X"
WRONG = "110105197311150036"  # another valid number, not on record


@pytest.fixture
def person(tree):
    return BeneficiaryFactory(branch=tree.branch_a, name="张三", id_number=REAL, address="北京市朝阳区")


def names(response) -> list[str]:
    return sorted(b.name for b in response.context["page"])


def without_tokens(html: str, guess: str) -> str:
    """A page with what differs between any two requests (the CSRF token, the session's countdown in seconds, the
    echoed search) taken out."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'data-session-left="\d+"', "", html).replace(guess, "…")


# --- the display -----------------------------------------------------------------------------------------------


def test_the_display_hides_the_birth_date_and_all_but_two_characters(as_user, tree, person):
    page = as_user(tree.root_leader).get(person.get_absolute_url()).content.decode()
    assert "110105**********1X" in page and "1970年代" in page
    for leak in (REAL, REAL[-4:], "1973-11-15", "19731115", "1973年"):
        assert leak not in page, leak
    shown = personal_view(tree.root_leader, person, revealed=True)  # asking for it is not enough without the right
    assert not shown.full and shown.id_number == mask_id_number(REAL) and shown.birth == birth_decade(person.birth_date)


def test_a_reveal_shows_the_full_numbers_and_the_birth_date_once_and_logs_it(as_user, tree, person):
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True)
    client = as_user(tree.secretary_a)
    assert REAL not in client.get(person.get_absolute_url()).content.decode()
    page = client.post(person.get_absolute_url()).content.decode()
    assert REAL in page and "1973-11-15" in page
    assert AccessLog.objects.filter(event=AccessLog.Event.REVEAL, user=tree.secretary_a).count() == 1


# --- searches: the same answer for a right and a wrong guess --------------------------------------------------


@pytest.mark.parametrize("guess", [REAL, REAL[-4:], REAL[-3:]], ids=["full", "last4", "last3"])
def test_the_roster_search_answers_alike_for_a_right_and_a_wrong_guess(as_user, tree, person, guess):
    client = as_user(tree.root_leader)
    wrong = WRONG[-len(guess) :]
    right_page, wrong_page = client.get(LIST, {"q": guess}), client.get(LIST, {"q": wrong})
    assert names(right_page) == names(wrong_page) == []
    assert without_tokens(right_page.content.decode(), guess) == without_tokens(wrong_page.content.decode(), wrong)
    assert "需要查看完整号码的权限" in right_page.content.decode()
    assert names(client.get(LIST, {"q": "1x"})) == ["张三"]  # as many characters as are shown: for everyone
    assert names(client.get(LIST, {"q": "张"})) == ["张三"]


def test_a_longer_number_searches_for_those_who_may_reveal_only_among_theirs_and_is_logged(as_user, tree, person):
    other = BeneficiaryFactory(branch=tree.branch_b, name="李四", id_number=make_id_number(7))
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True)
    RoleGrantFactory(user=tree.secretary_a, branch=tree.branch_b, role=RoleGrant.Role.LEADER)  # reads, no reveal
    client = as_user(tree.secretary_a)
    assert names(client.get(LIST, {"q": REAL[-4:]})) == ["张三"]
    assert names(client.get(LIST, {"q": other.id_number})) == []  # in scope, but not theirs to reveal
    entries = AccessLog.objects.filter(event=AccessLog.Event.NUMBER_SEARCH, user=tree.secretary_a)
    assert entries.count() == 2 and all(REAL not in e.detail and other.id_number not in e.detail for e in entries)


def test_the_households_served_search_answers_alike(as_user, tree, person):
    activity = ActivityFactory(branch=tree.branch_a)
    url = reverse("beneficiaries:activity-visits", args=[activity.pk])
    client = as_user(tree.secretary_a)  # a secretary without the reveal right
    for guess, wrong in [(REAL, WRONG), (REAL[-4:], WRONG[-4:])]:
        right_form, wrong_form = (client.get(url, {"q": q}).context["form"] for q in (guess, wrong))
        assert right_form.found == wrong_form.found == []
        assert right_form.search_note == wrong_form.search_note != ""
    assert [b.name for b in client.get(url, {"q": "1X"}).context["form"].found] == ["张三"]


@pytest.fixture
def viewing_staff(tree):
    """A staff member who may only view beneficiaries, with a leader's grant on branch_a and no reveal right."""
    user = UserFactory(username="auditor", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_beneficiary", "view_visit"]))
    RoleGrantFactory(user=user, branch=tree.branch_a, role=RoleGrant.Role.LEADER)
    return user


def test_the_admin_search_and_autocomplete_answer_alike(as_user, tree, person, viewing_staff):
    client = as_user(viewing_staff)
    changelist = reverse("admin:beneficiaries_beneficiary_changelist")
    autocomplete = reverse("admin:autocomplete")
    base = {"app_label": "beneficiaries", "model_name": "visit", "field_name": "beneficiary"}
    for guess, wrong in [(REAL, WRONG), (REAL[-4:], WRONG[-4:])]:
        right, other = (client.get(changelist, {"q": q}).content.decode() for q in (guess, wrong))
        assert "张三" not in right and "张三" not in other
        right, other = (client.get(autocomplete, {**base, "term": q}).json() for q in (guess, wrong))
        assert right == other == {"results": [], "pagination": {"more": False}}
    assert "张三" in client.get(changelist, {"q": "1X"}).content.decode()


# --- "already registered": logged, limited, then the same answer for everything --------------------------------


def test_already_registered_is_logged_with_the_last_four_and_limited_per_user(as_user, tree, person, settings):
    settings.HIDDEN_CHECKS_PER_DAY = 2
    client = as_user(tree.secretary_b)  # another branch, no reveal right
    for _ in range(2):
        page = client.post(CREATE, beneficiary_data(tree, branch=tree.branch_b.pk, id_number=REAL,
                                                    certificate_number="")).content.decode()  # fmt: skip
        assert "登记在册" in page
    entries = AccessLog.objects.filter(event=AccessLog.Event.NUMBER_CHECK, user=tree.secretary_b)
    assert entries.count() == 2 and {e.detail for e in entries} == {"…001X"}
    # The limit reached: a right guess and a wrong one get the same refusal, and nothing is saved.
    right = client.post(CREATE, beneficiary_data(tree, branch=tree.branch_b.pk, id_number=REAL, certificate_number=""))
    wrong = client.post(CREATE, beneficiary_data(tree, branch=tree.branch_b.pk, id_number=make_id_number(9),
                                                 certificate_number=""))  # fmt: skip
    assert right.context["form"].errors == wrong.context["form"].errors
    assert "24 小时" in right.content.decode()
    assert Beneficiary.objects.count() == 1
    # Someone else is not limited by it.
    other = UserFactory(username="other_secretary")
    RoleGrantFactory(user=other, branch=tree.branch_b, role=RoleGrant.Role.SECRETARY)
    data = beneficiary_data(tree, branch=tree.branch_b.pk, id_number=REAL, certificate_number="")
    assert "登记在册" in as_user(other).post(CREATE, data).content.decode()


def roster(*numbers: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from beneficiaries import imports

    book = Workbook()
    sheet = book.active
    headers = imports.headers()
    sheet.append([headers[name] for name in imports.COLUMNS])
    for n, number in enumerate(numbers):
        row = {"name": f"导入{n}", "gender": "男", "id_number": number, "disability_category": "肢体残疾",
               "disability_grade": "一级", "branch": "北塔社区", "consent_given_by": "本人",
               "consent_given_on": "2026-01-05"}  # fmt: skip
        sheet.append([row.get(name, "") for name in imports.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue())


def checked_import(client, *numbers):
    from beneficiaries.models import RosterImport

    client.post(reverse("beneficiaries:import-start"), {"file": roster(*numbers)})
    batch = RosterImport.objects.order_by("-pk").first()
    while batch.status == RosterImport.Status.CHECKING:
        client.post(reverse("beneficiaries:import-check", args=[batch.pk]))
        batch.refresh_from_db()
    return batch


def test_the_import_preview_answers_alike_and_only_confirming_tells_logged(as_user, tree, person):
    client = as_user(tree.secretary_b)  # secretary of branch_b, may not see branch_a's numbers
    right = checked_import(client, REAL)
    answer = [(r.action, r.problems) for r in right.rows.order_by("number")]
    assert answer == [("create", [])]
    assert not AccessLog.objects.filter(event=AccessLog.Event.NUMBER_CHECK).exists()
    page = client.post(reverse("beneficiaries:import-confirm", args=[right.pk]), follow=True).content.decode()
    assert "已登记" in page and Beneficiary.objects.filter(id_number=REAL).count() == 1
    assert AccessLog.objects.filter(event=AccessLog.Event.NUMBER_CHECK, user=tree.secretary_b).count() == 1
    wrong = checked_import(client, WRONG)  # an upload discards the earlier unfinished one, so one at a time
    assert [(r.action, r.problems) for r in wrong.rows.order_by("number")] == answer
    # A wrong guess is a real person added, in the history under the uploader's name: no guess is free.
    client.post(reverse("beneficiaries:import-confirm", args=[wrong.pk]))
    assert Beneficiary.objects.get(id_number=WRONG).history.first().history_user == tree.secretary_b


def test_once_the_limit_is_reached_confirming_says_so_for_any_registered_number(as_user, tree, person, settings):
    settings.HIDDEN_CHECKS_PER_DAY = 0
    client = as_user(tree.secretary_b)
    page = client.post(reverse("beneficiaries:import-confirm", args=[checked_import(client, REAL).pk]),
                       follow=True).content.decode()  # fmt: skip
    assert "24 小时" in page and "已登记，" not in page and Beneficiary.objects.count() == 1


# --- the edit form ---------------------------------------------------------------------------------------------


def test_the_edit_form_shows_the_mask_and_changes_a_number_only_when_typed_again(as_user, tree, person):
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True)
    client = as_user(tree.secretary_a)
    url = reverse("beneficiaries:beneficiary-edit", args=[person.pk])
    page = client.get(url).content.decode()
    assert REAL not in page and "1973-11-15" not in page and 'value="110105**********1X"' in page
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name, getattr(person, name, "")) for name in form.fields}
    data.update(branch=tree.branch_a.pk, needs=[], statutory_basis="", name="张三丰")
    data = {k: ("" if v is None else v) for k, v in data.items()}
    assert client.post(url, data).status_code == 302
    person.refresh_from_db()
    assert person.name == "张三丰" and person.id_number == REAL  # the mask left as shown: unchanged
    new = make_id_number(5, birth=__import__("datetime").date(1980, 2, 3))
    data.update(id_number=new, certificate_number="")
    assert client.post(url, data).status_code == 302
    person.refresh_from_db()
    assert person.id_number == new and str(person.birth_date) == "1980-02-03"  # the birth date follows


def test_without_the_right_the_edit_form_leaves_the_numbers_and_birth_date_out(as_user, tree, person):
    page = as_user(tree.secretary_a).get(reverse("beneficiaries:beneficiary-edit", args=[person.pk])).content.decode()
    assert 'name="id_number"' not in page and 'name="birth_date"' not in page and "1973" not in page


# --- the admin -------------------------------------------------------------------------------------------------


def test_the_admin_is_scoped_to_the_staff_members_grants(as_user, tree, person, viewing_staff):
    other = BeneficiaryFactory(branch=tree.branch_b, name="李四")
    client = as_user(viewing_staff)
    page = client.get(reverse("admin:beneficiaries_beneficiary_changelist")).content.decode()
    assert "张三" in page and "李四" not in page
    assert client.get(reverse("admin:beneficiaries_beneficiary_change", args=[other.pk])).status_code in (302, 404)
    assert client.get(reverse("admin:beneficiaries_beneficiary_history", args=[other.pk])).status_code == 404


def test_the_admin_masks_the_form_and_the_history_and_cannot_revert(as_user, tree, person, superuser):
    from beneficiaries import services

    services.beneficiary_update(actor=superuser, beneficiary=person, id_number=make_id_number(3),
                                birth_date=None, certificate_number="")  # fmt: skip
    client = as_user(superuser)
    change = client.get(reverse("admin:beneficiaries_beneficiary_change", args=[person.pk])).content.decode()
    history = client.get(reverse("admin:beneficiaries_beneficiary_history", args=[person.pk])).content.decode()
    old = person.history.order_by("history_id").first()
    version = reverse("admin:beneficiaries_beneficiary_simple_history", args=[person.pk, old.history_id])
    version_page = client.get(version).content.decode()
    for page in (change, history, version_page):
        assert REAL not in page and make_id_number(3) not in page and "1973-11-15" not in page
    assert "110105**********1X" in history  # the change is listed, masked
    assert client.post(version, {"name": "改回"}).status_code == 403
    person.refresh_from_db()
    assert person.id_number == make_id_number(3)


# --- what the review of the change found ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lookup",
    [{"id_number": REAL}, {"id_number__startswith": REAL[:10]}, {"birth_date": "1973-11-15"},
     {"birth_date__gt": "1973-01-01"}, {"certificate_number__contains": REAL[6:14]}],
    ids=["exact", "startswith", "birth", "birth-range", "certificate"],
)  # fmt: skip
def test_the_admins_list_url_takes_no_lookup_on_a_hidden_field(as_user, tree, person, viewing_staff, lookup):
    response = as_user(viewing_staff).get(reverse("admin:beneficiaries_beneficiary_changelist"), lookup)
    assert response.status_code == 400 or "张三" not in response.content.decode()


def test_the_exports_log_masks_a_searched_number(as_user, tree, person):
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True, may_export=True)
    as_user(tree.secretary_a).get(reverse("beneficiaries:beneficiary-export"), {"q": REAL})
    entry = AccessLog.objects.get(event=AccessLog.Event.EXPORT)
    assert REAL not in entry.detail and REAL[-4:] not in entry.detail and mask_id_number(REAL) in entry.detail


def test_a_form_wrong_elsewhere_never_says_a_number_is_registered(as_user, tree, person):
    client = as_user(tree.secretary_b)
    answers = []
    for guess in (REAL, WRONG):
        data = beneficiary_data(tree, branch=tree.branch_b.pk, id_number=guess, certificate_number="", name="")
        answers.append(client.post(CREATE, data).context["form"].errors)
    assert answers[0] == answers[1] and "登记在册" not in str(answers[0])
    assert not AccessLog.objects.filter(event=AccessLog.Event.NUMBER_CHECK).exists()


def test_only_superusers_read_the_access_log(as_user, tree, superuser):
    auditor = UserFactory(username="log_reader", is_staff=True)
    auditor.user_permissions.set(Permission.objects.filter(codename="view_accesslog"))
    url = reverse("admin:branches_accesslog_changelist")
    assert as_user(auditor).get(url).status_code == 403
    assert as_user(superuser).get(url).status_code == 200


def test_a_withdrawn_consent_shows_no_day_without_the_reveal_right(as_user, tree, person):
    from beneficiaries.models import Consent

    Consent.objects.create(beneficiary=person, given_by="person", given_on="2024-01-05", withdrawn_on="2024-02-10")
    page = as_user(tree.root_leader).get(person.get_absolute_url()).content.decode()
    assert "2024-02-10" not in page and "2024-01-05" not in page and "已撤回" in page


def test_control_characters_do_not_break_the_roster_export(as_user, tree, person):
    from openpyxl import load_workbook

    Beneficiary.objects.filter(pk=person.pk).update(address="北京\x0b朝阳")
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_export=True)
    response = as_user(tree.secretary_a).get(reverse("beneficiaries:beneficiary-export"))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert "北京朝阳" in rows[1]


def test_staff_who_may_only_view_cannot_archive_and_a_refusal_says_why(as_user, tree, person, viewing_staff):
    client = as_user(viewing_staff)
    url = reverse("admin:beneficiaries_beneficiary_changelist")
    assert "archive_selected" not in client.get(url).content.decode()
    client.post(url, {"action": "archive_selected", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert not person.is_archived
    page = as_user(tree.secretary_a).get(reverse("beneficiaries:consent-create", args=[person.pk])).content.decode()
    assert "需要查看此人完整号码的权限" in page
