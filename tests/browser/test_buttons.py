"""Buttons look like what they do: a secondary or dangerous choice never passes for the
primary one, on a phone or a desktop, and the comment form's hint sits with its field."""

import re

import pytest
from playwright.sync_api import expect

from comments.models import Comment
from tests.browser.test_comments import sign_in
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 1280)


def background(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")


@pytest.mark.parametrize("width", WIDTHS)
def test_preview_looks_secondary_and_the_hint_stays_above_post(page, live_server, axe_check, width):
    article = ArticleFactory()
    UserFactory(email="lena@example.org", display_name="Lena", role="patient")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "lena@example.org", article.get_absolute_url())
    form = page.locator("#comment-form")
    post = form.get_by_role("button", name="Post comment")
    preview = form.get_by_role("button", name="Preview")
    expect(post).to_be_visible()
    assert background(preview) != background(post)
    hint = form.locator("#id_body_helptext")
    textarea = form.get_by_label("Your comment")
    hint_box, post_box, text_box = hint.bounding_box(), post.bounding_box(), textarea.bounding_box()
    # The hint belongs to the comment box: above the buttons, beside the field it explains.
    assert hint_box["y"] + hint_box["height"] <= post_box["y"]
    assert abs(hint_box["y"] - text_box["y"]) < 120
    axe_check(page, context=f"comment form at {width} px")


@pytest.mark.parametrize("width", WIDTHS)
def test_reject_and_spam_do_not_look_like_approve(
    page, live_server, axe_check, staff_groups, width
):
    article = ArticleFactory()
    waiting = CommentFactory(article=article, status=Comment.Status.PENDING, body="Any news?")
    moderator = UserFactory(email="mod@example.org", is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "mod@example.org", article.get_absolute_url())
    held = page.locator(f"#comment-{waiting.pk}")
    approve = held.get_by_role("button", name="Approve")
    expect(approve).to_be_visible()
    approve_bg = background(approve)
    for name in ("Reject", "Spam"):
        assert background(held.get_by_role("button", name=re.compile(f"^{name}"))) != approve_bg
    assert background(held.get_by_role("button", name="Reject")) != background(
        held.get_by_role("button", name="Spam")
    )
    axe_check(page, context=f"moderation buttons at {width} px")
