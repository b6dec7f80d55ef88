"""Database expressions the ORM does not ship, each spelled for both SQLite and PostgreSQL."""

from django.db.models import DateField, Func


class AddDays(Func):
    """date + a whole number of days, where the number comes from a column (e.g. a pairing's interval).

    Django's own date arithmetic needs a DurationField; these two spellings are simpler and each is the
    database's documented form. Both are tested on both databases (tests/test_expressions.py).
    """

    output_field = DateField()
    arity = 2

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '+' || ", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(%(expressions)s)::date", arg_joiner=" + ", **extra_context)


class MonthStart(Func):
    """The first day of a date's month. Django's TruncMonth calls a Python function per row on SQLite; this is
    SQLite's own date() and PostgreSQL's date_trunc, several times faster on large tables."""

    output_field = DateField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, 'start of month')", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="date_trunc('month', %(expressions)s)::date", **extra_context)
