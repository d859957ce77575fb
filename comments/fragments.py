"""Each comment's markup, rendered once and kept under what it shows.

A fragment's key is a digest of everything its markup depends on: the comment's row (status,
edit stamp, helpful count, held reason...), its author's name, role, expertise and interests,
the templates' source, and the viewer's *shape* for that comment (may they post, is it
theirs and still editable, have they marked or reported it, do they moderate it), never who
the viewer is. The rows are read from the database on every request, so a change shows at
once whatever made it (a rename in the admin, an account deleted, an edit), with nothing
to invalidate; the same key always means the same markup, so a worker keeps the fragments
it used last in memory too and asks the shared cache only for the others.

The one thing of the viewer's own inside a fragment, the CSRF token of its forms, is stored
as a placeholder that only this module knows (keyed from SECRET_KEY) and swapped for the
viewer's token on the way out.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache as once
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe

from comments.forms import CommentReportForm, ModerationForm
from comments.models import Comment, editable
from comments.selectors import ROW_FIELDS, Node

ENTRY = "comments/_entry.html"
# Every template a fragment is made of: a change to one makes new keys after a deploy.
TEMPLATES = (
    ENTRY,
    "comments/_comment.html",
    "comments/_helpful.html",
    "comments/_own_actions.html",
    "comments/_moderation_form.html",
)
# Bump when Python that shapes a fragment changes (the row, the variant, the context).
FORMAT = 1
MEMORY_ENTRIES = 4000  # per worker; a fragment is 1 to 3 kB


@dataclass
class Viewer:
    """What the fragments need to know about who is looking, and nothing to name them."""

    user_pk: int | None
    can_post: bool
    is_moderator: bool
    csrf_token: str
    marked: set[int] = field(default_factory=set)
    reported: set[int] = field(default_factory=set)
    open_reports: dict[int, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, context: dict, discussion=None) -> Viewer:
        """From comments.presentation.viewer_context, with the discussion's own sets."""
        user = context["user"]
        return cls(
            user_pk=user.pk if user.is_authenticated else None,
            can_post=bool(context["can_post"]),
            is_moderator=bool(context["is_moderator"]),
            csrf_token=str(context["csrf_token"]),
            marked=getattr(discussion, "marked_helpful", set()),
            reported=getattr(discussion, "reported", set()),
            open_reports=getattr(discussion, "open_reports", {}),
        )


@dataclass(frozen=True)
class _Shape:
    """The viewer as one comment's markup sees them."""

    can_post: bool = False
    own: bool = False
    editable: bool = False
    marked: bool = False
    reported: bool = False
    moderating: bool = False
    open_reports: tuple[str, ...] = ()

    def key(self) -> str:
        flags = (self.can_post, self.own, self.editable, self.marked, self.reported)
        key = "".join("1" if flag else "0" for flag in flags)
        if self.moderating:
            key += "m" + "|".join(self.open_reports)
        return key


def _shape(row: dict, viewer: Viewer) -> _Shape:
    status, pk = row["status"], row["pk"]
    if status == Comment.Status.REMOVED:
        return _Shape()  # a placeholder: nobody's controls
    own = viewer.user_pk is not None and row["author_id"] == viewer.user_pk
    others = viewer.can_post and not own
    reports = tuple(viewer.open_reports.get(pk, ())) if status == Comment.Status.APPROVED else ()
    moderating = viewer.is_moderator and (
        (status == Comment.Status.PENDING and not own) or bool(reports)
    )
    return _Shape(
        can_post=viewer.can_post,
        own=own,
        editable=own and editable(status=status, created_at=row["created_at"]),
        marked=others and pk in viewer.marked,
        reported=others and pk in viewer.reported,
        moderating=moderating,
        open_reports=reports if moderating else (),
    )


def row_of(comment: Comment) -> dict:
    """A Comment as the row the article page reads (selectors.ROW_FIELDS)."""
    author = comment.author
    row = {name: getattr(comment, name) for name in ROW_FIELDS if "__" not in name}
    for name in ROW_FIELDS:
        if name.startswith("author__"):
            row[name] = getattr(author, name.removeprefix("author__")) if author else None
    return row


@once
def _templates_stamp() -> str:
    sources = "\0".join(get_template(name).template.source for name in TEMPLATES)
    return hashlib.blake2b(f"{FORMAT}\0{sources}".encode(), digest_size=8).hexdigest()


@once
def _csrf_placeholder() -> str:
    return salted_hmac("comments.fragments.csrf", "placeholder").hexdigest()


def _key(row: dict, shape: _Shape) -> str:
    values = repr(tuple(row[name] for name in ROW_FIELDS)) + shape.key()
    digest = hashlib.blake2b(values.encode(), digest_size=16).hexdigest()
    return f"comments:fragment:{_templates_stamp()}:{row['pk']}:{digest}"


class _Memory:
    """The fragments this worker used last (an entry never goes stale: see the module)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, str] = OrderedDict()
        self.lock = threading.Lock()

    def recall(self, keys: list[str]) -> dict[str, str]:
        found = {}
        with self.lock:
            for key in keys:
                html = self.entries.get(key)
                if html is not None:
                    self.entries.move_to_end(key)
                    found[key] = html
        return found

    def keep(self, fragments: dict[str, str]) -> None:
        with self.lock:
            self.entries.update(fragments)
            for key in fragments:
                self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_memory = _Memory(MEMORY_ENTRIES)
_SOMEONE_ELSE = object()  # stands for a viewer who is not the comment's author


def _render(comment: Comment, shape: _Shape) -> str:
    """One comment's markup for a viewer of this shape, from the shape alone."""
    comment.open_reports = list(shape.open_reports)
    pk = comment.pk
    context = {
        "comment": comment,
        "user": comment.author if shape.own else _SOMEONE_ELSE,
        "can_post": shape.can_post,
        "is_moderator": shape.moderating,
        "discussion": SimpleNamespace(
            marked_helpful={pk} if shape.marked else set(),
            reported={pk} if shape.reported else set(),
        ),
        "flag_reasons": CommentReportForm.base_fields["reason"].choices,
        "moderation_reasons": ModerationForm.base_fields["reason"].choices,
        "csrf_token": _csrf_placeholder(),
    }
    return get_template(ENTRY).render(context)


@once
def _hidden_stub() -> str:
    return get_template(ENTRY).render({"comment": None})


def _comments(threads: list[Node]) -> Iterator[dict | Comment]:
    for node in threads:
        if node.comment is not None:
            yield node.comment
        yield from _comments(node.children)


def _fragments(threads: list[Node], viewer: Viewer) -> dict[int, str]:
    """Each comment's markup by primary key: from memory, the shared cache, or rendered."""
    given = {c.pk: c for c in _comments(threads) if isinstance(c, Comment)}
    rows = {c["pk"] if isinstance(c, dict) else c.pk: c for c in _comments(threads)}
    rows = {pk: row_of(c) if isinstance(c, Comment) else c for pk, c in rows.items()}
    keys = {pk: _key(row, _shape(row, viewer)) for pk, row in rows.items()}
    found = _memory.recall(list(keys.values()))
    missing = [key for key in keys.values() if key not in found]
    if missing:
        shared = cache.get_many(missing)
        _memory.keep(shared)
        found.update(shared)
    to_render = [pk for pk, key in keys.items() if key not in found]
    if to_render:
        fresh: dict[str, str] = {}
        loaded = {pk: given[pk] for pk in to_render if pk in given}
        loaded.update(
            Comment.objects.select_related("author").in_bulk(
                [pk for pk in to_render if pk not in given]
            )
        )
        for pk, comment in loaded.items():
            # Kept under the key of what was rendered, which a concurrent change may have
            # moved on from the row read a moment ago; this page shows it either way.
            row = row_of(comment)
            key = _key(row, _shape(row, viewer))
            fresh[key] = _render(comment, _shape(row, viewer))
            found[keys[pk]] = fresh[key]
        cache.set_many(fresh, timeout=settings.COMMENTS_CACHE_SECONDS)
        _memory.keep(fresh)
    return {pk: found[key] for pk, key in keys.items() if key in found}


def threads_html(threads: list[Node], viewer: Viewer) -> SafeString:
    """The threads as nested lists, with the viewer's CSRF token in their forms."""
    fragments = _fragments(threads, viewer)
    parts: list[str] = []

    def emit(node: Node) -> None:
        comment = node.comment
        pk = None if comment is None else comment["pk"] if isinstance(comment, dict) else comment.pk
        parts.append('<li class="comment-thread">')
        parts.append(_hidden_stub() if pk is None else fragments.get(pk, ""))
        replies = "" if pk is None else f' id="replies-{pk}"'
        parts.append(f'<ol class="comment-list comment-list--replies"{replies}>')
        for child in node.children:
            emit(child)
        parts.append("</ol></li>")

    for node in threads:
        emit(node)
    # The tokens in the markup are this viewer's; the placeholder cannot come from a reader.
    return mark_safe("".join(parts).replace(_csrf_placeholder(), viewer.csrf_token))  # noqa: S308
