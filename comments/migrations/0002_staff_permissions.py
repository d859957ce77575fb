"""Moderators moderate comments; Editors can read them. Adds to the groups articles made."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Moderators": [
        "view_comment", "change_comment",
        "view_moderationdecision", "view_commentflag",
        "view_commentban", "add_commentban", "change_commentban", "delete_commentban",
    ],
    "Editors": ["view_comment", "view_moderationdecision"],
}  # fmt: skip


def grant(apps, schema_editor):
    app_config = apps.get_app_config("comments")
    original = getattr(app_config, "models_module", None)  # unset on migration stubs
    app_config.models_module = original or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="comments", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="comments"))


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0001_initial"),
        ("articles", "0002_staff_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
