import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comments.models import Comment, ModerationDecision
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return ArticleFactory(slug="the-article")


@pytest.fixture
def reader(client):
    user = UserFactory(role="patient", display_name="Pat")
    client.force_login(user)
    return user


def post(client, article, **data):
    return client.post(f"/articles/{article.slug}/comments/", {"body": "A remark.", **data})


def test_anonymous_readers_are_sent_to_sign_in_and_see_why(client, article):
    page = client.get(article.get_absolute_url()).content.decode()
    assert "to join the discussion" in page
    assert 'action="/articles/the-article/comments/"' not in page
    response = post(client, article)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert not Comment.objects.exists()


def test_unverified_readers_are_told_to_verify(client, article):
    client.force_login(UserFactory(verified=False, role="carer"))
    assert "confirm your email address" in client.get(article.get_absolute_url()).content.decode()
    assert post(client, article).status_code == 403
    assert not Comment.objects.exists()


def test_a_first_comment_waits_and_only_its_author_sees_it(client, article, reader):
    response = post(client, article, body="My *first* thought.")
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/comments/{comment.pk}/"
    assert comment.status == Comment.Status.PENDING
    assert comment.decisions.get().action == ModerationDecision.Action.HOLD
    page = client.get(client.get(response["Location"])["Location"]).content.decode()
    assert "My <em>first</em> thought." in page
    assert "Waiting for moderation" in page
    other = client.__class__()
    assert (
        "My <em>first</em> thought." not in other.get(article.get_absolute_url()).content.decode()
    )


def test_first_comment_asks_who_is_speaking_and_shows_it_after(client, article):
    user = UserFactory(role="", display_name="")
    client.force_login(user)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "About you" in page
    response = post(client, article, body="Hello")
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert post(client, article, body="Hello", display_name="Q", role="emperor").status_code == 400
    assert "Hello" in response.content.decode()  # the typed text is kept
    post(
        client,
        article,
        body="Hello",
        display_name="Dr Q",
        role="clinician",
        expertise="Oncologist",
        competing_interests="Advisory board, Acme Bio",
    )
    user.refresh_from_db()
    assert (user.display_name, user.role) == ("Dr Q", "clinician")
    CommentFactory(article=article, author=user)  # a published one, to see the byline
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Clinician" in page
    assert "Competing interests:" in page
    assert "Advisory board, Acme Bio" in page


def test_trusted_readers_publish_at_once(client, article, reader):
    CommentFactory.create_batch(2, author=reader)
    post(client, article, body="Published straight away.")
    assert Comment.objects.get(body="Published straight away.").status == "approved"


def test_length_limits_have_clear_messages_and_keep_the_text(client, article, reader, settings):
    settings.COMMENTS_MAX_LENGTH = 50
    response = post(client, article, body="x" * 60)
    assert response.status_code == 400
    page = response.content.decode()
    assert "up to 50 characters; yours has 60" in page
    assert "x" * 60 in page
    assert post(client, article, body="   ").status_code == 400
    assert not Comment.objects.exists()


def test_preview_shows_rendered_text_without_saving(client, article, reader):
    response = post(client, article, body="**bold** idea", preview="1")
    assert response.status_code == 200
    assert "<strong>bold</strong> idea" in response.content.decode()
    assert not Comment.objects.exists()


def test_the_honeypot_swallows_bots_quietly(client, article, reader):
    response = post(client, article, website="http://spam.example")
    assert response.status_code == 302
    assert not Comment.objects.exists()


def test_replies_nest_and_a_reply_at_the_cap_attaches_at_the_cap(client, article, reader, settings):
    settings.COMMENTS_MAX_DEPTH = 3
    CommentFactory.create_batch(2, author=reader)  # trusted
    root = CommentFactory(article=article)
    child = CommentFactory(parent=root)
    grandchild = CommentFactory(parent=child)
    post(client, article, body="To the grandchild", parent=grandchild.pk)
    reply = Comment.objects.get(body="To the grandchild")
    assert reply.parent == child
    assert reply.depth == 2
    assert reply.path.startswith(child.path)
    assert reply.thread_id == root.pk


def test_cannot_reply_to_a_comment_of_another_article_or_a_hidden_one(client, article, reader):
    elsewhere = CommentFactory()
    hidden = CommentFactory(article=article, status=Comment.Status.REJECTED)
    for parent in (elsewhere, hidden):
        response = post(client, article, body="Sneaky", parent=parent.pk)
        assert response.status_code == 400
        assert "can no longer be replied to" in response.content.decode()
    assert not Comment.objects.filter(body="Sneaky").exists()


def test_closed_discussions_say_so_and_accept_nothing(client, reader):
    article = ArticleFactory(comments_open=False)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "The discussion on this article is closed." in page
    assert "Post comment" not in page
    assert post(client, article).status_code == 400
    assert not Comment.objects.exists()


def test_posting_is_rate_limited_per_reader_with_a_friendly_429(client, article, reader, settings):
    settings.COMMENTS_RATE_PER_USER = "3/600"
    statuses = [post(client, article, body=f"Remark {n}").status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    last = post(client, article, body="Still typing this")
    assert last["Retry-After"] == "600"
    assert 'class="site-header"' in last.content.decode()
    assert "posting very quickly" in last.content.decode()
    assert "Still typing this" in last.content.decode()
    assert Comment.objects.count() == 3


def test_posting_is_rate_limited_per_network(client, article, settings):
    settings.COMMENTS_RATE_PER_IP = "2/600"
    codes = []
    for n in range(3):
        client.force_login(UserFactory(role="other"))
        last = post(client, article, body=f"From the same network {n}")
        codes.append(last.status_code)
    assert codes == [302, 302, 429]
    assert last["Retry-After"] == "600"


def test_comment_form_requires_csrf(article, reader):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    assert post(strict, article).status_code == 403
    assert not Comment.objects.exists()


def test_bad_input_never_500s(client, article, reader):
    for data in (
        {"parent": "not-a-number"},
        {"parent": "999999999"},
        {"body": "\x00\x00"},
    ):
        assert post(client, article, **data).status_code == 400, data
    assert client.get(f"{article.get_absolute_url()}?page=abc&sort=evil&reply=x").status_code == 200
    assert client.get("/comments/999999/").status_code == 404
    assert client.get("/articles/nope/comments/").status_code == 404


@pytest.mark.cost
@pytest.mark.parametrize("viewer", ["anonymous", "reader", "moderator"])
def test_query_count_is_the_same_for_10_and_200_comments_for_every_viewer(client, viewer):
    from tests.factories import ModeratorFactory

    if viewer != "anonymous":
        client.force_login(ModeratorFactory() if viewer == "moderator" else UserFactory())
    small, large = ArticleFactory(), ArticleFactory()
    for article, threads in ((small, 5), (large, 100)):
        for _ in range(threads):
            CommentFactory(parent=CommentFactory(article=article))
    counts = []
    for article in (small, large):
        client.get(article.get_absolute_url())  # the fragments are rendered once
        with CaptureQueriesContext(connection) as queries:
            assert client.get(article.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= {"anonymous": 10, "reader": 16, "moderator": 19}[viewer]


@pytest.mark.cost
def test_query_count_is_the_same_for_10_and_200_comments(client, reader):
    small, large = ArticleFactory(), ArticleFactory()
    for article, threads in ((small, 5), (large, 100)):
        for _ in range(threads):
            root = CommentFactory(article=article)
            CommentFactory(parent=root)
    counts = []
    for article in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(article.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_long_discussions_paginate_by_thread_and_permalinks_find_the_page(client, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 3
    article = ArticleFactory()
    roots = [CommentFactory(article=article, body=f"Root {n}") for n in range(7)]
    reply = CommentFactory(parent=roots[4], body="Reply on the second page")
    first = client.get(article.get_absolute_url()).content.decode()
    assert "Root 0" in first
    assert "Root 3" not in first
    response = client.get(reply.get_absolute_url())
    assert response["Location"] == f"{article.get_absolute_url()}?page=2#comment-{reply.pk}"
    second = client.get(response["Location"]).content.decode()
    assert "Reply on the second page" in second
    assert "Root 0" not in second


def test_threads_sort_by_newest_and_most_helpful(client):
    article = ArticleFactory()
    CommentFactory(article=article, body="Old and helpful", helpful_count=9)
    CommentFactory(article=article, body="Newer and ignored")
    newest = client.get(f"{article.get_absolute_url()}?sort=newest").content.decode()
    assert newest.index("Newer and ignored") < newest.index("Old and helpful")
    helpful = client.get(f"{article.get_absolute_url()}?sort=helpful").content.decode()
    assert helpful.index("Old and helpful") < helpful.index("Newer and ignored")


def test_replies_under_a_hidden_comment_keep_their_place(client):
    article = ArticleFactory()
    root = CommentFactory(article=article, body="The root")
    middle = CommentFactory(parent=root, body="Rejected middle")
    CommentFactory(parent=middle, body="Still a good reply")
    Comment.objects.filter(pk=middle.pk).update(status=Comment.Status.REJECTED)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Rejected middle" not in page
    assert "hidden by a moderator" in page
    assert page.index("The root") < page.index("Still a good reply")


def test_article_lists_show_comment_counts_without_a_query_per_article(client):
    articles = ArticleFactory.create_batch(3)
    for article, count in zip(articles, (0, 2, 5), strict=True):
        CommentFactory.create_batch(count, article=article)
    CommentFactory(article=articles[1], status=Comment.Status.PENDING)  # not counted
    page = client.get("/articles/").content.decode()
    assert "2 comments" in page
    assert "5 comments" in page
    with CaptureQueriesContext(connection) as few:
        client.get("/articles/")
    for _ in range(10):
        CommentFactory(article=ArticleFactory())
    with CaptureQueriesContext(connection) as many:
        client.get("/articles/")
    assert len(few) == len(many)
