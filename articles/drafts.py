"""Drafts of live articles: changes saved, not yet on the site.

The Article row, with its FAQ entries and references, is what readers see. An editor's save of a
live article is recorded as a revision of kind "draft" and the rows are put back as they were
(articles.services.article_edit_finish), so the pages, search, feeds, sitemap and mail never see
it. An article "has unpublished changes" while its newest content revision (any but a change of
publication state) holds other content than its rows: a draft, or a restore of a live article.
Publishing the changes (articles.services.article_revision_publish) writes them to the rows;
discarding them records the live content as the newest revision again. Nothing is deleted.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from articles.models import Article, ArticleRevision, Contributor, FAQEntry, Reference, Topic
from articles.revisions import (
    EDITED_FIELDS,
    ArticleContent,
    article_content,
    article_revision_list,
    content_apply,
    revision_contents,
)


def content_revisions(article: Article) -> QuerySet[ArticleRevision]:
    """Revisions made by editing, newest first: a change of publication state changes no text."""
    return article_revision_list(article).exclude(kind=ArticleRevision.Kind.PUBLICATION)


def article_draft(
    article: Article, *, live: ArticleContent | None = None
) -> ArticleRevision | None:
    """The article's unpublished changes: its newest content revision, when that holds other
    content than the rows (`live`, when the caller has read them). None when there are none."""
    newest = content_revisions(article).first()
    if newest is None:
        return None
    live = live or article_content(article)
    return None if newest.content_digest == live.digest() else newest


def live_revision(article: Article, *, live: ArticleContent) -> ArticleRevision | None:
    """The newest revision holding what readers see now: the left side of "Compare with live"."""
    return article_revision_list(article).filter(content_digest=live.digest()).first()


def draft_open(article: Article, draft: ArticleRevision) -> None:
    """Write the draft into the article's rows, for the change form to show and save it.

    Only ever inside a transaction that either puts the live content back before it commits
    (a save: articles.services.article_edit_finish) or is rolled back (showing the form).
    """
    (content,) = revision_contents(draft)
    content_apply(article, content, fields=EDITED_FIELDS)


def draft_article(article: Article, draft: ArticleRevision) -> Article:
    """An unsaved Article holding the draft's content, rendered, with its topics, FAQ entries and
    references in place of the related rows, for a preview of the page. Nothing is written."""
    (content,) = revision_contents(draft)
    shown = Article(
        pk=article.pk,
        status=article.status,
        published_at=article.published_at,
        created_at=article.created_at,
        updated_at=draft.created_at,
    )
    for name in EDITED_FIELDS:
        model_field = Article._meta.get_field(name)
        if not model_field.many_to_many:
            setattr(shown, model_field.attname, content.fields.get(name))
    if not get_user_model().objects.filter(pk=shown.author_id).exists():
        shown.author_id = article.author_id  # the account is gone: the article's author stays
    shown.render()
    faqs = [FAQEntry(pk=e.pk, article=shown, **e.values) for e in content.faqs]
    for faq in faqs:
        faq.render()
    _in_place_of_rows(
        shown,
        topics=list(Topic.objects.filter(pk__in=content.fields.get("topics") or ())),
        authors=list(Contributor.objects.filter(pk__in=content.fields.get("authors") or ())),
        faqs=faqs,
        references=[Reference(pk=e.pk, article=shown, **e.values) for e in content.references],
    )
    return shown


def _in_place_of_rows(article: Article, **related: list) -> None:
    # As prefetch_related leaves them: article.faqs.all() and the like read these, not the rows.
    article._prefetched_objects_cache = {}
    for name, objects in related.items():
        queryset = getattr(article, name).all()
        queryset._result_cache, queryset._prefetch_done = objects, True
        article._prefetched_objects_cache[name] = queryset
