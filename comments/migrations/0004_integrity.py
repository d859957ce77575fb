"""Integrity: the comment a reply answers is kept apart from where the depth cap files it;
a moderator's approval answers the reports made so far; each moderator's digest is its own
send with its own receipt."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def replies_answer_their_parent(apps, schema_editor):
    Comment = apps.get_model("comments", "Comment")
    Comment.objects.filter(parent__isnull=False).update(in_reply_to=models.F("parent"))


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0003_moderator_user_lookup"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="in_reply_to",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="comments.comment",
            ),
        ),
        migrations.RunPython(replies_answer_their_parent, migrations.RunPython.noop),
        migrations.AddField(
            model_name="commentflag",
            name="answered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="ModerationDigestReceipt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[("sent", "Sent"), ("refused", "Refused by the mail server")],
                        default="sent",
                        max_length=10,
                    ),
                ),
                ("detail", models.CharField(blank=True, max_length=300)),
                ("at", models.DateTimeField(auto_now_add=True)),
                (
                    "digest",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="receipts",
                        to="comments.moderationdigest",
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("digest", "recipient"), name="digest_once_per_moderator"
                    )
                ],
            },
        ),
    ]
