"""A reader whose waiting comment a moderator published is told so on their next page, once,
with a link to it (comments.middleware, comments.services.comment_approvals_take)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from comments.models import Comment
from comments.moderation import comment_moderate
from comments.services import comment_approvals_take
from tests.factories import CommentFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db

NOTICE = "A moderator published"


def approved_after_waiting(author, **kwargs) -> Comment:
    waiting = CommentFactory(author=author, status=Comment.Status.PENDING, **kwargs)
    comment_moderate(comments=[waiting], moderator=ModeratorFactory(), action="approve")
    return waiting


def test_the_author_is_told_on_their_next_page_once_with_a_link(client):
    author = UserFactory()
    comment = approved_after_waiting(author)
    client.force_login(author)

    page = client.get("/").content.decode()
    assert NOTICE in page
    assert f'href="{comment.get_absolute_url()}"' in page
    assert comment.article.title in page
    assert NOTICE not in client.get("/").content.decode()  # told once


def test_nobody_else_is_told_of_another_readers_approval(client):
    approved_after_waiting(UserFactory())
    client.force_login(UserFactory())
    assert NOTICE not in client.get("/").content.decode()


def test_only_approved_comments_not_yet_told_are_taken_and_taking_marks_them_told(
    django_assert_num_queries,
):
    author = UserFactory()
    first, second = approved_after_waiting(author), approved_after_waiting(author)
    rejected = CommentFactory(author=author, status=Comment.Status.PENDING)
    comment_moderate(comments=[rejected], moderator=ModeratorFactory(), action="reject",
                     reason="off topic")  # fmt: skip
    # A flag left set on a comment no longer public tells nothing.
    Comment.objects.filter(pk=rejected.pk).update(approval_unseen=True)

    with django_assert_num_queries(2):  # the comments with their articles, then marking them
        taken = comment_approvals_take(user=author)
        titles = [comment.article.title for comment in taken]
    assert sorted(c.pk for c in taken) == [first.pk, second.pk]
    assert len(titles) == 2
    assert comment_approvals_take(user=author) == []  # told: not taken again
    assert Comment.objects.get(pk=rejected.pk).approval_unseen  # untouched


def test_an_anonymous_reader_has_nothing_to_take():
    approved_after_waiting(UserFactory())
    assert comment_approvals_take(user=AnonymousUser()) == []
