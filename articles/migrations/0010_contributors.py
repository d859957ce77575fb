"""Contributors: public profiles of the people credited on articles, an article's named authors,
and the approval of the content readers are given.

Nothing is lost and no content changes: an article keeps its author account, which stays its
byline while no contributor is named, and every account that is a byline now (one with a display
name other than the editors' collective one) gets a profile, linked to it, so its byline links
to a page. Their competing interests are not known, so they read "Not yet declared." until an
editor fills them in. Existing revisions hold no authors; an empty list is left out of the
content fingerprint, so every recorded content and approval keeps its fingerprint.

The approval of each public article is its latest step on the content of its newest publication
revision (what the publish services recorded when it went live), if that step is an approval.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models
from django.utils.text import slugify

GROUP_PERMISSIONS = {
    "Editors": ["add_contributor", "change_contributor", "view_contributor"],
    "Medical reviewers": ["view_contributor"],
}
NOT_YET_DECLARED = "Not yet declared."


def grant_permissions(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so groups can hold them.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)  # unset on migration stubs
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="articles", codename__in=codenames
                )
            )


def profiles_for_bylines(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Contributor = apps.get_model("articles", "Contributor")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    group_byline = f"{settings.SITE_NAME} editors"
    authors = (
        User.objects.filter(pk__in=Article.objects.values("author_id"))
        .exclude(display_name="")
        .exclude(display_name=group_byline)
        .order_by("pk")
    )
    taken = set(Contributor.objects.values_list("slug", flat=True))
    for user in authors:
        base = slugify(user.display_name)[:70] or "contributor"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        Contributor.objects.create(
            user=user, slug=slug, name=user.display_name, competing_interests=NOT_YET_DECLARED
        )


def approvals_of_public_articles(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    ArticleRevision = apps.get_model("articles", "ArticleRevision")
    ReviewStep = apps.get_model("articles", "ReviewStep")
    for article in Article.objects.filter(status__in=("published", "scheduled")):
        published = (
            ArticleRevision.objects.filter(article=article, kind="publication")
            .order_by("-pk")
            .first()
        )
        if published is None:
            continue
        step = (
            ReviewStep.objects.filter(article=article, content_digest=published.content_digest)
            .order_by("-pk")
            .first()
        )
        if step is not None and step.action == "approved":
            Article.objects.filter(pk=article.pk).update(approval=step)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0009_article_search_vector"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="approval",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="articles.reviewstep",
            ),
        ),
        migrations.AlterField(
            model_name="article",
            name="author",
            field=models.ForeignKey(
                blank=True,
                help_text="Who answers for the article: told of its comments, never its medical reviewer; the byline when no contributor is named. Defaults to you.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="articles",
                to=settings.AUTH_USER_MODEL,
                verbose_name="author account",
            ),
        ),
        migrations.CreateModel(
            name="Contributor",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "slug",
                    models.SlugField(help_text="Their page's address.", max_length=80, unique=True),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="As readers should see it, without titles.", max_length=120
                    ),
                ),
                (
                    "credentials",
                    models.CharField(
                        blank=True,
                        help_text="Degrees and qualifications, such as “MD, PhD”.",
                        max_length=80,
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        blank=True,
                        help_text="What they do, such as “Medical reviewer”.",
                        max_length=120,
                    ),
                ),
                (
                    "affiliation",
                    models.CharField(
                        blank=True,
                        help_text="Where they work: a hospital, university or us.",
                        max_length=200,
                    ),
                ),
                (
                    "bio",
                    models.TextField(
                        blank=True, help_text="A short biography. Markdown: emphasis, links."
                    ),
                ),
                ("bio_html", models.TextField(default="", editable=False)),
                (
                    "competing_interests",
                    models.TextField(
                        help_text="Required. Write “None declared” when there are none: it is a statement, never left blank."
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        blank=True,
                        help_text="The account of this person, if they have one: a medical reviewer's approvals are credited to this profile, and articles by this account without named contributors too.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="contributor",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ("name", "pk"),
            },
        ),
        migrations.AddField(
            model_name="article",
            name="authors",
            field=models.ManyToManyField(
                blank=True,
                help_text="The contributors named in the byline, in name order. Left empty, the byline is the author account's profile (or its display name).",
                related_name="articles",
                to="articles.contributor",
                verbose_name="written by",
            ),
        ),
        migrations.AddConstraint(
            model_name="contributor",
            constraint=models.CheckConstraint(
                condition=models.Q(("competing_interests", ""), _negated=True),
                name="contributor_declares_interests",
            ),
        ),
        migrations.RunPython(grant_permissions, migrations.RunPython.noop),
        migrations.RunPython(profiles_for_bylines, migrations.RunPython.noop),
        migrations.RunPython(approvals_of_public_articles, migrations.RunPython.noop),
    ]
