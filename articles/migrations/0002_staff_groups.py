"""Editors and Moderators, each with only the permissions its work needs on articles.

Later apps (comments, newsletter) add their own permissions to these groups in their own
migrations, so this app knows nothing of them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = [
    ("articles", "article", ["add", "change", "delete", "view"]),
    ("articles", "faqentry", ["add", "change", "delete", "view"]),
    ("articles", "reference", ["add", "change", "delete", "view"]),
    ("articles", "topic", ["add", "change", "view"]),
]
MODERATORS = [
    ("articles", "article", ["view"]),
    ("articles", "topic", ["view"]),
]


def _codenames(spec):
    for app_label, model, actions in spec:
        for action in actions:
            yield app_label, f"{action}_{model}"


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so groups can hold them.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)  # unset on migration stubs
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, spec, extra in (
        ("Editors", EDITORS, [("articles", "publish_article")]),
        ("Moderators", MODERATORS, []),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in [*_codenames(spec), *extra]:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Moderators"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
