"""Each comment's markup is rendered once and shared, but never someone else's controls, and
never a stale name."""

import re

import pytest
from django.test import Client

from accounts.personal_data import account_delete
from accounts.services import profile_update
from comments.models import Comment
from comments.services import comment_mark_helpful, comment_submit
from tests.factories import ArticleFactory, CommentFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def page_for(article, user=None, client=None) -> str:
    client = client or Client()
    if user is not None:
        client.force_login(user)
    return client.get(article.get_absolute_url()).content.decode()


def test_a_rename_shows_at_once_on_a_cached_discussion_anonymous_and_signed_in():
    article = ArticleFactory()
    author = UserFactory(display_name="Old Name")
    CommentFactory(article=article, author=author, body="Words of a reader")
    reader = UserFactory()
    assert "Old Name" in page_for(article)
    assert "Old Name" in page_for(article, reader)
    profile_update(user=author, display_name="New Name")
    for page in (page_for(article), page_for(article, reader)):
        assert "New Name" in page
        assert "Old Name" not in page


def test_an_account_deletion_shows_at_once():
    article = ArticleFactory()
    author = UserFactory(display_name="Leaving Reader")
    CommentFactory(article=article, author=author, body="Still here")
    assert "Leaving Reader" in page_for(article)
    account_delete(user=author)
    page = page_for(article)
    assert "Leaving Reader" not in page
    assert "Former reader" in page
    assert "Still here" in page


def test_own_pending_comment_marks_and_edit_links_show_only_to_their_reader(settings):
    settings.COMMENTS_TRUSTED_AFTER = 0
    article = ArticleFactory()
    me, other = UserFactory(display_name="Me"), UserFactory(display_name="Other")
    mine = comment_submit(article=article, author=me, body="My published words")
    theirs = CommentFactory(article=article, author=other, body="Their words")
    comment_mark_helpful(comment=theirs, user=me)
    settings.COMMENTS_TRUSTED_AFTER = 99
    waiting = comment_submit(article=article, author=me, body="My waiting words")
    assert waiting.status == Comment.Status.PENDING

    my_client = Client()
    mine_page = page_for(article, me, my_client)
    assert "My waiting words" in mine_page
    assert "Only you can see" in mine_page
    assert f"/comments/{mine.pk}/edit/" in mine_page
    assert re.search(rf'comments/{theirs.pk}/helpful/.*?aria-pressed="true"', mine_page, re.S)

    other_page = page_for(article, other)  # right after: the cache holds my fragments now
    assert "My waiting words" not in other_page
    assert f"/comments/{mine.pk}/edit/" not in other_page
    assert f"/comments/{theirs.pk}/edit/" in other_page  # their own comment, their own link
    assert 'aria-pressed="true"' not in other_page
    my_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', mine_page).group(1)
    assert my_token not in other_page
    anonymous = page_for(article)
    assert "/edit/" not in anonymous
    assert "csrfmiddlewaretoken" not in anonymous.split('id="comments"')[1].split("comment-form")[0]


def test_moderator_buttons_show_to_moderators_and_never_to_readers_after_them():
    article = ArticleFactory()
    waiting = CommentFactory(article=article, status=Comment.Status.PENDING, body="Held text")
    CommentFactory(article=article, body="Public text")
    moderator_page = page_for(article, ModeratorFactory())
    assert "Held text" in moderator_page
    assert f"/comments/{waiting.pk}/moderate/" in moderator_page
    reader_page = page_for(article, UserFactory())
    assert "Held text" not in reader_page
    assert "/moderate/" not in reader_page


def test_the_helpful_form_works_without_javascript_with_the_pages_own_token():
    article = ArticleFactory()
    comment = CommentFactory(article=article, body="Useful")
    reader = UserFactory()
    client = Client(enforce_csrf_checks=True)
    page = page_for(article, reader, client)
    form = re.search(
        rf'action="/comments/{comment.pk}/helpful/".*?name="csrfmiddlewaretoken" value="([^"]+)"',
        page,
        re.S,
    )
    response = client.post(f"/comments/{comment.pk}/helpful/", {"csrfmiddlewaretoken": form[1]})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.helpful_count == 1
