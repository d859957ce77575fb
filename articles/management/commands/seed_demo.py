"""Load the demo content of articles/demo/ and the staff accounts. Idempotent: a second run adds
nothing.

Each new demo article goes through clinical review as any article does: the demo editor submits
it and, unless its file names no publication time, the demo medical reviewer approves it before
the site publishes it (quietly: no mail for those). One is left waiting for review, and its
submission mail goes to the reviewer."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles.demo import (
    DemoArticle,
    DemoContributor,
    DemoDataError,
    DemoTopic,
    load_articles,
    load_contributors,
    load_topics,
)
from articles.models import Article, Contributor, FAQEntry, Reference, ReviewStep, Topic
from articles.review import article_review, article_review_step
from articles.revisions import article_revision_save
from articles.services import article_publish

STAFF = (
    # (role, email, display name, group)
    ("editor", "editor@driverline.test", "Driverline editors", "Editors"),
    ("moderator", "moderator@driverline.test", "Driverline moderators", "Moderators"),
    ("reviewer", "reviewer@driverline.test", "Driverline medical reviewers", "Medical reviewers"),
)


class Command(BaseCommand):
    help = "Create the demo topics, articles and staff accounts (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print logins.")

    def handle(self, *args, **options):
        try:
            demo_topics, demo_articles = load_topics(), load_articles()
            demo_people = load_contributors()
        except DemoDataError as exc:
            raise CommandError(f"Demo content not loaded: {exc}") from exc
        credentials = self._credentials()
        with transaction.atomic():
            accounts = {
                role: self._staff(role, email, name, group, credentials[role])
                for role, email, name, group in STAFF
            }
            topics = self._topics(demo_topics)
            people = self._contributors(demo_people, accounts=accounts)
            created = self._articles(demo_articles, topics, people, accounts=accounts)
        self.stdout.write(
            f"Demo content: {len(topics)} topics, {Article.objects.count()} articles "
            f"({created} new)."
        )
        if not options["quiet_logins"]:
            self.stdout.write("")
            for role, email, *_ in STAFF:
                self.stdout.write(f"  {role:<10} {email}  password: {credentials[role]}")

    def _credentials(self) -> dict[str, str]:
        """Passwords are made on first run and kept in var/ (never committed)."""
        path = Path(settings.VAR_DIR) / "demo-logins.json"
        stored = json.loads(path.read_text()) if path.exists() else {}
        changed = False
        for role, *_ in STAFF:
            if not stored.get(role):
                stored[role] = secrets.token_urlsafe(12)
                changed = True
        if changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(stored, indent=2))
            path.chmod(0o600)
        return stored

    def _staff(self, role: str, email: str, name: str, group_name: str, password: str):
        user, _ = get_user_model().objects.get_or_create(
            email=email, defaults={"display_name": name, "is_staff": True}
        )
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        group = Group.objects.get(name=group_name)
        user.groups.add(group)
        # allauth requires a verified address before anyone signs in.
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def _topics(self, demo_topics: list[DemoTopic]) -> dict[str, Topic]:
        topics = {}
        for data in demo_topics:
            topic, _ = Topic.objects.get_or_create(slug=data.slug, defaults=vars(data))
            topics[topic.slug] = topic
        return topics

    def _contributors(
        self, demo_people: list[DemoContributor], *, accounts
    ) -> dict[str, Contributor]:
        """Profiles are added when missing, never changed; one links to its demo account unless
        that account has a profile already."""
        people = {}
        for data in demo_people:
            fields = {key: value for key, value in vars(data).items() if key != "account"}
            person = Contributor.objects.filter(slug=data.slug).first()
            if person is None:
                account = accounts.get(data.account)
                if account is not None and Contributor.objects.filter(user=account).exists():
                    account = None
                person = Contributor.objects.create(user=account, **fields)
            people[person.slug] = person
        return people

    def _articles(
        self,
        demo_articles: list[DemoArticle],
        topics: dict[str, Topic],
        people: dict[str, Contributor],
        *,
        accounts,
    ) -> int:
        author = accounts["editor"]
        created = 0
        for data in demo_articles:
            article, is_new = Article.objects.get_or_create(
                slug=data.slug,
                defaults={
                    "title": data.title,
                    "kind": data.kind,
                    "standfirst": data.standfirst,
                    "seo_description": data.seo_description,
                    "body": data.body,
                    "author": author,
                    "discussion_prompt": data.discussion_prompt,
                    "last_reviewed": data.last_reviewed,
                },
            )
            if not is_new:
                continue
            created += 1
            article.topics.set([topics[slug] for slug in data.topics])
            article.authors.set([people[slug] for slug in data.authors])
            for order, faq in enumerate(data.faqs):
                FAQEntry.objects.create(
                    article=article, question=faq.question, answer=faq.answer, order=order
                )
            for order, ref in enumerate(data.references):
                Reference.objects.create(article=article, order=order, **vars(ref))
            self._review_and_publish(article, data, accounts=accounts)
        return created

    def _review_and_publish(self, article: Article, data: DemoArticle, *, accounts) -> None:
        revision = article_revision_save(article=article, by=None, note="Demo content loaded")
        waiting = data.published is None
        article_review_step(
            article=article,
            revision=revision,
            by=accounts["editor"],
            action=ReviewStep.Action.SUBMITTED,
            mail=waiting,
        )
        if waiting:
            return
        article_review_step(
            article=article,
            revision=article_review(article).revision,
            by=accounts["reviewer"],
            action=ReviewStep.Action.APPROVED,
            mail=False,
        )
        article_publish(article=article, at=data.published)
        if data.next_review:
            Article.objects.filter(pk=article.pk).update(next_review=data.next_review)
