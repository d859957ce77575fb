"""Integrity: the comment a reply answers is kept apart from where the depth cap files it;
a moderator's approval answers the reports made so far."""

import django.db.models.deletion
from django.db import migrations, models


def replies_answer_their_parent(apps, schema_editor):
    Comment = apps.get_model("comments", "Comment")
    Comment.objects.filter(parent__isnull=False).update(in_reply_to=models.F("parent"))


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0003_moderator_user_lookup"),
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
    ]
