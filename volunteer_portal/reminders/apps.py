from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "volunteer_portal.reminders"
    label = "reminders"
    verbose_name = _("Reminders")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .selectors import count_on_sign_in

        user_logged_in.connect(count_on_sign_in, dispatch_uid="reminders_count_on_sign_in")
