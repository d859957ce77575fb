"""Load the demo discussion (comments/demo/) under the founding article. Idempotent: a second run
adds nothing."""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles.demo import FOUNDING_ARTICLE_SLUG, DemoDataError
from articles.models import Article
from comments.demo import DemoReader, load_discussion
from comments.models import Comment, ModerationDecision
from core.markup import render_user_markdown


class Command(BaseCommand):
    help = "Create the demo readers and their discussion of the founding article."

    def handle(self, *args, **options):
        try:
            discussion = load_discussion()
        except DemoDataError as exc:
            raise CommandError(f"Demo discussion not loaded: {exc}") from exc
        article = Article.objects.filter(slug=FOUNDING_ARTICLE_SLUG).first()
        if article is None:
            self.stdout.write("Demo discussion skipped: run seed_demo first.")
            return
        emails = [reader.email for reader in discussion.readers]
        if Comment.objects.filter(article=article, author__email__in=emails).exists():
            self.stdout.write("Demo discussion: already loaded.")
            return
        with transaction.atomic():
            readers = {data.email: self._reader(data) for data in discussion.readers}
            placed: dict[str, Comment] = {}
            for data in discussion.comments:
                comment = Comment.objects.create(
                    article=article,
                    author=readers[data.author],
                    parent=placed.get(data.parent),
                    depth=placed[data.parent].depth + 1 if data.parent else 0,
                    body=data.body,
                    body_html=render_user_markdown(data.body),
                    status=data.status,
                    helpful_count=data.helpful,
                    held_reason=data.held_reason,
                    needs_advice_note=data.advice,
                )
                comment.place()
                when = article.published_at + timedelta(minutes=data.minutes)
                Comment.objects.filter(pk=comment.pk).update(created_at=when)
                if data.status != Comment.Status.APPROVED:
                    action = (
                        ModerationDecision.Action.HOLD
                        if data.status == Comment.Status.PENDING
                        else ModerationDecision.Action.REJECT
                    )
                    ModerationDecision.objects.create(
                        comment=comment, action=action, reason="demo content"
                    )
                placed[data.key] = comment
        self.stdout.write(f"Demo discussion: {len(placed)} comments from {len(readers)} readers.")

    def _reader(self, data: DemoReader):
        user, created = get_user_model().objects.get_or_create(
            email=data.email,
            defaults={
                "display_name": data.display_name,
                "role": data.role,
                "expertise": data.expertise,
                "competing_interests": data.competing_interests,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user
