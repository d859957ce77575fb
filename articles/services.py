"""Every write with rules on articles. The admin, the schedule and the seed all come here.

Publication state (status and publication time) changes only here, and only from the locked row:
the caller says what it saw, and a row that changed since is left as the other person left it.
Every change of state is recorded as a revision of the article ("Published", "Scheduled for …"),
by the person who asked or by the site itself (None: the schedule, the seed). Only content a
medical reviewer approved reaches readers (articles/review.py, whose steps also move an article
off the site between draft and in review, and take an edited one off the schedule).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from articles import corrections, drafts, review, review_dates
from articles.models import Article, ArticleRevision, ReviewStep
from articles.review import state_record
from articles.revisions import (
    EDITED_FIELDS,
    FormChanges,
    LiveContent,
    article_content,
    article_edit_revision,
    article_revision_baseline,
    article_revision_save,
    content_apply,
    live_put_back,
    revision_contents,
    revision_restore,
    when,
)

log = logging.getLogger(__name__)

PUBLISH_PERMISSION = "articles.publish_article"

# What an editor's save changes; status and publication time change only through the
# publication services below.
CONTENT_FIELDS = [
    field.name
    for field in Article._meta.concrete_fields
    if field.name not in ("id", "status", "published_at", "created_at", "approval")
]


class PublishError(ValueError):
    """A publishing request that cannot be carried out, with a message for the editor."""


class NotApproved(PublishError):
    """The content asked to reach readers is not the content a medical reviewer approved."""


def _check_approved(article: Article, digest: str, *, what: str) -> ReviewStep:
    """The approval of the content; whoever asks, the site included, only approved content
    reaches readers (articles/review.py), and the article keeps which approval that was."""
    approval = review.content_approval(article, digest)
    if approval is None:
        raise NotApproved(
            f"“{article}” cannot be published or scheduled: a medical reviewer has not approved "
            f"{what} (any change after an approval needs review again). Nothing was published; "
            "submit it for review first."
        )
    return approval


def _check_publish_right(by: AbstractBaseUser | None) -> None:
    # None is the site itself (the schedule, the seed); a person needs the publish permission.
    if by is not None and not by.has_perm(PUBLISH_PERMISSION):
        raise PublishError(
            "Your edits are saved, but only editors who may publish can publish, schedule or "
            "unpublish an article; its publication is unchanged."
        )


def _locked(article: Article) -> Article:
    """The row under its lock, refused if its publication state moved since `article` was read."""
    current = Article.objects.select_for_update().get(pk=article.pk)
    if (current.status, current.published_at) != (article.status, article.published_at):
        raise PublishError(
            f"“{current}” was changed by someone else meanwhile (it is now "
            f"{current.get_status_display().lower()}); nothing was done. Reload it and try again."
        )
    return current


def article_edit_save(*, article: Article, by: AbstractBaseUser, created: bool) -> Article:
    """Save an editor's edits to the content, never to the publication state: a new article
    starts as a draft with no time, and an existing one keeps the state it has in the
    database, whatever the instance says. `by` becomes the author when none is named.
    For a live article the rows hold the edit only until article_edit_finish records it as a
    draft and puts the live content back, in the same transaction."""
    if article.author_id is None:
        article.author = by
    if created:
        article.status, article.published_at = Article.Status.DRAFT, None
        article.save()
    else:
        article_revision_baseline(article=article)
        article.save(update_fields=CONTENT_FIELDS)
        article.refresh_from_db(fields=["status", "published_at"])  # pragma: no mutate
    return article


def article_edit_finish(
    *,
    article: Article,
    by: AbstractBaseUser,
    note: str,
    changes: FormChanges,
    created: bool,
    status: str,
    live: LiveContent | None,
) -> ArticleRevision | None:
    """Record an editor's save once the admin has written it, FAQ and references included.

    `live` is what readers saw of a live article before the save (None if it was not live). One
    that stays live keeps it: the save becomes its unpublished changes (a draft revision) and the
    rows are put back as they were, in the same transaction. Taking it off the site in the same
    save (a publisher choosing another status) makes it an ordinary edit of the rows.
    """
    taken_off = status not in Article.PUBLIC_STATUSES and by.has_perm(PUBLISH_PERMISSION)
    if live is None or taken_off:
        revision = article_edit_revision(
            article=article, by=by, note=note, changes=changes, created=created
        )
        review.article_state_follow_content(article=article)
        return revision
    same_as_live = article_content(article).digest() == live.content.digest()
    kind = ArticleRevision.Kind.EDIT if same_as_live else ArticleRevision.Kind.DRAFT
    revision = article_edit_revision(
        article=article, by=by, note=note, changes=changes, created=created, kind=kind
    )
    live_put_back(article, live)
    return revision


def article_revision_publish(
    *,
    article: Article,
    revision: ArticleRevision,
    by: AbstractBaseUser | None,
    kind: str,
    note: str = "",
) -> ArticleRevision:
    """Put a live article's unpublished changes (`revision`, its draft) on the site: its content
    becomes the rows readers see, recorded as a publication revision with the change's `kind`
    and public `note` (articles/corrections.py), in one transaction.

    The one way a revision's content reaches a live article; `by` needs the publish permission.
    Refused (PublishError) when `revision` is not the article's draft any more: newer changes
    were saved, or they were published or discarded meanwhile; or the kind or note will not do.
    """
    if by is not None and not by.has_perm(PUBLISH_PERMISSION):
        raise PublishError(
            "Only editors who may publish can put changes on the site; the live article is "
            "unchanged and the changes are kept."
        )
    if refusal := corrections.change_refusal(kind=kind, note=note):
        raise PublishError(f"{refusal} Nothing was published.")
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if revision.article_id != current.pk:
            raise PublishError("Those changes belong to another article.")
        draft = drafts.article_draft(current)
        if draft is None or draft.pk != revision.pk:
            raise PublishError(
                f"Those are no longer the unpublished changes of “{current}”"
                + (": newer ones were saved meanwhile" if draft else "")
                + ". Nothing was published; look at the article again."
            )
        approval = _check_approved(current, draft.content_digest, what="its unpublished changes")
        _draft_apply(current, draft)
        due = review_dates.due_on_approval(current, approval)
        Article.objects.filter(pk=current.pk).update(approval=approval, next_review=due)
        log.info("article %s: changes of revision %s published", current.pk, draft.pk)
        published = article_revision_save(
            article=current,
            by=by,
            note=f"Published the changes of {when(draft.created_at)} by {draft.by}, as "
            + corrections.IN_WORDS[kind],
            kind=ArticleRevision.Kind.PUBLICATION,
        )
        corrections.change_record(
            revision=published, kind=kind, note=note, by=by, at=published.created_at
        )
    article.refresh_from_db()
    return published


def _draft_apply(current: Article, draft: ArticleRevision) -> None:
    (content,) = revision_contents(draft)
    slug = content.fields.get("slug")
    if Article.objects.filter(slug=slug).exclude(pk=current.pk).exists():
        raise PublishError(
            f"The changes give “{current}” the address “{slug}”, which another article has "
            "taken since; nothing was done. Change the address in the article and try again."
        )
    content_apply(current, content, fields=EDITED_FIELDS)


def article_draft_discard(
    *, article: Article, revision: ArticleRevision, by: AbstractBaseUser
) -> ArticleRevision:
    """Set a live article's unpublished changes (`revision`) aside: the live content is recorded
    as the newest revision, so the change form shows it again. The draft stays in the history."""
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        draft = drafts.article_draft(current)
        if draft is None or draft.pk != revision.pk:
            raise PublishError(
                f"Those are no longer the unpublished changes of “{current}”; nothing was "
                "discarded. Look at the article again."
            )
        return article_revision_save(
            article=current,
            by=by,
            note=f"Discarded the unpublished changes of {when(draft.created_at)} by {draft.by}",
            kind=ArticleRevision.Kind.DISCARD,
        )


def article_publish(
    *, article: Article, at: datetime | None = None, by: AbstractBaseUser | None = None
) -> Article:
    """Publish now, or schedule for `at` when that lies in the future.

    Acts only on the state `article` was read in: the periodic task's due list, read a moment
    before an editor unpublished or rescheduled, publishes nothing (PublishError). A live article
    (`is_public`) stays live: publishing it again keeps its time (or takes a past `at` as its
    corrected time), and a future `at` is refused, since scheduling it would take it off the site.
    `by` is who asks (None for the site itself) and needs the publish permission to change anything.
    """
    now = timezone.now()
    if at is not None and timezone.is_naive(at):
        raise PublishError("The publication time needs a time zone.")
    with transaction.atomic():
        current = _locked(article)
        if current.is_public:
            if at is not None and at > now:
                raise PublishError(
                    f"“{current}” is already live. To schedule it for later, unpublish it first."
                )
            status, published_at = Article.Status.PUBLISHED, at or current.published_at
        elif at is not None and at > now:
            status, published_at = Article.Status.SCHEDULED, at
        else:
            status, published_at = Article.Status.PUBLISHED, at or now
        if (status, published_at) != (current.status, current.published_at):
            _check_publish_right(by)
            if not current.title or not current.body.strip():
                raise PublishError(
                    f"“{current}” needs a title and a body before it can be published."
                )
            approval, next_review = current.approval_id, current.next_review
            if current.status != Article.Status.PUBLISHED:  # its content is new to readers
                digest = article_content(current).digest()
                step = _check_approved(current, digest, what="its content")
                approval, next_review = step.pk, review_dates.due_on_approval(current, step)
            # Conditional on the state under the lock: on SQLite, where the lock is not a row lock.
            state = {"status": status, "published_at": published_at}
            Article.objects.filter(
                pk=current.pk, status=current.status, published_at=current.published_at
            ).update(**state, approval=approval, next_review=next_review, updated_at=now)
            log.info("article %s %s for %s", current.pk, status, published_at)
            note = _publish_note(current, status, published_at, by, now)
            state_record(article=article, by=by, note=note)
    article.refresh_from_db(fields=["status", "published_at", "updated_at"])  # pragma: no mutate
    return article


def article_unpublish(*, article: Article, by: AbstractBaseUser | None = None) -> Article:
    """Take a live or scheduled article off the site (back to draft); its URL answers 404 again.

    Unpublishing wins over whatever the schedule did meanwhile, so it works from the locked row
    rather than from the state `article` was read in; drafts and articles in review are left alone.
    """
    with transaction.atomic():
        if note := _take_off(article, by):
            state_record(article=article, by=by, note=note)
    article.refresh_from_db(fields=["status", "published_at", "updated_at"])  # pragma: no mutate
    return article


def _take_off(article: Article, by: AbstractBaseUser | None) -> str:
    """Unpublish from the locked row; what was done, in words ("" when nothing was)."""
    current = Article.objects.select_for_update().get(pk=article.pk)
    if current.status not in Article.PUBLIC_STATUSES:
        return ""
    _check_publish_right(by)
    # Off the site, the rows are the working copy again: unpublished changes move into them.
    if draft := drafts.article_draft(current):
        _draft_apply(current, draft)
    Article.objects.filter(pk=current.pk, status__in=Article.PUBLIC_STATUSES).update(
        status=Article.Status.DRAFT, published_at=None, approval=None, updated_at=timezone.now()
    )
    log.info("article %s unpublished", current.pk)
    note = "Unpublished" if current.is_public else "Schedule cancelled"
    return f"{note}, with its unpublished changes" if draft else note


def article_status_change(
    *,
    article: Article,
    status: str,
    at: datetime | None = None,
    by: AbstractBaseUser | None = None,
) -> Article:
    """The status an editor chose in the change form, carried out by the services above.

    A public status publishes or schedules (`at` decides which); any other takes a public article
    off the site first, then files it as a draft or in review, which anyone editing may do:
    "In review" submits its content for clinical review, "Draft" withdraws it from review.
    """
    if status in Article.PUBLIC_STATUSES:
        return article_publish(article=article, at=at, by=by)
    with transaction.atomic():
        notes = [_take_off(article, by)]
        current = Article.objects.get(pk=article.pk)
        action = {
            (Article.Status.DRAFT, Article.Status.IN_REVIEW): review.Action.SUBMITTED,
            (Article.Status.IN_REVIEW, Article.Status.DRAFT): review.Action.WITHDRAWN,
        }.get((current.status, status))
        # Content already in review or approved is not submitted again; only content in
        # review can be withdrawn.
        working = review.article_review(current) if action else None
        state = working.state if working else None
        if action == review.Action.SUBMITTED and state in review.SUBMITTED_STATES:
            action = None  # pragma: no mutate (any falsy value: no step)
        if action == review.Action.WITHDRAWN and state != review.State.IN_REVIEW:
            action = None  # pragma: no mutate (any falsy value: no step)
        if action:
            try:
                review.review_step_record(article=current, revision=None, by=by, action=action)
            except review.ReviewError as refusal:
                raise PublishError(str(refusal)) from refusal
        notes.append(review.article_file(current, status))
        if note := ", ".join(filter(None, notes)):
            state_record(article=article, by=by, note=note[0].upper() + note[1:])
    article.refresh_from_db(fields=["status", "published_at", "updated_at"])  # pragma: no mutate
    return article


def article_restore(
    *, article: Article, revision: ArticleRevision, by: AbstractBaseUser
) -> ArticleRevision:
    """Restore a revision (articles.revisions.revision_restore); a scheduled article whose
    content is then not the approved one leaves the schedule."""
    with transaction.atomic():
        restored = revision_restore(article=article, revision=revision, by=by)
        review.article_state_follow_content(article=article)
    return restored


def _publish_note(
    before: Article,
    status: str,
    published_at: datetime,
    by: AbstractBaseUser | None,
    now: datetime,
) -> str:
    """The note of a publication's revision, from the state before and after."""
    if status == Article.Status.SCHEDULED:
        return f"Scheduled for {when(published_at)}"
    if before.status == Article.Status.SCHEDULED and published_at == before.published_at:
        return "Published by the schedule" if by is None else "Published as scheduled"
    if before.is_public:
        return f"Publication time set to {when(published_at)}"
    if published_at < now:
        return f"Published, dated {when(published_at)}"
    return "Published"


def publish_due_articles() -> list[int]:
    """Record the publication of every scheduled article whose time has come.

    Each is published from its locked row as read here: one that an editor unpublished or
    rescheduled since this list was read is left as the editor left it.
    """
    published = []
    # A deferred field is loaded when read: which fields `only` names is not a rule.
    for article in Article.objects.due().only("pk", "status", "published_at"):  # pragma: no mutate
        try:
            article_publish(article=article)
        except NotApproved as refusal:
            # Public by its time already: unapproved content must not stay there.
            log.warning("article %s taken off by the schedule: %s", article.pk, refusal)
            article_unpublish(article=article)
            continue
        except PublishError as refusal:
            log.info("article %s left alone by the schedule: %s", article.pk, refusal)
            continue
        published.append(article.pk)
    return published
