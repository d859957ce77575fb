"""htmx is written as data-hx-* attributes: the bare hx-* form is not valid HTML."""

from html.parser import HTMLParser

import pytest

from comments.models import Comment
from newsletter.models import Edition
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


class AttributeCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.names.update(name for name, _ in attrs)


def attributes_of(html: str) -> set[str]:
    collector = AttributeCollector()
    collector.feed(html)
    return collector.names


def assert_valid_htmx(html: str, *, expected: set[str]) -> None:
    names = attributes_of(html)
    assert not {name for name in names if name.startswith("hx-")}
    assert expected <= names


def test_the_signed_in_article_page_uses_data_hx_attributes(client, staff_groups):
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    article = ArticleFactory()
    CommentFactory(article=article, status=Comment.Status.PENDING)
    CommentFactory(article=article)
    client.force_login(moderator)

    page = client.get(article.get_absolute_url()).content.decode()
    assert_valid_htmx(page, expected={"data-hx-post", "data-hx-get", "data-hx-target"})


def test_a_comment_posted_through_htmx_answers_with_data_hx_attributes(client):
    article = ArticleFactory()
    reader = UserFactory(role="patient", display_name="Pat")
    CommentFactory.create_batch(2, author=reader)  # trusted: published at once
    client.force_login(reader)

    answer = client.post(
        f"/articles/{article.slug}/comments/", {"body": "A remark."}, headers={"HX-Request": "true"}
    )
    assert_valid_htmx(answer.content.decode(), expected={"data-hx-swap-oob"})


def test_the_edition_progress_panel_polls_with_data_hx_attributes(admin_client):
    edition = Edition.objects.create(subject="Sending", status=Edition.Status.SENDING)
    url = f"/admin/newsletter/edition/{edition.pk}/progress/"
    panel = admin_client.get(url).content.decode()
    assert_valid_htmx(panel, expected={"data-hx-get", "data-hx-trigger", "data-hx-swap"})
