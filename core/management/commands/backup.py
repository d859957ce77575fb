"""`manage.py backup` (`make backup`): the database and the local media folder into a new
folder of BACKUP_DIR, with a manifest (core.backups; README, "Backups")."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite's online backup, or pg_dump's custom format) and the "
        "uploaded files kept on local disk into BACKUP_DIR/<UTC time>/, with manifest.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, help="where to write it (default BACKUP_DIR)")
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="then keep only the newest N backups there (default BACKUP_KEEP; 0: all)",
        )

    def handle(self, *args, directory: Path | None = None, keep: int | None = None, **options):
        keep = settings.BACKUP_KEEP if keep is None else keep
        if keep < 0:
            raise CommandError("--keep must be 0 (keep all) or more")
        try:
            path = backup_create(directory=directory, keep=keep)
        except (BackupError, OSError) as error:
            raise CommandError(f"backup failed: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
