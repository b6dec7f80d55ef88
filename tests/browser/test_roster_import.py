"""The issue's story in a browser: a secretary uploads the community's roster, the preview flags three rows,
they fix them and import; the same file again creates no duplicate. The progress bar is driven by import.js."""

import pytest
from openpyxl import Workbook

from beneficiaries import imports
from beneficiaries.imports import checking
from beneficiaries.models import Beneficiary
from volunteer_portal.branches.models import RoleGrant

from ..factories import TEST_PASSWORD, make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def roster(rows: list[dict], path) -> str:
    names = imports.headers()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([names[name] for name in imports.COLUMNS])
    for row in rows:
        sheet.append([row.get(name, "") for name in imports.COLUMNS])
    workbook.save(path)
    return str(path)


def person(n: int, **overrides) -> dict:
    row = {"name": f"居民{n}", "gender": "女", "id_number": make_id_number(n), "disability_category": "肢体",
           "disability_grade": "二级", "consent_given_by": "本人", "consent_given_on": "2026-01-05"}  # fmt: skip
    return {**row, **overrides}


def test_a_secretary_imports_the_roster_fixing_three_rows(live_server, phone, tree, screenshot, tmp_path, monkeypatch):
    monkeypatch.setattr(checking, "CHUNK", 4)  # several rounds of the progress bar with a small file
    # The roster's keeper may see its numbers: matching the second import on them says whose they are.
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_reveal=True)
    rows = [person(n) for n in range(1, 13)]
    rows[2]["gender"], rows[5]["id_number"], rows[8]["branch"] = "?", "110105", "别人的社区"
    page = phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("secretary_a")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/beneficiaries/")
    page.get_by_role("link", name="从 Excel 导入").click()
    page.get_by_label("名册文件").set_input_files(roster(rows, tmp_path / "名册.xlsx"))
    page.get_by_role("button", name="上传并检查").click()
    page.get_by_role("heading", name="预览").wait_for()  # import.js checked every chunk, then reloaded
    assert page.get_by_text("3 行有问题").is_visible()
    problems = page.locator("#import-problems tbody tr")
    numbers = [problems.nth(i).locator("td").first.inner_text() for i in range(problems.count())]
    assert sorted(set(numbers), key=int) == ["4", "7", "10"]  # row 7's bad ID also leaves no birth date
    assert page.get_by_role("button", name="导入").count() == 0
    screenshot(page, "import-01-problems")

    rows[2]["gender"], rows[5]["id_number"], rows[8]["branch"] = "女", make_id_number(6), ""
    page.get_by_role("link", name="上传改正后的文件").click()
    page.get_by_label("名册文件").set_input_files(roster(rows, tmp_path / "名册-改.xlsx"))
    page.get_by_role("button", name="上传并检查").click()
    page.get_by_role("heading", name="预览").wait_for()
    screenshot(page, "import-02-ready")
    page.get_by_role("button", name="导入 12 行").click()
    page.get_by_text("新增 12 人").wait_for()
    assert Beneficiary.objects.count() == 12

    page.goto(f"{live_server.url}/beneficiaries/import/")
    page.get_by_label("名册文件").set_input_files(roster(rows, tmp_path / "名册-再次.xlsx"))
    page.get_by_role("button", name="上传并检查").click()
    page.get_by_role("heading", name="预览").wait_for()
    assert page.get_by_text("12 条未变").is_visible()
    assert Beneficiary.objects.count() == 12
    screenshot(page, "import-03-again")
