"""A reader joins the discussion; a moderator approves; another reader replies (no JavaScript)."""

import re

import pytest
from playwright.sync_api import expect

from comments.models import Comment
from tests.factories import PASSWORD, ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, live_server, email: str, next_path: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label("Email:", exact=True).fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_new_reader_signs_up_comments_waits_is_approved_and_gets_a_reply(
    page, browser, live_server, axe_check, staff_groups, smtp_server, celery_worker
):
    article = ArticleFactory(title="Small cohorts", discussion_prompt="Are we moving too fast?")
    moderator = UserFactory(email="mod@example.org", is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    url = article.get_absolute_url()

    page.goto(live_server.url + url)
    expect(page.get_by_text("to join the discussion")).to_be_visible()
    page.get_by_role("link", name="create a free account").click()
    page.get_by_label("Email:", exact=True).fill("nadia@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a long and unusual passphrase")
    page.get_by_label("Password (again)").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Sign Up").click()
    mail = smtp_server.wait_for_message("nadia@example.org")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.get_body().get_content())
    page.goto(live_server.url + "/" + link.group(0).split("/", 3)[3])
    page.get_by_role("button", name="Confirm").click()
    page.goto(live_server.url + url)
    expect(page.get_by_role("heading", name="Add your comment")).to_be_visible()
    page.get_by_label("Display name").fill("Nadia")
    page.get_by_label("I am a…").select_option("carer")
    page.get_by_label("Expertise or experience").fill("Caring for my mother")
    page.get_by_label("Your comment").fill("Speed matters to *families* like ours.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".comment-preview em")).to_have_text("families")
    axe_check(page, context="comment preview")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Waiting for moderation")).to_be_visible()
    expect(page.get_by_text("Carer or family member")).to_be_visible()
    axe_check(page, context="article with a waiting comment")

    moderator_page = browser.new_page()
    sign_in(moderator_page, live_server, "mod@example.org", "/admin/comments/comment/")
    expect(moderator_page.get_by_text("a new reader's first comments wait")).to_be_visible()
    axe_check(moderator_page, context="admin comment queue")
    moderator_page.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    moderator_page.get_by_label("Action:").select_option("approve")
    moderator_page.get_by_role("button", name="Go").click()
    expect(moderator_page.locator(".messagelist")).to_contain_text("Comment published. Undo")
    moderator_page.close()

    page.reload()
    expect(page.get_by_text("Waiting for moderation")).to_have_count(0)
    expect(page.get_by_text("Speed matters to families like ours.")).to_be_visible()
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.APPROVED
    assert comment.decisions.filter(action="approve", moderator=moderator).exists()

    # Another reader, trusted already, replies without any JavaScript.
    context = browser.new_context(java_script_enabled=False)
    other = context.new_page()
    replier = UserFactory(email="omar@example.org", role="clinician", display_name="Dr Omar")
    CommentFactory.create_batch(2, author=replier)
    sign_in(other, live_server, "omar@example.org", url)
    other.get_by_role("link", name="Reply to Nadia").click()
    expect(other.get_by_role("heading", name="Reply to Nadia")).to_be_visible()
    other.get_by_label("Your comment").fill("The trial was small, but responses were real.")
    other.get_by_role("button", name="Post comment").click()
    expect(other.get_by_text("Your comment is published.")).to_be_visible()
    reply = Comment.objects.get(author=replier, parent=comment)
    expect(other.locator(f"#comment-{comment.pk} ~ ol #comment-{reply.pk}")).to_be_visible()
    context.close()
    page.reload()  # axe-core needs JavaScript, so check the thread in the first reader's page
    expect(page.get_by_text("responses were real")).to_be_visible()
    axe_check(page, context="thread with a reply")


def test_inline_reply_and_moderation_with_htmx_using_only_the_keyboard(
    page, browser, live_server, axe_check, staff_groups
):
    article = ArticleFactory(discussion_prompt="Are we moving too fast?")
    parent = CommentFactory(
        article=article, body="Single-arm data can still be persuasive.",
        author=UserFactory(display_name="Ines", role="researcher"),
    )  # fmt: skip
    replier = UserFactory(email="kofi@example.org", display_name="Kofi", role="patient")
    CommentFactory.create_batch(2, author=replier)  # trusted, so the reply publishes at once
    url = article.get_absolute_url()

    sign_in(page, live_server, "kofi@example.org", url)
    page.evaluate("window.__noReload = true")
    page.get_by_role("link", name="Reply to Ines").focus()
    page.keyboard.press("Enter")
    reply_box = page.locator(f"#id_reply-form-{parent.pk}_body")
    expect(reply_box).to_be_focused()  # the form opens where the reader is, focused
    page.keyboard.type("Persuasive, yes, but we need the confirmatory data too.")
    page.keyboard.press("Tab")
    expect(page.locator(f"#reply-form-{parent.pk} button", has_text="Post comment")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#replies-{parent.pk}")).to_contain_text("confirmatory data")
    expect(page.locator(f"#reply-form-{parent.pk}")).to_contain_text("Your comment is published.")
    assert page.evaluate("window.__noReload") is True  # no page load happened
    axe_check(page, context="after an inline reply")

    waiting = CommentFactory(article=article, body="Is anyone else waiting on testing?",
                             status=Comment.Status.PENDING)  # fmt: skip
    page.reload()
    expect(page.get_by_text("Is anyone else waiting on testing?")).to_have_count(0)
    moderator = UserFactory(email="mod2@example.org", is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    mod_context = browser.new_context()
    mod_page = mod_context.new_page()
    sign_in(mod_page, live_server, "mod2@example.org", url)
    expect(mod_page.get_by_role("link", name=re.compile("Queue"))).to_contain_text("1")
    held = mod_page.locator(f"#comment-{waiting.pk}")
    expect(held).to_contain_text("Waiting for moderation")
    axe_check(mod_page, context="moderator on the article page")
    mod_page.evaluate("window.__noReload = true")
    held.get_by_role("button", name="Approve").focus()
    mod_page.keyboard.press("Enter")
    expect(mod_page.locator(f"#comment-{waiting.pk}")).not_to_contain_text("Waiting for moderation")
    assert mod_page.evaluate("window.__noReload") is True
    waiting.refresh_from_db()
    assert waiting.status == Comment.Status.APPROVED
    mod_context.close()
    page.reload()  # the reader now sees the approved comment
    expect(page.get_by_text("Is anyone else waiting on testing?")).to_be_visible()
