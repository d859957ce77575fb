"""Subscribers who bounced, complained or were suspended before the suppression list existed
go on it, so that the one list holds every address no mail of ours goes to."""

from django.db import migrations

REASONS = {"bounced": "bounced", "complained": "complained", "suspended": "suspended"}


def suppress(apps, schema_editor):
    Subscriber = apps.get_model("newsletter", "Subscriber")
    Suppression = apps.get_model("core", "Suppression")
    active = set(Suppression.objects.filter(lifted_at__isnull=True).values_list("email", flat=True))
    rows = [
        Suppression(email=email, reason=REASONS[status], detail="newsletter subscriber status")
        for email, status in Subscriber.objects.filter(status__in=REASONS).values_list(
            "email", "status"
        )
        if email not in active
    ]
    Suppression.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_suppressions"),
        ("newsletter", "0011_provider_events_and_subscriber_states"),
    ]

    operations = [migrations.RunPython(suppress, migrations.RunPython.noop)]
