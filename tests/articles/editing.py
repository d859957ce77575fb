"""Editors' saves as the admin makes them, through the publish services without its pages
(articles/admin.py: save_model, then save_related), and the history as editors read it."""

from django.db import transaction

from articles import revisions, services
from articles.models import Article, ArticleRevision
from articles.revisions import FormChanges, article_revision_list


def notes(article: Article) -> list[str]:
    """The article's history as editors read it, oldest first."""
    return [r.revision.comment for r in reversed(article_revision_list(article))]


def edit(article: Article, by, *, status: str | None = None, note: str = "", **fields):
    """One save of the change form with `fields` changed: the edit is written, then recorded
    (for a live article: as its unpublished changes, the rows put back). `status` is what the
    form's status field said (the article's own when not given). The revision it made, if any."""
    with transaction.atomic():
        current = Article.objects.get(pk=article.pk)
        live = revisions.live_capture(current) if current.is_public else None
        for name, value in fields.items():
            setattr(current, name, value)
        services.article_edit_save(article=current, by=by, created=False)
        recorded = services.article_edit_finish(
            article=current,
            by=by,
            note=note,
            changes=FormChanges(fields=tuple(fields)),
            created=False,
            status=status or current.status,
            live=live,
        )
    article.refresh_from_db()
    return recorded


def draft_of(article: Article, by, **fields) -> ArticleRevision:
    """A live article's unpublished changes, saved by `by`."""
    draft = edit(article, by, **fields)
    assert draft.kind == ArticleRevision.Kind.DRAFT
    return draft
