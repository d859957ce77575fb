"""`manage.py backup` and `manage.py restore` (README, "Backups"): a whole site comes back as
it was, through real pg_dump and pg_restore on PostgreSQL and SQLite's backup API otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from articles.models import Article, Topic
from comments.models import Comment
from newsletter.models import Delivery, Edition, Subscriber
from tests.factories import ArticleFactory, CommentFactory, TopicFactory
from tests.newsletter.mailings import edition, sending, subscribers

MODELS = (
    User,
    Topic,
    Article,
    Article.topics.through,
    Comment,
    Subscriber,
    Edition,
    Edition.featured.through,
    Delivery,
)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    (settings.MEDIA_ROOT / "articles" / "2026").mkdir(parents=True)
    return settings.MEDIA_ROOT


def a_site(media: Path) -> None:
    """Articles with topics, a threaded discussion, readers and an edition part sent."""
    topic = TopicFactory(name="Lung cancer")
    article = ArticleFactory(title="Osimertinib after chemoradiation", topics=[topic])
    ArticleFactory(title="A draft", status=Article.Status.DRAFT)
    first = CommentFactory(article=article)
    CommentFactory(parent=first)
    CommentFactory(article=article, status=Comment.Status.PENDING)
    subscribers(4)
    Subscriber.objects.create(email="pending@example.org")
    mailing = sending(edition())
    sent = mailing.deliveries.order_by("pk").first()
    Delivery.objects.filter(pk=sent.pk).update(status="sent", message_id="<edition-1@x>")
    (media / "articles" / "2026" / "lead.webp").write_bytes(b"RIFF\x00\x01 an image")


def site_state() -> dict:
    """Every row of the site's main tables, field by field."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in MODELS}


def media_state(media: Path) -> dict:
    return {str(p.relative_to(media)): p.read_bytes() for p in media.rglob("*") if p.is_file()}


def wipe_database() -> None:
    """Every table gone, as on a machine whose database was lost."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
        else:
            connection.disable_constraint_checking()
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f'DROP TABLE "{table}"')
            connection.enable_constraint_checking()
    assert connection.introspection.table_names() == []


@pytest.fixture
def schema_kept():
    """Whatever a failing test left, the next tests find the schema (the test database is
    reused between runs)."""
    yield
    connection.close()
    if "django_migrations" not in connection.introspection.table_names():
        call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_a_site_backed_up_wiped_and_restored_is_as_it_was(media, schema_kept, client):
    a_site(media)
    before, files = site_state(), media_state(media)
    assert len(before["newsletter.Delivery"]) == 4

    call_command("backup")
    (path,) = (media.parent / "backups").iterdir()
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["media"]["files"] == 1

    wipe_database()
    (media / "articles" / "2026" / "lead.webp").unlink()
    (media / "stray.txt").write_text("uploaded after the backup")
    call_command("restore", path.name, interactive=False)

    assert site_state() == before
    assert media_state(media) == files
    article = Article.objects.get(title="Osimertinib after chemoradiation")
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    assert "Comment number" in page.content.decode()
    # Sequences came back too: a new reader does not collide with a restored one.
    newcomer = Subscriber.objects.create(email="after-restore@example.org")
    assert newcomer.pk > max(row["id"] for row in before["newsletter.Subscriber"])


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_is_replaced(media, schema_kept):
    a_site(media)
    before = site_state()
    call_command("backup")
    (path,) = (media.parent / "backups").iterdir()
    dump = path / json.loads((path / "manifest.json").read_text())["database"]["file"]
    with dump.open("ab") as stream:
        stream.write(b"\x00")
    Subscriber.objects.create(email="kept@example.org")

    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", "latest", interactive=False)
    assert Subscriber.objects.filter(email="kept@example.org").exists()
    assert len(site_state()["newsletter.Subscriber"]) == len(before["newsletter.Subscriber"]) + 1


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_another_kind_of_database_is_refused(media, schema_kept):
    call_command("backup")
    (path,) = (media.parent / "backups").iterdir()
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["database"]["vendor"] = "mysql"
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="mysql database"):
        call_command("restore", str(path), interactive=False)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "manifest",
    ["not json", "[]", '{"format": 1, "database": "x"}', '{"format": 1, "media": {}}'],
)
def test_a_manifest_that_is_not_a_backups_is_refused_with_a_message(media, schema_kept, manifest):
    call_command("backup")
    (path,) = (media.parent / "backups").iterdir()
    (path / "manifest.json").write_text(manifest)
    with pytest.raises(CommandError):
        call_command("restore", str(path), interactive=False)


@pytest.mark.django_db(transaction=True)
def test_restore_without_a_yes_changes_nothing(media, schema_kept, monkeypatch):
    call_command("backup")
    Subscriber.objects.create(email="kept@example.org")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", "latest")
    assert Subscriber.objects.filter(email="kept@example.org").exists()


@pytest.mark.django_db
def test_restoring_a_backup_that_does_not_exist_says_so(media):
    with pytest.raises(CommandError, match="no backup"):
        call_command("restore", "latest", interactive=False)
    with pytest.raises(CommandError, match="is not a backup"):
        call_command("restore", "20990101T000000Z", interactive=False)


@pytest.mark.django_db(transaction=True)
def test_keep_leaves_only_the_newest_backups(media, schema_kept):
    for _ in range(3):
        call_command("backup", keep=2)
    names = sorted(path.name for path in (media.parent / "backups").iterdir())
    assert len(names) == 2
    assert not any(name.endswith(".partial") for name in names)
    with pytest.raises(CommandError, match="--keep"):
        call_command("backup", keep=-1)


@pytest.mark.django_db(transaction=True)
def test_files_on_object_storage_are_left_to_the_bucket(media, settings, schema_kept):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    call_command("backup")
    (path,) = (media.parent / "backups").iterdir()
    manifest = json.loads((path / "manifest.json").read_text())
    assert "InMemoryStorage" in manifest["media"]["skipped"]
    assert not (path / "media.tar.gz").exists()
