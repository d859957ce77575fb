"""Editors compose and send editions and can see subscribers and deliveries."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = [
    "add_edition", "change_edition", "view_edition",
    "view_delivery", "view_subscriber", "change_subscriber",
]  # fmt: skip


def grant(apps, schema_editor):
    app_config = apps.get_app_config("newsletter")
    original = getattr(app_config, "models_module", None)  # unset on migration stubs
    app_config.models_module = original or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = original
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name="Editors")
    group.permissions.add(
        *apps.get_model("auth", "Permission").objects.filter(
            content_type__app_label="newsletter", codename__in=EDITORS
        )
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name="Editors").first()
    if group:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="newsletter"))


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0002_editions_and_deliveries"),
        ("articles", "0002_staff_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
