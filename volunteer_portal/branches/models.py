"""The branch tree, the people who take part, and who may act where."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from volunteer_portal.models import TimeStampedModel

PATH_SEPARATOR = "/"


def path_ids(path: str) -> list[int]:
    """The keys a stored path names, from the root down: "1/4/17/" → [1, 4, 17]. The one reading of a path."""
    return [int(part) for part in path.split(PATH_SEPARATOR) if part]


def in_subtree(top, *, via: str = "") -> Q:
    """Rows whose branch is `top` or below it: one indexed prefix search on the stored path. `top` is a branch,
    its path, or an expression giving a path (F, OuterRef). `via` is the lookup from the filtered model to its
    Branch ("" for Branch itself, "branch", "member__branch" ...). The one spelling of the subtree rule."""
    path = top.path if isinstance(top, Branch) else top
    return Q(**{f"{via}__path__startswith" if via else "path__startswith": path})


def is_under(branch: "Branch | str", top: "Branch | str") -> bool:
    """Whether a branch (or its path) is `top` or below it: `in_subtree`'s rule for branches already read."""
    path = branch.path if isinstance(branch, Branch) else branch
    return path.startswith(top.path if isinstance(top, Branch) else top)


class BranchQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def subtree_of(self, branch: "Branch | str", *, include_self: bool = True):
        """The branch and every descendant, in tree order."""
        qs = self.filter(in_subtree(branch)).order_by("path")
        return qs if include_self or isinstance(branch, str) else qs.exclude(pk=branch.pk)


class Branch(TimeStampedModel):
    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("organisation")
        PARTY_COMMITTEE = "party_committee", _("party committee")
        PARTY_BRANCH = "party_branch", _("party branch")
        DISTRICT = "district", _("district")
        STREET = "street", _("street")
        COMMUNITY = "community", _("community")
        OTHER = "other", _("other")

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent branch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("A short unique code, letters, digits and hyphens, e.g. kfzx-zb."),
    )
    active = models.BooleanField(_("active"), default=True)
    confirm_members_work = models.BooleanField(
        _("members' own records wait for a secretary"),
        default=True,
        help_text=_(
            "Hours and visits members record themselves count once a secretary confirms them; untick to count "
            "them at once."
        ),
    )
    # Materialized path: the primary keys from the root down, each followed by "/", e.g. "1/4/17/".
    # Every subtree is one prefix search on an indexed column (on PostgreSQL, unique=True also creates the
    # varchar_pattern_ops index LIKE 'x%' needs). Only branches.services writes it, on create and move.
    path = models.CharField(_("tree path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    objects = BranchQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="branch_unique_name_under_parent"),
            # NULL parents are all distinct to a unique index, so top-level names need their own constraint.
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="branch_unique_top_level_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def indented_name(self) -> str:
        return "\u3000" * self.depth + self.name

    def ancestor_ids(self) -> list[int]:
        return path_ids(self.path)[:-1]

    def is_descendant_of(self, other: "Branch") -> bool:
        return is_under(self, other)


def on_roll_q(day: dt.date, *, via: str = "") -> Q:
    """Members on the roll at the end of a day (DESIGN.md, "the roll"): joined by then and not yet left. Every
    period, past or present, and the activity form's list of who may take part ask this one rule.

    A member whose join date is not known counts from the day they were recorded, never before: the member
    pages ask for the date, so a person entered today is not counted in 2012. Someone marked inactive without
    a leave date is off the roll for every day (the pages ask for that date too). `via` is the lookup from the
    filtered model to Member ("" for Member itself)."""
    prefix = f"{via}__" if via else ""
    next_midnight = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    joined = Q(**{f"{prefix}joined_on__lte": day}) | Q(
        **{f"{prefix}joined_on__isnull": True, f"{prefix}created_at__lt": next_midnight}
    )
    still_there = Q(**{f"{prefix}left_on__isnull": True, f"{prefix}active": True}) | Q(**{f"{prefix}left_on__gt": day})
    return joined & still_there


class BranchLine(models.Model):
    """A branch and one of its ancestors, itself included: the tree's closure, read from the stored paths and
    kept with them by branches/services.py only. A query that needs the subtrees of many branches at once (a
    campaign target counts, for each of 958 communities, what was done anywhere under it) joins through it on
    an index, where a prefix search on a path taken from another row scans the branch table once per row."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    ancestor = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ancestor", "branch"], name="branchline_unique")]

    def __str__(self) -> str:
        return f"{self.ancestor_id} > {self.branch_id}"


class MemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def on_roll(self, day: dt.date):
        return self.filter(on_roll_q(day))


class Member(TimeStampedModel):
    class Gender(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    name = models.CharField(pgettext_lazy("a person's", "name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="members")
    is_party_member = models.BooleanField(_("party member"), default=False)
    is_leadership = models.BooleanField(
        _("leadership member"),
        default=False,
        help_text=_("A member of the leadership team (班子成员); campaign targets may count them."),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Untick when the person moves away or retires; their history stays."),
    )
    # Kept so that "members active at the end of a period" (the participation rate) can be answered for
    # past periods too, not only today.
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
    )

    objects = MemberQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["branch__path", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        today = timezone.localdate()
        errors = {}
        if self.joined_on and self.joined_on > today:
            errors["joined_on"] = _("The join date cannot be in the future.")
        if self.left_on and self.left_on > today:
            errors["left_on"] = _("The leave date cannot be in the future: set it on the day the person leaves.")
        elif self.left_on and self.joined_on and self.left_on < self.joined_on:
            errors["left_on"] = _("The leave date cannot be before the join date.")
        if errors:
            raise ValidationError(errors)


class RoleGrant(TimeStampedModel):
    """A role on a branch; it covers the branch's whole subtree."""

    class Role(models.TextChoices):
        SECRETARY = "secretary", _("secretary")
        LEADER = "leader", _("leader")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="role_grants",
    )
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # Personal data (PIPL Arts. 28-32): full ID and certificate numbers are masked unless a grant allows them.
    may_reveal = models.BooleanField(
        _("may reveal full ID numbers"),
        default=False,
        help_text=_("In this subtree, may show a full ID or certificate number on request (each reveal is logged)."),
    )
    may_export = models.BooleanField(
        _("may export personal data"),
        default=False,
        help_text=_("In this subtree, may download the beneficiary roster (each export is logged)."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "branch", "role"], name="rolegrant_unique"),
            # The class body cannot see Role from inside Meta; the values are Role.values (a test checks).
            models.CheckConstraint(condition=Q(role__in=["secretary", "leader"]), name="rolegrant_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.branch}"


class AccessLog(models.Model):
    """Append-only record of sign-ins and of every reveal and export of personal data (等保: kept at least six
    months, ACCESS_LOG_RETENTION_DAYS). Nothing edits it; `prune_access_log` removes only what is past retention."""

    class Event(models.TextChoices):
        SIGN_IN = "sign_in", _("signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("sign-in failed")
        SIGN_OUT = "sign_out", _("signed out")
        REVEAL = "reveal", _("revealed a full ID number")
        EXPORT = "export", _("exported personal data")
        NUMBER_SEARCH = "number_search", _("searched by ID number")
        NUMBER_CHECK = "number_check", _("was told an ID number is registered")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    event = models.CharField(_("event"), max_length=20, choices=Event.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    username = models.CharField(_("user name"), max_length=150, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    subject = models.CharField(_("whose data"), max_length=200, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_event_display()}"


# --- the figure store (DESIGN.md, "Figures"): written by branches/tallies.py only -----------------------------


class Tally(models.Model):
    """One additive figure of one branch's own records in one month ("activities", "hours", "value:cash" …).

    Kept current in the same transaction by the services that write the records (through branches/tallies.py,
    which knows nothing of what the figures mean), rebuilt and checked from the base tables by `figures_rebuild`
    and `figures_check`. Only confirmed work counts in the figures; `confirmed=False` rows keep pending work
    (members' own records) apart until a secretary confirms it."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    confirmed = models.BooleanField(default=True)
    figure = models.CharField(max_length=40)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "month", "confirmed", "figure"], name="tally_unique_key")
        ]
        indexes = [models.Index(fields=["month", "figure"], name="tally_month_figure")]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.month:%Y-%m} {self.figure} {self.amount}"


class Presence(models.Model):
    """Who or what counted in a distinct figure ("participant" member, "household" beneficiary), with how many
    records put them there, so that a distinct count is a count of rows and stays exact under every write.

    Span M: the branch's own records in that month (any range of whole months reads these). Spans Q and Y: the
    records of the whole subtree of the branch in that quarter or year, one row per ancestor, so that a leader's
    standard period reads one count per branch shown, whatever the size."""

    class Span(models.TextChoices):
        MONTH = "M"
        QUARTER = "Q"
        YEAR = "Y"

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    span = models.CharField(max_length=1, choices=Span.choices)
    period = models.DateField()
    kind = models.CharField(max_length=20)
    subject = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "span", "period", "branch", "subject"], name="presence_unique_key")
        ]
        indexes = [models.Index(fields=["kind", "span", "period", "subject"], name="presence_subject")]

    def __str__(self) -> str:
        return f"{self.kind} {self.span}{self.period:%Y-%m} {self.branch_id} {self.subject} ×{self.n}"
