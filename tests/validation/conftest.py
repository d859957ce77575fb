"""The standard validators over a set of pages fetched once per run.

One session-scoped fixture seeds the demo content (plus a comment and an article made "now",
as live ones are), fetches every page through the test client inside a transaction it rolls
back, writes the pages to a temporary folder and runs the Nu Html Checker once over them all.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from articles.demo import FOUNDING_ARTICLE_SLUG

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = os.environ.get("VNU_JAR") or next(
    (str(p) for p in sorted(ROOT.glob(".tools/vnu-*/node_modules/vnu-jar/build/dist/vnu.jar"))),
    "",
)
JAVA = shutil.which("java")
# CI must run the checker; a bare machine without it skips with a reason (make validators).
REQUIRE_VALIDATORS = os.environ.get("CI") == "true" or os.environ.get("REQUIRE_BROWSER") == "1"
FOUNDING = FOUNDING_ARTICLE_SLUG


@dataclass
class Fetched:
    html: dict[str, str] = field(default_factory=dict)  # page name -> HTML
    documents: dict[str, str] = field(default_factory=dict)  # feeds, sitemap -> text
    vnu_errors: dict[str, list[dict]] = field(default_factory=dict)


def _grant_staff_groups() -> None:
    # The same functions as the `staff_groups` fixture: transactional tests flush them away.
    importlib.import_module("articles.migrations.0002_staff_groups").create_groups(apps, None)
    importlib.import_module("articles.migrations.0008_medical_reviewers").create_group(apps, None)
    importlib.import_module("articles.migrations.0010_contributors").grant_permissions(apps, None)
    importlib.import_module("comments.migrations.0002_staff_permissions").grant(apps, None)
    importlib.import_module("comments.migrations.0003_moderator_user_lookup").grant(apps, None)
    importlib.import_module("newsletter.migrations.0003_editor_permissions").grant(apps, None)
    importlib.import_module("evidence.migrations.0002_staff_permissions").grant(apps, None)


def _fetch_everything(tmp: Path) -> Fetched:
    from accounts.models import User
    from articles.models import Article
    from comments.models import Comment
    from core.models import Suppression
    from newsletter.models import Delivery, Edition, Subscriber
    from newsletter.provider_events import provider_event_record
    from tests.factories import ArticleFactory, CommentFactory, UserFactory

    _grant_staff_groups()
    call_command("seed_demo", "--quiet-logins", stdout=io.StringIO())
    call_command("seed_trials", stdout=io.StringIO())  # the founding article's trial card
    call_command("seed_discussion", stdout=io.StringIO())
    call_command("seed_newsletter", stdout=io.StringIO())

    article = Article.objects.get(slug=FOUNDING)
    now = timezone.now()
    # Made "now", with microseconds, as a comment posted live and an article published live are.
    reader = UserFactory(role="patient", display_name="Live Reader")
    live = CommentFactory(article=article, author=reader, body="Posted a moment ago.")
    CommentFactory(parent=live, body="A reply to it.")
    CommentFactory(article=article, status=Comment.Status.PENDING, body="Waiting for a moderator.")
    topic = article.topics.first()
    group = ArticleFactory(
        title="Published just now by the editors",
        slug="published-just-now",
        author=None,
        published_at=now - timedelta(seconds=1),
        topics=[topic],
    )
    edition = Edition.objects.filter(status=Edition.Status.SENT).first() or Edition.objects.create(
        subject="This week", status=Edition.Status.SENT, started_at=now, finished_at=now
    )
    # A complaint the provider reported: the sent edition's page shows its figures, its events
    # and the complaint warning.
    complainer, _ = Subscriber.objects.get_or_create(email="spam-button@example.org")
    Delivery.objects.get_or_create(
        edition=edition, subscriber=complainer,
        defaults={"status": "sent", "sent_at": now, "provider_message_id": "validation-1"},
    )  # fmt: skip
    provider_event_record(
        provider="Postmark", kind="complained", event_id="validation-1",
        message_id="validation-1", recipient=complainer.email, occurred_at=now,
    )  # fmt: skip
    suppression = Suppression.objects.get(email=complainer.email)  # the complaint's

    # The founding trial's latest change on its card, and a reader who follows it.
    from evidence.models import Trial, TrialChange
    from newsletter import tokens
    from newsletter.models import TrialFollow

    trial = Trial.objects.get(nct_id="NCT02912949")
    TrialChange.objects.create(
        trial=trial, kind="status", old_status="RECRUITING", new_status="ACTIVE_NOT_RECRUITING",
        registry_date=now.date(), key="validation",
    )  # fmt: skip
    follower = UserFactory(display_name="Follower")
    follow = TrialFollow.objects.create(
        trial=trial, email=follower.email, user=follower, status="active", confirmed_at=now
    )
    pending = TrialFollow.objects.create(trial=trial, email="pending-follow@example.org")

    anonymous = Client()
    pages = {
        "home": "/",
        "article": article.get_absolute_url(),
        "article-now": group.get_absolute_url(),
        "article-review-due": "/articles/national-priority-voucher-pilot-explained/",
        "topic": topic.get_absolute_url(),
        "topics": "/topics/",
        "contributors": "/contributors/",
        "contributor-writer": "/contributors/oriel-marchetti-vance/",
        "contributor-reviewer": "/contributors/ines-calloway-brandt/",
        "search": "/search/?q=NRG1",
        "search-empty": "/search/?q=nothing-matches-this",
        "archive": "/articles/",
        "newsletter": "/newsletter/",
        "newsletter-archive": "/newsletter/archive/",
        "newsletter-edition": f"/newsletter/archive/{edition.pk}/",
        "not-found": "/no-such-page/",
        "login": "/accounts/login/",
        "signup": "/accounts/signup/",
    }
    fetched = Fetched()
    for name, url in pages.items():
        response = anonymous.get(url)
        assert response.status_code == (404 if name == "not-found" else 200), url
        fetched.html[name] = response.content.decode()

    confirm = tokens.follow_token(follow=pending, kind=tokens.LinkKind.FOLLOW_CONFIRM)
    unfollow = tokens.follow_token(follow=follow, kind=tokens.LinkKind.UNFOLLOW)
    for name, (method, url, data, status) in {
        "trial-follow-confirm": ("get", f"/newsletter/trials/confirm/{confirm}/", None, 200),
        "trial-unfollow": ("get", f"/newsletter/trials/unfollow/{unfollow}/", None, 200),
        "trial-follow-check-inbox": (
            "get", f"/newsletter/trials/check-your-inbox/?next={article.get_absolute_url()}",
            None, 200,
        ),
        "trial-follow-bad-link": ("get", f"/newsletter/trials/confirm/{confirm}x/", None, 400),
        "trial-unfollow-bad-link": ("get", "/newsletter/trials/unfollow/nonsense/", None, 400),
        "trial-follow-invalid": (
            "post", "/newsletter/trials/NCT02912949/follow/",
            {"email": "not an address", "next": article.get_absolute_url()}, 400,
        ),
        "trial-follow-confirmed": ("post", f"/newsletter/trials/confirm/{confirm}/", {}, 200),
    }.items():  # fmt: skip
        response = getattr(Client(), method)(url, data)
        assert response.status_code == status, (name, response.status_code)
        fetched.html[name] = response.content.decode()
    as_follower = Client()
    as_follower.force_login(follower)
    fetched.html["article-follower"] = as_follower.get(article.get_absolute_url()).content.decode()
    assert "Stop following" in fetched.html["article-follower"]
    assert "Status changed from Recruiting to Active, not recruiting" in fetched.html["article"]

    moderator = User.objects.filter(groups__name="Moderators").first()
    signed_in = Client()
    signed_in.force_login(moderator)
    fetched.html["article-moderator"] = signed_in.get(article.get_absolute_url()).content.decode()
    as_reader = Client()
    as_reader.force_login(reader)
    fetched.html["article-reader"] = as_reader.get(article.get_absolute_url()).content.decode()

    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True, display_name="Admin"))
    draft_edition = Edition.objects.create(subject="A draft edition", intro="Hello")
    draft_edition.featured.add(article)
    _unpublished_changes(group, title="Published just now, corrected")
    waiting = Article.objects.get(status=Article.Status.IN_REVIEW)
    due = Article.objects.get(slug="national-priority-voucher-pilot-explained")
    from evidence.models import Finding

    Finding.objects.create(  # what the weekly check of references would record
        article=article, kind="dead_link", target="https://example.org/moved & gone", notice="410",
        key="dead_link:validation",
    )  # fmt: skip
    for name, url in {
        "admin-article-changes": f"/admin/articles/article/{group.pk}/change/",
        "article-preview": f"{group.get_absolute_url()}preview/",
        "admin-edition": f"/admin/newsletter/edition/{draft_edition.pk}/change/",
        "admin-edition-sent": f"/admin/newsletter/edition/{edition.pk}/change/",
        "admin-article": f"/admin/articles/article/{article.pk}/change/",
        "admin-article-add": "/admin/articles/article/add/",
        "admin-contributor-add": "/admin/articles/contributor/add/",
        # The demo article waiting for clinical review: a superuser may decide about it.
        "admin-article-in-review": f"/admin/articles/article/{waiting.pk}/change/",
        # The demo article whose medical review is overdue, and the list of what is due.
        "admin-article-review-due": f"/admin/articles/article/{due.pk}/change/",
        "admin-articles-due": "/admin/articles/article/?review_due=due",
        "admin-findings": "/admin/evidence/finding/",
        "admin-suppressions": "/admin/core/suppression/",
        "admin-suppression-lift": f"/admin/core/suppression/{suppression.pk}/lift/",
        # Who follows which trial, and the trial with its change and the editors' mail.
        "admin-trial-follows": "/admin/newsletter/trialfollow/",
        "admin-trial": f"/admin/evidence/trial/{trial.pk}/change/",
    }.items():
        response = admin.get(url)
        assert response.status_code == 200, url
        fetched.html[name] = response.content.decode()
    assert "This article has unpublished changes" in fetched.html["admin-article-changes"]
    assert 'value="request_changes"' in fetched.html["admin-article-in-review"]
    assert "Published just now, corrected" in fetched.html["article-preview"]
    assert "Confirm the live article still stands" in fetched.html["admin-article-review-due"]
    assert due.title in fetched.html["admin-articles-due"]
    assert "Due for its scheduled medical review" in fetched.html["article-review-due"]
    assert "trial-card" in fetched.html["article"]
    assert "Cited references: 1 finding" in fetched.html["admin-article"]

    for name, url in {
        "rss": "/feed/rss/",
        "atom": "/feed/atom/",
        "topic-rss": f"/topics/{topic.slug}/feed/rss/",
        "topic-atom": f"/topics/{topic.slug}/feed/atom/",
        "sitemap": "/sitemap.xml",
    }.items():
        fetched.documents[name] = anonymous.get(url).content.decode()

    for name, html in fetched.html.items():
        (tmp / f"{name}.html").write_text(html, encoding="utf-8")
    return fetched


def _run_vnu(folder: Path) -> dict[str, list[dict]]:
    command = [
        JAVA,
        "-Xss4m",
        "-jar",
        VNU_JAR,
        "--format",
        "json",
        "--exit-zero-always",
        str(folder),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    messages = json.loads(result.stderr or "{}").get("messages", [])
    errors: dict[str, list[dict]] = {}
    for message in messages:
        if message.get("type") == "error" or message.get("subType") == "fatal":
            name = Path(message.get("url", "")).stem
            errors.setdefault(name, []).append(message)
    return errors


@pytest.fixture(scope="session")
def validated(django_db_setup, django_db_blocker, tmp_path_factory) -> Fetched:
    tmp = tmp_path_factory.mktemp("validated-pages")
    with (
        django_db_blocker.unblock(),
        override_settings(
            VAR_DIR=tmp_path_factory.mktemp("seed-var"), SITE_URL="http://testserver"
        ),
        transaction.atomic(),
    ):
        fetched = _fetch_everything(tmp)
        transaction.set_rollback(True)
    if JAVA and VNU_JAR:
        fetched.vnu_errors = _run_vnu(tmp)
    return fetched


@pytest.fixture
def vnu(validated) -> dict[str, list[dict]]:
    if not (JAVA and VNU_JAR):
        if REQUIRE_VALIDATORS:
            pytest.fail("the Nu Html Checker is missing: run `make validators`")
        pytest.skip("the Nu Html Checker is not installed (make validators)")
    return validated.vnu_errors


def _unpublished_changes(article, **fields) -> None:
    """A live article's draft, made as the admin's save makes one (articles/admin_drafts.py)."""
    from django.db import transaction

    from articles import revisions
    from articles.models import ArticleRevision

    with transaction.atomic():
        live = revisions.live_capture(article)
        for name, value in fields.items():
            setattr(article, name, value)
        article.save()
        revisions.article_revision_save(
            article=article, by=None, note="Corrected", kind=ArticleRevision.Kind.DRAFT
        )
        revisions.live_put_back(article, live)
