"""The demo discussion under the founding article, kept in discussion.toml beside this module.

The file's header says what each `[[reader]]` and `[[comment]]` table holds; the article is
articles.demo.FOUNDING_ARTICLE_SLUG.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model

from comments.models import Comment
from core.datafiles import (
    DemoDataError,
    model_check,
    numbered_tables,
    read_toml,
    table_fields,
)

DISCUSSION_FILE = Path(__file__).resolve().parent / "discussion.toml"
# The statuses seed_discussion knows how to record (a held comment gets a hold decision, a
# rejected one a rejection).
STATUSES = (Comment.Status.APPROVED, Comment.Status.PENDING, Comment.Status.REJECTED)


@dataclass(frozen=True)
class DemoReader:
    email: str
    display_name: str
    role: str
    expertise: str
    competing_interests: str


@dataclass(frozen=True)
class DemoComment:
    key: str
    parent: str | None
    author: str
    status: str
    minutes: int
    helpful: int
    held_reason: str
    advice: bool
    body: str


@dataclass(frozen=True)
class DemoDiscussion:
    readers: tuple[DemoReader, ...]
    comments: tuple[DemoComment, ...]


def load_discussion(path: Path | None = None) -> DemoDiscussion:
    """The readers and comments of DISCUSSION_FILE (unless told), comments in file order."""
    path = path or DISCUSSION_FILE
    data = read_toml(path)
    unknown = sorted(set(data) - {"reader", "comment"})
    if unknown:
        raise DemoDataError(
            path, f"unknown top-level key '{unknown[0]}' (expected [[reader]] and [[comment]])"
        )
    readers = _readers(path, data)
    emails = {reader.email for reader in readers}
    comments: list[DemoComment] = []
    for where, table in numbered_tables(data, "comment", path=path, required=True):
        comment = DemoComment(
            **table_fields(
                table,
                path=path,
                where=where,
                required={"key": str, "author": str, "status": str, "minutes": int, "body": str},
                optional={
                    "parent": (str, None),
                    "helpful": (int, 0),
                    "held_reason": (str, ""),
                    "advice": (bool, False),
                },
            )
        )
        where = f"{where} ('{comment.key}')"
        keys = {earlier.key for earlier in comments}
        if comment.key in keys:
            raise DemoDataError(path, f"{where}: key '{comment.key}' is used twice")
        if comment.parent is not None and comment.parent not in keys:
            raise DemoDataError(
                path, f"{where}: parent '{comment.parent}' is not the key of an earlier comment"
            )
        if comment.author not in emails:
            raise DemoDataError(path, f"{where}: author '{comment.author}' is not a [[reader]]")
        if comment.status not in STATUSES:
            raise DemoDataError(
                path,
                f"{where}: status must be one of {', '.join(STATUSES)}, not '{comment.status}'",
            )
        if comment.minutes < 0:
            raise DemoDataError(path, f"{where}: minutes must not be negative")
        model_check(
            Comment(
                body=comment.body,
                status=comment.status,
                helpful_count=comment.helpful,
                held_reason=comment.held_reason,
                needs_advice_note=comment.advice,
            ),
            ["body", "status", "helpful_count", "held_reason", "needs_advice_note"],
            path=path,
            where=where,
        )
        comments.append(comment)
    return DemoDiscussion(readers=tuple(readers), comments=tuple(comments))


def _readers(path: Path, data: dict) -> list[DemoReader]:
    user_model = get_user_model()
    readers: list[DemoReader] = []
    for where, table in numbered_tables(data, "reader", path=path, required=True):
        reader = DemoReader(
            **table_fields(
                table,
                path=path,
                where=where,
                required={"email": str, "display_name": str},
                optional={
                    "role": (str, ""),
                    "expertise": (str, ""),
                    "competing_interests": (str, ""),
                },
            )
        )
        model_check(user_model(**vars(reader)), vars(reader), path=path, where=where)
        if reader.email in {earlier.email for earlier in readers}:
            raise DemoDataError(path, f"{where}: email '{reader.email}' is used twice")
        readers.append(reader)
    return readers
