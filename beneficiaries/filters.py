import django_filters
from django.utils.translation import gettext_lazy as _

from volunteer_portal.branches.models import in_subtree
from volunteer_portal.branches.selectors import branch_list

from .models import Beneficiary, DisabilityCategory, DisabilityGrade, Need
from .privacy import search_q
from .selectors import beneficiaries_with_overdue_pairing_q, never_visited_q


def _branches(request):
    return branch_list(user=request.user)


class BeneficiaryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or last 2 characters of the ID number"), method="search")
    disability_category = django_filters.ChoiceFilter(
        label=_("Disability category"), choices=DisabilityCategory.choices, empty_label=_("All")
    )
    disability_grade = django_filters.ChoiceFilter(
        label=_("Disability grade"), choices=DisabilityGrade.choices, empty_label=_("All")
    )
    branch = django_filters.ModelChoiceFilter(
        label=_("Branch"), queryset=_branches, method="in_subtree", empty_label=_("All in my scope")
    )
    needs = django_filters.ModelChoiceFilter(label=_("Need"), queryset=Need.objects.all(), empty_label=_("All"))
    household_status = django_filters.ChoiceFilter(
        label=_("Hardship category"), choices=Beneficiary.HouseholdStatus.choices, empty_label=_("All")
    )
    overdue = django_filters.BooleanFilter(
        label=_("Has an overdue pairing"), method="with_overdue_pairing", widget=django_filters.widgets.BooleanWidget()
    )
    never_visited = django_filters.BooleanFilter(
        label=_("Never visited"), method="without_visits", widget=django_filters.widgets.BooleanWidget()
    )

    class Meta:
        model = Beneficiary
        fields: list[str] = []

    search_note = ""

    def search(self, queryset, name, value):
        condition, self.search_note = search_q(self.request.user, value, request=self.request)
        return queryset.filter(condition)

    def in_subtree(self, queryset, name, branch):
        return queryset.filter(in_subtree(branch, via="branch"))

    def with_overdue_pairing(self, queryset, name, value):
        condition = beneficiaries_with_overdue_pairing_q()
        return queryset.filter(condition if value else ~condition)

    def without_visits(self, queryset, name, value):
        return queryset.filter(never_visited_q() if value else ~never_visited_q())
