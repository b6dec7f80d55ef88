"""factory_boy factories for the tests. Production code never imports this module."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from activities.footprints import activity_footprint
from activities.models import Activity, ActivityType, Campaign, Participation
from activities.upkeep import activity_totals_refresh
from beneficiaries.footprints import visit_footprint
from beneficiaries.models import AssistanceItem, Beneficiary, Pairing, Visit
from beneficiaries.upkeep import pairing_last_contact_refresh, visits_changed
from volunteer_portal.branches import services as branch_services
from volunteer_portal.branches import tallies
from volunteer_portal.branches.models import Branch, Member, RoleGrant
from volunteer_portal.validators import id_check_character

TEST_PASSWORD = "correct-horse-42"


def make_id_number(n: int, birth: dt.date = dt.date(1970, 1, 1)) -> str:
    """A valid, distinct ID number for every n (sequence digits and birth day vary with n)."""
    day = birth + dt.timedelta(days=n // 1000)
    first17 = f"110105{day:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_character(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(TEST_PASSWORD)


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    name = factory.Sequence(lambda n: f"支部{n}")
    code = factory.Sequence(lambda n: f"b{n}")
    kind = Branch.Kind.PARTY_BRANCH
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, as everything that creates branches must: it keeps the path in step.
        return branch_services.branch_create(**kwargs)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    name = factory.Sequence(lambda n: f"成员{n}")
    gender = Member.Gender.FEMALE
    branch = factory.SubFactory(BranchFactory)
    # On the roll for every period a test uses, unless a test sets the dates it is about (DESIGN.md, "the roll").
    joined_on = dt.date(2000, 1, 1)


class RoleGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    branch = factory.SubFactory(BranchFactory)
    role = RoleGrant.Role.SECRETARY


class ActivityTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityType
        django_get_or_create = ("name", "parent")

    name = "走访慰问"
    parent = None


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"活动方案{n}")
    branch = factory.SubFactory(BranchFactory)
    start = dt.date(2026, 3, 1)
    end = dt.date(2026, 12, 31)


class TalliedFactory(factory.django.DjangoModelFactory):
    """Factories write as the services do: the figure store (branches/tallies.py) learns what each record adds,
    read before and after it is created. A test that changes rows behind the services' back afterwards calls
    the service, or `figures_rebuild`, before it reads figures."""

    class Meta:
        abstract = True

    @classmethod
    def _footprint(cls, kwargs: dict) -> tallies.Footprint:
        raise NotImplementedError

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        before = cls._footprint(kwargs)
        record = super()._create(model_class, *args, **kwargs)
        tallies.apply(before, cls._footprint({**kwargs, "record": record}))
        return record


class ActivityFactory(TalliedFactory):
    class Meta:
        model = Activity

    @classmethod
    def _footprint(cls, kwargs: dict) -> tallies.Footprint:
        return activity_footprint([kwargs["record"].pk]) if "record" in kwargs else tallies.Footprint()

    branch = factory.SubFactory(BranchFactory)
    type = factory.SubFactory(ActivityTypeFactory)
    title = factory.Sequence(lambda n: f"活动{n}")
    date = dt.date(2026, 3, 5)


class ParticipationFactory(TalliedFactory):
    class Meta:
        model = Participation

    @classmethod
    def _footprint(cls, kwargs: dict) -> tallies.Footprint:
        return activity_footprint([kwargs["activity"].pk])

    activity = factory.SubFactory(ActivityFactory)
    member = factory.SubFactory(MemberFactory)
    hours = Decimal("2.0")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None) -> None:
        if create:  # the activity's stored participant count and hours, as the services keep them
            activity_totals_refresh(Activity.objects.filter(pk=instance.activity_id))


class BeneficiaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Beneficiary

    name = factory.Sequence(lambda n: f"受助人{n}")
    gender = Beneficiary.Gender.MALE
    id_number = factory.Sequence(make_id_number)
    birth_date = factory.LazyAttribute(
        lambda o: dt.date(int(o.id_number[6:10]), int(o.id_number[10:12]), int(o.id_number[12:14]))
    )
    disability_category = 4
    disability_grade = 1
    # On the roster for every period a test uses, unless a test sets the day it is about.
    registered_on = dt.date(2000, 1, 1)
    certificate_number = factory.LazyAttribute(lambda o: f"{o.id_number}{o.disability_category}{o.disability_grade}")
    branch = factory.SubFactory(BranchFactory)


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    member = factory.SubFactory(MemberFactory)
    beneficiary = factory.SubFactory(BeneficiaryFactory)
    start_date = dt.date(2026, 1, 1)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None) -> None:
        if create:  # the stored last contact, as the services keep it
            pairing_last_contact_refresh(Pairing.objects.filter(pk=instance.pk))


class VisitFactory(TalliedFactory):
    class Meta:
        model = Visit

    @classmethod
    def _footprint(cls, kwargs: dict) -> tallies.Footprint:
        return visit_footprint([kwargs["record"].pk]) if "record" in kwargs else tallies.Footprint()

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    branch = factory.LazyAttribute(lambda o: o.beneficiary.branch)
    date = dt.date(2026, 3, 5)

    @factory.post_generation
    def visitors(self, create, extracted, **kwargs) -> None:
        if create and extracted:
            self.visitors.set(extracted)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None) -> None:
        if create:  # the household's stored last visit and its pairings' last contact, as the services keep them
            visits_changed([instance.beneficiary_id])


class AssistanceItemFactory(TalliedFactory):
    class Meta:
        model = AssistanceItem

    @classmethod
    def _footprint(cls, kwargs: dict) -> tallies.Footprint:
        visit = kwargs.get("visit")  # items handed over at an activity are read from their own table
        return visit_footprint([visit.pk]) if visit is not None else tallies.Footprint()

    visit = factory.SubFactory(VisitFactory)
    kind = AssistanceItem.Kind.CASH
    description = "慰问金"
    value = Decimal("500.00")


class GroupItemFactory(AssistanceItemFactory):
    """Handed over at an activity to people not recorded by name (no visit)."""

    visit = None
    activity = factory.SubFactory(ActivityFactory)
    kind = AssistanceItem.Kind.GOODS
    description = "书包、文具盒"
    recipients = 10
    value = None
