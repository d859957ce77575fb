"""Backups of the database and of uploaded files kept on local disk, and their restore
(`manage.py backup`, `manage.py restore`; README, "Backups").

A backup is a folder BACKUP_DIR/<UTC time>/ holding the database (SQLite: a copy made through
SQLite's online backup API, consistent while web and workers write; PostgreSQL: pg_dump's
custom format), the media folder as a tar.gz when files are stored locally, and manifest.json
with each file's size and SHA-256. It is written under a `.partial` name and renamed when
complete, so a folder without that suffix is always a whole backup. Restore checks every
checksum before it touches anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

import django
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, connections
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
PARTIAL = ".partial"
SQLITE_FILE, PG_FILE, MEDIA_FILE = "database.sqlite3", "database.dump", "media.tar.gz"
PG_TIMEOUT = 6 * 3600  # seconds: a dump or restore that runs longer is stuck


class BackupError(Exception):
    """A backup or restore that cannot be made; the message says why, for the operator."""


# --- Making a backup ------------------------------------------------------------------------
def backup_create(*, directory: Path | None = None, keep: int = 0) -> Path:
    """A complete backup in a new folder of `directory` (BACKUP_DIR); then only the newest
    `keep` backups are kept there (0: all). Returns the new folder."""
    directory = Path(directory or settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    name = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    target, n = directory / name, 1
    while target.exists() or target.with_name(target.name + PARTIAL).exists():
        n += 1
        target = directory / f"{name}-{n}"
    work = target.with_name(target.name + PARTIAL)
    work.mkdir(mode=0o700)
    try:
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "django": django.get_version(),
            "database": _database_dump(work),
            "media": _media_archive(work),
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if keep:
        for old in backups_list(directory)[:-keep]:
            shutil.rmtree(old)
    return target


def backups_list(directory: Path | None = None) -> list[Path]:
    """The complete backups in `directory` (BACKUP_DIR), oldest first."""
    directory = Path(directory or settings.BACKUP_DIR)
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.iterdir()
        if path.is_dir() and not path.name.endswith(PARTIAL) and (path / MANIFEST).is_file()
    )


def _file_entry(path: Path, **extra) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": digest.hexdigest(), **extra}


def _database_dump(work: Path) -> dict:
    if connection.vendor == "sqlite":
        return _sqlite_dump(work / SQLITE_FILE)
    if connection.vendor == "postgresql":
        return _pg_dump(work / PG_FILE)
    raise BackupError(f"backups of a {connection.vendor} database are not supported")


def _sqlite_dump(path: Path) -> dict:
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    try:
        # Page by page under SQLite's own locking: consistent while other processes write,
        # where copying the file would miss what is still in the -wal file.
        connection.connection.backup(copy)
        # One self-contained file: no -wal beside it when it is opened later.
        copy.execute("PRAGMA journal_mode=DELETE")
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("the copy of the SQLite database failed its integrity check")
    finally:
        copy.close()
    return _file_entry(path, vendor="sqlite")


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the default database: the password never goes on a command
    line, where other users of the machine could read it."""
    params = connection.settings_dict
    options = params.get("OPTIONS", {})
    pairs = {
        "PGHOST": params.get("HOST"),
        "PGPORT": params.get("PORT"),
        "PGUSER": params.get("USER"),
        "PGPASSWORD": params.get("PASSWORD"),
        "PGDATABASE": params.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
        "PGCONNECT_TIMEOUT": options.get("connect_timeout"),
    }
    return {**os.environ, **{key: str(value) for key, value in pairs.items() if value}}


def _pg_run(command: list[str]) -> None:
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)"
        )
    try:
        subprocess.run(  # noqa: S603  (our own arguments, no shell)
            [program, *command[1:]],
            env=_pg_environment(),
            capture_output=True,
            text=True,
            check=True,
            timeout=PG_TIMEOUT,
        )
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} failed: {error.stderr.strip()[-2000:]}") from error
    except subprocess.TimeoutExpired as error:
        raise BackupError(f"{command[0]} ran longer than {PG_TIMEOUT} s") from error


def _pg_dump(path: Path) -> dict:
    # One snapshot of the whole database, compressed; restorable into any database by any role.
    _pg_run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"])
    return _file_entry(path, vendor="postgresql")


def _local_media_root() -> Path | None:
    """The folder of uploaded files when they are stored on this machine's disk, else None."""
    if not isinstance(default_storage, FileSystemStorage) or not settings.MEDIA_ROOT:
        return None
    return Path(default_storage.location)


def _media_archive(work: Path) -> dict:
    root = _local_media_root()
    if root is None:
        backend = settings.STORAGES["default"]["BACKEND"].rsplit(".", 1)[-1]
        return {"skipped": f"uploaded files are not on local disk ({backend}): back up the bucket"}
    path = work / MEDIA_FILE
    count = 0
    with tarfile.open(path, "w:gz") as archive:
        if root.is_dir():
            for item in sorted(root.rglob("*")):
                if item.is_file() and not item.is_symlink():
                    archive.add(item, arcname=str(item.relative_to(root)), recursive=False)
                    count += 1
    return _file_entry(path, files=count)


# --- Restoring ----------------------------------------------------------------------------
def backup_resolve(name: str, *, directory: Path | None = None) -> Path:
    """A backup folder from what an operator typed: a path, a folder name in BACKUP_DIR, or
    "latest"."""
    if name == "latest":
        found = backups_list(directory)
        if not found:
            raise BackupError(f"there is no backup in {Path(directory or settings.BACKUP_DIR)}")
        return found[-1]
    path = Path(name)
    if not path.is_dir():
        path = Path(directory or settings.BACKUP_DIR) / name
    if not (path / MANIFEST).is_file():
        raise BackupError(f"{name} is not a backup (no {MANIFEST} there)")
    return path


def backup_read(path: Path) -> dict:
    """The manifest of the backup in `path`, once every file it lists has its size and
    checksum: a damaged or incomplete copy is refused before anything is replaced."""
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"the manifest of {path} cannot be read: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} was made by another version of this command")
    for part in ("database", "media"):
        entry = manifest.get(part) or {}
        if not isinstance(entry, dict):
            raise BackupError(f"the manifest of {path} is damaged ({part})")
        if "file" not in entry:
            continue
        # Only a file of the backup's own folder, whatever the manifest says.
        entry["file"] = Path(str(entry["file"])).name
        file = path / entry["file"]
        if not file.is_file() or _file_entry(file)["sha256"] != entry.get("sha256"):
            raise BackupError(f"{file} is missing or damaged (its checksum differs)")
    if "file" not in (manifest.get("database") or {}):
        raise BackupError(f"{path} holds no database")
    return manifest


def backup_restore(*, path: Path) -> dict:
    """Replace the database (and the local media folder, when the backup has it) with the
    backup in `path`. Web, workers and beat should be stopped meanwhile. Returns the manifest."""
    manifest = backup_read(path)
    database = manifest["database"]
    vendor = database.get("vendor")
    if vendor != connection.vendor:
        raise BackupError(
            f"this backup is of a {vendor} database and this site runs on "
            f"{connection.vendor}; restore it into a {vendor} database"
        )
    media = manifest.get("media") or {}
    root = _local_media_root()
    if "file" in media and root is None:
        raise BackupError("the backup holds uploaded files but this site stores them elsewhere")
    file = path / database["file"]
    if vendor == "sqlite":
        _sqlite_restore(file)
    else:
        _pg_restore(file)
    if "file" in media:
        _media_restore(path / media["file"], root)
    return manifest


def _sqlite_restore(file: Path) -> None:
    source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        connection.ensure_connection()
        # Through SQLite's own locking, into the live database: never a file swapped under
        # a process that has it open.
        source.backup(connection.connection)
    finally:
        source.close()
        connection.close()  # the next connection sets WAL and the pragmas again


def _pg_restore(file: Path) -> None:
    connections.close_all()  # our own idle connection must not hold a lock on a table
    # --clean drops what the dump holds before it creates it again; all in one transaction,
    # so a restore that fails leaves the database as it was.
    _pg_run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={connection.settings_dict['NAME']}",
            str(file),
        ]
    )


def _media_restore(file: Path, root: Path) -> None:
    """The media folder becomes the archive's content: unpacked beside it, then swapped in."""
    root.parent.mkdir(parents=True, exist_ok=True)
    fresh = root.with_name(f".{root.name}.restoring")
    old = root.with_name(f".{root.name}.replaced")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    fresh.mkdir()
    with tarfile.open(file, "r:gz") as archive:
        # The "data" filter refuses absolute paths, "..", links out and device files.
        archive.extractall(fresh, filter="data")
    if root.exists():
        root.rename(old)
    fresh.rename(root)
    shutil.rmtree(old, ignore_errors=True)
