"""`manage.py restore <backup>` (`make restore BACKUP=…`): the database and the local media
folder as a backup holds them (core.backups; README, "Backups")."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.backups import BackupError, backup_read, backup_resolve, backup_restore


class Command(BaseCommand):
    help = (
        "Replace the database and the uploaded files on local disk with a backup made by "
        "`manage.py backup`: a folder, a folder name in BACKUP_DIR, or 'latest'. Stop web, "
        "workers and beat first."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="a backup folder, its name in BACKUP_DIR, or 'latest'")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args, backup: str, interactive: bool = True, **options):
        try:
            path = backup_resolve(backup)
            manifest = backup_read(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        name = connection.settings_dict["NAME"]
        self.stdout.write(f"Backup {path} of {manifest.get('created_at', 'an unknown time')}")
        if interactive:
            try:
                answer = input(f"This replaces the database {name} and local media. Type 'yes': ")
            except (EOFError, OSError):  # no terminal: no confirmation
                answer = ""
            if answer.strip() != "yes":
                raise CommandError("restore cancelled (nothing was changed)")
        try:
            backup_restore(path=path)
        except (BackupError, OSError) as error:
            raise CommandError(f"restore failed: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Restored {path}"))
        self.stdout.write("Now run `manage.py migrate` if this code is newer than the backup.")
