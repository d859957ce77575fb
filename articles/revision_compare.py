"""Two contents of an article side by side: what changed, field by field, with the words marked.

The body is compared twice, as Markdown and as readers read it (rendered, as text); FAQ entries
and references one by one, matched by their row. Values are shown as editors know them: names
for topics and authors, labels for choices, times in the editor's zone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import dateformat
from django.utils.safestring import SafeString

from articles.models import (
    ARTICLE_REVISION_FIELDS,
    Article,
    ArticleRevision,
    Contributor,
    Reference,
    Topic,
)
from articles.revisions import EDITOR_FIELDS, ArticleContent, Entry, revision_contents, when
from articles.textdiff import diff_words, html_text
from core.markup import render_article_markdown

# The order fields are compared in: the change form's, then any field added since.
COMPARED_FIELDS = tuple(
    sorted(
        ARTICLE_REVISION_FIELDS,
        key=lambda name: EDITOR_FIELDS.index(name) if name in EDITOR_FIELDS else len(EDITOR_FIELDS),
    )
)


@dataclass(frozen=True)
class Change:
    """One changed field, entry or view of the body: the old and the new value, words marked."""

    label: str
    old: SafeString
    new: SafeString


def revisions_compare(*, older: ArticleRevision, newer: ArticleRevision) -> list[Change]:
    """What changed from `older` to `newer`, field by field."""
    return content_changes(*revision_contents(older, newer))


def content_changes(
    old: ArticleContent, new: ArticleContent, *, fields=COMPARED_FIELDS
) -> list[Change]:
    """Every difference between two contents, in the change form's order; the body is also
    compared as readers read it (rendered, as text), and FAQ entries and references one by one."""
    names = _Names.of(old, new)
    changes = []
    for name in fields:
        before, after = old.fields.get(name), new.fields.get(name)
        if before == after:
            continue
        label = str(Article._meta.get_field(name).verbose_name)
        changes.append(
            _change(label.capitalize(), names.show(name, before), names.show(name, after))
        )
        if name == "body":
            read_before = html_text(render_article_markdown(before or "").html)
            read_after = html_text(render_article_markdown(after or "").html)
            if read_before != read_after:
                changes.append(_change("Body as readers see it", read_before, read_after))
    changes += _entry_changes("FAQ entry", old.faqs, new.faqs, _faq_text)
    changes += _entry_changes("Reference", old.references, new.references, _reference_text)
    return changes


def _change(label: str, old: str, new: str) -> Change:
    marked = diff_words(old, new)
    return Change(label=label, old=marked.old, new=marked.new)


def _faq_text(entry: Entry) -> str:
    return f"{entry.values['question']}\n{entry.values['answer']}"


def _reference_text(entry: Entry) -> str:
    kind = dict(Reference.Kind.choices).get(entry.values["kind"], entry.values["kind"])
    details = " · ".join(
        part for part in (kind, entry.values["identifier"], entry.values["url"]) if part
    )
    return f"{entry.values['label']}\n{details}"


def _entry_changes(noun: str, old: tuple[Entry, ...], new: tuple[Entry, ...], text) -> list[Change]:
    """Entries matched by their row: changed, added and removed ones, and a change of order."""
    old_by_pk = {entry.pk: entry for entry in old}
    new_pks = {entry.pk for entry in new}
    changes = []
    for place, entry in enumerate(new, start=1):
        before = old_by_pk.get(entry.pk)
        if before is None:
            changes.append(_change(f"{noun} {place} (added)", "", text(entry)))
        elif text(before) != text(entry):
            changes.append(_change(f"{noun} {place}", text(before), text(entry)))
    for entry in old:
        if entry.pk not in new_pks:
            changes.append(_change(f"{noun} (removed)", text(entry), ""))
    kept_before = [entry.pk for entry in old if entry.pk in new_pks]
    kept_after = [entry.pk for entry in new if entry.pk in old_by_pk]
    if kept_before != kept_after:
        first_lines = lambda entries: "\n".join(text(e).split("\n")[0] for e in entries)  # noqa: E731
        changes.append(_change(f"Order of {noun}s", first_lines(old), first_lines(new)))
    return changes


@dataclass
class _Names:
    """Values as editors know them: names for topics and authors, labels for choices."""

    topics: dict[int, str]
    people: dict[int, str]
    contributors: dict[int, str]

    @classmethod
    def of(cls, *contents: ArticleContent) -> _Names:
        topic_ids = {pk for c in contents for pk in c.fields.get("topics") or ()}
        people_ids = {c.fields.get("author") for c in contents} - {None}
        people = get_user_model().objects.filter(pk__in=people_ids) if people_ids else []
        contributor_ids = {pk for c in contents for pk in c.fields.get("authors") or ()}
        return cls(
            contributors=dict(
                Contributor.objects.filter(pk__in=contributor_ids).values_list("pk", "name")
            )
            if contributor_ids
            else {},
            topics=dict(Topic.objects.filter(pk__in=topic_ids).values_list("pk", "name"))
            if topic_ids
            else {},
            people={person.pk: f"{person.public_name} ({person.email})" for person in people},
        )

    def show(self, name: str, value) -> str:
        model_field = Article._meta.get_field(name)
        if value is None or value == "":
            return ""
        if name == "topics":
            return "\n".join(
                sorted(self.topics.get(pk, f"(a deleted topic, #{pk})") for pk in value)
            )
        if name == "authors":
            return "\n".join(
                sorted(self.contributors.get(pk, f"(a deleted contributor, #{pk})") for pk in value)
            )
        if name == "author":
            return self.people.get(value, f"(a deleted account, #{value})")
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if name == "published_at":
            return when(value)
        if hasattr(value, "isoformat"):
            return dateformat.format(value, "j M Y")
        return str(value)
