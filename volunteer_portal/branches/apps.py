from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    name = "volunteer_portal.branches"
    label = "branches"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from . import access_log  # noqa: F401  (connects the sign-in signals)
