"""Editors and medical reviewers read the trials the articles cite, and their changes."""

from django.db import migrations

GROUPS = ("Editors", "Medical reviewers")
CODENAMES = ("view_trial", "view_trialchange")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("evidence")
    original = getattr(app_config, "models_module", None)  # unset on migration stubs
    app_config.models_module = original or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="evidence", codename__in=CODENAMES
    )
    for name in GROUPS:
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0001_initial"),
        ("articles", "0008_medical_reviewers"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
