from __future__ import annotations

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from articles.models import Article, Contributor, FAQEntry, Reference, ReviewStep, Topic
from comments.models import Comment
from core.markup import render_user_markdown

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Readers have a verified address unless told otherwise (verified=False)."""
        self.save()
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    kind = Topic.Kind.BIOMARKER
    description = "A topic used in tests."


class ContributorFactory(factory.django.DjangoModelFactory):
    """A public profile; pass user= to link it to an account (a reviewer's, say)."""

    class Meta:
        model = Contributor

    slug = factory.Sequence(lambda n: f"contributor-{n}")
    name = factory.Sequence(lambda n: f"Contributor Number{n}")
    credentials = "PhD"
    role = "Science writer"
    affiliation = "A university hospital"
    bio = "Writes about *targeted* therapy."
    competing_interests = "None declared."


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article by default; pass status=Article.Status.DRAFT for a draft, and
    approved=True for content a medical reviewer approved (publishing it needs that)."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Article number {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    standfirst = "A short summary of the article."
    body = "## Background\n\nSome text about NCT02912949.\n\n## What it means\n\nMore text."
    kind = Article.Kind.NEWS
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    author = factory.SubFactory(UserFactory, is_staff=True)
    discussion_prompt = "What do you think?"

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if create and extracted:
            self.authors.set(extracted)

    @factory.post_generation
    def approved(self, create, extracted, **kwargs):
        """approved=True: its content has passed clinical review (approve() below)."""
        if create and extracted:
            approve(self)


class FAQEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FAQEntry

    article = factory.SubFactory(ArticleFactory)
    question = factory.Sequence(lambda n: f"Question {n}?")
    answer = "An answer with *emphasis*."


class ReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reference

    article = factory.SubFactory(ArticleFactory)
    label = "A trial registry entry"
    kind = Reference.Kind.TRIAL_REGISTRY
    identifier = "NCT02912949"


class CommentFactory(factory.django.DjangoModelFactory):
    """A published comment with a correct materialised path (pass parent= for a reply)."""

    class Meta:
        model = Comment

    article = factory.LazyAttribute(lambda o: o.parent.article if o.parent else ArticleFactory())
    author = factory.SubFactory(UserFactory, role=User.Role.PATIENT)
    parent = None
    in_reply_to = factory.SelfAttribute("parent")
    body = factory.Sequence(lambda n: f"Comment number {n} with *emphasis*.")
    body_html = factory.LazyAttribute(lambda o: render_user_markdown(o.body))
    status = Comment.Status.APPROVED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        parent = kwargs.get("parent")
        kwargs["depth"] = parent.depth + 1 if parent else 0
        comment = super()._create(model_class, *args, **kwargs)
        comment.place()
        return comment


class ModeratorFactory(UserFactory):
    """Staff who may decide about comments (the permission the Moderators group holds)."""

    is_staff = True

    @factory.post_generation
    def moderates(self, create, extracted, **kwargs):
        from django.contrib.auth.models import Permission

        if create:
            self.user_permissions.add(
                Permission.objects.get(
                    content_type__app_label="comments", codename="change_comment"
                )
            )


class ReviewerFactory(UserFactory):
    """A medical reviewer: staff with the permissions the Medical reviewers group holds."""

    is_staff = True

    @factory.post_generation
    def reviews(self, create, extracted, **kwargs):
        from django.contrib.auth.models import Permission

        if create:
            self.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="articles",
                    codename__in=["view_article", "review_article"],
                )
            )


def approve(article: Article, *, reviewer: User | None = None) -> ReviewStep:
    """Pass the article's working content through clinical review, as publishing needs: the
    site submits it, a medical reviewer (a new one unless given) approves it, through the
    review service. Any later change to the content needs another approval. Content already
    live (a scheduled article whose time came) has nothing left to review: its approval, as
    it would have been given before it was scheduled, is written as rows."""
    from articles import review
    from articles.revisions import article_content

    reviewer = reviewer or ReviewerFactory()
    working = review.article_review(article)
    if working is None:
        digest = article_content(article).digest()
        for action, by in (
            (ReviewStep.Action.SUBMITTED, None),
            (ReviewStep.Action.APPROVED, reviewer),
        ):
            step = ReviewStep.objects.create(
                article=article, content_digest=digest, action=action, by=by
            )
        return step
    review.review_step_record(
        article=article, revision=working.revision, by=None, action=review.Action.SUBMITTED
    )
    return review.review_step_record(
        article=article, revision=working.revision, by=reviewer, action=review.Action.APPROVED
    )
