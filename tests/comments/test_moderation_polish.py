"""What moderators and readers meet around a moderator's decision."""

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from comments.models import Comment, CommentBan, CommentFlag, ModerationDecision
from comments.moderation import ModerationForbidden, comment_decisions_undo, comment_moderate
from comments.services import flag_counts_refresh
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


@pytest.fixture
def moderator(client, staff_groups):
    user = UserFactory(is_staff=True, display_name="Mo")
    user.groups.add(staff_groups["Moderators"])
    client.force_login(user)
    return user


def _report(comment, *reasons):
    for reason in reasons:
        CommentFlag.objects.create(comment=comment, user=UserFactory(), reason=reason)
    flag_counts_refresh(comment_ids=[comment.pk])


def test_reported_comments_show_their_reasons_to_moderators_and_count_in_the_queue(
    client, moderator
):
    reported = CommentFactory(body="Buy my supplements")
    _report(reported, "spam", "misinformation")
    CommentFactory(article=reported.article, status=Comment.Status.PENDING)
    page = client.get(reported.article.get_absolute_url()).content.decode()
    assert "Reported by 2 readers: Spam or advertising, Medical misinformation." in page
    assert "Keep it published" in page
    assert '<span class="chip__count">2</span>' in page  # one waiting, one reported
    queue = client.get("/admin/comments/comment/?queue=open").content.decode()
    assert "Buy my supplements" in queue

    client.force_login(UserFactory())
    assert "Reported by" not in client.get(reported.article.get_absolute_url()).content.decode()


def test_an_inline_decision_answers_with_the_new_queue_count_out_of_band(client, moderator):
    first, _ = CommentFactory.create_batch(2, status=Comment.Status.PENDING)
    response = client.post(
        f"/comments/{first.pk}/moderate/",
        {"action": "reject", "reason": "Off topic"},
        headers={"HX-Request": "true"},
    )
    fragment = response.content.decode()
    assert 'id="moderation-queue" data-hx-swap-oob="true"' in fragment
    assert '<span class="chip__count">1</span>' in fragment
    assert "Undo" in fragment


def test_admin_actions_that_hide_comments_ask_why_and_record_it(client, moderator):
    comments = CommentFactory.create_batch(2, status=Comment.Status.PENDING)
    chosen = {"action": "reject", "_selected_action": [c.pk for c in comments]}
    asked = client.post("/admin/comments/comment/", chosen)
    assert asked.status_code == 200
    assert "say why" in asked.content.decode()
    assert Comment.objects.filter(status=Comment.Status.PENDING).count() == 2
    done = client.post(
        "/admin/comments/comment/",
        {**chosen, "apply": "1", "reason": "Medical misinformation", "note": "dosing claim"},
    )
    assert done.status_code == 302
    assert Comment.objects.filter(status=Comment.Status.REJECTED).count() == 2
    reasons = set(
        ModerationDecision.objects.filter(action="reject").values_list("reason", flat=True)
    )
    assert reasons == {"Medical misinformation: dosing claim"}
    listing = client.get(done["Location"]).content.decode()
    undo = re.search(r'href="(/comments/undo/[^"]+)">Undo</a>', listing).group(1)
    undo = html.unescape(undo)
    assert undo.endswith("?next=%2Fadmin%2Fcomments%2Fcomment%2F")
    back = client.post(undo.split("?")[0], {"next": "/admin/comments/comment/"})
    assert back["Location"] == "/admin/comments/comment/"
    assert Comment.objects.filter(status=Comment.Status.PENDING).count() == 2


def test_the_admin_change_page_decides_with_buttons_not_a_raw_field_and_save(client, moderator):
    comment = CommentFactory(body="Some *emphasis*", status=Comment.Status.PENDING)
    page = client.get(f"/admin/comments/comment/{comment.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert "Body html" not in page
    assert "<em>emphasis</em>" in page
    for value in ("approve", "reject", "spam", "ban"):
        assert f'form="decide-form" name="action" value="{value}"' in page
    url = f"/admin/comments/comment/{comment.pk}/decide/"
    client.post(url, {"action": "ban"})  # no reason: refused
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    client.post(url, {"action": "ban", "reason": "Advertising or spam"})
    comment.refresh_from_db()
    assert comment.status == Comment.Status.SPAM
    assert CommentBan.objects.filter(user=comment.author).exists()


def test_a_decision_can_be_undone_for_ten_minutes_and_no_longer(client, moderator):
    comment, later = CommentFactory.create_batch(2, status=Comment.Status.PENDING)
    response = client.post(
        f"/comments/{comment.pk}/moderate/", {"action": "spam", "reason": "Advertising or spam"},
        follow=True,
    )  # fmt: skip
    link = re.search(r'href="(/comments/undo/[^"]+/)"', response.content.decode()).group(1)
    assert "back to “waiting for moderation”" in client.get(link).content.decode()
    assert client.post(link).status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.decisions.first().action == ModerationDecision.Action.UNDO

    response = client.post(
        f"/comments/{later.pk}/moderate/", {"action": "reject", "reason": "Off topic"},
        follow=True,
    )  # fmt: skip
    link = re.search(r'href="(/comments/undo/[^"]+/)"', response.content.decode()).group(1)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert client.post(link).status_code == 400
    later.refresh_from_db()
    assert later.status == Comment.Status.REJECTED


def test_undoing_a_ban_lifts_it_and_only_moderators_decide(client, moderator):
    comment = CommentFactory()
    decisions = comment_moderate(
        comments=[comment], moderator=moderator, action="ban", reason="Abusive or disrespectful"
    )
    assert CommentBan.objects.filter(user=comment.author).exists()
    assert comment_decisions_undo(decision_ids=[d.pk for d in decisions], moderator=moderator)
    assert not CommentBan.objects.filter(user=comment.author).exists()
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    with pytest.raises(ModerationForbidden):
        comment_moderate(comments=[comment], moderator=UserFactory(), action="approve")
