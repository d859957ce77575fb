"""Reading a discussion in a constant number of queries, whatever its size."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, Subquery, Value

from articles.models import Article
from comments.models import (
    Comment,
    CommentFlag,
    HelpfulMark,
    ModerationDecision,
    is_moderator,
    visible_q,
)

SORTS = {
    "oldest": ("Oldest first", ("path",)),
    "newest": ("Newest first", ("-path",)),
    "helpful": ("Most helpful", ("-helpful_count", "path")),
}
DEFAULT_SORT = "oldest"


# What a comment's shared markup depends on, read for every comment of the page: the same
# values give the same fragment (comments.fragments), so a change to any of them, the
# author's name included, shows at once, whatever wrote it.
ROW_FIELDS = (
    "pk",
    "path",
    "parent_id",
    "status",
    "created_at",
    "edited_at",
    "helpful_count",
    "flag_count",
    "held_reason",
    "needs_advice_note",
    "author_id",
    "author__display_name",
    "author__role",
    "author__expertise",
    "author__competing_interests",
)


@dataclass
class Node:
    """A comment with its replies; `comment` is None for a reply whose parent is hidden.

    `comment` is a row of ROW_FIELDS (a dict) on the article page, a Comment elsewhere."""

    comment: dict | Comment | None
    children: list[Node] = field(default_factory=list)


@dataclass
class Discussion:
    threads: list[Node]
    page: Page
    sort: str
    published_count: int
    marked_helpful: set[int] = field(default_factory=set)
    reported: set[int] = field(default_factory=set)
    # For moderators: each reported comment's unanswered reasons.
    open_reports: dict[int, list[str]] = field(default_factory=dict)


def _roots(article: Article, user):
    return Comment.objects.visible_to(user).filter(article=article, depth=0)


def discussion_for(
    *, article: Article, user, sort: str = DEFAULT_SORT, page: int = 1, reactions: bool = True
) -> Discussion:
    """One page of top-level threads with all their visible replies, as a tree of rows.

    Three queries: both counts (threads the reader can see, published comments), the page
    of roots, every visible comment of those threads in path order (none but the first for
    an article without comments). A fourth, with `reactions`, finds the reader's own helpful
    marks and reports on the page; moderators' pages read the open reports too.
    """
    sort = sort if sort in SORTS else DEFAULT_SORT
    counts = Comment.objects.filter(article=article).aggregate(
        threads=Count("pk", filter=visible_q(user) & Q(depth=0)),
        published=Count("pk", filter=Q(status=Comment.Status.APPROVED)),
    )
    roots = _roots(article, user).order_by(*SORTS[sort][1]).values_list("pk", flat=True)
    paginator = Paginator(roots, settings.COMMENTS_THREADS_PER_PAGE)
    paginator.count = counts["threads"]  # counted above, with the published ones
    current = paginator.get_page(page)
    root_ids = list(current.object_list) if paginator.count else []
    rows = []
    if root_ids:
        rows = list(
            Comment.objects.visible_to(user)
            .filter(article=article, thread_id__in=root_ids)
            .order_by("path")
            .values(*ROW_FIELDS)
        )
    discussion = Discussion(
        threads=_tree(rows, root_ids),
        page=current,
        sort=sort,
        published_count=counts["published"],
    )
    if rows and is_moderator(user):
        discussion.open_reports = _open_reports([r["pk"] for r in rows if r["flag_count"]])
    if reactions and user.is_authenticated and rows:
        in_page = {"user": user, "comment__thread_id__in": root_ids}
        marks = HelpfulMark.objects.filter(**in_page).annotate(kind=Value("helpful"))
        flags = CommentFlag.objects.filter(**in_page).annotate(kind=Value("reported"))
        for comment_id, kind in marks.values_list("comment_id", "kind").union(
            flags.values_list("comment_id", "kind"), all=True
        ):
            (discussion.marked_helpful if kind == "helpful" else discussion.reported).add(
                comment_id
            )
    return discussion


def _open_reports(comment_ids: list[int]) -> dict[int, list[str]]:
    """For moderators: each reported comment's unanswered reasons (one query for the page)."""
    if not comment_ids:
        return {}
    by_comment: dict[int, list[str]] = {pk: [] for pk in comment_ids}
    labels = dict(CommentFlag.Reason.choices)
    for comment_id, reason in CommentFlag.objects.filter(
        comment__in=comment_ids, answered_at__isnull=True
    ).values_list("comment_id", "reason"):
        by_comment[comment_id].append(labels.get(reason, reason))
    return by_comment


def _tree(rows: list[dict], root_ids: list[int]) -> list[Node]:
    nodes: dict[int, Node] = {}
    roots: dict[int, Node] = {}

    def node_for(ancestors: list[int]) -> Node:
        # A parent hidden by a moderator becomes a stub, so its replies keep their place.
        pk = ancestors[-1]
        if pk not in nodes:
            nodes[pk] = Node(None)
            if len(ancestors) == 1:
                roots[pk] = nodes[pk]
            else:
                node_for(ancestors[:-1]).children.append(nodes[pk])
        return nodes[pk]

    for row in rows:  # path order: parents come before their replies
        node_for([int(segment) for segment in row["path"].rstrip("/").split("/")]).comment = row
    return [roots[pk] for pk in root_ids if pk in roots]


def comment_page_number(*, comment: Comment, user) -> int:
    """The page (oldest first) on which `comment`'s thread appears for `user`."""
    root_path = comment.path[: comment.path.index("/") + 1]
    before = _roots(comment.article, user).filter(path__lt=root_path).count()
    return before // settings.COMMENTS_THREADS_PER_PAGE + 1


HIDDEN_BY_MODERATOR = (Comment.Status.REJECTED, Comment.Status.SPAM)


def comments_of(*, user, limit: int = 50) -> list[Comment]:
    """A reader's own comments, newest first, each with the reason a moderator gave for
    hiding it (`moderator_reason`, empty unless it is rejected or spam)."""
    reason = (
        ModerationDecision.objects.filter(
            comment=OuterRef("pk"),
            action__in=(
                ModerationDecision.Action.REJECT,
                ModerationDecision.Action.SPAM,
                ModerationDecision.Action.BAN,
            ),
        )
        .order_by("-created_at", "-pk")
        .values("reason")[:1]
    )
    comments = list(
        Comment.objects.filter(author=user)
        .exclude(status=Comment.Status.REMOVED)
        .select_related("article")
        .annotate(moderator_reason=Subquery(reason))
        .order_by("-created_at", "-pk")[:limit]
    )
    for comment in comments:
        if comment.status not in HIDDEN_BY_MODERATOR:
            comment.moderator_reason = ""  # a published comment's past is not the reader's news
    return comments
