"""Disabled beneficiaries, cadre pairings, visits and what was handed over, by subject: `people`, `work` and
`roster` (a staged import).

This app refers to activities (a visit made during an activity, an activity that served a beneficiary);
nothing in `activities` refers back, so the migrations have no cycle.
"""

from .people import (
    CONSENT_GUARDIAN_AGE,
    DUPLICATE_ID,
    Beneficiary,
    BeneficiaryNeed,
    Consent,
    DisabilityCategory,
    DisabilityGrade,
    Need,
    StatutoryBasis,
)
from .roster import RosterImport, RosterImportRow
from .work import ActivityBeneficiary, AssistanceItem, Pairing, Visit, VisitPhoto, VisitVisitor

__all__ = [
    "CONSENT_GUARDIAN_AGE",
    "DUPLICATE_ID",
    "ActivityBeneficiary",
    "AssistanceItem",
    "Beneficiary",
    "BeneficiaryNeed",
    "Consent",
    "DisabilityCategory",
    "DisabilityGrade",
    "Need",
    "Pairing",
    "RosterImport",
    "RosterImportRow",
    "StatutoryBasis",
    "Visit",
    "VisitPhoto",
    "VisitVisitor",
]
