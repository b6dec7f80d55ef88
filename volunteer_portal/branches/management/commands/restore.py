from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from volunteer_portal.backups import BackupError, backup_restore, passphrase_from_env


class Command(BaseCommand):
    help = (
        "Bring back the database and the media from a file `manage.py backup` wrote, opened with BACKUP_PASSPHRASE. "
        "Refuses to replace a portal that holds data unless given --force. `make restore FILE=... [FORCE=1]` runs it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup file (.tar.gpg)")
        parser.add_argument(
            "--force", action="store_true", help="Replace the database and media even if they hold data"
        )

    def handle(self, *args, **options) -> None:
        try:
            summary = backup_restore(
                options["file"], passphrase=passphrase_from_env(restoring=True), force=options["force"]
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        media = "the media left as they were (not kept in a folder here, or not in the backup)"
        if summary.media_files is not None:
            media = f"{summary.media_files} media files"
        self.stdout.write(
            f"Restored {summary.path}, made {summary.created}: the {summary.database} database and {media}. "
            "If the backup is older than this version of the portal, run `make migrate` (make serve does it too)."
        )
