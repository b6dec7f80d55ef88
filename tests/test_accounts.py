import pytest
from django.urls import reverse

from .factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def test_the_sign_in_page_is_in_chinese_with_a_language_switch(client):
    page = client.get(LOGIN).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page and 'name="language"' in page
    english = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in english and "Sign in" in english


def test_switching_to_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": LOGIN}, follow=True)
    assert '<html lang="en">' in response.content.decode()


def test_a_secretary_signs_in_and_lands_on_the_home_page(client, tree):
    response = client.post(LOGIN, {"username": "secretary_a", "password": TEST_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "我的工作" in response.content.decode()


def test_a_wrong_password_is_explained_in_chinese(client, tree):
    page = client.post(LOGIN, {"username": "secretary_a", "password": "wrong"}).content.decode()
    assert "请输入一个正确的" in page
    assert 'id="error-summary"' in page


def test_the_next_parameter_is_honoured_but_not_offsite(client, tree):
    target = reverse("activities:activity-list")
    response = client.post(
        f"{LOGIN}?next={target}", {"username": "secretary_a", "password": TEST_PASSWORD, "next": target}
    )
    assert response["Location"] == target
    client.logout()
    evil = "https://evil.example.org/"
    response = client.post(LOGIN, {"username": "secretary_a", "password": TEST_PASSWORD, "next": evil})
    assert response["Location"] == reverse("home")


def test_logout_is_a_post(as_user, tree):
    client = as_user(tree.secretary_a)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("home"))["Location"].startswith(LOGIN)


def test_password_change(as_user, tree):
    client = as_user(tree.secretary_a)
    url = reverse("accounts:password_change")
    page = client.post(url, {"old_password": "nope", "new_password1": "x", "new_password2": "y"}).content.decode()
    assert "旧密码不正确" in page
    response = client.post(
        url, {"old_password": TEST_PASSWORD, "new_password1": "Lei-Feng-2026!", "new_password2": "Lei-Feng-2026!"}
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    tree.secretary_a.refresh_from_db()
    assert tree.secretary_a.check_password("Lei-Feng-2026!")
