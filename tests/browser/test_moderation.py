"""Moderators at work in a real browser: the article page, the queue, the admin list."""

import pytest
from playwright.sync_api import expect

from comments.models import Comment, CommentFlag
from comments.services import flag_counts_refresh
from tests.browser.test_comments import sign_in
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def moderator(staff_groups):
    user = UserFactory(email="mod@example.org", is_staff=True, display_name="Mo")
    user.groups.add(staff_groups["Moderators"])
    return user


@pytest.mark.parametrize("width", [360, 1280])
def test_an_inline_rejection_asks_why_and_updates_the_header_count(
    page, live_server, axe_check, moderator, width
):
    article = ArticleFactory()
    first, _ = CommentFactory.create_batch(2, article=article, status=Comment.Status.PENDING)
    reported = CommentFactory(article=article, body="Try this miracle tea")
    CommentFlag.objects.create(comment=reported, user=UserFactory(), reason="misinformation")
    flag_counts_refresh(comment_ids=[reported.pk])
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "mod@example.org", article.get_absolute_url())
    queue = page.locator("#moderation-queue")
    expect(queue).to_contain_text("3")
    expect(page.locator(f"#comment-{reported.pk}")).to_contain_text(
        "Reported by 1 reader: Medical misinformation."
    )
    axe_check(page, context=f"moderator's article page at {width} px")
    page.evaluate("window.__noReload = true")
    held = page.locator(f"#comment-{first.pk}")
    held.get_by_label("Reason (to reject or mark as spam)").select_option("Off topic")
    held.get_by_role("button", name="Reject").click()
    expect(page.locator(f"#comment-{first.pk}")).to_contain_text("hidden from readers")
    expect(queue).to_contain_text("2")
    expect(page.locator(f"#comment-{first.pk}").get_by_role("link", name="Undo")).to_be_visible()
    assert page.evaluate("window.__noReload") is True
    assert Comment.objects.get(pk=first.pk).decisions.first().reason == "Off topic"
    axe_check(page, context=f"after an inline decision at {width} px")


def test_the_admin_comment_list_and_change_page_fit_1280_px(
    page, live_server, axe_check, moderator
):
    article = ArticleFactory(title="A rather long title about NRG1 fusions in cholangiocarcinoma")
    waiting = CommentFactory(
        article=article,
        status=Comment.Status.PENDING,
        held_reason="a new reader's first comments wait for approval; contains 3 links",
        body="A long comment " * 40,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, "mod@example.org", "/admin/comments/comment/?queue=open")
    expect(page.locator("#result_list")).to_be_visible()
    # Every column in view, none scrolled off to the side of its box, the comment kept wide.
    inner, box = page.evaluate(
        "[...['scrollWidth', 'clientWidth'].map(k => document.querySelector('.results')[k])]"
    )
    assert inner <= box, f"the comment list needs {inner} px in a {box} px box"
    comment_width = page.locator("#result_list td.field-excerpt, #result_list th.field-excerpt")
    assert comment_width.first.bounding_box()["width"] >= 230
    axe_check(page, context="admin comment list at 1280 px")
    page.goto(f"{live_server.url}/admin/comments/comment/{waiting.pk}/change/")
    expect(page.get_by_role("button", name="Spam and ban the author")).to_be_visible()
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    axe_check(page, context="admin comment change page")
