"""The Medical reviewers group: they read articles (with their FAQ, references and topics) and
decide about them in clinical review (articles/review.py); they write nothing."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Medical reviewers"
PERMISSIONS = [
    ("articles", "view_article"),
    ("articles", "view_faqentry"),
    ("articles", "view_reference"),
    ("articles", "view_topic"),
    ("articles", "review_article"),
]


def create_group(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so the group can hold them.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)  # unset on migration stubs
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [("articles", "0007_clinical_review")]
    operations = [migrations.RunPython(create_group, remove_group)]
