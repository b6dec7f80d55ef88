"""Builds the demo organisation for `manage.py seed_demo`.

Realistic, deterministic for a given seed, and fast at large sizes: rows are made in memory a batch at a
time and written with bulk_create. It writes through models directly rather than the services because it
makes hundreds of thousands of rows; every value it makes is valid by construction, and the demo's own
test runs full_clean() over a sample of each model to prove it.
"""

import datetime as dt
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import accumulate, islice

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from activities.models import Activity, ActivityType, Campaign, CampaignTarget, Participation
from beneficiaries.models import (
    ActivityBeneficiary,
    AssistanceItem,
    Beneficiary,
    BeneficiaryNeed,
    DisabilityCategory,
    DisabilityGrade,
    Need,
    Pairing,
    StatutoryBasis,
    Visit,
    VisitVisitor,
)
from volunteer_portal.branches.models import Branch, Member, RoleGrant
from volunteer_portal.branches.services import branch_create, lines_write
from volunteer_portal.validators import id_check_character

DEMO_PASSWORD = "leifeng-demo"  # noqa: S105  # the demo logins' password, printed by `make run` and the README
BATCH = 5000
PAIRING_DAYS = 1095  # a region's pairings started in the last three years

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林洋峰建国志海东晨亮成文德"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美娥玲桂兰凤洁梅琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉"
STREET_NAMES = ["解放", "新华", "文化", "民族"]
FAMILY_SITUATIONS = ["与配偶同住，子女在外务工", "独居，邻居照应", "与父母同住，父母年迈", "一户多残，家庭收入低"]
DEVELOPMENT_GOALS = ["稳定康复训练", "实现居家就业", "改善居住条件"]
EMPLOYMENT_SKILLS = ["无", "会手工编织", "会电脑打字", "有按摩技能"]
NEEDS_DETAIL = ["需要轮椅一台", "需要定期康复指导", "需要无障碍改造", "需要生活救助"]
AREA_CODES = ["640104", "640105", "640106", "640121", "640122", "640181"]

# name, code, kind, children
STRUCTURE = (
    "自治区残疾人联合会", "zzq-cl", Branch.Kind.ORGANISATION, [
        ("机关党委", "zzq-jgdw", Branch.Kind.PARTY_COMMITTEE, [
            ("康复中心支部", "kfzx-zb", Branch.Kind.PARTY_BRANCH, []),
            ("办公室党支部", "bgs-zb", Branch.Kind.PARTY_BRANCH, []),
            ("康复处党支部", "kfc-zb", Branch.Kind.PARTY_BRANCH, []),
            ("宣文处党支部", "xwc-zb", Branch.Kind.PARTY_BRANCH, []),
        ]),
        ("兴庆区残疾人联合会", "xq-cl", Branch.Kind.DISTRICT, [
            ("凤凰北街街道", "xq-fhbj", Branch.Kind.STREET, [
                ("丽景社区", "xq-fhbj-lj", Branch.Kind.COMMUNITY, []),
                ("北塔社区", "xq-fhbj-bt", Branch.Kind.COMMUNITY, []),
                ("湖滨社区", "xq-fhbj-hb", Branch.Kind.COMMUNITY, []),
            ]),
            ("胜利街街道", "xq-slj", Branch.Kind.STREET, [
                ("银古社区", "xq-slj-yg", Branch.Kind.COMMUNITY, []),
                ("民乐社区", "xq-slj-ml", Branch.Kind.COMMUNITY, []),
            ]),
            ("富宁街街道", "xq-fnj", Branch.Kind.STREET, [
                ("宁安社区", "xq-fnj-na", Branch.Kind.COMMUNITY, []),
                ("文化社区", "xq-fnj-wh", Branch.Kind.COMMUNITY, []),
                ("永安社区", "xq-fnj-ya", Branch.Kind.COMMUNITY, []),
            ]),
        ]),
    ],
)  # fmt: skip


def _tree_size(node) -> int:
    return 1 + sum(_tree_size(child) for child in node[3])


NAMED_BRANCHES = _tree_size(STRUCTURE)  # the demo tree's branches, the root included

TITLES = {
    "走访慰问": ["走访慰问困难重度残疾人家庭", "节日走访慰问残疾人", "入户慰问一户多残家庭"],
    "家政维修": ["志愿者上门维修水电", "为残疾人家庭维修门窗"],
    "生活帮扶": ["上门代购生活用品", "陪同残疾人就医"],
    "清洁卫生": ["为重度残疾人家庭打扫卫生", "义务清洁居家环境"],
    "心理辅导": ["心理咨询师上门谈心", "残疾人家属心理疏导"],
    "爱心捐赠": ["爱心捐赠衣物书籍", "职工爱心捐款"],
    "康复指导": ["康复师入户指导训练", "辅具适配上门服务"],
    "座谈会/学习": ["学习雷锋精神座谈会", "志愿服务政策学习"],
    "心得交流会": ["学雷锋活动心得交流会"],
    "矛盾排查": ["残疾人家庭矛盾纠纷排查"],
    "主题活动": ["“学雷锋 关爱残疾人”主题活动", "助残日主题活动"],
    "窗口文明服务": ["窗口文明服务示范岗", "办证大厅志愿引导"],
    "其他": ["残疾人文体活动", "无障碍设施检查"],
}
ITEMS = [
    (AssistanceItem.Kind.CASH, "慰问金", 1, (200, 1000)),
    (AssistanceItem.Kind.GOODS, "米面油", 1, (100, 300)),
    (AssistanceItem.Kind.GOODS, "棉被", 2, (80, 200)),
    (AssistanceItem.Kind.DEVICE, "轮椅", 1, (600, 1500)),
    (AssistanceItem.Kind.DEVICE, "助听器", 1, (800, 3000)),
    (AssistanceItem.Kind.DEVICE, "盲杖", 1, (50, 150)),
    (AssistanceItem.Kind.SERVICE, "上门康复训练", 1, (100, 400)),
    (AssistanceItem.Kind.SERVICE, "家政服务", 1, (50, 200)),
]


class RowWriter:
    """Writes rows given as tuples of column values, without a model instance per row: COPY on PostgreSQL, one
    executemany elsewhere (a million activities come with millions of participations, visits and items). The
    columns not given get their field's default (the timestamps: now), worked out once per model; ids, where the
    rows that follow need them, are taken from the table's sequence beforehand (`ids`)."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.plans: dict[tuple[type[Model], tuple[str, ...]], tuple[str, tuple]] = {}

    def ids(self, model: type[Model], count: int) -> list[int]:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
                )
                return [row[0] for row in cursor.fetchall()]
            # Elsewhere the next ids are those after the largest: the demo writes alone, a batch at a time.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))

    def _plan(self, model: type[Model], columns: list[str]) -> tuple[str, tuple]:
        key = (model, tuple(columns))
        if key not in self.plans:
            rest = [f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key]
            defaults = tuple(
                f.get_db_prep_save(
                    self.now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default(),
                    connection,
                )
                for f in rest
            )
            by_attname = {f.attname: f for f in model._meta.concrete_fields}
            names = [by_attname[c].column for c in columns]
            quoted = ", ".join(connection.ops.quote_name(name) for name in [*names, *(f.column for f in rest)])
            self.plans[key] = (f"{connection.ops.quote_name(model._meta.db_table)} ({quoted})", defaults)
        return self.plans[key]

    def write(self, model: type[Model], columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        target, defaults = self._plan(model, columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row((*row, *defaults))
            else:
                marks = ", ".join(["%s"] * (len(columns) + len(defaults)))
                cursor.executemany(
                    f"INSERT INTO {target} VALUES ({marks})",  # noqa: S608  # names from the models' meta
                    [(*row, *defaults) for row in rows],
                )


def batched(iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


class DemoBuilder:
    def __init__(
        self,
        *,
        branches: int = 0,
        activities: int = 600,
        beneficiaries: int = 120,
        members_per_branch: int = 6,
        members: int | None = None,
        pairings: int | None = None,
        seed: int = 2026,
        today: dt.date | None = None,
        progress: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.rng = random.Random(seed)  # noqa: S311  # invented demo data, the same for the same seed: not secrets
        self.extra_branches = branches
        self.n_activities = activities
        self.n_beneficiaries = beneficiaries
        self.members_per_branch = members_per_branch
        # A region's shape (`members`, `pairings`): that many members spread over the branches, and that many
        # pairings, each visited about every two months. None keeps the small demo's story: members_per_branch
        # in each branch and a pairing for each leadership member.
        self.n_members = members
        self.n_pairings = pairings
        self.today = today or timezone.localdate()
        self.progress = progress
        self.used_ids: set[str] = set()
        self.writer = RowWriter()

    # --- helpers -----------------------------------------------------------------------------------------
    def person_name(self, gender: str) -> str:
        given = GIVEN_MALE if gender == "M" else GIVEN_FEMALE
        length = self.rng.choice((1, 2, 2))
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(given) for _ in range(length))

    def phone(self) -> str:
        return "1" + self.rng.choice("3589") + "".join(self.rng.choice("0123456789") for _ in range(9))

    def id_number(self, birth: dt.date, gender: str) -> str:
        while True:
            sequence = self.rng.randrange(0, 100) * 10 + self.rng.choice(
                (1, 3, 5, 7, 9) if gender == "M" else (0, 2, 4, 6, 8)
            )
            first17 = f"{self.rng.choice(AREA_CODES)}{birth:%Y%m%d}{sequence:03d}"
            number = first17 + id_check_character(first17)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def random_date(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    # --- the build ---------------------------------------------------------------------------------------
    @transaction.atomic
    def build(self) -> dict[str, int]:
        self.build_branches()
        self.build_members()
        self.build_users()
        self.build_beneficiaries()
        self.build_campaign()
        self.build_activities()
        self.build_pairings()
        return {
            "branches": Branch.objects.count(),
            "members": Member.objects.count(),
            "beneficiaries": Beneficiary.objects.count(),
            "activities": Activity.objects.count(),
            "participations": Participation.objects.count(),
            "visits": Visit.objects.count(),
            "assistance items": AssistanceItem.objects.count(),
            "pairings": Pairing.objects.count(),
        }

    def build_branches(self) -> None:
        def make(node, parent):
            name, code, kind, children = node
            branch = branch_create(name=name, code=code, kind=kind, parent=parent)
            for child in children:
                make(child, branch)

        make(STRUCTURE, None)
        if self.extra_branches:
            # Extra communities hang under extra streets of the district: created in bulk, then given their
            # paths once their keys are known.
            district = Branch.objects.get(code="xq-cl")
            streets_needed = max(1, self.extra_branches // 20)
            streets = self._bulk_children(
                district, Branch.Kind.STREET, [f"第{i + 1}街道" for i in range(streets_needed)], "demo-st"
            )
            communities = self.extra_branches - len(streets)
            for index, chunk in enumerate(batched(range(communities), BATCH)):
                parent_groups: dict[int, list[str]] = {}
                for number in chunk:
                    parent_groups.setdefault(number % len(streets), []).append(f"第{number + 1}社区")
                for street_index, names in parent_groups.items():
                    self._bulk_children(streets[street_index], Branch.Kind.COMMUNITY, names, f"demo-c{index}")
                self.progress(f"branches: {min((index + 1) * BATCH, communities)}/{communities} extra communities")

    def _bulk_children(self, parent: Branch, kind: str, names: list[str], code_prefix: str) -> list[Branch]:
        start = Branch.objects.count()
        rows = [
            Branch(name=name, code=f"{code_prefix}-{start + i}", kind=kind, parent=parent,
                   path=f"new-{code_prefix}-{start + i}", depth=parent.depth + 1)
            for i, name in enumerate(names)
        ]  # fmt: skip
        created = Branch.objects.bulk_create(rows, batch_size=BATCH)
        for branch in created:
            branch.path = f"{parent.path}{branch.pk}/"
        Branch.objects.bulk_update(created, ["path"], batch_size=BATCH)
        lines_write(Branch.objects.filter(pk__in=[branch.pk for branch in created]))
        return created

    def build_members(self) -> None:
        branches = list(Branch.objects.exclude(kind=Branch.Kind.ORGANISATION).only("pk", "kind"))
        made = 0
        for chunk in batched(self._members(branches), BATCH):
            Member.objects.bulk_create(chunk, batch_size=BATCH)
            made += len(chunk)
            if self.n_members is not None:
                self.progress(f"members: {made}/{self.n_members}")
        self.members_by_branch: dict[int, list[int]] = {}
        for member_id, branch_id in Member.objects.filter(active=True).values_list("pk", "branch_id"):
            self.members_by_branch.setdefault(branch_id, []).append(member_id)
        self.progress(f"members: {made}")

    def _members(self, branches: list[Branch]) -> Iterator[Member]:
        share, rest = divmod(self.n_members or 0, len(branches))
        for index, branch in enumerate(branches):
            if self.n_members is None:
                count = self.members_per_branch + self.rng.randrange(0, 3)
            else:
                count = share + (index < rest)
            for position in range(count):
                gender = self.rng.choice("MF")
                active = self.rng.random() > 0.05
                yield Member(
                    name=self.person_name(gender),
                    gender=gender,
                    branch=branch,
                    is_party_member=branch.kind in (Branch.Kind.PARTY_BRANCH, Branch.Kind.PARTY_COMMITTEE)
                    or self.rng.random() < 0.4,
                    is_leadership=position < 2 and branch.kind != Branch.Kind.COMMUNITY,
                    phone=self.phone(),
                    active=active,
                    joined_on=self.today - dt.timedelta(days=self.rng.randrange(400, 3000)),
                    left_on=None if active else self.today - dt.timedelta(days=self.rng.randrange(1, 200)),
                )

    def build_users(self) -> None:
        User = get_user_model()
        root = Branch.objects.get(code="zzq-cl")
        User.objects.create_superuser("admin", "admin@example.org", DEMO_PASSWORD)
        for username, code, role, full_name in [
            ("leader", "zzq-cl", RoleGrant.Role.LEADER, "理事长"),
            ("secretary1", "kfzx-zb", RoleGrant.Role.SECRETARY, "康复中心支部书记"),
            ("secretary2", "bgs-zb", RoleGrant.Role.SECRETARY, "办公室党支部书记"),
        ]:
            user = User.objects.create_user(username, password=DEMO_PASSWORD, first_name=full_name)
            branch = root if code == root.code else Branch.objects.get(code=code)
            # The secretaries keep their roster, so they may see and export its numbers; the leader, an auditor
            # of the whole organisation, sees them masked.
            secretary = role == RoleGrant.Role.SECRETARY
            RoleGrant.objects.create(user=user, branch=branch, role=role, may_reveal=secretary, may_export=secretary)
            member = Member.objects.filter(branch=branch, user__isnull=True).first()
            if member is not None:
                member.user = user
                member.save(update_fields=["user"])

    def build_beneficiaries(self) -> None:
        # Communities and party branches are responsible for households; every category and grade appears.
        holders = list(
            Branch.objects.filter(kind__in=[Branch.Kind.COMMUNITY, Branch.Kind.PARTY_BRANCH]).values_list(
                "pk", flat=True
            )
        )
        combos = [(c.value, g.value) for c in DisabilityCategory for g in DisabilityGrade]
        statuses = [s.value for s in Beneficiary.HouseholdStatus]
        need_ids = list(Need.objects.values_list("pk", flat=True))
        # The demo keeps its (invented) people's data under the federation's certificate duty.
        basis, _created = StatutoryBasis.objects.get_or_create(
            name="残疾人证管理与残疾人服务", defaults={"reference": "《中华人民共和国残疾人保障法》"}
        )
        start = dt.date(1940, 1, 1)
        end = self.today - dt.timedelta(days=365 * 6)
        # A region's pairings run for up to three years: their households were registered before that.
        registered_from = 400 if self.n_pairings is None else PAIRING_DAYS + 30
        made = 0
        for chunk in batched(range(self.n_beneficiaries), BATCH):
            rows = []
            for number in chunk:
                category, grade = combos[number % len(combos)] if number < len(combos) else self.rng.choice(combos)
                gender = self.rng.choice("MF")
                birth = self.random_date(start, end)
                id_number = self.id_number(birth, gender)
                rows.append(
                    Beneficiary(
                        name=self.person_name(gender),
                        gender=gender,
                        birth_date=birth,
                        id_number=id_number,
                        certificate_number=f"{id_number}{category}{grade}",
                        disability_category=category,
                        disability_grade=grade,
                        address=f"兴庆区{self.rng.choice(STREET_NAMES)}街{self.rng.randrange(1, 300)}号",
                        phone=self.phone(),
                        guardian_name=self.person_name(self.rng.choice("MF")) if grade <= 2 else "",
                        guardian_phone=self.phone() if grade <= 2 else "",
                        branch_id=holders[number % len(holders)],
                        household_status=self.rng.choice(statuses),
                        # On the roster before any demo visit, so that past periods count the household too.
                        registered_on=self.today - dt.timedelta(days=self.rng.randrange(registered_from, 3000)),
                        family_situation=self.rng.choice(FAMILY_SITUATIONS),
                        development_goals=self.rng.choice(DEVELOPMENT_GOALS),
                        employment_skills=self.rng.choice(EMPLOYMENT_SKILLS),
                        needs_detail=self.rng.choice(NEEDS_DETAIL),
                        statutory_basis=basis,
                    )
                )
            created = Beneficiary.objects.bulk_create(rows, batch_size=BATCH)
            BeneficiaryNeed.objects.bulk_create(
                [
                    BeneficiaryNeed(beneficiary_id=b.pk, need_id=need)
                    for b in created
                    for need in self.rng.sample(need_ids, self.rng.randrange(1, 3))
                ],
                batch_size=BATCH,
            )
            made += len(created)
            self.progress(f"beneficiaries: {made}/{self.n_beneficiaries}")
        self.beneficiaries_by_branch: dict[int, list[int]] = {}
        for pk, branch_id in Beneficiary.objects.values_list("pk", "branch_id"):
            self.beneficiaries_by_branch.setdefault(branch_id, []).append(pk)

    def build_campaign(self) -> None:
        root = Branch.objects.get(code="zzq-cl")
        year = self.today.year if self.today.month >= 3 else self.today.year - 1
        self.campaign = Campaign.objects.create(
            name="学雷锋 关爱残疾人",
            theme="弘扬雷锋精神，助残扶残常态化",
            branch=root,
            start=dt.date(year, 3, 1),
            end=dt.date(year, 12, 31),
            description="深入开展“学雷锋 关爱残疾人”志愿服务活动，做到全员参与、不少一人，活动常态化。",
        )
        home_services = ActivityType.objects.get(name="志愿助残进家庭", parent=None)
        CampaignTarget.objects.bulk_create(
            [
                CampaignTarget(campaign=self.campaign, name="每个社区慰问1户困难残疾人家庭",
                               metric=CampaignTarget.Metric.HOUSEHOLDS, subject=CampaignTarget.Subject.BRANCH,
                               branch_kind=Branch.Kind.COMMUNITY, hardship_only=True, quantity=1),
                CampaignTarget(campaign=self.campaign, name="班子成员每人慰问1户",
                               metric=CampaignTarget.Metric.VISITS, subject=CampaignTarget.Subject.MEMBER,
                               leadership_only=True, quantity=1),
                CampaignTarget(campaign=self.campaign, name="每个党支部开展3次志愿助残进家庭活动",
                               metric=CampaignTarget.Metric.ACTIVITIES, subject=CampaignTarget.Subject.BRANCH,
                               branch_kind=Branch.Kind.PARTY_BRANCH, activity_type=home_services, quantity=3),
            ]
        )  # fmt: skip

    def build_activities(self) -> None:
        types = list(ActivityType.objects.filter(active=True).select_related("parent"))
        leaf_types = [t for t in types if not t.subtypes.exists()]
        visit_type = next(t for t in types if t.name == "走访慰问")
        acting_branches = [b for b in self.members_by_branch if self.members_by_branch[b]]
        # A year up to today, each day in March weighted four times: Lei Feng month is busier.
        days = [self.today - dt.timedelta(days=offset) for offset in range(365)]
        cum_weights = list(accumulate(4 if day.month == 3 else 1 for day in days))
        columns = ["id", "branch_id", "type_id", "campaign_id", "title", "date", "location", "description", "outcome"]
        made = 0
        for chunk in batched(range(self.n_activities), BATCH):
            rows = []
            for activity_id in self.writer.ids(Activity, len(chunk)):
                activity_type = visit_type if self.rng.random() < 0.3 else self.rng.choice(leaf_types)
                date = self.rng.choices(days, cum_weights=cum_weights)[0]
                in_campaign = self.campaign.start <= date <= self.campaign.end and self.rng.random() < 0.6
                rows.append(
                    (
                        activity_id,
                        self.rng.choice(acting_branches),
                        activity_type.pk,
                        self.campaign.pk if in_campaign else None,
                        self.rng.choice(TITLES.get(activity_type.name, TITLES["其他"])),
                        date,
                        self.rng.choice(["社区活动室", "残疾人家中", "康复中心", "机关会议室", "街道服务大厅"]),
                        "组织党员干部和志愿者参加，活动前明确分工，活动后及时总结。",
                        self.rng.choice(["群众满意", "解决实际困难", "收到感谢信", ""]),
                    )
                )
            self.writer.write(Activity, columns, rows)
            self._participations_and_visits(rows, visit_type)
            made += len(rows)
            self.progress(f"activities: {made}/{self.n_activities}")

    def _participations_and_visits(self, activities: list[tuple], visit_type: ActivityType) -> None:
        """The participations and visits of a batch of activities, given as the rows build_activities wrote."""
        participations: list[tuple] = []
        visits, visitor_sets = [], []
        for activity_id, branch_id, type_id, _campaign, _title, date, *_rest in activities:
            # The last fifth of each branch's roster never takes part: someone must show on "who has not".
            roster = self.members_by_branch[branch_id]
            members = roster[: max(2, len(roster) * 4 // 5)]
            chosen = self.rng.sample(members, min(len(members), self.rng.randrange(2, 6)))
            participations.extend(
                (activity_id, member_id, Decimal(self.rng.choice(["1.0", "1.5", "2.0", "3.0", "4.0"])))
                for member_id in chosen
            )
            households = self.beneficiaries_by_branch.get(branch_id, [])
            if type_id == visit_type.pk and households:
                for beneficiary_id in self.rng.sample(households, min(len(households), self.rng.randrange(1, 4))):
                    visits.append((beneficiary_id, branch_id, date, activity_id, "了解家庭近况，送去慰问金和慰问品。",
                                   self.rng.random() < 0.15))  # fmt: skip
                    visitor_sets.append(chosen[:2])
        self.writer.write(Participation, ["activity_id", "member_id", "hours"], participations)
        self._write_visits(visits, visitor_sets)

    def _write_visits(self, visits: list[tuple], visitor_sets: list[list[int]], *, item_share: float = 1.0) -> None:
        """Visits given as (beneficiary, branch, date, activity, notes, follow-up needed), with their visitors and
        items."""
        ids = self.writer.ids(Visit, len(visits))
        columns = ["id", "beneficiary_id", "branch_id", "date", "activity_id", "notes", "follow_up_needed"]
        self.writer.write(Visit, columns, [(pk, *visit) for pk, visit in zip(ids, visits, strict=True)])
        self._visit_details(ids, [visit[3] for visit in visits], [visit[0] for visit in visits], visitor_sets,
                            item_share=item_share)  # fmt: skip

    def _visit_details(
        self,
        visit_ids: list[int],
        activity_ids: list[int | None],
        beneficiary_ids: list[int],
        visitor_sets: list[list[int]],
        *,
        item_share: float = 1.0,
    ) -> None:
        self.writer.write(
            VisitVisitor,
            ["visit_id", "member_id"],
            [(v, m) for v, ms in zip(visit_ids, visitor_sets, strict=True) for m in ms],
        )
        items = []
        for visit_id in visit_ids:
            if item_share < 1 and self.rng.random() >= item_share:
                continue
            for kind, description, quantity, (low, high) in self.rng.sample(ITEMS, self.rng.randrange(1, 3)):
                items.append((visit_id, kind, description, quantity, Decimal(self.rng.randrange(low, high + 1, 10))))
        self.writer.write(AssistanceItem, ["visit_id", "kind", "description", "quantity", "value"], items)
        served = {(a, b) for a, b in zip(activity_ids, beneficiary_ids, strict=True) if a}
        self.writer.write(ActivityBeneficiary, ["activity_id", "beneficiary_id"], sorted(served))

    def _households_under(self) -> dict[int, list[int]]:
        """Each branch's households, its sub-branches' included: a member pairs with a household in their own
        branch's subtree, so the branch that pairs can see the household."""
        paths = dict(Branch.objects.values_list("pk", "path"))
        households_under: dict[int, list[int]] = {}
        for branch_id, path in paths.items():
            households_under[branch_id] = [
                pk
                for holder, pks in self.beneficiaries_by_branch.items()
                if paths[holder].startswith(path)
                for pk in pks
            ]
        return households_under

    def build_pairings(self) -> None:
        """Leadership members pair with a household in their own branch's subtree; about a third are left
        overdue on purpose. A region's shape (`pairings`) is built by build_region_pairings instead."""
        if self.n_pairings is not None:
            self.build_region_pairings()
            return
        households_under = self._households_under()
        leaders = Member.objects.filter(is_leadership=True, active=True).values_list("pk", "branch_id")
        pairings, visits, visitor_sets = [], [], []
        for index, (member_id, branch_id) in enumerate(leaders):
            households = households_under.get(branch_id)
            if not households:
                continue
            beneficiary_id = self.rng.choice(households)
            start = self.today - dt.timedelta(days=self.rng.randrange(200, 400))
            pairings.append((member_id, beneficiary_id, start))
            # A recent visit keeps two of every three pairings on time; the third is left overdue.
            if index % 3:
                recent = self.today - dt.timedelta(days=self.rng.randrange(1, 50))
                visits.append((beneficiary_id, branch_id, recent, None, "结对帮扶定期见面，了解四清情况。", False))
                visitor_sets.append([member_id])
        self.writer.write(Pairing, ["member_id", "beneficiary_id", "start_date"], pairings)
        self._write_visits(visits, visitor_sets)
        self.progress(f"pairings: {len(pairings)}")

    def build_region_pairings(self) -> None:
        """`n_pairings` pairings, one per active member in turn, each with a household of the member's subtree
        (the next one along, so that households are shared out), started in the last three years and visited about
        every two months since, with the member as the visitor, so that the pairing's last contact is real. One
        in five stopped being visited at some point and is overdue (or was never visited)."""
        households_under = self._households_under()
        members = [
            (member_id, branch_id)
            for member_id, branch_id in Member.objects.filter(active=True).order_by("pk").values_list("pk", "branch_id")
            if households_under.get(branch_id)
        ]
        if not members:
            return
        wanted = self.n_pairings or 0
        cursors: dict[int, int] = {}
        paired: set[tuple[int, int]] = set()

        def pairs() -> Iterator[tuple[int, int, int]]:
            for index in range(wanted):
                member_id, branch_id = members[index % len(members)]
                households = households_under[branch_id]
                position = cursors.get(branch_id)
                if position is None:
                    position = self.rng.randrange(len(households))
                cursors[branch_id] = position + 1
                beneficiary_id = households[position % len(households)]
                if index >= len(members):  # a member's second pairing: never the same household twice
                    if (member_id, beneficiary_id) in paired:
                        continue
                    paired.add((member_id, beneficiary_id))
                elif wanted > len(members):
                    paired.add((member_id, beneficiary_id))
                yield member_id, branch_id, beneficiary_id

        made = visits_made = 0
        for chunk in batched(pairs(), BATCH):
            pairings, visits, visitor_sets = [], [], []
            for member_id, branch_id, beneficiary_id in chunk:
                start = self.today - dt.timedelta(days=self.rng.randrange(60, PAIRING_DAYS))
                pairings.append((member_id, beneficiary_id, start))
                # Visited every 45-60 days since soon after the start (so never overdue), or, for one in five,
                # no longer since some day at least 61 days ago.
                last = self.today
                if self.rng.random() < 0.2:
                    last = self.today - dt.timedelta(days=self.rng.randrange(61, 240))
                day = start + dt.timedelta(days=self.rng.randrange(0, 30))
                while day <= last:
                    visits.append((beneficiary_id, branch_id, day, None, "结对帮扶定期见面，了解四清情况。", False))
                    visitor_sets.append([member_id])
                    day += dt.timedelta(days=self.rng.randrange(45, 61))
            self.writer.write(Pairing, ["member_id", "beneficiary_id", "start_date"], pairings)
            # Most meetings are a talk; one in four brings something (a bag of rice, a service booked).
            self._write_visits(visits, visitor_sets, item_share=0.25)
            made += len(pairings)
            visits_made += len(visits)
            self.progress(f"pairings: {made}/{wanted}, their visits: {visits_made}")
