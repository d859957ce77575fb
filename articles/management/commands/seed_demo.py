"""Load the demo content and the staff accounts. Idempotent: a second run adds nothing."""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from articles import demo_content
from articles.models import Article, FAQEntry, Reference, Topic
from articles.services import article_publish

STAFF = (
    # (role, email, display name, group)
    ("editor", "editor@driverline.test", "Driverline editors", "Editors"),
    ("moderator", "moderator@driverline.test", "Driverline moderators", "Moderators"),
)


class Command(BaseCommand):
    help = "Create the demo topics, articles and staff accounts (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print logins.")

    def handle(self, *args, **options):
        credentials = self._credentials()
        with transaction.atomic():
            accounts = {
                role: self._staff(role, email, name, group, credentials[role])
                for role, email, name, group in STAFF
            }
            topics = self._topics()
            created = self._articles(topics, author=accounts["editor"])
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

    def _topics(self) -> dict[str, Topic]:
        topics = {}
        for data in demo_content.TOPICS:
            topic, _ = Topic.objects.get_or_create(slug=data["slug"], defaults=data)
            topics[topic.slug] = topic
        return topics

    def _articles(self, topics: dict[str, Topic], *, author) -> int:
        created = 0
        for data in demo_content.ARTICLES:
            fields = {
                key: data[key]
                for key in ("title", "kind", "standfirst", "seo_description", "body")
                if key in data
            }
            article, is_new = Article.objects.get_or_create(
                slug=data["slug"],
                defaults={
                    **fields,
                    "author": author,
                    "discussion_prompt": data.get("discussion_prompt", ""),
                    "last_reviewed": date.fromisoformat(data["last_reviewed"]),
                },
            )
            if not is_new:
                continue
            created += 1
            article.topics.set([topics[slug] for slug in data["topics"]])
            for order, (question, answer) in enumerate(data.get("faqs", [])):
                FAQEntry.objects.create(
                    article=article, question=question, answer=answer, order=order
                )
            for order, ref in enumerate(data.get("references", [])):
                Reference.objects.create(article=article, order=order, **ref)
            article_publish(article=article, at=datetime.fromisoformat(data["published"]))
        return created
