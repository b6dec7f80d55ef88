from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfServiceConfig(AppConfig):
    name = "volunteer_portal.selfservice"
    label = "selfservice"
    verbose_name = _("Members' own records")

    def ready(self) -> None:
        # The sign-in receiver that remembers a member's login for the menu (invites.py).
        from . import invites  # noqa: F401
