"""Integrity: the comment a reply answers is kept apart from where the depth cap files it;
a moderator's approval answers the reports made so far; each moderator's digest is its own
send with its own receipt; a ban outlives the account, kept by a digest of the address."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac


def replies_answer_their_parent(apps, schema_editor):
    Comment = apps.get_model("comments", "Comment")
    Comment.objects.filter(parent__isnull=False).update(in_reply_to=models.F("parent"))


def bans_keep_the_address(apps, schema_editor):
    # As comments.models.address_digest does it today.
    for ban in apps.get_model("comments", "CommentBan").objects.select_related("user"):
        if ban.user_id and not ban.email_digest:
            address = ban.user.email.strip().lower()
            ban.email_digest = salted_hmac("comments.ban", address, algorithm="sha256").hexdigest()
            ban.save(update_fields=["email_digest"])


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
        migrations.AlterField(
            model_name="commentban",
            name="user",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="comment_ban",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="commentban",
            name="email_digest",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.RunPython(bans_keep_the_address, migrations.RunPython.noop),
    ]
