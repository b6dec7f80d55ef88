"""How the assistance figures read, by kind: "康复器具 3 件（其中 2 件未填金额）¥0.00".

The dashboard, its Excel download, a branch report's page and its downloads all write them through `by_kind`,
from live `Figures` or from a report's frozen figures. Reports frozen before items were counted have values
only; they then read as values alone, never as "0 items".
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beneficiaries.models import AssistanceItem

from .figures import ASSISTANCE_KINDS, Figures

Kind = AssistanceItem.Kind


def count_text(kind: str, count: int) -> str:
    """A number of items in the unit the kind is counted in: 1 笔 (cash), 3 件 (goods, devices), 2 项 (services)."""
    if kind == Kind.CASH:
        text = ngettext("%(count)s payment", "%(count)s payments", count)
    elif kind == Kind.SERVICE:
        text = ngettext("%(count)s service", "%(count)s services", count)
    elif kind == Kind.DEVICE:
        text = ngettext("%(count)s device", "%(count)s devices", count)
    else:
        text = ngettext("%(count)s item", "%(count)s items", count)
    return text % {"count": count}


@dataclass
class KindLine:
    kind: str
    label: str
    value: Decimal
    items: int | None  # None: frozen before items were counted
    unvalued: int | None

    @property
    def items_text(self) -> str:
        """ "3 件（其中 2 件未填金额）", "3 件（均未填金额）", "3 件"; "" when none, or when not counted."""
        if not self.items:
            return ""
        text = count_text(self.kind, self.items)
        if self.unvalued and self.unvalued >= self.items:
            return _("%(items)s (no value given for any)") % {"items": text}
        if self.unvalued:
            return _("%(items)s (%(unvalued)s with no value given)") % {
                "items": text,
                "unvalued": count_text(self.kind, self.unvalued),
            }
        return text

    @property
    def text(self) -> str:
        """Items and value in one phrase, for a table of figures: "3 件（其中 2 件未填金额），¥1200.00"."""
        value = f"¥{self.value:.2f}"
        return _("%(items)s, %(value)s") % {"items": self.items_text, "value": value} if self.items_text else value


def by_kind(figures: Figures | dict) -> list[KindLine]:
    """One line per kind, from live figures or from a report's frozen "total" (keys "assistance",
    "assistance_items", "assistance_unvalued"; the last two missing in reports frozen before they existed)."""
    if isinstance(figures, Figures):
        values, items, unvalued = figures.assistance, figures.assistance_items, figures.assistance_unvalued
    else:
        values = figures.get("assistance") or {}
        items = figures.get("assistance_items") or {}
        unvalued = figures.get("assistance_unvalued") or {}
    labels = dict(Kind.choices)
    return [
        KindLine(
            kind=kind,
            label=str(labels[kind]),
            value=Decimal(str(values.get(kind, 0))),
            items=items.get(kind) if items else None,
            unvalued=unvalued.get(kind, 0) if items else None,
        )
        for kind in ASSISTANCE_KINDS
    ]


def unvalued_total(figures: Figures) -> int:
    return sum(figures.assistance_unvalued.values())
