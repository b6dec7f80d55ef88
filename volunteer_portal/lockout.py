"""django-axes (the sign-in lockout) in the portal's language.

django-axes ships no Chinese catalogue, and its models name themselves in English f-strings. The project's own
catalogue (LOCALE_PATHS, which Django reads before any app's) carries axes's strings: `AXES_STRINGS` repeats its
exact English msgids, so that `make messages`, which keeps only msgids found in the project's sources, keeps them.
`LockoutConfig` stands in for axes's AppConfig in INSTALLED_APPS (same name and label, so the tables and
migrations are axes's own) to give the section a Chinese name and its records Chinese titles.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# axes 8.x: models.py and admin.py, word for word (a test checks that each is translated).
AXES_STRINGS = [
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
]


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}" if moment else ""


def _attempt_str(self) -> str:
    return gettext("Sign-in attempts of %(username)s from %(address)s") % {
        "username": self.username or "—", "address": self.ip_address or "—",
    }  # fmt: skip


def _log_str(self) -> str:
    return gettext("Sign-in of %(username)s at %(time)s") % {
        "username": self.username, "time": _when(self.attempt_time),
    }  # fmt: skip


def _failure_str(self) -> str:
    values = {"username": self.username or "—", "time": _when(self.attempt_time), "address": self.ip_address or "—"}
    if self.locked_out:
        return gettext("Failed sign-in of %(username)s at %(time)s from %(address)s, locked out") % values
    return gettext("Failed sign-in of %(username)s at %(time)s from %(address)s") % values


class LockoutConfig(AxesAppConfig):
    verbose_name = _("Sign-in lockout")

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        # Their __str__ are English f-strings (no gettext to hook into); the admin titles its pages with them.
        AccessAttempt.__str__ = _attempt_str
        AccessLog.__str__ = _log_str
        AccessFailureLog.__str__ = _failure_str
