"""Revisions of an article: recording, reading, comparing and restoring them.

Storage is django-reversion's: a Revision (who, when, the note) holding a Version each of the
article, its FAQ entries and its references (registered in articles/models.py), plus our
ArticleRevision row that ties it to the article. Revisions are only ever added, never changed
or deleted. Everything here reads a revision as an ArticleContent, the one shape the history,
the comparison (articles/revision_compare.py), the restore (and later a draft's preview and its
review) share.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import reversion
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import dateformat, timezone
from django.utils.text import Truncator
from reversion.models import Version

from articles.models import (
    ARTICLE_REVISION_FIELDS,
    Article,
    ArticleRevision,
    Contributor,
    FAQEntry,
    Reference,
    Topic,
)

# What editors write in the change form, in its order (the revision comparison follows it).
EDITOR_FIELDS = (
    "title",
    "slug",
    "kind",
    "standfirst",
    "topics",
    "body",
    "status",
    "published_at",
    "last_reviewed",
    "next_review",
    "authors",
    "author",
    "comments_open",
    "discussion_prompt",
    "seo_description",
)

# How revisions' times are written, on the pages and in notes: "2 Dec 2026, 16:15 CET".
WHEN_FORMAT = "j M Y, H:i T"
NOTE_MAX_LENGTH = 200

# The publication state: kept in every revision, but changed only by the publish services.
STATE_FIELDS = ("status", "published_at")
# What a restore writes back: all the editors write, except the state and the address.
RESTORED_FIELDS = tuple(
    name for name in ARTICLE_REVISION_FIELDS if name not in (*STATE_FIELDS, "slug")
)
# What a draft of a live article changes, once published: the same, with the address.
EDITED_FIELDS = (*RESTORED_FIELDS, "slug")
# Fields added after revisions began to be kept: left out of the fingerprint while empty, so
# content recorded before them keeps its fingerprint (and its approval) until someone fills them.
LATER_FIELDS = ("authors",)
# The many-to-many fields, with the model each names by id.
RELATED_FIELDS = {"topics": Topic, "authors": Contributor}
ENTRY_FIELDS = {
    FAQEntry: ("question", "answer", "order"),
    Reference: ("label", "kind", "identifier", "url", "order"),
}


def when(moment) -> str:
    """A revision's time in the reader's zone (the editor's, in the admin)."""
    return dateformat.format(timezone.localtime(moment), WHEN_FORMAT)


# Content -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One FAQ entry or reference: its row's id (kept across edits) and what editors wrote."""

    pk: int
    values: dict[str, Any]


@dataclass(frozen=True)
class ArticleContent:
    """An article as a revision holds it, or as the database holds it now.

    `fields` has every field in ARTICLE_REVISION_FIELDS: the author as an id, topics and
    authors (contributors) as sorted tuples of ids. Entries are in the order readers see them.
    """

    fields: dict[str, Any]
    faqs: tuple[Entry, ...] = ()
    references: tuple[Entry, ...] = ()

    @classmethod
    def of_article(cls, article: Article) -> ArticleContent:
        """The article now. Prefetch topics, faqs and references to read it in one go."""
        fields = {}
        for name in ARTICLE_REVISION_FIELDS:
            model_field = Article._meta.get_field(name)
            if model_field.many_to_many:
                fields[name] = tuple(sorted(item.pk for item in getattr(article, name).all()))
            else:
                fields[name] = getattr(article, model_field.attname)
        return cls(
            fields=fields,
            faqs=_entries(FAQEntry, article.faqs.all()),
            references=_entries(Reference, article.references.all()),
        )

    @classmethod
    def of_versions(cls, versions) -> ArticleContent:
        """A revision's content from its versions (one of the article, one per entry)."""
        fields: dict[str, Any] = {}
        entries: dict[type, list[Entry]] = {FAQEntry: [], Reference: []}
        for version in versions:
            model, values = version._model, version.field_dict
            if model is Article:
                for name in ARTICLE_REVISION_FIELDS:
                    model_field = Article._meta.get_field(name)
                    value = values.get(model_field.attname)
                    fields[name] = tuple(sorted(value or ())) if model_field.many_to_many else value
            elif model in entries:
                entry_values = {name: values.get(name) for name in ENTRY_FIELDS[model]}
                entries[model].append(Entry(pk=int(version.object_id), values=entry_values))
        by_place = lambda entry: (entry.values["order"] or 0, entry.pk)  # noqa: E731
        return cls(
            fields=fields,
            faqs=tuple(sorted(entries[FAQEntry], key=by_place)),
            references=tuple(sorted(entries[Reference], key=by_place)),
        )

    def digest(self) -> str:
        """A fingerprint of what editors wrote (not the publication state, not row ids)."""
        data = {
            "fields": {
                k: v
                for k, v in self.fields.items()
                if k not in STATE_FIELDS and (v or k not in LATER_FIELDS)
            },
            "faqs": [entry.values for entry in self.faqs],
            "references": [entry.values for entry in self.references],
        }
        encoded = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(encoded.encode()).hexdigest()


def _entries(model, rows) -> tuple[Entry, ...]:
    return tuple(
        Entry(pk=row.pk, values={name: getattr(row, name) for name in ENTRY_FIELDS[model]})
        for row in rows
    )


def _article_with_content(article_id: int, *, lock: bool) -> Article:
    articles = Article.objects.select_for_update() if lock else Article.objects.all()
    return articles.prefetch_related("topics", "authors", "faqs", "references").get(pk=article_id)


def article_content(article: Article) -> ArticleContent:
    """The article's content in the database now."""
    return ArticleContent.of_article(_article_with_content(article.pk, lock=False))


def revision_contents(*revisions: ArticleRevision) -> list[ArticleContent]:
    """The content of each revision, read in one query, in the order given."""
    versions: dict[int, list[Version]] = {r.revision_id: [] for r in revisions}
    for version in Version.objects.filter(revision_id__in=versions):
        versions[version.revision_id].append(version)
    return [ArticleContent.of_versions(versions[r.revision_id]) for r in revisions]


# Reading -------------------------------------------------------------------------------------
def article_revision_list(article: Article) -> QuerySet[ArticleRevision]:
    """The article's revisions, newest first, with who made them."""
    return article.revisions.select_related("revision__user").order_by("-pk")


# Recording -----------------------------------------------------------------------------------
def article_revision_save(
    *,
    article: Article,
    by: AbstractBaseUser | None,
    note: str,
    kind: str = ArticleRevision.Kind.EDIT,
    restored_from: ArticleRevision | None = None,
) -> ArticleRevision:
    """Record the article as the database holds it now, FAQ and references included, as a new
    revision by `by` (None: the site itself) with `note`. Callers have saved their changes."""
    with transaction.atomic():
        current = _article_with_content(article.pk, lock=True)
        digest = ArticleContent.of_article(current).digest()
        # Managed by hand: a revision holds exactly what is added here, whatever saves nearby.
        with reversion.create_revision(manage_manually=True):
            reversion.set_user(by)
            reversion.set_comment(Truncator(note.strip()).chars(NOTE_MAX_LENGTH))
            reversion.add_to_revision(current)  # follows its FAQ entries and references
            reversion.add_meta(
                ArticleRevision,
                article=current,
                kind=kind,
                content_digest=digest,
                restored_from=restored_from,
            )
        return article_revision_list(current).first()


def article_revision_baseline(*, article: Article) -> None:
    """Before the first edit of an article from before revisions were kept, record it as it
    was, so that first edit can be compared and undone too."""
    if article.pk and not ArticleRevision.objects.filter(article_id=article.pk).exists():
        article_revision_save(article=article, by=None, note="As it was before revisions were kept")


@dataclass(frozen=True)
class FormChanges:
    """What an editor's save in the admin changed, read from its form and inline formsets."""

    content: tuple[str, ...] = ()  # the inlines' changes: "added FAQ entry “…”"
    fields: tuple[str, ...] = ()  # labels of the changed fields: "title", "body"
    state: bool = False  # the status or the publication time was asked to change

    def note(self, *, created: bool) -> str:
        if created:
            return "Created"
        parts = []
        if self.fields:
            parts.append("changed " + ", ".join(self.fields))
        parts += self.content
        if not parts:
            return "Saved without changes"
        text = "; ".join(parts)
        return text[0].upper() + text[1:]


def form_changes(form, formsets) -> FormChanges:
    """The changes of a saved admin form and its saved inline formsets, in words."""
    labels = tuple(
        _lower_first(str(form[name].label))
        for name in form.changed_data
        if name not in (*STATE_FIELDS, "change_note")
    )
    phrases = []
    for formset in formsets:
        noun = formset.model._meta.verbose_name
        for verb, objects in (
            ("added", formset.new_objects),
            ("changed", [obj for obj, _fields in formset.changed_objects]),
            ("deleted", formset.deleted_objects),
        ):
            phrases += [f"{verb} {noun} “{Truncator(str(obj)).chars(40)}”" for obj in objects]
    state = bool(set(form.changed_data) & set(STATE_FIELDS))
    return FormChanges(content=tuple(phrases), fields=labels, state=state)


def _lower_first(text: str) -> str:
    # "Search description" -> "search description"; an initialism such as "FAQ" stays.
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def article_edit_revision(
    *,
    article: Article,
    by: AbstractBaseUser,
    note: str,
    changes: FormChanges,
    created: bool,
    kind: str = ArticleRevision.Kind.EDIT,
) -> ArticleRevision | None:
    """The revision of an editor's save in the admin, once its FAQ and references are saved.

    The note is the editor's, or one made from the changes. A save that only asks for a new
    publication state makes no revision of its own: the state change makes one when it happens.
    """
    note = note.strip()
    if not (note or created or changes.fields or changes.content or not changes.state):
        return None
    note = note or changes.note(created=created)
    return article_revision_save(article=article, by=by, note=note, kind=kind)


# Restoring -----------------------------------------------------------------------------------
def revision_restore(
    *, article: Article, revision: ArticleRevision, by: AbstractBaseUser
) -> ArticleRevision:
    """Bring `revision`'s content back (its fields, topics, FAQ entries and references) as a new
    revision. Nothing in the history is deleted.

    The publication state (status, publication time) and the address (slug) stay as they are:
    a restore is an edit, and state changes only through the publish services. Like any edit of
    a live article, restoring one makes its unpublished changes (a draft): readers keep the live
    text until the changes are published.
    """
    if revision.article_id != article.pk:
        raise ValueError("That revision belongs to another article.")
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        live = live_capture(current) if current.is_public else None
        (content,) = revision_contents(revision)
        content_apply(current, content)
        note = f"Restored the revision of {when(revision.created_at)} by {revision.by}"
        restored = article_revision_save(
            article=current,
            by=by,
            note=note,
            kind=ArticleRevision.Kind.RESTORE,
            restored_from=revision,
        )
        if live is not None:
            live_put_back(current, live)
    article.refresh_from_db()
    return restored


def content_apply(
    article: Article, content: ArticleContent, *, fields: tuple[str, ...] = RESTORED_FIELDS
) -> None:
    """Write `content` to the article's rows: its `fields` (topics and authors among them), FAQ
    entries and references. Rows that already hold what `content` says are left alone."""
    related = [name for name in fields if name in RELATED_FIELDS]
    fields = [name for name in fields if name not in RELATED_FIELDS]
    author_id = content.fields.get("author")
    if author_id is not None and not get_user_model().objects.filter(pk=author_id).exists():
        fields.remove("author")  # the account is gone: keep the author the article has
    for name in fields:
        setattr(article, Article._meta.get_field(name).attname, content.fields.get(name))
    # The model renders the body again; updated_at moves on.
    article.save(update_fields=[*fields, "updated_at"])
    for name in related:  # a topic or contributor deleted since drops out
        model = RELATED_FIELDS[name]
        getattr(article, name).set(model.objects.filter(pk__in=content.fields.get(name) or ()))
    _entries_apply(article, FAQEntry, content.faqs)
    _entries_apply(article, Reference, content.references)


def _entries_apply(article: Article, model, entries: tuple[Entry, ...]) -> None:
    """The article's entries of `model` become exactly `entries`: rows still there are updated,
    rows deleted since are made again (under their old id when it is free), others removed."""
    existing = {row.pk: row for row in model.objects.filter(article=article)}
    kept = []
    for entry in entries:
        row = existing.get(entry.pk)
        adding = row is None
        if not adding and all(getattr(row, k) == v for k, v in entry.values.items()):
            kept.append(row.pk)
            continue
        if adding:
            id_free = not model.objects.filter(pk=entry.pk).exists()
            row = model(pk=entry.pk if id_free else None, article=article)
        for name, value in entry.values.items():
            setattr(row, name, value)
        row.save(force_insert=adding)  # renders an FAQ answer again
        kept.append(row.pk)
    if set(existing) - set(kept):
        model.objects.filter(article=article).exclude(pk__in=kept).delete()


# Live content kept while a draft is written -------------------------------------------------
@dataclass(frozen=True)
class LiveContent:
    """What readers see of a live article, taken before its rows are used for a draft."""

    content: ArticleContent
    updated_at: Any


def live_capture(article: Article) -> LiveContent:
    current = _article_with_content(article.pk, lock=False)
    return LiveContent(content=ArticleContent.of_article(current), updated_at=current.updated_at)


def live_put_back(article: Article, live: LiveContent) -> None:
    """The article's rows hold `live` again, address and modification time included, as if the
    draft had never been written to them (it is in a revision now)."""
    content_apply(article, live.content, fields=EDITED_FIELDS)
    Article.objects.filter(pk=article.pk).update(updated_at=live.updated_at)
    article.updated_at = live.updated_at
