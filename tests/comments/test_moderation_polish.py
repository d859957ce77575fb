"""What moderators and readers meet around a moderator's decision."""

import pytest

from comments.services import comment_moderate
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_link_to_a_comment_hidden_since_says_so_instead_of_404(client, staff_groups):
    article = ArticleFactory(title="Small cohorts")
    comment = CommentFactory(article=article)
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    assert client.get(f"/comments/{comment.pk}/").status_code == 302  # as mailed
    comment_moderate(comments=[comment], moderator=moderator, action="reject", reason="off topic")
    response = client.get(f"/comments/{comment.pk}/")
    assert response.status_code == 410
    page = response.content.decode()
    assert "This comment is no longer shown" in page
    assert f'href="{article.get_absolute_url()}#comments">Small cohorts</a>' in page
    assert client.get("/comments/999999/").status_code == 404


def test_the_audit_names_each_comment_by_its_author_and_article(client, staff_groups):
    comment = CommentFactory(
        article=ArticleFactory(title="Small cohorts"), author=UserFactory(display_name="Nadia K.")
    )
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    comment_moderate(comments=[comment], moderator=moderator, action="reject", reason="off topic")
    client.force_login(moderator)
    page = client.get("/admin/comments/moderationdecision/").content.decode()
    assert "Nadia K. on “Small cohorts”" in page
    assert f"Comment {comment.pk} on" not in page
