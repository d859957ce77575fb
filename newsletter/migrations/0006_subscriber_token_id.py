"""Each subscriber gets a random token_id for the links in our mail: added empty, filled with
a distinct value for every existing row, then made unique."""

import secrets

from django.db import migrations, models

import newsletter.models


def fill_token_ids(apps, schema_editor):
    Subscriber = apps.get_model("newsletter", "Subscriber")
    rows = []
    for subscriber in Subscriber.objects.filter(token_id=None).only("pk").iterator(chunk_size=2000):
        subscriber.token_id = secrets.token_urlsafe(16)
        rows.append(subscriber)
        if len(rows) >= 2000:
            Subscriber.objects.bulk_update(rows, ["token_id"])
            rows = []
    Subscriber.objects.bulk_update(rows, ["token_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0005_one_digest_per_week"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriber",
            name="token_id",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(fill_token_ids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="subscriber",
            name="token_id",
            field=models.CharField(
                default=newsletter.models.new_token_id, editable=False, max_length=32, unique=True
            ),
        ),
    ]
