"""Time the roster import of a generated file: `make bench-import` runs it on a scratch SQLite database.

It makes its own unit and secretary (both named bench-import), uploads N rows, checks them chunk by chunk as
the page does, writes them, then imports the same file again to show that nothing changes the second time.
"""

import datetime as dt
import io
import time

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from openpyxl import Workbook

from beneficiaries import imports
from beneficiaries.models import Beneficiary
from volunteer_portal.branches.models import Branch, RoleGrant
from volunteer_portal.branches.services import branch_create
from volunteer_portal.validators import id_check_character


def _id_number(n: int) -> str:
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=n // 900)
    first17 = f"640104{birth:%Y%m%d}{n % 900 + 100:03d}"
    return first17 + id_check_character(first17)


class Command(BaseCommand):
    help = "Import a generated roster of N rows (default 10,000) twice and print how long each step took."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=10_000)

    def roster(self, rows: int, unit: str) -> SimpleUploadedFile:
        names = imports.headers()
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append([names[name] for name in imports.COLUMNS])
        for n in range(rows):
            number = _id_number(n)
            row = {
                "name": f"基准{n}", "gender": "男" if int(number[16]) % 2 else "女", "id_number": number,
                "certificate_number": f"{number}{n % 7 + 1}{n % 4 + 1}", "disability_category": str(n % 7 + 1),
                "disability_grade": str(n % 4 + 1), "household_status": "低保" if n % 3 == 0 else "无",
                "branch": unit, "address": f"基准路{n}号", "needs": "康复训练" if n % 2 else "",
                "consent_given_by": "监护人", "consent_guardian_name": "监护人甲", "consent_given_on": "2026-01-05",
            }  # fmt: skip
            sheet.append([row.get(name, "") for name in imports.COLUMNS])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return SimpleUploadedFile("bench.xlsx", buffer.getvalue())

    def handle(self, *args, **options) -> None:
        root = Branch.objects.filter(parent__isnull=True).first()
        unit = Branch.objects.filter(code="bench-import").first() or branch_create(
            name="bench-import", code="bench-import", parent=root
        )
        user, _ = get_user_model().objects.get_or_create(username="bench-import")
        RoleGrant.objects.get_or_create(user=user, branch=unit, role=RoleGrant.Role.SECRETARY)
        upload = self.roster(options["rows"], unit.name)
        self.stdout.write(f"database: {connection.vendor}; {options['rows']} rows, {(upload.size or 0) // 1024} KB")
        for attempt in ("first import", "same file again"):
            upload.seek(0)
            started = time.perf_counter()
            batch, _ignored = imports.import_stage(actor=user, upload=upload)
            staged = time.perf_counter()
            chunks = 0
            while batch.status == batch.Status.CHECKING:
                batch = imports.import_check_next(actor=user, batch=batch)
                chunks += 1
            checked = time.perf_counter()
            counts = imports.import_counts(batch)
            if counts["create"] or counts["update"]:
                imports.import_commit(actor=user, batch=batch)
            else:
                imports.import_discard(actor=user, batch=batch)
            done = time.perf_counter()
            self.stdout.write(
                f"{attempt}: read and staged {staged - started:.1f} s, checked in {chunks} chunks "
                f"{checked - staged:.1f} s, written {done - checked:.1f} s, total {done - started:.1f} s; "
                f"new {counts['create']}, updated {counts['update']}, unchanged {counts['unchanged']}, "
                f"problems {counts['invalid']}; live beneficiaries of the unit: "
                f"{Beneficiary.objects.live().filter(branch=unit).count()}"
            )
