from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from volunteer_portal.backups import BackupError, backup_create, default_path, passphrase_from_env


class Command(BaseCommand):
    help = (
        "Write the database and the media (MEDIA_ROOT) into one file encrypted with BACKUP_PASSPHRASE "
        "(volunteer_portal/backups.py). `make backup [FILE=...]` runs it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default="",
            help="The file to write, or a folder to write it in: an existing one, or any path ending in / "
            "(default: backups/volunteer-portal-<UTC time>.tar.gpg beside manage.py)",
        )

    def handle(self, *args, **options) -> None:
        output: str = options["output"]
        path = Path(output) if output else default_path()
        if output.endswith("/"):
            path = path / default_path().name
        try:
            summary = backup_create(path, passphrase=passphrase_from_env(restoring=False))
        except BackupError as error:
            raise CommandError(str(error)) from None
        media = "the media are not in a folder (object storage) and are not included"
        if summary.media_files is not None:
            media = f"{summary.media_files} media files"
        self.stdout.write(
            f"Wrote {summary.path} ({summary.path.stat().st_size / 1024 / 1024:.1f} MB): the {summary.database} "
            f"database and {media}, encrypted. Without BACKUP_PASSPHRASE it cannot be opened: keep the passphrase "
            "safe and apart from the backups."
        )
