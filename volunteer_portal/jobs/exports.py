"""What an export is, for the jobs app: a class an app writes once and both paths use.

A small export is built in the request and downloaded at once; a large one (more than EXPORT_INLINE_MAX_ROWS rows)
is built by the worker from the same class, with a `JobRequest` standing for the person who asked. The class's
constructor runs the export's access checks (raising Http404 or PermissionDenied), so the download of a finished
file runs them again, as the user who asks for it then."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, QueryDict
from django.utils.functional import Promise


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    rows: int


class Export:
    title: str | Promise = ""

    def __init__(self, request: HttpRequest, **arguments) -> None:
        self.request = request
        self.arguments = arguments

    def rows(self) -> int:
        """How many rows the file will have (decides whether the worker builds it)."""
        raise NotImplementedError

    def build(self, progress: Callable[[int], None]) -> ExportFile:
        """The file; `progress(rows_done)` may be called as the rows are written."""
        raise NotImplementedError

    def log(self, file: ExportFile) -> None:
        """Record the export where the data it holds asks for it (the access log); once per file made."""

    @classmethod
    def path(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"


class JobRequest(HttpRequest):
    """The request a background export is built for: the person who asked, their filters and their address.

    `replay` tells code that logs what a request asked for (a search by ID number) that it was logged when the
    person asked; the export itself is logged once, by `Export.log`, when the file is made."""

    replay = True

    def __init__(self, *, user, query: str, address: str | None) -> None:
        super().__init__()
        self.method = "GET"
        self.user = user
        self.GET = QueryDict(query)
        if address:
            self.META["REMOTE_ADDR"] = address
