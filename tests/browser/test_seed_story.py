"""The seed's own years, entered through the pages and read back as a leader reading the source documents would.

`../shared/seed/events.md` lists the events of the five source documents. Here the secretaries of the party
branches of 自治区残联机关党委 enter 2011–2012 (#1–#9), the district federation's secretaries enter 2014 (the plan
#10 with its two targets, #11–#13) and a street cadre's pairing (#14) with its visits; a leader approves the
2012 Q1 report of 宣文处党支部; then the leaders read the 2012 and 2014 dashboards, 杨兵兵's page, the 2012
evaluation, the report as Word, and the 2014 campaign page. Every figure asserted follows from the documents.

Made with the ORM, because none of it is an event of the documents (an administrator's setup in the admin):
the two branch trees (自治区残联 › 机关党委 › four party branches; 城东区残联 › two 街道残联 › five 社区残协), the
accounts and their secretary and leader grants, the reference lists a flushed database no longer has (the
activity types, by the migrations' own seeding run again; evaluation criteria, star levels), and the report
requirement (party branches report quarterly from 2012-01-01). Everything else goes through the pages.

What the documents do not give, and what stands in for it:
- members' names (the documents name only 柴建国): invented; 21 people on the 2012 roll (two of whom left in
  2016 and 2018; the committee's deputy secretary is added on #9's own form) and five who joined 2019–2025;
  their join dates, and who of a branch took part in which activity, are invented too;
- ID numbers, birth dates, registration dates and consent of the three named households (the form requires
  them): invented; 杨占平's disability (肢体 二级) and 马忠杰's grade (二级) are not given: 肢体 is read from the
  wheelchair and the walker;
- dates the documents leave vague: #4 and #7 ("去年七一") 2011-07-01; #6 ("3月5日前后，多次") one visit on
  2012-03-05; #9 ("March") 2012-03-20, before the report of 2012-03-23; the plan #10 runs over 2014; #11–#13
  ("2014") are dated 2014-06-10, 2014-09-16 and 2014-12-05;
- hours: the form's default, 2 per person;
- values: only #8's 1000 yuan and #4's "2000余元" (recorded as 2000) are given; every other item is recorded
  with its value unknown, and the group gifts (#1 the children in training, #11 the amputees) without a named
  household and without a number of recipients, which the documents do not give either;
- the district's, streets' and communities' names and the district's people: invented (the plan names none);
- the 2014 households: the documents name none; #14's pairing is 东园街道残联's cadre 李文静 with an invented
  household 马桂兰 of 丽园社区残协 (肢体 二级, 低保), met on 2014-03-05 and 2014-05-06, ended 2015-06-30.

One module-scoped story (entering it takes most of the time); each test reads one page. The tests do not take
pytest-django's function-scoped transactional database (it would empty the tables after the first test): the
story holds the database open for the module and empties it when the module ends.
"""

import datetime as dt
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from urllib.parse import urlsplit

import pytest
from django.apps import apps as django_apps
from docx import Document
from docx.shared import Mm

from ..factories import TEST_PASSWORD
from .conftest import ARTIFACTS

pytestmark = [pytest.mark.browser]

DESKTOP = {"width": 1280, "height": 900}
ACTIVITY = r".*/activities/\d+/$"

# The 2012 roll of 机关党委: (branch code, name, gender, joined, left). 柴建国 is the one the documents name.
ROLL_2012 = [
    ("jgdw", "柴建国", "男", "2004-05-01", None),
    ("jgdw", "周丽华", "女", "2006-09-01", None),
    ("kfzx", "王海燕", "女", "2005-03-01", None),
    ("kfzx", "李卫东", "男", "2007-07-01", None),
    ("kfzx", "张晓军", "男", "2008-08-15", None),
    ("kfzx", "刘芳芳", "女", "2009-02-01", None),
    ("kfzx", "马建平", "男", "2003-10-01", "2016-06-30"),
    ("bgs", "赵国庆", "男", "2002-04-01", None),
    ("bgs", "孙立新", "男", "2005-11-01", None),
    ("bgs", "杨春梅", "女", "2006-03-01", None),
    ("bgs", "何志强", "男", "2008-06-01", None),
    ("bgs", "丁秀英", "女", "2010-01-04", None),
    ("kfc", "黄文斌", "男", "2004-07-01", None),
    ("kfc", "田玉兰", "女", "2006-05-01", None),
    ("kfc", "郭振华", "男", "2007-09-01", None),
    ("kfc", "罗晓红", "女", "2009-12-01", None),
    ("kfc", "白俊杰", "男", "2005-08-01", "2018-03-31"),
    ("xwc", "韩雪梅", "女", "2003-03-01", None),
    ("xwc", "冯志刚", "男", "2006-10-01", None),
    ("xwc", "马丽娟", "女", "2008-04-01", None),
    ("xwc", "陈永福", "男", "2010-06-01", None),
]
# The committee's full-time deputy secretary, who went with 柴建国 (#9), is added on that activity's form: the
# way a secretary entering history finds someone missing from the list.
ADDED_ON_THE_ACTIVITY = {"周丽华"}
LATER = [
    ("kfzx", "苏宇航", "男", "2019-09-01"),
    ("kfzx", "黄佳怡", "女", "2023-07-01"),
    ("bgs", "吴浩然", "男", "2021-03-15"),
    ("kfc", "李梓萱", "女", "2020-10-10"),
    ("xwc", "纳思远", "男", "2025-04-01"),
]
# 城东区残联's people in 2014: the leadership (班子成员) and staff, and the two streets' cadres.
DISTRICT_2014 = [
    ("cdq", "张建华", "男", "2008-03-01", True),
    ("cdq", "李淑琴", "女", "2010-05-01", True),
    ("cdq", "王德明", "男", "2011-09-01", True),
    ("cdq", "刘晓燕", "女", "2012-02-01", False),
    ("cdq", "陈志勇", "男", "2013-04-01", False),
    ("dy", "李文静", "女", "2012-07-01", False),
    ("nh", "马红梅", "女", "2011-03-01", False),
]
COMMUNITIES = ["丽园社区残协", "春晖社区残协", "湖畔社区残协", "碧水社区残协", "新华社区残协"]


def names(branch: str) -> list[str]:
    return [name for code, name, *_rest in ROLL_2012 if code == branch]


def id_number(region: str, born: str, sequence: int) -> str:
    """A valid 18-character ID number (GB 11643 check character) for an invented person."""
    first17 = f"{region}{born.replace('-', '')}{sequence:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(digit) * weight for digit, weight in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


@dataclass
class Story:
    url: str
    browser: object
    branches: dict = field(default_factory=dict)
    pages: dict = field(default_factory=dict)
    households: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    last: object = None
    # Past this many problems the pages are broken, not missing a piece: stop instead of timing out on each.
    GIVE_UP = 8

    @contextmanager
    def step(self, label: str):
        """One event entered through the pages. What the pages refuse, or lack, is kept with a screenshot and
        the story goes on, so that every later check still runs; `test_every_event_was_entered` fails on them."""
        try:
            yield
        except Exception as error:  # a Playwright timeout or an assertion: both mean the page did not let us
            self.problems.append(f"{label}: {str(error).splitlines()[0]}")
            if self.last is not None:
                ARTIFACTS.mkdir(exist_ok=True)
                self.last.screenshot(path=str(ARTIFACTS / f"seed-story-problem-{len(self.problems)}.png"))
            if len(self.problems) >= self.GIVE_UP:
                raise RuntimeError(
                    f"Stopped entering the story after {self.GIVE_UP} problems: {self.problems}"
                ) from error

    def page(self, username: str):
        """A desktop page signed in as `username` (one per person, kept for the module)."""
        if username not in self.pages:
            context = self.browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(5_000)
            page.goto(f"{self.url}/accounts/login/")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(TEST_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_load_state()
            assert "/accounts/login/" not in page.url, f"{username} could not sign in"
            self.pages[username] = page
        self.last = self.pages[username]
        return self.last

    def go(self, page, path: str):
        self.last = page
        # The pages' own HTML is what is read; the stylesheets and scripts need not have loaded.
        page.goto(f"{self.url}{path}", wait_until="domcontentloaded")
        return page


def labelled(page, label: str):
    """The form field labelled `label` (a required field's label ends with "*")."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def choose(page, label, text: str) -> None:
    """Select the option of the labelled <select> (or of the <select> given) whose text, indentation aside, is
    `text` (or, failing that, starts with it: "一级" for "一级（最重）")."""
    select = labelled(page, label) if isinstance(label, str) else label
    value = select.evaluate(
        "(el, text) => { const options = [...el.options];"
        " const o = options.find(o => o.textContent.trim() === text)"
        " || options.find(o => o.textContent.trim().startsWith(text));"
        " return o ? o.value : null; }",
        text,
    )
    assert value is not None, f"{label}: no option {text!r}"
    select.select_option(value)


def no_errors(page) -> None:
    summary = page.locator("#error-summary")
    if summary.count():
        raise AssertionError(f"{page.url}: {' '.join(summary.inner_text().split())}")


def save(page, done: str, button="保存") -> None:
    """Submit the form and check it was accepted: no error summary, and the page it leads to."""
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state("domcontentloaded")
    no_errors(page)
    page.wait_for_url(re.compile(done))


# --- setup that is not an event: the trees, the accounts, the reference lists ----------------------------------


def build_setup(story: Story) -> None:
    from activities.models import ActivityType, StarLevel
    from volunteer_portal.branches.models import Branch, RoleGrant
    from volunteer_portal.reports.models import EvaluationCriteria, ReportRequirement

    from ..factories import BranchFactory, RoleGrantFactory, UserFactory

    kind = Branch.Kind
    made = story.branches
    made["nx"] = BranchFactory(name="自治区残联", code="nx", kind=kind.ORGANISATION)
    made["jgdw"] = BranchFactory(name="机关党委", code="jgdw", kind=kind.PARTY_COMMITTEE, parent=made["nx"])
    for code, name in (
        ("kfzx", "康复中心支部"),
        ("bgs", "办公室党支部"),
        ("kfc", "康复处党支部"),
        ("xwc", "宣文处党支部"),
    ):
        made[code] = BranchFactory(name=name, code=code, kind=kind.PARTY_BRANCH, parent=made["jgdw"])
    made["cdq"] = BranchFactory(name="城东区残联", code="cdq", kind=kind.DISTRICT)
    made["dy"] = BranchFactory(name="东园街道残联", code="dy", kind=kind.STREET, parent=made["cdq"])
    made["nh"] = BranchFactory(name="南湖街道残联", code="nh", kind=kind.STREET, parent=made["cdq"])
    for index, name in enumerate(COMMUNITIES):
        made[f"c{index}"] = BranchFactory(
            name=name, code=f"c{index}", kind=kind.COMMUNITY, parent=made["dy" if index < 2 else "nh"]
        )
    grants = [
        ("nx_leader", "nx", RoleGrant.Role.LEADER),
        ("jgdw_secretary", "jgdw", RoleGrant.Role.SECRETARY),
        ("kfzx_secretary", "kfzx", RoleGrant.Role.SECRETARY),
        ("bgs_secretary", "bgs", RoleGrant.Role.SECRETARY),
        ("kfc_secretary", "kfc", RoleGrant.Role.SECRETARY),
        ("xwc_secretary", "xwc", RoleGrant.Role.SECRETARY),
        ("cdq_leader", "cdq", RoleGrant.Role.LEADER),
        ("cdq_secretary", "cdq", RoleGrant.Role.SECRETARY),
        ("dy_secretary", "dy", RoleGrant.Role.SECRETARY),
    ]
    for username, code, role in grants:
        RoleGrantFactory(user=UserFactory(username=username), branch=made[code], role=role, may_reveal=True)
    # A flushed database (after another transactional test) has lost what the migrations seeded: their own
    # seeding runs again (it keeps what is there). The types the documents name come from the migrations, not
    # from this test: 联谊 and 检查督促 from activities 0005.
    for migration in ("0002_seed_activity_types", "0005_seed_lianyi_and_inspection_types"):
        import_module(f"activities.migrations.{migration}").seed(django_apps, None)
    seeded = set(ActivityType.objects.filter(parent=None).values_list("name", flat=True))
    assert {"走访慰问", "爱心捐赠", "康复指导", "座谈会/学习", "心得交流会", "矛盾排查"} <= seeded, seeded  # 0002
    assert {"联谊", "检查督促"} <= seeded, seeded  # 0005
    EvaluationCriteria.objects.get_or_create()
    for stars, hours in ((1, 100), (2, 300), (3, 600), (4, 1000), (5, 1500)):
        StarLevel.objects.get_or_create(stars=stars, defaults={"min_hours": hours})
    ReportRequirement.objects.create(
        branch_kind=kind.PARTY_BRANCH, frequency="quarterly", starts_on=dt.date(2012, 1, 1)
    )


# --- members, through the member pages ------------------------------------------------------------------------


def add_member(story: Story, page, *, code: str, name: str, gender: str, joined: str, leadership=False) -> None:
    story.go(page, "/members/new/")
    labelled(page, "姓名").fill(name)
    labelled(page, "性别").select_option(label=gender)
    choose(page, "单位", story.branches[code].name)
    labelled(page, "党员").check()
    if leadership:
        labelled(page, "班子成员").check()
    labelled(page, "加入日期").fill(joined)
    save(page, r".*/members/$")


def set_left(story: Story, page, name: str, left: str) -> None:
    story.go(page, f"/members/?q={name}")
    page.get_by_role("link", name=f"编辑 {name}").click()
    labelled(page, "离开日期").fill(left)
    save(page, r".*/members/$")


# --- activities, through the activity form --------------------------------------------------------------------


def log_activity(
    story: Story, page, *, code, type_, date, title, people, description="", campaign=None, newcomers=()
) -> int:
    """Log an activity and return its id. The date is typed first and that day's roll asked for, as the form's
    note says; who was offered is kept for the checks. `newcomers`, (name, gender, joined), are people not on
    the list, added on the form itself."""
    story.go(page, "/activities/new/")
    labelled(page, "日期").fill(date)
    page.locator("button[name=refresh_roll]").click()
    page.wait_for_load_state("domcontentloaded")
    choose(page, "活动类型", type_)
    choose(page, "单位", story.branches[code].name)
    if campaign:
        choose(page, "活动方案", campaign)
    labelled(page, "标题").fill(title)
    if description:
        labelled(page, "说明").fill(description)
    story.facts.setdefault("offered", {})[title] = offered_members(page)
    for person in people:
        page.get_by_role("checkbox", name=re.compile(rf"^{person}(\s|\(|（|$)")).check()
    if newcomers:
        page.locator("summary", has_text="名单里没有某人").click()
    for index, (name, gender, joined) in enumerate(newcomers):
        page.locator(f"#id_new-{index}-name").fill(name)
        page.locator(f"#id_new-{index}-gender").select_option(label=gender)
        page.locator(f"#id_new-{index}-joined_on").fill(joined)
    save(page, ACTIVITY)
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def offered_members(page) -> set[str]:
    labels = page.locator("input[name=participants] + label, input[name=participants] ~ label").all_inner_texts()
    return {re.sub(r"[（(].*$", "", text).strip() for text in labels}


def fill_items(page, items) -> None:
    """Items handed over: (kind, description, quantity or None, value or None for "not known")."""
    for index, (kind, description, quantity, value) in enumerate(items):
        if page.locator(f"#id_items-{index}-kind").count() == 0:
            page.get_by_role("button", name="再加一项").click()
        page.locator(f"#id_items-{index}-kind").select_option(label=kind)
        page.locator(f"#id_items-{index}-description").fill(description)
        if quantity is not None:
            page.locator(f"#id_items-{index}-quantity").fill(str(quantity))
        if value is not None:
            page.locator(f"#id_items-{index}-value").fill(str(value))


def record_households(story: Story, page, activity: int, households: list[str], items, notes="") -> None:
    """From the activity's page, the households it reached, with what was handed over to each."""
    story.go(page, f"/activities/{activity}/")
    page.get_by_role("link", name="记录服务的家庭").click()
    for name in households:
        page.get_by_role("checkbox", name=re.compile(f"^{name}")).check()
    if notes:
        labelled(page, "情况记录").fill(notes)
    fill_items(page, items)
    save(page, ACTIVITY, button="保存走访记录")


def record_group_assistance(story: Story, page, activity: int, *, items, recipients=None) -> None:
    """Assistance to people not recorded by name (the children in training, the amputees). The documents give
    neither how many received it nor its value: both are left empty, as a secretary holding only them would."""
    story.go(page, f"/activities/{activity}/")
    page.get_by_role("link", name=re.compile("集体|群体|Record group assistance")).first.click()
    fill_items(page, items)
    if recipients is not None:
        page.locator("#id_items-0-recipients").fill(str(recipients))
    save(page, ACTIVITY)


# --- households, through the beneficiary pages ----------------------------------------------------------------


def add_household(story: Story, page, *, code, name, gender, born, sequence, category, grade, status, registered):
    story.go(page, "/beneficiaries/new/")
    labelled(page, "姓名").fill(name)
    labelled(page, "性别").select_option(label=gender)
    labelled(page, "身份证号").fill(id_number("640104", born, sequence))
    choose(page, "残疾类别", category)
    choose(page, "残疾等级", grade)
    choose(page, "困难类别", status)
    choose(page, "责任单位", story.branches[code].name)
    registration = page.get_by_label(re.compile("登记日期|registered", re.I))
    if registration.count():
        registration.fill(registered)
    else:
        story.problems.append(f"household {name}: the form has no registration date")
    labelled(page, "由谁同意").select_option(index=1)  # the person themself
    labelled(page, "同意日期").fill(registered)
    save(page, r".*/beneficiaries/\d+/$")
    story.households[name] = int(page.url.rstrip("/").rsplit("/", 1)[1])


def record_visit(story: Story, page, household: str, *, date, code, visitors, notes="", items=()) -> None:
    """A visit from the household's page (one not made during a logged activity)."""
    story.go(page, f"/beneficiaries/{story.households[household]}/")
    page.get_by_role("link", name="记录走访").click()
    labelled(page, "日期").fill(date)
    choose(page, "单位", story.branches[code].name)
    for person in visitors:
        page.get_by_role("checkbox", name=person, exact=True).check()
    if notes:
        labelled(page, "情况记录").fill(notes)
    if items:
        fill_items(page, items)
    save(page, r".*/beneficiaries/\d+/$")


# --- the story --------------------------------------------------------------------------------------------------


def enter_2011_2012(story: Story) -> None:
    # The members, each branch's secretary their own; two have since left.
    for code, name, gender, joined, _left in ROLL_2012:
        if name in ADDED_ON_THE_ACTIVITY:
            continue
        with story.step(f"member {name}"):
            add_member(
                story,
                story.page(f"{code}_secretary"),
                code=code,
                name=name,
                gender=gender,
                joined=joined,
                leadership=name == "柴建国",
            )
    for code, name, gender, joined in LATER:
        with story.step(f"member {name}"):
            add_member(story, story.page(f"{code}_secretary"), code=code, name=name, gender=gender, joined=joined)
    for code, name, _gender, _joined, left in ROLL_2012:
        if left:
            with story.step(f"{name} leaves on {left}"):
                set_left(story, story.page(f"{code}_secretary"), name, left)

    # The three households the documents name.
    with story.step("household 杨占平"):
        add_household(
            story,
            story.page("bgs_secretary"),
            code="bgs",
            name="杨占平",
            gender="男",
            born="1968-04-12",
            sequence=31,
            category="肢体残疾",
            grade="二级",
            status="无",
            registered="2011-06-20",
        )
    with story.step("household 马忠杰"):
        add_household(
            story,
            story.page("kfc_secretary"),
            code="kfc",
            name="马忠杰",
            gender="男",
            born="1959-11-03",
            sequence=17,
            category="肢体残疾",
            grade="二级",
            status="无",
            registered="2012-03-01",
        )
    with story.step("household 杨兵兵"):
        add_household(
            story,
            story.page("xwc_secretary"),
            code="xwc",
            name="杨兵兵",
            gender="男",
            born="1986-08-21",
            sequence=55,
            category="肢体残疾",
            grade="一级",
            status="无",
            registered="2011-06-15",
        )

    # 2011: #4 办公室's donation to 杨占平 ("2000余元" recorded as 2000); #7 宣文处 arranges a low-rent flat.
    page = story.page("bgs_secretary")
    with story.step("#4 2011 donation to 杨占平"):
        a4 = log_activity(
            story,
            page,
            code="bgs",
            type_="爱心捐赠",
            date="2011-07-01",
            title="七一送温暖 为杨占平捐款",
            people=names("bgs"),
        )
        record_households(story, page, a4, ["杨占平"], [("慰问金", "捐款（“2000余元”）", None, 2000)])
    page = story.page("xwc_secretary")
    with story.step("#7 2011 low-rent flat for 杨兵兵"):
        a7 = log_activity(
            story,
            page,
            code="xwc",
            type_="走访慰问",
            date="2011-07-01",
            title="七一前后 为杨兵兵协调廉租房",
            people=names("xwc"),
        )
        record_households(story, page, a7, ["杨兵兵"], [("服务", "廉租房协调", None, None)])

    # 2012, Lei Feng month.
    page = story.page("kfzx_secretary")
    with story.step("#1 联谊"):
        a1 = log_activity(
            story,
            page,
            code="kfzx",
            type_="联谊",
            date="2012-03-05",
            title="“学雷锋、关爱残疾人”联谊活动",
            people=names("kfzx"),
            description="银川市公安局巡特警支队、中国移动银川分公司团委观摩康复训练，向残障儿童赠送礼物。",
        )
    with story.step("#1 presents to the children in training (no count, no value given)"):
        record_group_assistance(story, page, a1, items=[("慰问品", "书包、文具盒、小食品", None, None)])
    with story.step("#2 座谈会"):
        log_activity(
            story,
            page,
            code="kfzx",
            type_="座谈会/学习",
            date="2012-03-05",
            title="“爱岗敬业，践行雷锋精神”学雷锋座谈会",
            people=["李卫东", "张晓军", "刘芳芳"],
        )
    with story.step("#3 families of the children"):
        log_activity(
            story,
            page,
            code="kfzx",
            type_="走访慰问",
            date="2012-03-05",
            title="走访慰问受训残障儿童家庭",
            people=["王海燕", "马建平"],
        )

    page = story.page("bgs_secretary")
    with story.step("#5 杨占平 again"):
        a5 = log_activity(
            story,
            page,
            code="bgs",
            type_="走访慰问",
            date="2012-03-05",
            title="再次走访杨占平",
            description="为杨占平发展家庭养殖业、增强“自我造血”功能出谋划策。",
            people=names("bgs"),
        )
        record_households(
            story, page, a5, ["杨占平"], [("康复器具", "轮椅", 1, None), ("慰问品", "米、面、油", None, None)]
        )

    page = story.page("kfc_secretary")
    with story.step("#6 马忠杰's rehabilitation"):
        a6 = log_activity(
            story,
            page,
            code="kfc",
            type_="康复指导",
            date="2012-03-05",
            title="为马忠杰制定康复训练计划",
            people=names("kfc"),
        )
        record_households(
            story, page, a6, ["马忠杰"], [("康复器具", "分指板", None, None), ("康复器具", "助行器", None, None)]
        )

    page = story.page("xwc_secretary")
    with story.step("#8 杨兵兵's stall"):
        a8 = log_activity(
            story,
            page,
            code="xwc",
            type_="走访慰问",
            date="2012-03-09",
            title="慰问杨兵兵 扶持摆摊设点",
            people=names("xwc"),
        )
        record_households(
            story,
            page,
            a8,
            ["杨兵兵"],
            [
                ("康复器具", "手摇轮椅", 1, None),
                ("慰问品", "衣物", None, None),
                ("慰问金", "全体党员捐赠慰问金", None, 1000),
            ],
        )

    page = story.page("jgdw_secretary")
    with story.step("#9 检查督促"):
        log_activity(
            story,
            page,
            code="jgdw",
            type_="检查督促",
            date="2012-03-20",
            title="听取各支部学雷锋活动汇报",
            people=["柴建国"],
            newcomers=[("周丽华", "女", "2006-09-01")],
        )


def report_2012_q1(story: Story) -> None:
    """宣文处党支部's secretary drafts and submits the 2012 Q1 report; the leader approves it."""
    with story.step("2012 Q1 report drafted and submitted"):
        page = story.go(story.page("xwc_secretary"), "/reports/")
        # The list of reports owed shows the 20 most pressing of the 59 quarters since 2012; the older ones are
        # drafted from "起草其他报告".
        page.locator("summary", has_text="起草其他报告").click()
        choose(page, "单位", "宣文处党支部")
        choose(page, "频次", "每季度")
        labelled(page, "年份").fill("2012")
        labelled(page, "月份或季度").fill("1")
        page.get_by_role("button", name="起草", exact=True).click()
        page.wait_for_url("**/reports/*/edit/")
        story.facts["report_draft"] = page.get_by_label("基本情况").input_value()
        page.get_by_label("下一步打算").fill("坚持把杨兵兵作为长期帮助对象，学雷锋常态化。")
        page.get_by_role("button", name="保存并提交").click()
        page.get_by_text("报告已提交").wait_for()
        story.facts["report"] = int(re.search(r"/reports/(\d+)/", page.url).group(1))
    with story.step("2012 Q1 report approved"):
        leader = story.go(story.page("nx_leader"), f"/reports/{story.facts['report']}/")
        leader.get_by_role("button", name="审核通过").click()
        leader.get_by_text("报告已审核通过").wait_for()


def enter_2014(story: Story) -> None:
    for code, name, gender, joined, leadership in DISTRICT_2014:
        with story.step(f"member {name}"):
            add_member(
                story,
                story.page("dy_secretary" if code == "dy" else "cdq_secretary"),
                code=code,
                name=name,
                gender=gender,
                joined=joined,
                leadership=leadership,
            )

    # #10: the plan and its two targets, written the way the plan words them.
    page = story.page("cdq_secretary")
    with story.step("#10 the 2014 plan and its targets"):
        create_campaign(story, page)

    staff = [name for code, name, *_ in DISTRICT_2014 if code == "cdq"]
    with story.step("#11 free prostheses"):
        a11 = log_activity(
            story,
            page,
            code="cdq",
            type_="爱心捐赠",
            date="2014-06-10",
            title="为贫困缺肢残疾人免费安装假肢",
            people=staff[:3],
            campaign=CAMPAIGN,
        )
    with story.step("#11 prostheses to amputees (no count, no value given)"):
        record_group_assistance(story, page, a11, items=[("康复器具", "假肢", None, None)])
    with story.step("#12 矛盾排查"):
        log_activity(
            story,
            page,
            code="cdq",
            type_="矛盾排查",
            date="2014-09-16",
            title="排查涉及残疾人权益的矛盾纠纷",
            people=staff[3:],
            campaign=CAMPAIGN,
        )
    with story.step("#13 心得交流会"):
        log_activity(
            story,
            page,
            code="cdq",
            type_="心得交流会",
            date="2014-12-05",
            title="“学习雷锋”心得交流会",
            people=staff,
            campaign=CAMPAIGN,
        )

    # #14: 东园街道残联's cadre paired with a household of 丽园社区残协, meeting every two months.
    page = story.page("dy_secretary")
    with story.step("#14 household 马桂兰"):
        add_household(
            story,
            page,
            code="c0",
            name="马桂兰",
            gender="女",
            born="1972-02-14",
            sequence=42,
            category="肢体残疾",
            grade="二级",
            status="低保",
            registered="2014-02-20",
        )
    with story.step("#14 pairing"):
        story.go(page, "/beneficiaries/pairings/new/")
        choose(page, "成员", "李文静")
        choose(page, "帮扶对象", "马桂兰")
        labelled(page, "开始日期").fill("2014-03-01")
        save(page, r".*/pairings/\d+/$")
        story.facts["pairing"] = int(re.search(r"/pairings/(\d+)/", page.url).group(1))
    with story.step("#14 visits every two months"):
        record_visit(
            story, page, "马桂兰", date="2014-03-05", code="dy", visitors=["李文静"], notes="结对认亲，了解家庭情况。"
        )
        record_visit(story, page, "马桂兰", date="2014-05-06", code="dy", visitors=["李文静"], notes="两月一次见面。")
    with story.step("#14 pairing ended 2015-06-30"):
        story.go(page, f"/beneficiaries/pairings/{story.facts['pairing']}/")
        page.get_by_role("link", name=re.compile("结束")).first.click()
        labelled(page, "结束日期").fill("2015-06-30")
        page.get_by_role("button", name=re.compile("结束|保存")).first.click()
        page.wait_for_load_state()
        no_errors(page)


CAMPAIGN = "2014年区残联党员学雷锋志愿服务工作计划"


def create_campaign(story: Story, page) -> None:
    story.go(page, "/campaigns/new/")
    page.locator("#id_name").fill(CAMPAIGN)
    page.locator("#id_theme").fill("学雷锋 关爱残疾人")
    choose(page, page.locator("#id_branch"), "城东区残联")
    page.locator("#id_start").fill("2014-01-01")
    page.locator("#id_end").fill("2014-12-31")
    save(page, r".*/campaigns/\d+/$")
    story.facts["campaign"] = page.url.removeprefix(story.url)
    targets = [
        ("各街道残联须对每个社区慰问1户贫困残疾人家庭", "branch"),
        ("区残联领导班子每人慰问1户贫困残疾人家庭", "leadership"),
    ]
    for wording, who in targets:
        story.go(page, f"{story.facts['campaign']}targets/new/")
        page.locator("#id_name").fill(wording)
        page.locator(f"input[name=who][value={who}]").check()
        if who == "branch":
            page.locator("#id_branch_kind").select_option("community")
        page.locator("#id_metric").select_option("households")
        page.locator("#id_quantity").fill("1")
        page.locator("#id_hardship_only").check()
        page.locator("button[name=preview]").click()
        story.facts.setdefault("previews", {})[wording] = page.locator("#target-preview").inner_text()
        save(page, r".*/campaigns/\d+/$")


@pytest.fixture
def _live_server_helper(live_server):
    """Replaces pytest-django's helper of the same name for this module only. That helper gives every test that
    uses the live server a transactional database, which empties every table when the test ends; here the
    story is entered once for the module (entering it takes most of the time) and each test reads it. The
    settings that helper changes (the live server's host allowed) the story changes for the whole module."""
    yield


@pytest.fixture(scope="module")
def story(django_db_setup, django_db_blocker, live_server, chromium_browser):
    from django.core.management import call_command
    from django.test.utils import modify_settings, override_settings

    # The accounts' passwords are hashed as the other tests' are (tests/conftest.py, _fast_passwords), so that
    # a leader can sign in during a test too.
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    host = modify_settings(ALLOWED_HOSTS={"append": urlsplit(live_server.url).hostname})
    with django_db_blocker.unblock(), fast, host:
        story = Story(url=live_server.url, browser=chromium_browser)
        build_setup(story)
        enter_2011_2012(story)
        report_2012_q1(story)
        enter_2014(story)
        yield story
        for page in story.pages.values():
            page.context.close()
        # Leave the database as a transactional test does: empty.
        call_command("flush", interactive=False, verbosity=0)


def leader_page(story: Story, username: str, path: str):
    return story.go(story.page(username), path)


def test_every_event_was_entered_through_the_pages(story):
    assert story.problems == []


# --- what the secretaries were offered -----------------------------------------------------------------------


def test_activities_offer_the_roll_of_their_day(story):
    """An activity of 2011 or 2012 offers the people on the roll that day: those who joined from 2019 are not
    offered, and those who have left since are; today's form offers today's roll."""
    offered = story.facts["offered"]
    kfzx = set(names("kfzx"))
    assert offered["“学雷锋、关爱残疾人”联谊活动"] == kfzx, offered["“学雷锋、关爱残疾人”联谊活动"]  # 马建平 too
    assert offered["为马忠杰制定康复训练计划"] == set(names("kfc")), offered["为马忠杰制定康复训练计划"]  # 白俊杰 too
    assert offered["慰问杨兵兵 扶持摆摊设点"] == set(names("xwc")), offered["慰问杨兵兵 扶持摆摊设点"]  # not 纳思远
    assert offered["七一送温暖 为杨占平捐款"] == set(names("bgs")), offered["七一送温暖 为杨占平捐款"]  # not 吴浩然
    # Before 周丽华 was added on #9's form, the committee's own roll that day was 柴建国 and the four branches'.
    assert "周丽华" not in offered["听取各支部学雷锋活动汇报"] and "柴建国" in offered["听取各支部学雷锋活动汇报"]

    page = story.go(story.page("kfzx_secretary"), "/activities/new/")
    today = offered_members(page)
    assert today == (kfzx - {"马建平"}) | {"苏宇航", "黄佳怡"}, today


# --- the 2012 dashboard ----------------------------------------------------------------------------------------


def dashboard(story: Story, username: str, code: str, year: int):
    """A leader's dashboard of a branch for a year, chosen with the period picker."""
    page = leader_page(story, username, f"/dashboard/{story.branches[code].pk}/")
    page.locator("summary", has_text="选择时段").click()
    labelled(page, "时段").select_option("chosen_year")
    labelled(page, "年份").fill(str(year))
    page.get_by_role("button", name="显示", exact=True).click()
    page.wait_for_url(re.compile(rf".*year={year}.*"))
    return page


def section(page, heading_id: str) -> str:
    return page.locator("section", has=page.locator(f"#{heading_id}")).inner_text()


def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_the_2012_dashboard_counts_the_2012_roll_and_the_assistance(story):
    page = dashboard(story, "nx_leader", "jgdw", 2012)
    headline = lines(section(page, "headline"))
    # Seven activities (#1–#3, #5, #6, #8, #9), all in March; 26 participations of all 21 people on the 2012
    # roll: not today's roll of 24, which has lost two who left and gained five who joined from 2019.
    assert headline[headline.index("活动") + 1] == "7", headline
    assert headline[headline.index("参加人员") + 1] == "21" and "26 人次" in headline, headline
    assert "21 名成员中 21 人参加" in headline and "100.0%" in headline, headline
    # Three visits, one to each of 杨占平, 马忠杰 and 杨兵兵; the two of 2011 are not in 2012.
    assert headline[headline.index("走访记录") + 1] == "3" and "走访 3 户" in headline, headline
    assert headline[headline.index("开展活动的月数") + 1] == "1" and "三月占比 100.0%" in headline, headline
    # A past year reads its own end: nothing was overdue or never visited on 2012-12-31.
    assert "需要关注（截至 2012-12-31）" in headline, headline
    assert "0 个结对超期" in headline and "0 人从未走访" in headline, headline

    trend = section(page, "trend-heading")
    assert "有 1 个月开展了活动；三月（学雷锋月）的活动占 100.0%" in trend, trend
    assert "尚未常态化（“三月来，四月走”）" in trend, trend

    xwc = page.locator("table.ranking tbody tr", has_text="宣文处党支部").inner_text()
    assert "1000.00" in xwc, xwc

    # Cash: only 宣文处's 1000 yuan; devices: 轮椅 (#5), 分指板 and 助行器 (#6), 手摇轮椅 (#8). Last, because the
    # goods also count #1's presents to the children, a group gift: three lots of goods, and seven items in all
    # with no value given.
    assistance = lines(section(page, "assistance-heading"))
    assert "慰问金 1 笔 ¥1000.00" in assistance, assistance
    assert "康复器具 4 件（均未填金额） ¥0.00" in assistance, assistance
    assert "合计 ¥1000.00" in assistance and "¥1000.00" in headline, (assistance, headline)
    assert "慰问品 3 件（均未填金额） ¥0.00" in assistance, assistance
    assert "7 件未填金额" in headline, headline


def test_the_2012_dashboard_of_xuanwen_branch_has_its_cash_and_devices(story):
    page = dashboard(story, "nx_leader", "xwc", 2012)
    headline = lines(section(page, "headline"))
    # #8: all four members gave; 陈永福 and the others were on the roll, 纳思远 (joined 2025) was not.
    assert "4 名成员中 4 人参加" in headline, headline
    assistance = lines(section(page, "assistance-heading"))
    assert "慰问金 1 笔 ¥1000.00" in assistance, assistance
    assert "康复器具 1 件（均未填金额） ¥0.00" in assistance, assistance  # the hand-cranked wheelchair
    assert "慰问品 1 件（均未填金额） ¥0.00" in assistance, assistance  # the clothes


# --- 杨兵兵 ----------------------------------------------------------------------------------------------------


def test_yang_bingbing_shows_two_contacts_and_the_flat(story):
    page = leader_page(story, "nx_leader", f"/beneficiaries/{story.households['杨兵兵']}/")
    details = page.locator("dl").first.inner_text()
    assert "肢体" in details and "一级" in details, details
    visits = page.locator("section", has=page.locator("#visits")).locator("tbody tr")
    assert visits.count() == 2
    latest, first = visits.nth(0).inner_text(), visits.nth(1).inner_text()
    assert "2012-03-09" in latest and "宣文处党支部" in latest, latest
    assert "手摇轮椅" in latest and "衣物" in latest and "1000" in latest, latest
    assert "2011-07-01" in first and "服务" in first and "廉租房协调" in first, first


# --- the 2012 evaluation -----------------------------------------------------------------------------------------


def test_the_2012_evaluation_flags_the_march_concentration(story):
    page = leader_page(story, "nx_leader", f"/reports/evaluation/{story.branches['jgdw'].pk}/?year=2012")
    table = page.locator("#evaluation").inner_text()
    assert "年末没有在册成员" not in table, table
    march = {
        "机关党委": "7 / 7",
        "康复中心支部": "3 / 3",
        "办公室党支部": "1 / 1",
        "康复处党支部": "1 / 1",
        "宣文处党支部": "1 / 1",
    }
    for branch, share in march.items():
        row = page.locator("#evaluation tbody tr", has_text=branch).inner_text()
        assert "1 ≥ 6" in row, row  # one month active
        assert "100.0% ≥ 90%" in row, row  # everyone on the 2012 roll took part
        assert f"{share} (100.0%) ≤ 50%" in row, row
        assert "三月活动占全年 100.0%，超过 50%（三月来，四月走）" in row, row
        assert "否" in row, row
    # Four quarterly reports owed in 2012 by each branch; 宣文处's first quarter is approved.
    xwc = page.locator("#evaluation tbody tr", has_text="宣文处党支部").inner_text()
    assert "无需报送" not in xwc and "1 / 4" in xwc and "应交的 4 份报告中有 3 份未审核通过" in xwc, xwc
    kfzx = page.locator("#evaluation tbody tr", has_text="康复中心支部").inner_text()
    assert "0 / 4" in kfzx and "应交的 4 份报告中有 4 份未审核通过" in kfzx, kfzx


# --- the 2012 Q1 report as Word ----------------------------------------------------------------------------------


def test_the_2012_q1_report_docx_is_a4_and_carries_the_figures(story):
    assert "1000" in story.facts["report_draft"], story.facts["report_draft"]
    page = leader_page(story, "nx_leader", f"/reports/{story.facts['report']}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Word").click()
    document = Document(str(download.value.path()))
    page_setup = document.sections[0]
    assert abs(page_setup.page_width - Mm(210)) < Mm(1) and abs(page_setup.page_height - Mm(297)) < Mm(1)
    assert document.core_properties.author == "宣文处党支部"
    assert "PAGE" in page_setup.footer._element.xml  # a page number field
    paragraphs = document.paragraphs
    assert paragraphs[0].text == "宣文处党支部2012年第1季度学雷锋志愿助残工作情况汇报"
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert headings[:4] == ["一、基本情况", "二、主要做法和成效", "三、存在问题", "四、下一步打算"], headings
    text = "\n".join(p.text for p in paragraphs)
    # #8 as the branch's quarter: one activity of its four members, one visit to 杨兵兵 with the 1000 yuan.
    assert "宣文处党支部共开展 1 次学雷锋活动，参与 4 人次（4 人）" in text, text
    assert "4 名成员中有 4 人参与（100.0%）" in text, text
    assert "走访慰问 1 次、1 户" in text and "1000.00 元" in text, text
    assert "（（无成员））" not in text
    figures = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert figures["其中：慰问金"] == "1 笔，¥1000.00", figures
    assert figures["其中：康复器具"] == "1 件（均未填金额），¥0.00", figures  # the hand-cranked wheelchair
    assert figures["其中：慰问品"] == "1 件（均未填金额），¥0.00", figures  # the clothes
    assert figures["成员数"] == "4" and figures["参与活动的成员"] == "4", figures


def test_the_2012_q1_summary_owes_the_four_branches_reports(story):
    """One rule for which reports are owed: the party branches, quarterly from 2012; only 宣文处 reported."""
    page = leader_page(
        story, "nx_leader", f"/reports/summary/{story.branches['jgdw'].pk}/?frequency=quarterly&year=2012&number=1"
    )
    rows = {" ".join(row.split()) for row in page.locator("#summary-rows tbody tr").all_inner_texts()}
    assert rows == {"宣文处党支部 已通过", "康复中心支部 未提交", "办公室党支部 未提交", "康复处党支部 未提交"}, rows
    badges = " ".join(page.locator("ul.list-inline").inner_text().split())
    assert "未提交: 3" in badges and "已通过: 1" in badges, badges


def test_the_report_history_names_people_not_logins(story):
    page = leader_page(story, "nx_leader", f"/reports/{story.facts['report']}/")
    history = page.locator("section", has=page.locator("#events-heading")).inner_text()
    assert "宣文处党支部" in history, history
    assert "xwc_secretary" not in history and "nx_leader" not in history, history


# --- the 2014 campaign ----------------------------------------------------------------------------------------


def target_card(page, wording: str) -> str:
    return " ".join(page.locator("article", has_text=wording).inner_text().split())


def test_the_2014_campaign_counts_per_community_and_per_leadership_member(story):
    page = leader_page(story, "cdq_leader", story.facts["campaign"])
    # 东园街道残联's visit to 马桂兰, a household of 丽园社区残协, counts for 丽园; the four others are missing.
    community = target_card(page, "每个社区慰问1户")
    assert "已完成 1 / 5" in community, community
    assert "尚未完成： 春晖社区残协、湖畔社区残协、碧水社区残协、新华社区残协" in community, community
    # The previews the secretary saw before saving said how each would be counted, over the district's tree.
    previews = story.facts["previews"]
    assert "共 5 个社区" in previews["各街道残联须对每个社区慰问1户贫困残疾人家庭"], previews
    leadership_preview = previews["区残联领导班子每人慰问1户贫困残疾人家庭"]
    assert "每位领导班子成员" in leadership_preview and "（共 3 人）" in leadership_preview, leadership_preview
    # No leadership member visited a household in the plan's year: "0 of 3", not left out.
    leadership = target_card(page, "领导班子每人慰问1户")
    assert "已完成 0 / 3" in leadership, leadership
    for name in ("张建华", "李淑琴", "王德明"):
        assert name in leadership, leadership


def test_the_2014_dashboard_reads_2014_as_it_was(story):
    page = dashboard(story, "cdq_leader", "cdq", 2014)
    headline = lines(section(page, "headline"))
    assert headline[headline.index("活动") + 1] == "3", headline  # #11–#13
    assert headline[headline.index("走访记录") + 1] == "2" and "走访 1 户" in headline, headline
    # The pairing had gone unmet since 2014-05-06 by the end of 2014; it ended in 2015, so none is overdue today.
    assert "需要关注（截至 2014-12-31）" in headline and "1 个结对超期" in headline, headline
    targets = " ".join(section(page, "campaign-heading").split())
    assert "5 个中完成 1 个" in targets and "3 个中完成 0 个" in targets, targets
    assistance = lines(section(page, "assistance-heading"))
    today = lines(section(story.go(page, f"/dashboard/{story.branches['cdq'].pk}/"), "headline"))
    assert "0 个结对超期" in today, today
    assert "康复器具 1 件（均未填金额） ¥0.00" in assistance, assistance  # #11's prostheses, a group gift


def test_an_activity_after_the_plan_cannot_be_tied_to_it(story):
    """A 2015 activity tied to the 2014 plan is refused with a message naming the plan's period, and what was
    typed stays. The form offers the plan whatever the date (its period beside its name); if it is not offered
    for a 2015 date, the test says so and posts the plan's value anyway, as a page opened earlier would."""
    page = story.go(story.page("cdq_secretary"), "/activities/new/")
    labelled(page, "日期").fill("2015-01-10")
    page.locator("button[name=refresh_roll]").click()
    page.wait_for_load_state("domcontentloaded")
    choose(page, "活动类型", "走访慰问")
    labelled(page, "标题").fill("2015年新春走访")
    campaign = labelled(page, "活动方案")
    plan = story.facts["campaign"].strip("/").rsplit("/", 1)[-1]  # "/campaigns/<pk>/"
    offered = dict(campaign.locator("option").evaluate_all("(all) => all.map((o) => [o.value, o.textContent])"))
    if plan in offered:
        assert CAMPAIGN in offered[plan] and "2014-12-31" in offered[plan], offered
    else:
        assert not any(CAMPAIGN in text for text in offered.values()), offered  # left out for this date
        campaign.evaluate("(select, value) => select.add(new Option('', value))", plan)
    campaign.select_option(plan)
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state("domcontentloaded")
    assert "/activities/new/" in page.url
    summary = " ".join(page.locator("#error-summary").inner_text().split())
    refusal = f"活动日期 2015-01-10 不在活动方案“{CAMPAIGN}”的期间（2014-01-01 至 2014-12-31）内"
    assert refusal in summary, summary
    assert labelled(page, "标题").input_value() == "2015年新春走访"
