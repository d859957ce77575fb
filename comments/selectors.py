"""Reading a discussion in a constant number of queries, whatever its size."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Subquery

from articles.models import Article
from comments.models import Comment, CommentFlag, HelpfulMark, ModerationDecision

SORTS = {
    "oldest": ("Oldest first", ("path",)),
    "newest": ("Newest first", ("-path",)),
    "helpful": ("Most helpful", ("-helpful_count", "path")),
}
DEFAULT_SORT = "oldest"


@dataclass
class Node:
    """A comment with its replies; `comment` is None for a reply whose parent is hidden."""

    comment: Comment | None
    children: list[Node] = field(default_factory=list)


@dataclass
class Discussion:
    threads: list[Node]
    page: Page
    sort: str
    published_count: int
    marked_helpful: set[int] = field(default_factory=set)
    reported: set[int] = field(default_factory=set)


def _roots(article: Article, user):
    return Comment.objects.visible_to(user).filter(article=article, depth=0)


def discussion_for(
    *, article: Article, user, sort: str = DEFAULT_SORT, page: int = 1
) -> Discussion:
    """One page of top-level threads with all their visible replies, as a tree.

    Three queries: the count of threads, the page of roots, every visible comment of those
    threads in path order. A fourth counts published comments for the heading.
    """
    sort = sort if sort in SORTS else DEFAULT_SORT
    roots = _roots(article, user).order_by(*SORTS[sort][1]).values_list("pk", flat=True)
    paginator = Paginator(roots, settings.COMMENTS_THREADS_PER_PAGE)
    current = paginator.get_page(page)
    root_ids = list(current.object_list)
    comments = list(
        Comment.objects.visible_to(user)
        .filter(article=article, thread_id__in=root_ids)
        .select_related("author")
        .order_by("path")
    )
    if user.is_authenticated and user.has_perm("comments.change_comment"):
        _attach_open_reports([c for c in comments if c.flag_count])
    discussion = Discussion(
        threads=_tree(comments, root_ids),
        page=current,
        sort=sort,
        published_count=Comment.objects.published().filter(article=article).count(),
    )
    if user.is_authenticated and root_ids:  # two more queries for a signed-in reader
        in_page = {"user": user, "comment__thread_id__in": root_ids}
        discussion.marked_helpful = set(
            HelpfulMark.objects.filter(**in_page).values_list("comment_id", flat=True)
        )
        discussion.reported = set(
            CommentFlag.objects.filter(**in_page).values_list("comment_id", flat=True)
        )
    return discussion


def _attach_open_reports(comments: list[Comment]) -> None:
    """For moderators: each reported comment's unanswered reasons (one query for the page)."""
    by_comment: dict[int, list[str]] = {c.pk: [] for c in comments}
    labels = dict(CommentFlag.Reason.choices)
    for comment_id, reason in CommentFlag.objects.filter(
        comment__in=list(by_comment), answered_at__isnull=True
    ).values_list("comment_id", "reason"):
        by_comment[comment_id].append(labels.get(reason, reason))
    for comment in comments:
        comment.open_reports = by_comment[comment.pk]


def _tree(comments, root_ids: list[int]) -> list[Node]:
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

    for comment in comments:  # path order: parents come before their replies
        node_for(
            [int(segment) for segment in comment.path.rstrip("/").split("/")]
        ).comment = comment
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
