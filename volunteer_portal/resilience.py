"""Requests that fail safely: a body cut off on the way is refused before any view runs, and a database that
cannot be reached answers 503 with a page that says so, not 500.

A cut-off body: gunicorn (like most WSGI servers) hands Django what arrived when a client disconnects half-way
through a POST, and Django parses it as if it were all there, so the fields that never came read as blank and an
edit would blank them. `CompleteBodyMiddleware` reads the form before anything else does, from a stream that
refuses to end before Content-Length bytes came, and answers 400 (templates/400.html) when it ends early.

A database that is down: `server_error` (the project's handler500, which Django calls for any exception a view
or a middleware lets through) answers 503 with `Retry-After` and templates/503.html, which touches neither the
session nor the user, when the error is a failure to reach the database; nothing else is hidden: "database is
locked", a query timeout or a bad query stay 500 and are logged as such. The next request connects again (Django
drops a connection that failed, and CONN_HEALTH_CHECKS checks a kept one), so the portal recovers by itself.
"""

import sqlite3
import sys
from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.views import defaults

RETRY_AFTER_SECONDS = 10  # a PostgreSQL restart takes a few seconds
# PostgreSQL's SQLSTATEs for a connection that failed or a server that is stopping or starting (class 08:
# connection exception; 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now).
CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03")


class TruncatedBody(BadRequest):
    """The request body ended before Content-Length bytes arrived."""


class _WholeBody:
    """The request's body stream, refusing to end early: a read returns what was asked (up to what is left of
    Content-Length) or raises TruncatedBody."""

    def __init__(self, stream, length: int):
        self._stream, self._left = stream, length

    def read(self, size: int | None = -1) -> bytes:
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        chunks = []
        while wanted > 0:
            data = self._stream.read(wanted)
            if not data:
                raise TruncatedBody("The request body is shorter than its Content-Length.")
            chunks.append(data)
            wanted -= len(data)
            self._left -= len(data)
        return b"".join(chunks)

    def readline(self, size: int | None = -1) -> bytes:
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        line = self._stream.readline(wanted) if wanted > 0 else b""
        if wanted > 0 and not line:
            raise TruncatedBody("The request body is shorter than its Content-Length.")
        self._left -= len(line)
        return line

    def close(self) -> None:
        self._stream.close()


def _content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class CompleteBodyMiddleware:
    """Refuse (400) a request whose body is shorter than its Content-Length, before any view or middleware reads
    a field of it. Forms are parsed here; another body (JSON) is checked when it is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _content_length(request)
        if length:
            # HttpRequest reads its body from `_stream` (Django's LimitedStream over wsgi.input); there is no
            # public hook between the server's stream and the form parser.
            request._stream = _WholeBody(request._stream, length)  # type: ignore[assignment]
            try:
                request.POST  # noqa: B018 -- parse the form now, so that no view sees half of one
            except TruncatedBody:
                return HttpResponseBadRequest(render_to_string("400.html"))
        return self.get_response(request)


def _database_error(error: BaseException | None) -> BaseException | None:
    """The Django database error behind `error` (itself, or what it was raised from), if any."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OperationalError | InterfaceError):
            return error
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


def is_connection_failure(error: BaseException | None) -> bool:
    """Whether an exception means the database could not be reached, as opposed to an error in a query."""
    error = _database_error(error)
    if error is None:
        return False
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):  # the file cannot be opened; "database is locked" is SQLITE_BUSY
        return getattr(cause, "sqlite_errorname", "") == "SQLITE_CANTOPEN"
    if isinstance(error, InterfaceError):  # used after the connection was lost, or a programming error
        raw = connection.connection
        return raw is None or bool(getattr(raw, "closed", False))
    # psycopg: an error without a SQLSTATE is the connection's own (refused, reset, closed, a pool timeout).
    sqlstate = getattr(cause, "sqlstate", "") if cause is not None else ""
    return sqlstate is None or str(sqlstate).startswith(CONNECTION_SQLSTATES)


def database_unavailable() -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest, template_name: str = defaults.ERROR_500_TEMPLATE_NAME) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so sys.exc_info() holds it."""
    if is_connection_failure(sys.exc_info()[1]):
        return database_unavailable()
    return defaults.server_error(request, template_name)
