"""A signed-in reader's half-written comment survives a reload (static/js/comment-draft.js),
one draft per article and per comment replied to, and is gone once posted or signed out."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MAIN = "The eNRGy cohort was small, but the responses lasted."
REPLY = "Agreed — and the confirmatory trial is already recruiting."


@pytest.fixture
def discussion():
    article = ArticleFactory(discussion_prompt="Are small cohorts enough?")
    parent = CommentFactory(
        article=article, body="Single-arm data can persuade.",
        author=UserFactory(display_name="Ines", role="researcher"),
    )  # fmt: skip
    reader = UserFactory(display_name="Kofi", role="patient")
    CommentFactory.create_batch(2, author=reader)  # trusted: comments publish at once
    return article, parent, reader


def sign_in(page, live_server, user) -> None:
    """The reader's session, as signing in would leave it (quicker than the form)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def test_drafts_come_back_after_a_reload_and_go_once_posted_with_htmx(
    page, live_server, discussion, axe_check
):
    article, parent, reader = discussion
    sign_in(page, live_server, reader)
    page.goto(live_server.url + article.get_absolute_url())
    main = page.locator("#id_body")
    main.fill(MAIN)
    page.get_by_role("link", name="Reply to Ines").click()
    reply = page.locator(f"#id_reply-form-{parent.pk}_body")
    reply.fill(REPLY)

    page.reload()
    expect(main).to_have_value(MAIN)
    page.get_by_role("link", name="Reply to Ines").click()
    expect(reply).to_have_value(REPLY)  # its own draft, not the main form's
    axe_check(page, context="restored drafts")

    page.evaluate("window.__noReload = true")
    page.locator("#comment-form").get_by_role("button", name="Post comment").click()
    expect(page.locator("#comment-form")).to_contain_text("Your comment is published.")
    assert page.evaluate("window.__noReload") is True  # posted by htmx
    expect(main).to_have_value("")
    page.reload()
    expect(main).to_have_value("")
    page.get_by_role("link", name="Reply to Ines").click()
    expect(reply).to_have_value(REPLY)  # the reply is still a draft
    page.locator(f"#reply-form-{parent.pk}").get_by_role("button", name="Post comment").click()
    expect(page.locator(f"#reply-form-{parent.pk}")).to_contain_text("Your comment is published.")
    page.reload()
    page.get_by_role("link", name="Reply to Ines").click()
    expect(reply).to_have_value("")
    assert Comment.objects.filter(author=reader, body=MAIN, parent=None).exists()
    assert Comment.objects.filter(author=reader, body=REPLY, in_reply_to=parent).exists()


def test_without_htmx_a_full_post_clears_the_draft_and_signing_out_forgets_drafts(
    page, live_server, discussion
):
    article, _, reader = discussion
    page.route("**/htmx-*.js", lambda route: route.abort())  # forms post as plain forms
    sign_in(page, live_server, reader)
    url = live_server.url + article.get_absolute_url()
    page.goto(url)
    main = page.locator("#id_body")
    main.fill(MAIN)
    page.get_by_role("button", name="Preview").click()  # a full page, the text kept by us
    expect(page.locator(".comment-preview")).to_contain_text("responses lasted")
    page.goto(url)
    expect(main).to_have_value(MAIN)  # a preview is not a post
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Your comment is published.")).to_be_visible()
    expect(main).to_have_value("")
    page.reload()
    expect(main).to_have_value("")

    main.fill("Written, then signed out on a shared computer.")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    sign_in(page, live_server, reader)
    page.goto(url)
    expect(main).to_have_value("")
