"""Clinical review: a medical reviewer approves exactly the content that goes on the site.

What is reviewed is an article's working content: the rows of an article not yet live, or the
unpublished changes (articles/drafts.py) of a live one. Each review action is a ReviewStep on
the revision holding that content, with its content digest; the state of a content is its
latest step (none: a draft). So an approval holds for that content only: any save that changes
it makes another digest, which has no steps, and the article is a draft again until it is
submitted and approved anew. The publish services (articles/services.py) ask `content_approval`
before any content reaches readers, and keep the approval it gives on the article.

Editors (change_article) submit and withdraw; medical reviewers (review_article) approve or
request changes (with a note), never on changes they made or an article they are the author of.
Every step is kept; its mail leaves through Celery once the transaction commits
(articles/emails.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet, TextChoices
from django.utils import timezone

from articles import drafts, emails
from articles.models import Article, ArticleRevision, Contributor, ReviewStep
from articles.revisions import (
    article_content,
    article_revision_list,
    article_revision_save,
    revision_contents,
    when,
)
from core.people import permission_holders

log = logging.getLogger(__name__)

REVIEW_PERMISSION = "articles.review_article"
EDIT_PERMISSION = "articles.change_article"
Action = ReviewStep.Action


class State(TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"


# States in which content waits to be decided about or to be published.
SUBMITTED_STATES = (State.IN_REVIEW, State.APPROVED)

STATE_OF_ACTION = {
    Action.SUBMITTED: State.IN_REVIEW,
    Action.CHANGES_REQUESTED: State.CHANGES_REQUESTED,
    Action.APPROVED: State.APPROVED,
    Action.WITHDRAWN: State.DRAFT,
}


class ReviewError(ValueError):
    """A review action that cannot be carried out, with a message for the person who asked."""


class ReviewForbidden(ReviewError):
    """The person lacks the right for this action at all (a 403 in the admin)."""


@dataclass(frozen=True)
class Review:
    """Where an article's working content stands in review. `revision` is the newest revision
    holding it (None when none does yet); `step` its latest step; `live` is True when the
    content is the unpublished changes of a live article."""

    digest: str
    revision: ArticleRevision | None
    step: ReviewStep | None
    live: bool

    @property
    def state(self) -> str:
        return STATE_OF_ACTION[self.step.action] if self.step else State.DRAFT

    @property
    def state_label(self) -> str:
        return State(self.state).label

    @property
    def approved(self) -> bool:
        return self.state == State.APPROVED

    def describe(self) -> str:
        """The state in a line: "In review since … (submitted by …)"."""
        step = self.step
        if step is None or step.action == Action.WITHDRAWN:
            return "Draft: not submitted for review."
        since = when(step.at)
        if step.action == Action.SUBMITTED:
            return f"In review since {since} (submitted by {step.by_name})."
        if step.action == Action.APPROVED:
            return f"Approved by {step.by_name} on {since}."
        return f"Changes requested by {step.by_name} on {since}: {step.note}"


def latest_step(article: Article, digest: str) -> ReviewStep | None:
    """The latest review step on this content of the article, if any."""
    return (
        ReviewStep.objects.filter(article_id=article.pk, content_digest=digest)
        .select_related("by")  # pragma: no mutate (a query less, not a rule)
        .order_by("-pk")
        .first()
    )


def content_approval(article: Article, digest: str) -> ReviewStep | None:
    """The approval this content of the article stands on, or None when it is not approved:
    the one question publishing asks."""
    step = latest_step(article, digest)
    return step if step is not None and step.action == Action.APPROVED else None


_UNREAD = object()


def article_review(article: Article, *, draft=_UNREAD) -> Review | None:
    """The review of the article's working content; None for a live article without
    unpublished changes (there is nothing to review). `draft`: a live article's draft
    (articles.drafts.article_draft) when the caller has read it."""
    if article.is_public:
        draft = drafts.article_draft(article) if draft is _UNREAD else draft
        if draft is None:
            return None
        return Review(draft.content_digest, draft, latest_step(article, draft.content_digest), True)
    digest = article_content(article).digest()
    # The newest edit holding it (not a change of state recorded since, which holds it too).
    holding = article_revision_list(article).filter(content_digest=digest)
    revision = holding.exclude(kind=ArticleRevision.Kind.PUBLICATION).first() or holding.first()
    return Review(digest, revision, latest_step(article, digest), False)


def article_review_steps(article: Article) -> QuerySet[ReviewStep]:
    """Every review step of the article, newest first, with who took it."""
    return article.review_steps.select_related("by", "revision__revision").order_by("-pk")


def reviewers() -> QuerySet:
    """Active people with an address given the review permission (by a group or to
    themselves). Superusers hold every permission but are not written to unless given it."""
    return permission_holders(REVIEW_PERMISSION)


def may_submit(user) -> bool:
    return user.has_perm(EDIT_PERMISSION)


def may_decide(user) -> bool:
    return user.has_perm(REVIEW_PERMISSION)


def review_step_record(
    *,
    article: Article,
    revision: ArticleRevision | None,
    by: AbstractBaseUser | None,
    action: str,
    note: str = "",
    mail: bool = True,
) -> ReviewStep:
    """Take one review step on the article's working content, from its locked row.

    `revision` is the one the person saw; refused (ReviewError) when the content changed since.
    None means the working content now (the publish services' status choices). `by` None is
    the site itself, which may submit or withdraw but never decide. `mail` False: nobody is
    told (the demo seed's published articles). Callers keep the article's status in step
    (article_review_step below, articles.services.article_status_change).
    """
    note = note.strip()
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if revision is not None and revision.article_id != current.pk:
            raise ReviewError("That revision belongs to another article.")
        _check_right(by, action)
        review = article_review(current)
        if review is None:
            raise ReviewError(f"“{current}” has no unpublished changes to review.")
        if revision is not None and revision.content_digest != review.digest:
            raise ReviewError(
                f"That revision of “{current}” is no longer its newest content: it was changed "
                "since. Nothing was done; look at the article again."
            )
        _check_state(current, review, by, action, note)
        step = ReviewStep.objects.create(
            article=current,
            revision=revision or review.revision,
            content_digest=review.digest,
            action=action,
            by=by,
            note=note,
        )
        if mail:
            emails.review_mail_queue(step, recipients=_concerned(current, step, review))
    return step


def _check_right(by: AbstractBaseUser | None, action: str) -> None:
    if action in (Action.APPROVED, Action.CHANGES_REQUESTED):
        if by is None or not may_decide(by):
            raise ReviewForbidden("Only medical reviewers can approve or request changes.")
    elif by is not None and not may_submit(by):
        raise ReviewForbidden("Only editors can submit an article for review or withdraw it.")


def _check_state(current: Article, review: Review, by, action: str, note: str) -> None:
    state = review.state
    if action == Action.SUBMITTED:
        if state in SUBMITTED_STATES:
            raise ReviewError(f"“{current}” is already {state.label.lower()}: {review.describe()}")
        if not current.title or not current.body.strip():
            raise ReviewError(f"“{current}” needs a title and a body before it can be reviewed.")
        return
    if state != State.IN_REVIEW:
        raise ReviewError(
            f"“{current}” is not in review ({review.describe()}); nothing was done. Look at the "
            "article again."
        )
    if action == Action.WITHDRAWN:
        return
    if action == Action.CHANGES_REQUESTED and not note:
        raise ReviewError("Say what needs changing: a request for changes needs a note.")
    if took_part(current, review, by):
        raise ReviewError(
            f"You wrote some of the changes to “{current}” under review, or you are its author: "
            "another medical reviewer must decide about them."
        )


def took_part(current: Article, review: Review, by: AbstractBaseUser) -> bool:
    """Whether `by` is the content's author (its author account, or a contributor it names
    whose profile is theirs) or saved any content since the last approval."""
    if review.revision is not None:
        (content,) = revision_contents(review.revision)
        author, named = content.fields.get("author"), content.fields.get("authors") or ()
    else:
        author, named = current.author_id, current.authors.values_list("pk", flat=True)
    if author == by.pk or Contributor.objects.filter(pk__in=list(named), user_id=by.pk).exists():
        return True
    last_approved = (
        ReviewStep.objects.filter(article=current, action=Action.APPROVED)
        .order_by("-pk")
        .values_list("revision_id", flat=True)
        .first()
    )
    changes = drafts.content_revisions(current).filter(revision__user_id=by.pk)
    return changes.filter(pk__gt=last_approved or 0).exists()


def _concerned(current: Article, step: ReviewStep, review: Review) -> list:
    """Who hears of a step: every reviewer of a submission; the revision's author and its
    submitter of a decision. Never the person who took it; nobody of a withdrawal."""
    if step.action == Action.SUBMITTED:
        people = list(reviewers().exclude(pk=step.by_id))
    elif step.action in (Action.APPROVED, Action.CHANGES_REQUESTED):
        submitted = (
            ReviewStep.objects.filter(
                article=current, content_digest=review.digest, action=Action.SUBMITTED
            )
            .select_related("by")  # pragma: no mutate (a query less, not a rule)
            .order_by("-pk")
            .first()
        )
        author = step.revision.revision.user if step.revision else None
        people = [author, submitted.by if submitted else None]
    else:
        people = []
    unique = {p.pk: p for p in people if p is not None and p.is_active and p.pk != step.by_id}
    return [person for person in unique.values() if person.email]


# Keeping the article's status in step ---------------------------------------------------------
# The notes of the revisions that file an article away from the site.
FILED_NOTES = {
    Article.Status.DRAFT: "back to draft",
    Article.Status.IN_REVIEW: "submitted for review",
}


def state_record(*, article: Article, by: AbstractBaseUser | None, note: str) -> None:
    """Record a change of the article's state as a revision (as the publish services do)."""
    article_revision_save(article=article, by=by, note=note, kind=ArticleRevision.Kind.PUBLICATION)


def article_file(article: Article, status: str) -> str:
    """File an article that is off the site as a draft or in review; what was done, in words."""
    if (
        Article.objects.filter(
            pk=article.pk, status__in=(Article.Status.DRAFT, Article.Status.IN_REVIEW)
        )
        .exclude(status=status)
        .update(status=status, updated_at=timezone.now())
    ):
        return FILED_NOTES.get(status, "status changed")  # pragma: no mutate (never reached)
    return ""


# The status an article off the site takes after each review step (approval leaves it as it is).
FILED_BY_STEP = {
    Action.SUBMITTED: Article.Status.IN_REVIEW,
    Action.CHANGES_REQUESTED: Article.Status.DRAFT,
    Action.WITHDRAWN: Article.Status.DRAFT,
}


def article_review_step(
    *,
    article: Article,
    revision: ArticleRevision,
    by: AbstractBaseUser,
    action: str,
    note: str = "",
    mail: bool = True,
) -> ReviewStep:
    """A review step taken in the admin (articles.review_step_record: its rules, its
    mail); an article off the site moves between draft and in review with it, recorded."""
    with transaction.atomic():
        step = review_step_record(
            article=article, revision=revision, by=by, action=action, note=note, mail=mail
        )
        if (status := FILED_BY_STEP.get(action)) and (done := article_file(article, status)):
            if action == Action.CHANGES_REQUESTED:
                done = f"changes requested by {step.by_name}"
            state_record(article=article, by=by, note=done[0].upper() + done[1:])
    article.refresh_from_db(fields=["status", "published_at", "updated_at"])  # pragma: no mutate
    return step


def article_state_follow_content(*, article: Article) -> None:
    """After an edit of an article off the site: content no longer submitted (its digest has
    no steps) leaves review, back to draft; and since a scheduled article goes public at its
    time by itself (Article.objects.published()), one whose content is not the approved content
    is taken off the schedule at once, back to draft, to be approved and scheduled again.
    What was done is in the article's history."""
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if current.is_public or current.status == Article.Status.DRAFT:
            return
        working = article_review(current)
        if current.status == Article.Status.SCHEDULED:
            if working.approved:
                return
            note = "Schedule cancelled: its content changed after approval"
        elif working.state not in SUBMITTED_STATES:
            note = "Back to draft: its content changed after it was submitted for review"
        else:
            return
        Article.objects.filter(pk=current.pk, status=current.status).update(
            status=Article.Status.DRAFT, published_at=None, approval=None, updated_at=timezone.now()
        )
        log.info("article %s: %s", current.pk, note)
        state_record(article=current, by=None, note=note)
    article.refresh_from_db(fields=["status", "published_at", "updated_at"])  # pragma: no mutate
