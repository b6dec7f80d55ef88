import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from volunteer_portal.branches.models import in_subtree
from volunteer_portal.branches.selectors import branch_list
from volunteer_portal.forms import DateInput

from .models import Activity
from .selectors import activity_type_choices, campaign_choices


def _branches(request):
    return branch_list(user=request.user)


def _campaigns(request):
    return campaign_choices(user=request.user)


class ActivityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"), widget=DateInput())
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"), widget=DateInput())
    type = django_filters.ModelChoiceFilter(
        label=_("Activity type"), queryset=activity_type_choices(), empty_label=_("All types")
    )
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=_campaigns, empty_label=_("All"))
    branch = django_filters.ModelChoiceFilter(
        label=_("Branch"), queryset=_branches, method="in_subtree", empty_label=_("All in my scope")
    )

    class Meta:
        model = Activity
        fields: list[str] = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value) | Q(location__icontains=value) | Q(description__icontains=value)
        )

    def in_subtree(self, queryset, name, branch):
        return queryset.filter(in_subtree(branch, via="branch"))
