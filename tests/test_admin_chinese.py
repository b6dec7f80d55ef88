"""The admin speaks Chinese throughout: django-axes's section, permission names, Django's newer strings."""

import html
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from volunteer_portal.admin_base import DJANGO_ADMIN_STRINGS, permission_label
from volunteer_portal.lockout import AXES_STRINGS

from .test_admin import admin_client_zh, some_data  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

# What an untranslated admin shows: axes's names, Django's default permission names, simple-history's
# "historical", Django 5's new index headers, and English object titles.
GIVEAWAYS = [
    "Axes", "Access attempt", "Access attempts", "access attempt", "Access failure", "access failure", "Access logs",
    "access logs", "Access Log for", "Attempted Access", "Failed access", "Username", "User Agent", "IP Address",
    "Attempt Time", "Logout Time", "Locked Out", "Meta Data", "Form Data", "Path", "Status", "Can add", "Can change",
    "Can delete", "Can view", "historical", "Model name", "Add link", "Change or view list link", "After you",
    "Search", "Help text", "Report", "Member", "Visit", "Need", "Beneficiary",
]  # fmt: skip


def visible_text(page: str) -> str:
    """What a reader meets: text between tags, and the alt, title and aria-label of elements."""
    page = re.sub(r"<script.*?</script>|<style.*?</style>", "", page, flags=re.S)
    parts = re.findall(r">([^<]+)<", page) + re.findall(r'(?:alt|title|aria-label|placeholder)="([^"]*)"', page)
    return "\n".join(html.unescape(part) for part in parts)


@pytest.fixture
def lockout_records(db):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    request = {"username": "visitor", "ip_address": "10.0.0.1", "user_agent": "x", "http_accept": "*/*",
               "path_info": "/accounts/login/"}  # fmt: skip
    AccessAttempt.objects.create(**request, get_data="", post_data="", failures_since_start=5)
    AccessLog.objects.create(**request)
    AccessFailureLog.objects.create(**request, locked_out=True)


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        urls += [reverse(f"admin:{opts.app_label}_{opts.model_name}_{page}") for page in ("changelist", "add")]
        if (obj := model._default_manager.first()) is not None:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    return urls


def test_no_admin_page_shows_english(admin_client_zh, some_data, lockout_records, tree):  # noqa: F811
    group = Group.objects.create(name="信息管理员")
    group.permissions.set(Permission.objects.filter(codename__in=["add_activity", "view_historicalactivity"]))
    tree.secretary_a.user_permissions.set(Permission.objects.filter(codename="view_accessattempt"))
    found = {}
    for url in admin_urls():
        response = admin_client_zh.get(url)
        assert response.status_code in (200, 403), url
        if response.status_code == 200:
            text = visible_text(response.content.decode())
            for giveaway in GIVEAWAYS:
                if re.search(rf"(?<![A-Za-z]){re.escape(giveaway)}(?![a-z])", text):
                    found.setdefault(giveaway, url)
    assert found == {}


def test_the_permission_pickers_name_permissions_in_chinese(admin_client_zh, tree):  # noqa: F811
    page = admin_client_zh.get(reverse("admin:auth_user_change", args=[tree.secretary_a.pk])).content.decode()
    assert "学雷锋活动 | 活动 | 可以增加活动" in page
    assert "学雷锋活动 | 活动的历史记录 | 可以查看活动的历史记录" in page
    assert "登录锁定 | 登录尝试 | 可以删除登录尝试" in page
    group = Group.objects.create(name="审核")
    assert (
        "组织机构 | 成员 | 可以修改成员"
        in admin_client_zh.get(reverse("admin:auth_group_change", args=[group.pk])).content.decode()
    )


def test_a_permission_label_follows_the_language():
    permission = Permission.objects.get(codename="add_activity")
    with translation.override("en"):
        assert permission_label(permission).endswith("| Can add activity")
    assert permission.name == "Can add activity"  # nothing Chinese is written into auth_permission


def test_every_axes_and_django_string_the_project_carries_is_translated():
    with translation.override("zh-hans"):
        untranslated = [text for text in [*AXES_STRINGS, *DJANGO_ADMIN_STRINGS] if gettext(text) == text]
    assert untranslated == []


def test_django_translates_axes_own_strings_from_the_project_catalogue():
    """axes's models and admin call gettext themselves: the project's catalogue answers them."""
    from axes.admin import AccessAttemptAdmin, AccessLogAdmin
    from axes.models import AccessAttempt

    with translation.override("zh-hans"):
        assert str(AccessAttempt._meta.verbose_name_plural) == "登录尝试"
        assert str(AccessAttempt._meta.get_field("ip_address").verbose_name) == "IP 地址"
        assert str(AccessLogAdmin.fieldsets[1][0]) == "请求信息"
        assert str(AccessAttemptAdmin.fieldsets[1][0]) == "表单数据"
        from django.apps import apps

        assert str(apps.get_app_config("axes").verbose_name) == "登录锁定"


def test_the_lockout_records_are_titled_in_chinese(lockout_records):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    with translation.override("zh-hans"):
        assert str(AccessAttempt.objects.get()) == "visitor 自 10.0.0.1 的登录尝试"
        assert str(AccessLog.objects.get()).startswith("visitor 于 ") and str(AccessLog.objects.get()).endswith("登录")
        assert str(AccessFailureLog.objects.get()).endswith("登录失败，已锁定")
