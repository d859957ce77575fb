"""Moderators look readers up to ban them: the ban form's user search needs view on users."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    app_config = apps.get_app_config("accounts")
    original = getattr(app_config, "models_module", None)  # unset on migration stubs
    app_config.models_module = original or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    moderators.permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="view_user")
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Moderators"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="accounts", codename="view_user")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0002_staff_permissions"),
        ("accounts", "0002_reader_profile"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
