"""Writes to beneficiaries, visits and pairings: validated, atomic, and recorded in the history with the actor."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from activities.models import Activity
from volunteer_portal.branches import tallies
from volunteer_portal.branches.models import Branch, Member
from volunteer_portal.models import ensure_not_archived, save_checked, stamp_history_user
from volunteer_portal.services import record_archive
from volunteer_portal.versions import check_version

from .footprints import visit_footprint, visits_of
from .models import ActivityBeneficiary, AssistanceItem, Beneficiary, Consent, Need, Pairing, Visit, VisitVisitor
from .privacy import SECRET_FIELDS
from .upkeep import pairing_last_contact_refresh, visits_changed

BENEFICIARY_FIELDS = [
    "name", "gender", "id_number", "birth_date", "certificate_number", "disability_category",
    "disability_grade", "household_status", "branch", "address", "phone", "guardian_name", "guardian_phone",
    "family_situation", "development_goals", "employment_skills", "needs_detail", "statutory_basis",
]  # fmt: skip
ITEM_FIELDS = ["kind", "description", "quantity", "value"]


NO_BASIS = gettext_lazy(
    "Record the person's (or guardian's) consent, or choose the legal duty under which the data is kept."
)


def has_basis(*, consent, statutory_basis) -> bool:
    """Sensitive data needs a recorded basis (PIPL): consent, or a statutory duty. The form and the service ask
    this one rule."""
    return bool(consent) or bool(statutory_basis)


@transaction.atomic
def beneficiary_create(*, actor, needs: Iterable[Need] = (), consent: dict | None = None, **fields) -> Beneficiary:
    """A new beneficiary, with its basis for keeping the data (`has_basis`)."""
    if not has_basis(consent=consent, statutory_basis=fields.get("statutory_basis")):
        raise ValidationError(NO_BASIS, code="no_basis")
    beneficiary = Beneficiary(**fields)
    save_checked(beneficiary, actor)
    beneficiary.needs.set(needs)
    if consent:
        consent_record(actor=actor, beneficiary=beneficiary, **consent)
    return beneficiary


@transaction.atomic
def consent_record(
    *, actor, beneficiary: Beneficiary, given_by: str, given_on, guardian_name: str = "", scope: str = ""
) -> Consent:
    consent = Consent(beneficiary=beneficiary, given_by=given_by, given_on=given_on, guardian_name=guardian_name,
                      recorded_by=actor)  # fmt: skip
    if scope:
        consent.scope = scope
    save_checked(consent, actor)
    return consent


@transaction.atomic
def consent_withdraw(*, actor, consent: Consent, on) -> Consent:
    if consent.withdrawn_on is not None:
        raise ValidationError(_("This consent has already been withdrawn."), code="already_withdrawn")
    consent.withdrawn_on = on
    save_checked(consent, actor)
    return consent


@transaction.atomic
def beneficiary_update(
    *,
    actor,
    beneficiary: Beneficiary,
    needs: Iterable[Need] | None = None,
    version: dt.datetime | None = None,
    **fields,
) -> Beneficiary:
    stored = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    ensure_not_archived(stored)
    check_version(stored, version, actor=actor, incoming=fields, secret=SECRET_FIELDS)
    for name, value in fields.items():
        setattr(beneficiary, name, value)
    beneficiary.last_visit_on = stored.last_visit_on  # the save writes every column: not a stale copy of this one
    save_checked(beneficiary, actor)
    if needs is not None:
        beneficiary.needs.set(needs)
    return beneficiary


@transaction.atomic
def beneficiary_archive(*, actor, beneficiary: Beneficiary) -> Beneficiary:
    """Archive a household: its visits leave every figure with it."""
    visits = visits_of([beneficiary.pk])
    before = visit_footprint(visits)
    record_archive(actor=actor, record=beneficiary)
    tallies.apply(before, visit_footprint(visits))
    return beneficiary


def _own_items(items: Iterable[dict], removed: Iterable[AssistanceItem], *, owner: str, pk: int) -> None:
    """Every item a form names is the record's own: an id from another visit or activity (a tampered form) is
    refused, so that no item is copied or moved."""
    for item in [*(values.get("id") for values in items), *removed]:
        if item is not None and getattr(item, owner) != pk:
            raise ValidationError(_("An item on the form belongs to another record: open the page again."),
                                  code="foreign_item")  # fmt: skip


def _add_items(visit: Visit, items: Iterable[dict]) -> None:
    for values in items:
        item = AssistanceItem(visit=visit, **{name: values[name] for name in ITEM_FIELDS})
        item.full_clean(exclude=["visit"])
        item.save()


def visit_record(
    *,
    actor,
    beneficiary: Beneficiary,
    branch: Branch,
    date: dt.date,
    visitors: Iterable[Member] = (),
    notes: str = "",
    follow_up_needed: bool = False,
    activity: Activity | None = None,
    items: Iterable[dict] = (),
) -> Visit:
    """One visit, with who made it and what was handed over: `visits_record` for one."""
    visit = NewVisit(beneficiary, branch, date, list(visitors), notes, follow_up_needed, activity, list(items))
    return visits_record(actor=actor, visits=[visit])[0]


@dataclass
class NewVisit:
    """What `visits_record` records of one visit."""

    beneficiary: Beneficiary
    branch: Branch
    date: dt.date
    visitors: list[Member] = field(default_factory=list)
    notes: str = ""
    follow_up_needed: bool = False
    activity: Activity | None = None
    items: list[dict] = field(default_factory=list)


@transaction.atomic
def visits_record(*, actor, visits: list[NewVisit]) -> list[Visit]:
    """Visits recorded together, in the order given, in a constant number of statements however many: each
    visit with its visitors and items, and the history of both; the households' last visits and pairings, the
    activities' households and the figure store kept. The households, branches and activities given have been
    read (and checked against the scope) by the caller, so they are not read again."""
    if not visits:
        return []
    for new in visits:
        ensure_not_archived(new.beneficiary)
    rows = [
        Visit(beneficiary=new.beneficiary, branch=new.branch, date=new.date, notes=new.notes,
              follow_up_needed=new.follow_up_needed, activity=new.activity)
        for new in visits
    ]  # fmt: skip
    items = [
        (row, AssistanceItem(**{name: values[name] for name in ITEM_FIELDS}))
        for row, new in zip(rows, visits, strict=True)
        for values in new.items
    ]
    for row in rows:
        row.full_clean(exclude=["beneficiary", "branch", "activity"])
    for _row, item in items:
        item.full_clean(exclude=["visit"], validate_constraints=False)  # as the form checked them; the database too
    now = timezone.now()
    bulk_create_with_history(rows, Visit, default_user=actor, default_date=now)
    for row, item in items:
        item.visit = row
    bulk_create_with_history([item for _row, item in items], AssistanceItem, default_user=actor, default_date=now)
    VisitVisitor.objects.bulk_create(
        [VisitVisitor(visit=row, member=member) for row, new in zip(rows, visits, strict=True)
         for member in dict.fromkeys(new.visitors)]
    )  # fmt: skip
    reached = {(new.activity.pk, new.beneficiary.pk) for new in visits if new.activity is not None}
    if reached:
        known = set(
            ActivityBeneficiary.objects.filter(
                activity_id__in={pair[0] for pair in reached}, beneficiary_id__in={pair[1] for pair in reached}
            ).values_list("activity_id", "beneficiary_id")
        )
        ActivityBeneficiary.objects.bulk_create(
            [ActivityBeneficiary(activity_id=a, beneficiary_id=b) for a, b in sorted(reached - known)]
        )
    visits_changed(sorted({new.beneficiary.pk for new in visits}))
    tallies.apply(tallies.Footprint(), visit_footprint([row.pk for row in rows]))
    return rows


@transaction.atomic
def visits_record_for_activity(
    *,
    actor,
    activity: Activity,
    beneficiaries: Iterable[Beneficiary],
    date: dt.date,
    visitors: Iterable[Member] = (),
    notes: str = "",
    follow_up_needed: bool = False,
    items: Iterable[dict] = (),
) -> list[Visit]:
    """One activity that reached several households: one visit each, the shared details typed once."""
    # The activity's row lock makes a second submit of the same households (a double tap, two tabs) wait for the
    # first and then find them recorded, instead of both passing the check below.
    ensure_not_archived(Activity.objects.select_for_update().get(pk=activity.pk))
    visitors, items, beneficiaries = list(visitors), list(items), list(beneficiaries)
    already = ActivityBeneficiary.objects.filter(activity=activity, beneficiary__in=beneficiaries)
    if already.exists():
        names = "、".join(already.values_list("beneficiary__name", flat=True))
        raise ValidationError(
            _("Already recorded for this activity: %(names)s.") % {"names": names}, code="already_recorded"
        )
    return visits_record(
        actor=actor,
        visits=[
            NewVisit(beneficiary, activity.branch, date, visitors, notes, follow_up_needed, activity, items)
            for beneficiary in beneficiaries
        ],
    )


@transaction.atomic
def visit_update(
    *,
    actor,
    visit: Visit,
    visitors: Iterable[Member],
    items: Iterable[dict],
    removed_items: Iterable[AssistanceItem] = (),
    version: dt.datetime | None = None,
    **fields,
) -> Visit:
    """Change a visit; `items` are new or changed items (with "id" for changed ones), `removed_items` go."""
    stored = Visit.objects.select_for_update().get(pk=visit.pk)
    ensure_not_archived(stored)
    check_version(stored, version, actor=actor, incoming=fields)
    items, removed_items = list(items), list(removed_items)
    _own_items(items, removed_items, owner="visit_id", pk=visit.pk)
    before = visit_footprint([visit.pk])
    for name, value in fields.items():
        setattr(visit, name, value)
    save_checked(visit, actor)
    visit.visitors.set(visitors)
    for item in removed_items:
        if item.visit_id == visit.pk:
            stamp_history_user(item, actor)
            item.delete()
    for values in items:
        existing = values.get("id")
        if existing is not None and existing.visit_id == visit.pk:
            for name in ITEM_FIELDS:
                setattr(existing, name, values[name])
            save_checked(existing, actor, exclude=["visit"])
        else:
            _add_items(visit, [values])
    visits_changed([stored.beneficiary_id, visit.beneficiary_id])
    tallies.apply(before, visit_footprint([visit.pk]))
    return visit


GROUP_ITEM_FIELDS = [*ITEM_FIELDS, "recipients"]


@transaction.atomic
def group_items_save(
    *, actor, activity: Activity, items: Iterable[dict], removed_items: Iterable[AssistanceItem] = ()
) -> Activity:
    """What an activity handed over to people not recorded by name (presents to the children in training, free
    prostheses): `items` are new or changed items (with "id" for changed ones), `removed_items` go. Each change
    is in the item's history; archiving the activity takes its items out of every figure."""
    ensure_not_archived(Activity.objects.select_for_update().get(pk=activity.pk))
    items, removed_items = list(items), list(removed_items)
    _own_items(items, removed_items, owner="activity_id", pk=activity.pk)
    for item in removed_items:
        if item.activity_id == activity.pk:
            stamp_history_user(item, actor)
            item.delete()
    for values in items:
        existing: AssistanceItem | None = values.get("id")
        item = existing if existing is not None and existing.activity_id == activity.pk else AssistanceItem()
        item.activity = activity
        for name in GROUP_ITEM_FIELDS:
            setattr(item, name, values[name])
        save_checked(item, actor)
    return activity


@transaction.atomic
def visit_archive(*, actor, visit: Visit) -> Visit:
    before = visit_footprint([visit.pk])
    record_archive(actor=actor, record=visit)
    tallies.apply(before, visit_footprint([visit.pk]))
    visits_changed([visit.beneficiary_id])
    return visit


@transaction.atomic
def visit_close_follow_up(*, actor, visit: Visit) -> Visit:
    ensure_not_archived(visit)
    if visit.follow_up_closed_at is None:
        visit.follow_up_closed_at = timezone.now()
        stamp_history_user(visit, actor)
        visit.save(update_fields=["follow_up_closed_at", "updated_at"])
    return visit


@transaction.atomic
def pairing_create(
    *, actor, member: Member, beneficiary: Beneficiary, start_date: dt.date, interval_days: int = 60, note: str = ""
) -> Pairing:
    pairing = Pairing(
        member=member, beneficiary=beneficiary, start_date=start_date, interval_days=interval_days, note=note
    )
    save_checked(pairing, actor)
    pairing_last_contact_refresh(Pairing.objects.filter(pk=pairing.pk))  # visits since the start count
    return pairing


@transaction.atomic
def pairing_end(*, actor, pairing: Pairing, end_date: dt.date, version: dt.datetime | None = None) -> Pairing:
    stored = Pairing.objects.select_for_update().get(pk=pairing.pk)
    ensure_not_archived(stored)
    check_version(stored, version, actor=actor, incoming={"end_date": end_date})
    if stored.end_date is not None:
        raise ValidationError(_("This pairing has already ended."), code="already_ended")
    pairing.end_date = end_date
    pairing.last_contact_on = stored.last_contact_on  # the save writes every column: not a stale copy of this one
    save_checked(pairing, actor)
    return pairing
