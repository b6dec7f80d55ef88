"""A large roster export in a browser: the list's Excel button opens the job's page, jobs.js follows the worker's
progress and, when the file is ready, shows the download link; the strict CSP is not broken on the way."""

import pytest

from volunteer_portal.branches.models import RoleGrant
from volunteer_portal.jobs.models import ExportJob

from ..factories import TEST_PASSWORD, BeneficiaryFactory
from ..test_tasks import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_queued_export_is_followed_until_its_link_appears(live_server, phone, tree, settings, tmp_path, screenshot):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EXPORT_ROOT = tmp_path
    settings.EXPORT_INLINE_MAX_ROWS = 2
    RoleGrant.objects.filter(user=tree.secretary_a).update(may_export=True)
    BeneficiaryFactory.create_batch(4, branch=tree.branch_a)
    page = phone
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("secretary_a")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/beneficiaries/")
    page.get_by_role("link", name="下载 Excel").click()
    page.get_by_text("等待开始").wait_for()
    assert page.locator("#export-bar").get_attribute("value") == "0"
    screenshot(page, "export-01-queued")

    run_worker()
    assert ExportJob.objects.get().status == ExportJob.Status.DONE

    link = page.locator("#export-download")  # jobs.js saw the job finish and reloaded the page
    link.wait_for()
    assert page.get_by_text("文件已准备好").is_visible()
    screenshot(page, "export-02-ready")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("beneficiaries-")
    assert problems == []
